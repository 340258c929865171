// The write-ahead log: what makes every file-system operation all-or-nothing
// across a crash.
//
// An operation (begin_op .. end_op) changes blocks only in the buffer cache
// and records them with log_write. When the last operation running at the
// time ends, the group of operations commits:
//   1. write every recorded block into the log area, and the log header:
//      the count, the home block numbers and a checksum of it all;
//   2. flush the disk's write cache: once that returns, the group is
//      committed;
//   3. write every block to its home location ("install");
//   4. flush again, then write the header with a count of 0.
// At boot (recover) a header whose checksum matches the log area is a
// committed group and is installed again; a crash before 2 completed can
// leave a header without all of its blocks, which the checksum exposes,
// and the group is dropped: the home blocks were never touched, and none
// of its operations had returned. Installing twice is harmless.
//
// Why flushes, and why a checksum. The disk (QEMU's virtio-blk over the
// host's page cache, or a real disk with a write cache) may make completed
// writes durable in any order until a flush. Without the checksum, step 1
// would need a flush between the blocks and the header. The flush in 4
// keeps the empty header from reaching the disk before the installed
// blocks; the empty header itself needs none: if it is lost, the next boot
// installs the group again, or finds that the next group's blocks have
// overwritten the log area and the sum no longer matches, and by then the
// group was installed and flushed. So a commit costs two flushes.
//
// Group commit: operations of many threads share one commit, which is what
// makes small writes cheap. Each operation reserves MAXOPBLOCKS of log space
// when it begins, so the log can never overflow in the middle of one; an
// operation that does not fit waits for the next commit to empty the log.
// A large file write chains its chunks' operations (try_begin_op) so that
// they, too, share commits until the log is nearly full.
//
// Durability: end_op returns only once the operation's group is committed
// and flushed (the last operation to end commits; the others wait for it),
// so a system call that changed the file system has its change on the
// disk when it returns. The crash test (make crashtest) relies on that;
// fsync has nothing left to wait for.
//
// The log area is written straight from the cached blocks and read with a
// private buffer, not through the buffer cache: nothing else ever reads
// those blocks, so caching them would only push real data out of the cache
// and cost a disk read per block (bread) before each overwrite.
//
// Steps 1 and 3 each hand all their blocks to the disk at once
// (virtio_blk_write_many), so a commit costs five waits for the disk
// whatever its size (two writes, two flushes, the empty header), not
// 2n + 2.
#include <weft/fs.h>

#include "dev/virtio_blk.h"
#include "fs/buf.h"
#include "fs/internal.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc.h"
#include "sync/spinlock.h"

namespace {

// The header block on disk is a logheader (weft/fs.h). Its in-memory copy
// is Log::n and Log::block.
static_assert(sizeof(logheader) <= BSIZE);

struct Log {
  Spinlock lock{"log", LockRank::Log};
  WaitQueue room{lock};       // begin_op waiting for the log to have room
  WaitQueue committed_q{lock};  // end_op waiting for its group's commit
  // set by log_init, constant afterwards:
  u32 dev = 0;
  u32 start = 0;     // the header block; log block i is at start + 1 + i
  u32 capacity = 0;  // log blocks usable (<= LOGBLOCKS)
  // guarded by lock:
  int outstanding = 0;     // operations begun and not yet ended
  bool committing = false; // a commit is writing; new operations wait
  u64 group = 1;           // the group that operations begun now belong to
  u64 committed = 0;       // the last group whose commit is on the disk
  // Blocks recorded by the current group. Changed under lock by log_write;
  // the committing thread reads them without the lock, which is safe
  // because while committing is set no operation runs to change them.
  u32 n = 0;
  u32 block[LOGBLOCKS] = {};
  Buf* buf[LOGBLOCKS] = {};  // the pinned cached copy of block[i]
  // The committing thread's lists for virtio_blk_write_many: where[i] is
  // log block i's place in the log area, data[i] is buf[i]->data, and one
  // more entry is the header. Filled by write_group; install_from_cache
  // uses data again.
  u32 where[LOGBLOCKS + 1] = {};
  u8* data[LOGBLOCKS + 1] = {};
};

constinit Log g_log;

// The private buffer for log-area I/O. Only the thread that commits (or
// recovers) uses it, and only one does at a time; the sleep lock is taken
// anyway because the disk driver expects a locked buffer.
constinit Buf g_logbuf{LockRank::LogBuf};

void log_area_rw(u32 blockno, bool write) {
  g_logbuf.dev = g_log.dev;
  g_logbuf.blockno = blockno;
  virtio_blk_rw(&g_logbuf, write);
}

// Fill g_logbuf with the header for the in-memory list of blocks, whose
// contents are data[0..n).
void make_head(u8* const* data) {
  auto* h = reinterpret_cast<logheader*>(g_logbuf.data);
  memset(g_logbuf.data, 0, BSIZE);
  h->n = g_log.n;
  for (u32 i = 0; i < g_log.n; i++) h->block[i] = g_log.block[i];
  u64 sum = log_sum_start(h->n, h->block);
  for (u32 i = 0; i < g_log.n; i++) sum = log_sum_add(sum, data[i]);
  h->sum = sum;
}

// The empty header: nothing to install at the next boot.
void write_empty_head() {
  g_log.n = 0;
  make_head(nullptr);
  log_area_rw(g_log.start, true);
}

// Step 1: write each recorded block from the cache into the log area, and
// the header, all at once. The cached copies are pinned, and no operation
// runs while committing, so their contents hold still without taking their
// locks (a reader may hold one; it does not write).
void write_group() {
  for (u32 i = 0; i < g_log.n; i++) {
    g_log.where[i] = g_log.start + 1 + i;
    g_log.data[i] = g_log.buf[i]->data;
  }
  make_head(g_log.data);
  g_log.where[g_log.n] = g_log.start;
  g_log.data[g_log.n] = g_logbuf.data;
  virtio_blk_write_many(g_log.where, g_log.data, g_log.n + 1);
}

// Step 3 after a commit: the cache still holds the newest contents of every
// logged block, so the cached copies (g_log.data, from step 1) are written
// home and unpinned.
void install_from_cache() {
  virtio_blk_write_many(g_log.block, g_log.data, g_log.n);
  for (u32 i = 0; i < g_log.n; i++) {
    bunpin(g_log.buf[i]);
    g_log.buf[i] = nullptr;
  }
}

// Step 3 at boot: the cache knows nothing, so copy from the log area.
void install_from_log() {
  for (u32 i = 0; i < g_log.n; i++) {
    log_area_rw(g_log.start + 1 + i, false);
    Buf* b = bread(g_log.dev, g_log.block[i]);
    memmove(b->data, g_logbuf.data, BSIZE);
    bwrite(b);
    brelse(b);
  }
}

// True if the log area holds every block of the group the header (already
// copied into g_log) names, by its checksum. Reads them all once.
bool group_is_whole(u64 sum_on_disk) {
  u64 sum = log_sum_start(g_log.n, g_log.block);
  for (u32 i = 0; i < g_log.n; i++) {
    log_area_rw(g_log.start + 1 + i, false);
    sum = log_sum_add(sum, g_logbuf.data);
  }
  return sum == sum_on_disk;
}

void recover() {
  SleepGuard g(g_logbuf.lock);
  log_area_rw(g_log.start, false);
  const auto* h = reinterpret_cast<const logheader*>(g_logbuf.data);
  if (h->n > g_log.capacity) panic("log: corrupt header (%u blocks)", h->n);
  g_log.n = h->n;
  u64 sum = h->sum;
  for (u32 i = 0; i < h->n; i++) {
    if (h->block[i] >= g_sb.size) panic("log: corrupt header block %u", i);
    g_log.block[i] = h->block[i];
  }
  if (g_log.n == 0) return;
  if (group_is_whole(sum)) {
    kprintf("fs: replaying %u logged blocks\n", g_log.n);
    install_from_log();
    virtio_blk_flush();  // installed before the header stops naming them
    write_empty_head();
  } else {
    kprintf("fs: dropping a group of %u blocks that never committed\n", g_log.n);
    // Flushed, so that a crash in the next commit cannot leave this header
    // with log blocks that happen to complete it: the group stays dropped.
    write_empty_head();
    virtio_blk_flush();
  }
}

// Runs with committing set and no operation outstanding, so nobody else
// touches g_log.n or g_log.block, and no lock is held: the disk I/O sleeps.
void commit() {
  if (g_log.n == 0) return;
  SleepGuard g(g_logbuf.lock);
  write_group();
  virtio_blk_flush();  // the commit point
  install_from_cache();
  virtio_blk_flush();  // installed before the header stops naming them
  write_empty_head();
}

}  // namespace

void log_init(u32 dev, const superblock& sb) {
  if (sb.nlog < 2) panic("log: no log area");
  g_log.dev = dev;
  g_log.start = sb.logstart;
  g_log.capacity = sb.nlog - 1 < LOGBLOCKS ? sb.nlog - 1 : LOGBLOCKS;
  // An operation must always fit in an empty log, or begin_op would wait
  // forever.
  if (g_log.capacity < MAXOPBLOCKS) panic("log: %u blocks is too small",
                                          g_log.capacity);
  g_logbuf.data = static_cast<u8*>(kalloc());
  if (!g_logbuf.data) panic("log: no memory");
  recover();
}

namespace {

// Begin an operation if the log has room for it now; g_log.lock held. The
// log must have room for what every running operation, this one included,
// might still write: MAXOPBLOCKS each, on top of what the group has
// recorded so far.
bool try_begin_locked() {
  u32 need = g_log.n + static_cast<u32>(g_log.outstanding + 1) * MAXOPBLOCKS;
  if (g_log.committing || need > g_log.capacity) return false;
  g_log.outstanding++;
  return true;
}

}  // namespace

void begin_op() {
  SpinGuard g(g_log.lock);
  // Otherwise wait for a commit to empty the log.
  while (!try_begin_locked()) g_log.room.wait();
}

bool try_begin_op() {
  SpinGuard g(g_log.lock);
  return try_begin_locked();
}

namespace {
// Ends the caller's operation; the last one of the group commits it.
// Returns the group the operation belonged to.
u64 end_op_locked_part(bool* do_commit) {
  SpinGuard g(g_log.lock);
  ASSERT(g_log.outstanding > 0);
  ASSERT(!g_log.committing);
  u64 mine = g_log.group;  // no commit can happen while we are outstanding
  g_log.outstanding--;
  *do_commit = g_log.outstanding == 0;
  if (*do_commit) {
    // Setting committing keeps new operations out until the log is empty
    // again; they will form the next group.
    g_log.committing = true;
  } else {
    // This operation's reservation is given back: a waiter may fit now.
    g_log.room.wake_all();
  }
  return mine;
}

void commit_group(u64 group) {
  commit();
  SpinGuard g(g_log.lock);
  g_log.committing = false;
  g_log.committed = group;
  g_log.group = group + 1;
  g_log.room.wake_all();
  g_log.committed_q.wake_all();
}
}  // namespace

// Returns once the operation is on the disk: the last operation of the
// group commits it, the others wait for that. So when a system call that
// changed the file system returns, its change survives a crash.
void end_op() {
  bool do_commit;
  u64 mine = end_op_locked_part(&do_commit);
  if (do_commit) {
    commit_group(mine);
    return;
  }
  SpinGuard g(g_log.lock);
  while (g_log.committed < mine) g_log.committed_q.wait();
}

// For a chain of operations (a large write) whose next operation is
// already open: the group cannot commit before that one ends, so waiting
// here would wait for ourselves.
void end_op_chained() {
  bool do_commit;
  end_op_locked_part(&do_commit);
  ASSERT(!do_commit);
}

void log_sync() { virtio_blk_flush(); }

void log_write(Buf* b) {
  SpinGuard g(g_log.lock);
  ASSERT(g_log.outstanding > 0);
  // A block written twice by the group is logged once ("absorption"): the
  // log holds the block's final contents, copied at commit time.
  for (u32 i = 0; i < g_log.n; i++) {
    if (g_log.block[i] == b->blockno) return;
  }
  // Reservations in begin_op guarantee room; running out means some
  // operation wrote more than MAXOPBLOCKS blocks.
  if (g_log.n >= g_log.capacity) panic("log: operation too large");
  g_log.buf[g_log.n] = b;
  g_log.block[g_log.n++] = b->blockno;
  // Until the commit, the cache holds the only copy of the new contents.
  bpin(b);
}
