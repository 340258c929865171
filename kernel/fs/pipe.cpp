// Pipes.
//
// A pipe is one page: a small header and a ring buffer of nearly 4 KiB.
// nread and nwrite count every byte ever read and written, so the ring holds
// nwrite - nread bytes starting at nread % kRingBytes; they are 64-bit and
// never wrap in practice.
//
// Readers and writers wait in the pipe's two wait queues and wake each other
// directly, under the pipe lock, when they make progress, not at the next
// timer tick.
//
// Data is copied straight between user memory and the ring while the pipe
// lock is held. That is allowed because the copy routines never sleep (they
// take the address space's spin lock, after the pipe lock in the lock
// order), and it makes a failed read harmless: the bytes are taken out of
// the ring (nread advanced) only once all of them reached the reader, so a
// read into a bad address fails and leaves the pipe as it was. A write
// copies in pieces that never cross a user page, so if its source vanishes
// midway (sys_write checked it first) exactly the bytes before are in.
#include "fs/pipe.h"

#include <new>

#include "arch/riscv64/riscv.h"
#include "fs/internal.h"
#include "kalloc.h"
#include "proc.h"
#include "sync/spinlock.h"
#include "uaccess.h"

namespace {
constexpr size_t kHeaderBytes = 128;
constexpr size_t kRingBytes = PGSIZE - kHeaderBytes;
}  // namespace

struct Pipe {
  Spinlock lock{"pipe", LockRank::Pipe};
  // guarded by lock:
  u64 nread = 0;   // bytes read so far
  u64 nwrite = 0;  // bytes written so far
  bool readopen = true;   // some File still has the read end
  bool writeopen = true;  // some File still has the write end
  WaitQueue readers{lock};  // waiting for bytes (or the end of the writers)
  WaitQueue writers{lock};  // waiting for room (or the end of the readers)
  u8 data[kRingBytes];
};
static_assert(sizeof(Pipe) <= PGSIZE);

namespace {

size_t min3(size_t a, size_t b, size_t c) {
  size_t m = a < b ? a : b;
  return m < c ? m : c;
}

// Bytes from addr to the end of its page: one piece of a write never
// crosses a page, so a fault means the piece was not copied at all.
size_t page_room(u64 addr) { return PGSIZE - (addr & (PGSIZE - 1)); }

}  // namespace

Result<Pipe*> pipe_alloc() {
  void* page = kalloc();
  if (!page) return Error::NoMemory;
  return new (page) Pipe;
}

void pipe_close(Pipe* p, bool writable) {
  bool free_it;
  {
    SpinGuard g(p->lock);
    if (writable) {
      p->writeopen = false;  // readers now see end of file
      p->readers.wake_all();
    } else {
      p->readopen = false;  // writers now fail
      p->writers.wake_all();
    }
    free_it = !p->readopen && !p->writeopen;
  }
  // Both ends closed means no File points here any more, so nobody can be
  // inside pipe_read or pipe_write (they hold a File reference).
  if (free_it) kfree(p);
}

Result<size_t> pipe_read(Pipe* p, bool user_dst, u64 dst, size_t n) {
  if (n == 0) return size_t{0};
  Process* me = myproc();
  for (;;) {
    // A kill that lands after this check still ends the wait below:
    // wait_killable does not sleep once the process is killed.
    if (killed(me)) return Error::Interrupted;
    size_t done = 0, want = 0;
    {
      SpinGuard g(p->lock);
      if (p->nread == p->nwrite) {
        if (!p->writeopen) return size_t{0};  // end of file
        p->readers.wait_killable();
        continue;
      }
      size_t avail = p->nwrite - p->nread;
      want = n < avail ? n : avail;
      // At most two pieces: up to the end of the ring, then from its start.
      while (done < want) {
        size_t at = (p->nread + done) % kRingBytes;
        size_t len = want - done < kRingBytes - at ? want - done : kRingBytes - at;
        auto copied = copy_to(user_dst, dst + done, p->data + at, len);
        if (!copied) {
          if (copied.error() != Error::Retry) return copied.error();  // nothing taken out
          break;  // copy-on-write: see below
        }
        done += len;
      }
      if (done > 0) {
        p->nread += done;
        p->writers.wake_all();
        return done;
      }
    }
    // The destination is copy-on-write (a fork by another thread): break it
    // without the pipe's lock and try again.
    CHECK(user_prepare_write(dst, want));
  }
}

// Returns n, or the bytes written before the source vanished; -1 (an error)
// if the last reader goes away or the process is killed, even after a
// partial write, as a writer cannot know which of its bytes anyone will
// read.
Result<size_t> pipe_write(Pipe* p, bool user_src, u64 src, size_t n) {
  Process* me = myproc();
  size_t done = 0;
  while (done < n) {
    if (killed(me)) return Error::Interrupted;
    Result<void> copied;
    {
      SpinGuard g(p->lock);
      if (!p->readopen) return Error::Pipe;
      if (p->nwrite - p->nread == kRingBytes) {
        // Full. The readers were woken when these bytes went in.
        p->writers.wait_killable();
        continue;
      }
      size_t before = done;
      while (done < n && p->nwrite - p->nread < kRingBytes) {
        size_t at = p->nwrite % kRingBytes;
        size_t room = kRingBytes - (p->nwrite - p->nread);
        size_t len = min3(n - done, room, kRingBytes - at);
        if (len > page_room(src + done)) len = page_room(src + done);
        copied = copy_from(p->data + at, user_src, src + done, len);
        if (!copied) break;
        p->nwrite += len;
        done += len;
      }
      if (done > before) p->readers.wake_all();
    }
    if (!copied) {
      if (done > 0) return done;
      return copied.error();
    }
  }
  return done;
}
