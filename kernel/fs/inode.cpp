// Inodes: the file system's files, and the disk blocks they own.
//
// On disk an inode is a dinode in the inode blocks; a file's data lives in
// up to NDIRECT direct blocks plus the NINDIRECT blocks listed in its
// indirect block. Free data blocks are the zero bits of the free bitmap.
//
// In memory, g_itable caches the inodes somebody holds a reference to (an
// open file, a cwd, a path walk in progress). Each entry's reference count
// says whether it can be reused; its sleep lock (ilock/iunlock) serialises
// reads and writes of the inode and its contents. An inode whose last
// reference goes while no directory names it (nlink == 0) is freed then, so
// an unlinked file stays readable through the fds that still have it open.
//
// Every function that changes disk blocks runs inside an operation
// (begin_op/end_op) and writes through log_write, never bwrite.
#include <stat.h>
#include <weft/fs.h>

#include "arch/riscv64/riscv.h"
#include "fs/buf.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "inject.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "sync/spinlock.h"
#include "uaccess.h"

superblock g_sb;

namespace {
void free_orphans(u32 dev);
}

void fs_init(int dev) {
  Buf* b = bread(dev, 1);
  memmove(&g_sb, b->data, sizeof(g_sb));
  brelse(b);
  if (g_sb.magic != FSMAGIC) panic("fs: bad superblock magic %x", g_sb.magic);
  log_init(dev, g_sb);
  free_orphans(dev);  // after the replay: it reads the recovered inodes
}

// ------------------------------------------------------------ data blocks

namespace {

// Fill a block with zeros so that a newly allocated block never shows what a
// deleted file left in it.
void bzero(u32 dev, u32 blockno) {
  Buf* b = bread(dev, blockno);
  memset(b->data, 0, BSIZE);
  log_write(b);
  brelse(b);
}

// Allocate a zeroed data block. Running out of blocks is an ordinary error:
// the write that needed the block returns what it managed so far. The bitmap
// block's sleep lock makes two allocations never pick the same bit.
Result<u32> balloc(u32 dev) {
  if (inject_failure(AllocSite::Block)) return Error::NoSpace;
  for (u32 base = 0; base < g_sb.size; base += BPB) {
    Buf* b = bread(dev, BBLOCK(base, g_sb));
    u32 limit = g_sb.size - base < BPB ? g_sb.size - base : BPB;
    for (u32 bi = 0; bi < limit; bi++) {
      u8& byte = b->data[bi / 8];
      if (byte == 0xff) {  // a full byte: skip its other seven bits too
        bi |= 7;
        continue;
      }
      u8 mask = static_cast<u8>(1u << (bi % 8));
      if (byte & mask) continue;
      byte |= mask;
      log_write(b);
      brelse(b);
      bzero(dev, base + bi);
      return base + bi;
    }
    brelse(b);
  }
  return Error::NoSpace;
}

void bfree(u32 dev, u32 blockno) {
  Buf* b = bread(dev, BBLOCK(blockno, g_sb));
  u32 bi = blockno % BPB;
  u8 mask = static_cast<u8>(1u << (bi % 8));
  if ((b->data[bi / 8] & mask) == 0) panic("bfree: block %u is free", blockno);
  b->data[bi / 8] &= static_cast<u8>(~mask);
  log_write(b);
  brelse(b);
}

}  // namespace

// ----------------------------------------------------------- inode cache

namespace {

// The entries with a reference hang in buckets by (dev, inum), so that a
// lookup looks at a few entries however large the table is; the others wait
// on the free list.
constexpr u32 kBuckets = 256;
using InodeList = IntrusiveList<Inode, &Inode::cache_node>;
struct ITable {
  Spinlock lock{"itable", LockRank::Itable};
  Inode inodes[NINODE];
  // guarded by lock:
  InodeList buckets[kBuckets];
  InodeList free;
  bool ready = false;  // every entry is on the free list
};
constinit ITable g_itable;

InodeList& bucket_of(u32 dev, u32 inum) {
  return g_itable.buckets[(inum * 2654435761u + dev) % kBuckets];
}

// One reference fewer; the last puts the entry on the free list. Caller
// holds g_itable.lock.
void unref_locked(Inode* ip) {
  if (--ip->ref > 0) return;
  bucket_of(ip->dev, ip->inum).remove(ip);
  g_itable.free.push_back(ip);
}

// The dinode for inum inside b, the buffer of its inode block.
dinode* dinode_in(Buf* b, u32 inum) {
  return reinterpret_cast<dinode*>(b->data) + inum % IPB;
}

// The cache entry for (dev, inum), with a new reference; g_itable.lock held.
// If somebody already holds an entry for the inode, that entry is shared,
// or with share unset the answer is Busy (see ialloc). FileTable if every
// entry is in use.
Result<Inode*> iget_locked(u32 dev, u32 inum, bool share) {
  if (!g_itable.ready) {
    for (Inode& ip : g_itable.inodes) g_itable.free.push_back(&ip);
    g_itable.ready = true;
  }
  InodeList& bucket = bucket_of(dev, inum);
  for (Inode* ip = bucket.front(); ip; ip = bucket.next(ip)) {
    if (ip->dev == dev && ip->inum == inum) {
      if (!share) return Error::Busy;
      ip->ref++;
      return ip;
    }
  }
  Inode* empty = g_itable.free.pop_front();
  if (!empty) return Error::FileTable;
  if (inject_failure(AllocSite::Inode)) {
    g_itable.free.push_front(empty);
    return Error::FileTable;
  }
  // Nobody holds a reference, so nobody holds the sleep lock either: the
  // fields it guards may be reset here.
  empty->dev = dev;
  empty->inum = inum;
  empty->ref = 1;
  empty->valid = false;
  bucket.push_back(empty);
  return empty;
}

}  // namespace

Result<Inode*> iget(u32 dev, u32 inum) {
  if (inum == 0 || inum >= g_sb.ninodes) return Error::Invalid;  // corrupt dir
  SpinGuard g(g_itable.lock);
  return iget_locked(dev, inum, true);
}

Inode* idup(Inode* ip) {
  SpinGuard g(g_itable.lock);
  ip->ref++;
  return ip;
}

Result<Inode*> ialloc(u32 dev, i16 type) {
  if (inject_failure(AllocSite::DiskInode)) return Error::NoSpace;
  for (u32 first = 0; first < g_sb.ninodes; first += IPB) {
    Buf* b = bread(dev, IBLOCK(first, g_sb));
    for (u32 inum = first; inum < first + IPB && inum < g_sb.ninodes; inum++) {
      if (inum == 0) continue;  // inode 0 means "no inode" in a dirent
      dinode* dip = dinode_in(b, inum);
      if (dip->type != 0) continue;
      // Take the cache entry before marking the inode used, so that a full
      // cache leaves nothing behind on disk.
      auto ip = [&] {
        SpinGuard g(g_itable.lock);
        return iget_locked(dev, inum, false);
      }();
      // A free inode that somebody still holds is one whose last iput is
      // freeing it right now: it wrote type 0 but has not yet dropped its
      // reference. Sharing that entry would let every other holder's iput
      // see a second reference and keep the inode, and the freeing iput
      // then drops the last reference without looking at nlink again: the
      // inode would stay allocated with no name. So it is left alone; it
      // is free for the next ialloc once that iput is done.
      if (!ip && ip.error() == Error::Busy) continue;
      if (!ip) {
        brelse(b);
        return ip.error();
      }
      memset(dip, 0, sizeof(*dip));
      dip->type = type;
      log_write(b);
      brelse(b);
      return ip.value();
    }
    brelse(b);
  }
  return Error::NoSpace;
}

int cached_inode_count() {
  SpinGuard g(g_itable.lock);
  int n = 0;
  for (Inode& ip : g_itable.inodes) n += ip.ref > 0;
  return n;
}

int free_inode_count(u32 dev) {
  int n = 0;
  for (u32 first = 0; first < g_sb.ninodes; first += IPB) {
    Buf* b = bread(dev, IBLOCK(first, g_sb));
    for (u32 inum = first; inum < first + IPB && inum < g_sb.ninodes; inum++)
      n += inum != 0 && dinode_in(b, inum)->type == 0;
    brelse(b);
  }
  return n;
}

int free_block_count(u32 dev) {
  int n = 0;
  for (u32 base = 0; base < g_sb.size; base += BPB) {
    Buf* b = bread(dev, BBLOCK(base, g_sb));
    for (u32 bi = 0; bi < BPB && base + bi < g_sb.size; bi++)
      n += (b->data[bi / 8] & (1u << (bi % 8))) == 0;
    brelse(b);
  }
  return n;
}

void iupdate(Inode* ip) {
  Buf* b = bread(ip->dev, IBLOCK(ip->inum, g_sb));
  dinode* dip = dinode_in(b, ip->inum);
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(b);
  brelse(b);
}

void ilock(Inode* ip) {
  ASSERT(ip);
  ip->lock.acquire();
  if (ip->valid) return;
  Buf* b = bread(ip->dev, IBLOCK(ip->inum, g_sb));
  const dinode* dip = dinode_in(b, ip->inum);
  ip->type = dip->type;
  ip->major = dip->major;
  ip->minor = dip->minor;
  ip->nlink = dip->nlink;
  ip->size = dip->size;
  memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
  brelse(b);
  ip->valid = true;
  // Only a directory entry or an open file leads here, and both keep the
  // inode allocated: a free inode means the disk is corrupt.
  if (ip->type == 0) panic("ilock: inode %u is free", ip->inum);
}

void iunlock(Inode* ip) {
  ASSERT(ip && ip->lock.holding());
  ip->lock.release();
}

void iput(Inode* ip) {
  bool free_it;
  {
    SpinGuard g(g_itable.lock);
    // The last reference to an inode no directory names: free it. Being
    // the last reference, nobody else holds its sleep lock, and nobody can
    // take a new reference until ours is gone: with no name no lookup finds
    // the inode, and ialloc skips a free inode whose entry is held, even
    // after the type 0 below reaches the inode block. So valid and nlink
    // can be read here (only once ref == 1 says nobody else could be
    // writing them), and the lock below never waits.
    free_it = ip->ref == 1 && ip->valid && ip->nlink == 0;
    if (!free_it) {
      unref_locked(ip);
      return;
    }
  }
  ip->lock.acquire();
  itrunc(ip);
  ip->type = 0;
  iupdate(ip);
  ip->valid = false;  // the next user of this entry rereads the disk
  ip->lock.release();
  SpinGuard g(g_itable.lock);
  unref_locked(ip);
}

void iunlockput(Inode* ip) {
  iunlock(ip);
  iput(ip);
}

// ---------------------------------------------------------------- orphans

namespace {

// An orphan is an inode that was unlinked (nlink 0) while something still
// held it, an open file or a process's cwd, when the machine stopped: the
// last iput that was to free it never came. At boot nothing holds any
// inode, so fs_init frees every orphan by a scan of the inode table.
//
// Why a scan finds exactly the orphans. Whatever changes an inode's type
// or nlink does so inside one operation, and the log makes an operation
// all or nothing across a crash (the replay has run before the scan):
//  - create: ialloc's type and the first link (nlink 1, the directory
//    entry) commit together; if the entry cannot be made, nlink stays 0
//    and iput frees the inode in the same operation.
//  - link, unlink, rename: an entry and the count it adds to or takes from
//    change together; an unlink (or a rename's replaced target) whose
//    inode nobody holds frees it in the same operation as well.
//  - freeing (iput) writes type 0 in one operation, with all the blocks.
// So on disk an inode is free (type 0), or named by nlink directory entries
// (nlink > 0), or has type != 0 and nlink 0: no entry names it, and it
// stayed allocated only for a holder that is gone now. Nothing can reach
// it again (no lookup finds it), so freeing it is safe.
//
// Each orphan is freed in an operation of its own, through the normal path:
// iput of the only reference to a valid inode with no links. That writes
// only the bitmap blocks and the inode's block to the log (itrunc reads the
// index blocks but does not write them), so even the largest file fits in
// one operation while the bitmap is small, as on mkfs's disk:
static_assert((FSSIZE + BPB - 1) / BPB + 1 <= MAXOPBLOCKS,
              "freeing a file (bitmap blocks + inode block) must fit one operation");

// The type and link count on disk of inode inum.
dinode disk_inode(u32 dev, u32 inum) {
  Buf* b = bread(dev, IBLOCK(inum, g_sb));
  dinode d = *dinode_in(b, inum);
  brelse(b);
  return d;
}

const char* type_name(i16 type) {
  switch (type) {
    case T_DIR: return "directory";
    case T_FILE: return "file";
    case T_DEVICE: return "device";
  }
  return "inode of unknown type";
}

void free_orphans(u32 dev) {
  // The root is never unlinked (unlink refuses "." and "/"); it is skipped
  // so that a damaged root's link count cannot free the whole tree.
  for (u32 inum = ROOTINO + 1; inum < g_sb.ninodes; inum++) {
    dinode d = disk_inode(dev, inum);  // no buffer held into the operation
    if (d.type == 0 || d.nlink != 0) continue;
    LogOp op;
    auto r = iget(dev, inum);
    if (!r) panic("fs: no inode cache entry for orphan %u", inum);  // empty at boot
    Inode* ip = r.value();
    ilock(ip);  // reads the inode, so that iput sees valid and nlink 0
    u32 size = ip->size;
    iunlock(ip);
    iput(ip);  // the only reference: frees the inode and its blocks
    op.end();  // committed: the line below tells of a done deed
    kprintf("fs: freed orphan inode %u (%s, %u bytes)\n", inum, type_name(d.type), size);
  }
}

}  // namespace

// ---------------------------------------------------------- block mapping

namespace {

// Entry i of the index block *slot (an indirect block), allocating the
// index block if it is missing and grow is set (then *grew is set: *slot is
// a field of ip->addrs, which the caller must iupdate) and the entry
// likewise. 0 for a missing block when only looking. A fresh block is
// zeroed by balloc, so a new index block lists no blocks.
Result<u32> index_entry(Inode* ip, u32* slot, u32 i, bool* grew, bool slot_in_inode) {
  if (*slot == 0) {
    if (!grew) return 0u;
    *slot = TRY(balloc(ip->dev));
    if (slot_in_inode) *grew = true;
  }
  Buf* b = bread(ip->dev, *slot);
  u32* table = reinterpret_cast<u32*>(b->data);
  u32 addr = table[i];
  if (addr == 0 && grew) {
    auto r = balloc(ip->dev);
    if (!r) {
      brelse(b);
      return r.error();
    }
    addr = table[i] = r.value();
    log_write(b);
  }
  brelse(b);
  return addr;
}

// The disk block holding block bn of ip's contents (ip locked). With grew
// null this only looks: 0 for a block never written. Otherwise a missing
// block is allocated (with the index blocks on the way to it), and *grew is
// set if ip->addrs changed (the caller must iupdate); NoSpace if the disk
// is full. An index block allocated before the disk filled stays, empty, in
// the inode; itrunc frees it with the rest (fsck knows it may exist).
Result<u32> bmap(Inode* ip, u32 bn, bool* grew) {
  ASSERT(bn < MAXFILE);
  if (bn < NDIRECT) {
    u32 addr = ip->addrs[bn];
    if (addr == 0 && grew) {
      addr = TRY(balloc(ip->dev));
      ip->addrs[bn] = addr;
      *grew = true;
    }
    return addr;
  }
  bn -= NDIRECT;
  if (bn < NINDIRECT) return index_entry(ip, &ip->addrs[NDIRECT], bn, grew, true);
  bn -= NINDIRECT;
  // Two levels: the double-indirect block names the indirect block that
  // names the data block. The middle block's number lives in an index
  // block, not the inode, so index_entry logs it there.
  u32 mid = TRY(index_entry(ip, &ip->addrs[NDIRECT + 1], bn / NINDIRECT, grew, true));
  if (mid == 0) return 0u;
  return index_entry(ip, &mid, bn % NINDIRECT, grew, false);
}

// Frees every block named in the index block ind, then ind itself.
void free_index(u32 dev, u32 ind, int levels) {
  Buf* b = bread(dev, ind);
  const u32* table = reinterpret_cast<const u32*>(b->data);
  for (u32 i = 0; i < NINDIRECT; i++) {
    if (table[i] == 0) continue;
    if (levels > 1) {
      free_index(dev, table[i], levels - 1);
    } else {
      bfree(dev, table[i]);
    }
  }
  brelse(b);
  bfree(dev, ind);
}

}  // namespace

u32 block_of(Inode* ip, u32 bn) {
  auto r = bmap(ip, bn, nullptr);  // looking only: cannot fail
  return r.ok() ? r.value() : 0;
}

// Freeing even the largest file writes few blocks to the log: the bitmap
// blocks (one per 32768 blocks of the disk) and the inode's block. The
// index blocks are only read.
void itrunc(Inode* ip) {
  for (u32 i = 0; i < NDIRECT; i++) {
    if (ip->addrs[i]) {
      bfree(ip->dev, ip->addrs[i]);
      ip->addrs[i] = 0;
    }
  }
  for (int level = 1; level <= 2; level++) {
    u32& ind = ip->addrs[NDIRECT + level - 1];
    if (ind) {
      free_index(ip->dev, ind, level);
      ind = 0;
    }
  }
  ip->size = 0;
  iupdate(ip);
}

// ---------------------------------------------------------- read / write

namespace {
constexpr u64 kMaxBytes = static_cast<u64>(MAXFILE) * BSIZE;
constinit const u8 kZeroBlock[BSIZE] = {};

// Copies to and from user memory go in pieces that never cross a user page,
// so that when one faults, exactly the pieces before it were copied.
u32 piece(bool user, u64 addr, u32 n) {
  if (!user) return n;
  u64 room = PGSIZE - (addr & (PGSIZE - 1));
  return room < n ? static_cast<u32>(room) : n;
}

}  // namespace

// Returns the bytes read; 0 at or past the end of the file. A bad
// destination address anywhere in the bytes to be read is an error (Fault),
// even if some bytes were copied before it: the caller then reports failure
// and leaves the file offset alone, so the read has no visible effect.
Result<size_t> readi(Inode* ip, bool user_dst, u64 dst, u32 off, u32 n) {
  if (off >= ip->size || n == 0) return size_t{0};
  if (n > ip->size - off) n = ip->size - off;
  size_t done = 0;
  while (done < n) {
    u32 in_block = off % BSIZE;
    u32 m = BSIZE - in_block < n - done ? BSIZE - in_block : n - done;
    u32 addr = TRY(bmap(ip, off / BSIZE, nullptr));
    // A hole (no writer makes one) reads as zeros.
    Buf* b = addr ? bread(ip->dev, addr) : nullptr;
    const u8* src = (b ? b->data : kZeroBlock) + in_block;
    u32 copied = 0;
    Result<void> r;
    while (copied < m) {
      u32 len = piece(user_dst, dst + copied, m - copied);
      r = copy_to(user_dst, dst + copied, src + copied, len);
      if (!r) break;
      copied += len;
    }
    if (b) brelse(b);
    if (!r) return r.error();
    done += copied;
    off += copied;
    dst += copied;
  }
  return done;
}

// Writes stop early (returning the bytes written) when the file reaches
// MAXFILE blocks, the disk is full, or the source faults (sys_write checks
// the source first, so that takes another thread shrinking the memory
// meanwhile); if not a single byte could be written, the reason is the
// error. A write may start at most at the end of the file: files have no
// holes.
Result<size_t> writei(Inode* ip, bool user_src, u64 src, u32 off, u32 n) {
  if (off > ip->size) return Error::Invalid;
  if (n == 0) return size_t{0};
  if (off >= kMaxBytes) return Error::FileTooBig;
  if (n > kMaxBytes - off) n = static_cast<u32>(kMaxBytes - off);
  size_t done = 0;
  bool grew = false;
  Result<void> r;
  while (done < n) {
    u32 in_block = off % BSIZE;
    u32 m = BSIZE - in_block < n - done ? BSIZE - in_block : n - done;
    auto addr = bmap(ip, off / BSIZE, &grew);
    if (!addr) {
      r = addr.error();
      break;
    }
    Buf* b = bread(ip->dev, addr.value());
    u32 copied = 0;
    while (copied < m) {
      u32 len = piece(user_src, src + copied, m - copied);
      r = copy_from(b->data + in_block + copied, user_src, src + copied, len);
      if (!r) break;
      copied += len;
    }
    // Logged even after a fault: the cached block must never differ from
    // what the log will write.
    log_write(b);
    brelse(b);
    done += copied;
    off += copied;
    src += copied;
    if (!r) break;
  }
  if (off > ip->size) {
    ip->size = off;
    grew = true;
  }
  // Even a failed write may have allocated blocks before failing; they are
  // recorded in the inode so that itrunc can free them later.
  if (grew) iupdate(ip);
  if (done == 0) return r.error();
  return done;
}

void stati(Inode* ip, struct stat* st) {
  st->dev = static_cast<int>(ip->dev);
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}
