// Buffer cache: in-memory copies of disk blocks. A Buf's sleep lock gives
// one thread at a time the block's contents.
#pragma once

#include <weft/fs.h>

#include "lib/types.h"
#include "sync/sleeplock.h"

struct Buf {
  // The log's private buffer has a rank of its own (fs/log.cpp).
  constexpr explicit Buf(LockRank rank = LockRank::Buf) : lock("buf", rank) {}
  SleepLock lock;         // held by whoever bread() returned it to
  // guarded by lock:
  bool valid = false;     // data holds the block's contents
  u8* data = nullptr;     // BSIZE bytes (one page)
  // guarded by the cache's spin lock:
  u32 dev = 0;
  u32 blockno = 0;
  u32 refcnt = 0;
  Buf* prev = nullptr;    // LRU list
  Buf* next = nullptr;
};

void binit();
Buf* bread(u32 dev, u32 blockno);  // locked buffer with the block's contents
void bwrite(Buf* b);               // write to disk; caller holds b->lock
void brelse(Buf* b);               // unlock and release
void bpin(Buf* b);                 // keep in the cache (the log does this)
void bunpin(Buf* b);
