// The buffer cache: a fixed set of Bufs, each an in-memory copy of one disk
// block.
//
// It does two jobs. It keeps recently used blocks so that reading them again
// costs no disk I/O. And it keeps at most one copy of any block in memory,
// so every thread that changes a block changes the same bytes, one thread at
// a time under the Buf's sleep lock.
//
// Locks:
// - g_bcache.lock (spin) guards which block each Buf holds (dev, blockno),
//   its reference count and the LRU list.
// - Buf::lock (sleep) guards the contents (valid, data). bread returns the
//   Buf with it held and brelse releases it: the one place where a lock is
//   taken and released in different functions, by the API's design.
// A thread takes its reference under g_bcache.lock before it waits for the
// sleep lock, so a Buf cannot be recycled for another block while anyone
// holds it or waits for it.
//
// Recycling: a Buf with no references still caches its block, but nobody
// is using it, so it may be given to another block. The LRU list is in order of last release, most recent
// first; a new block takes the unreferenced Buf nearest the back.
#include "fs/buf.h"

#include <weft/fs.h>

#include "dev/virtio_blk.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "proc.h"
#include "sync/spinlock.h"

namespace {

// The log pins every block it records until the group commits, and it
// records at most LOGBLOCKS (begin_op reserves space up front), so that many
// Bufs may be unavailable for a while. The other 64 serve running
// operations and readers, who each hold only a few Bufs at a time. Every
// Buf's data is one page: about 760 KiB in all.
constexpr u32 NBUF = LOGBLOCKS + 64;

struct BufCache {
  Spinlock lock{"bcache", LockRank::Bcache};
  Buf bufs[NBUF];
  // guarded by lock:
  Buf lru;              // list head (not a real Buf): lru.next is the newest
  WaitQueue free_wait{lock};  // threads in bget waiting for an unreferenced Buf
};

constinit BufCache g_bcache;

void lru_unlink(Buf* b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

void lru_push_front(Buf* b) {
  b->next = g_bcache.lru.next;
  b->prev = &g_bcache.lru;
  g_bcache.lru.next->prev = b;
  g_bcache.lru.next = b;
}

// Drops one reference; a Buf nobody references any more may go to a
// thread waiting for one.
void put_ref(Buf* b) {
  SpinGuard g(g_bcache.lock);
  ASSERT(b->refcnt > 0);
  if (--b->refcnt > 0) return;
  lru_unlink(b);
  lru_push_front(b);
  g_bcache.free_wait.wake_all();  // rare: every Buf was in use
}

// The Buf caching the block, referenced or not, or nullptr. (Whether its
// data has been read yet is b->valid's business, checked by bread.)
Buf* lookup_locked(u32 dev, u32 blockno) {
  for (Buf* b = g_bcache.lru.next; b != &g_bcache.lru; b = b->next)
    if (b->dev == dev && b->blockno == blockno) return b;
  return nullptr;
}

// The least recently released unreferenced Buf, now assigned to the block
// with no valid data; nullptr if every Buf is referenced.
Buf* recycle_locked(u32 dev, u32 blockno) {
  for (Buf* b = g_bcache.lru.prev; b != &g_bcache.lru; b = b->prev) {
    if (b->refcnt != 0) continue;
    // Nobody holds or waits for b's sleep lock (that takes a reference),
    // so its contents may be reset under the cache lock alone.
    b->dev = dev;
    b->blockno = blockno;
    b->valid = false;
    return b;
  }
  return nullptr;
}

// A referenced, locked Buf for the block; its data is valid only if the
// cache already held the block.
Buf* bget(u32 dev, u32 blockno) {
  Buf* b;
  {
    SpinGuard g(g_bcache.lock);
    for (;;) {
      b = lookup_locked(dev, blockno);
      if (!b) b = recycle_locked(dev, blockno);
      if (b) break;
      // Every Buf is referenced: pinned by the log or held by threads that
      // will release them. Wait for brelse or bunpin to free one; the loop
      // looks again because another thread may have read our block since.
      // (If this ever waits forever, someone keeps Bufs without releasing.)
      g_bcache.free_wait.wait();
    }
    b->refcnt++;
  }
  // Taken after the spin lock is dropped because it may sleep; our
  // reference keeps b assigned to this block meanwhile.
  b->lock.acquire();
  return b;
}

}  // namespace

void binit() {
  // Pages are allocated before taking the lock (no allocation under a spin
  // lock); nothing else uses the cache before binit returns.
  for (Buf& b : g_bcache.bufs) {
    b.data = static_cast<u8*>(kalloc());
    if (!b.data) panic("binit: out of memory for %u buffers", NBUF);
  }
  SpinGuard g(g_bcache.lock);
  g_bcache.lru.prev = g_bcache.lru.next = &g_bcache.lru;
  // Every Buf starts as (dev 0, block 0) with valid false: a lookup of that
  // block would find one and read it from the disk, as it should.
  for (Buf& b : g_bcache.bufs) lru_push_front(&b);
}

Buf* bread(u32 dev, u32 blockno) {
  Buf* b = bget(dev, blockno);
  if (!b->valid) {
    virtio_blk_rw(b, false);
    b->valid = true;
  }
  return b;
}

void bwrite(Buf* b) {
  ASSERT(b->lock.holding());
  virtio_blk_rw(b, true);
}

void brelse(Buf* b) {
  ASSERT(b->lock.holding());
  b->lock.release();  // taken in bget
  put_ref(b);
}

void bpin(Buf* b) {
  SpinGuard g(g_bcache.lock);
  b->refcnt++;
}

void bunpin(Buf* b) { put_ref(b); }
