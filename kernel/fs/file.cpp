// Open files and the per-process fd tables.
//
// A File is what open() or pipe() creates; fds in any number of processes
// (after dup, fork, clone) point at one File, which counts them. System
// calls never use an fd table entry directly: fd_get takes a counted
// reference under the table's lock and the call works with that, so another
// thread closing the fd meanwhile only drops the table's reference and the
// File stays alive until the call lets go of it.
//
// The count is atomic. Whoever drops it to 0 held the last reference, so
// nobody else can reach the File any more: it copies out what must be
// released before dropping (the fields are constant while the count is
// above 0), and the slot is free for file_alloc the moment the count is 0.
#include "fs/file.h"

#include <weft/fs.h>

#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/pipe.h"
#include "inject.h"
#include "lib/kprintf.h"
#include "proc.h"
#include "sync/spinlock.h"

Devsw g_devsw[NDEV];

namespace {

struct FTable {
  Spinlock lock{"ftable", LockRank::Ftable};
  File files[NFILE];
};
constinit FTable g_ftable;

// Marks an fd slot that a system call has reserved but not filled yet. Only
// its address is used; it is never a real open file.
constinit File g_reserved;

bool is_open(File* f) { return f != nullptr && f != &g_reserved; }

Devsw* device(File* f) {
  if (f->major < 0 || f->major >= NDEV) return nullptr;
  return &g_devsw[f->major];
}

}  // namespace

void file_init() {
  // Nothing to do: the table is constant-initialised (every File has ref 0).
}

int open_file_count() {
  SpinGuard g(g_ftable.lock);
  int n = 0;
  for (File& f : g_ftable.files) n += f.ref.load() > 0;
  return n;
}

FileRef file_alloc() {
  if (inject_failure(AllocSite::File)) return FileRef();
  SpinGuard g(g_ftable.lock);
  for (File& f : g_ftable.files) {
    // Acquire: the last holder's reads of the old contents come before
    // these writes.
    if (f.ref.load(std::memory_order_acquire) == 0) {
      f.ref.store(1, std::memory_order_relaxed);
      f.type = File::Type::None;
      f.readable = f.writable = false;
      f.major = 0;
      f.pipe = nullptr;
      f.ip = nullptr;
      f.off = 0;
      return FileRef(&f);
    }
  }
  return FileRef();
}

File* file_dup(File* f) {
  int before = f->ref.fetch_add(1, std::memory_order_relaxed);
  ASSERT(before > 0);
  return f;
}

void file_close(File* f) {
  // What needs releasing if this is the last reference: read while we
  // still hold one (after the drop, file_alloc may reuse the slot).
  File::Type type = f->type;
  Pipe* pipe = f->pipe;
  Inode* ip = f->ip;
  bool writable = f->writable;
  // Release: those reads come before the slot's reuse.
  int before = f->ref.fetch_sub(1, std::memory_order_acq_rel);
  ASSERT(before > 0);
  if (before > 1) return;
  // That was the last reference: release what it held (this may sleep).
  switch (type) {
    case File::Type::Pipe:
      pipe_close(pipe, writable);
      break;
    case File::Type::Inode:
    case File::Type::Device:
      // iput may free an unlinked inode: that changes the disk.
      begin_op();
      iput(ip);
      end_op();
      break;
    case File::Type::None:
      break;
  }
}

void FileRef::reset() {
  if (f_) file_close(f_);
  f_ = nullptr;
}

Result<size_t> file_read(File* f, bool user_dst, u64 dst, size_t n) {
  if (!f->readable) return Error::BadFile;
  switch (f->type) {
    case File::Type::Pipe:
      return pipe_read(f->pipe, user_dst, dst, n);
    case File::Type::Device: {
      Devsw* d = device(f);
      if (!d || !d->read) return Error::Invalid;
      return d->read(user_dst, dst, n);
    }
    case File::Type::Inode: {
      u32 m = n > 0xffffffffu ? 0xffffffffu : static_cast<u32>(n);
      // The offset is read and advanced under the inode lock, so threads
      // sharing this File each get their own bytes.
      ilock(f->ip);
      auto r = readi(f->ip, user_dst, dst, f->off, m);
      if (r) f->off += static_cast<u32>(r.value());
      iunlock(f->ip);
      return r;
    }
    case File::Type::None:
      break;
  }
  return Error::BadFile;
}

namespace {

// The most bytes one log operation may write: it must stay within
// MAXOPBLOCKS blocks, counting the inode block, the index blocks on the way
// (the double-indirect block and two indirect ones, for a chunk that
// crosses from one into the next) and two bitmap blocks as well as the
// data, with room to spare for a chunk that straddles blocks.
constexpr size_t kWriteChunk = ((MAXOPBLOCKS - 1 - 3 - 2) / 2) * BSIZE;

// Writes larger than one operation go in chunks, each its own operation, so
// a large write is not atomic across a crash (each chunk is). Returns the
// bytes written before any failure, or the failure if nothing was written.
//
// To let the chunks of one large write share commits, the next chunk's
// operation is begun before the current one ends whenever the log has room
// for it: the number of outstanding operations then never drops to zero, so
// nothing commits until the log is nearly full or the write is done. Each
// commit then carries many data blocks, and the inode and bitmap blocks that
// every chunk rewrites are logged once per commit instead of once per chunk.
Result<size_t> inode_write(File* f, bool user_src, u64 src, size_t n) {
  if (n == 0) return size_t{0};
  size_t done = 0;
  Result<size_t> r = size_t{0};
  begin_op();
  for (;;) {
    ilock(f->ip);
    // End each chunk on a block boundary, so that the next chunk starts on
    // one and touches as few blocks as possible.
    size_t m = kWriteChunk - f->off % BSIZE;
    if (m > n - done) m = n - done;
    r = writei(f->ip, user_src, src + done, f->off, static_cast<u32>(m));
    if (r) f->off += static_cast<u32>(r.value());
    iunlock(f->ip);
    if (r) done += r.value();
    // Stop at an error or a short chunk (file at its largest size, disk
    // full, bad address).
    if (!r || r.value() < m || done == n) break;
    if (try_begin_op()) {
      end_op_chained();  // cannot commit: the next chunk's operation is open
    } else {
      end_op();  // the log is full enough: commit, then go on
      begin_op();
    }
  }
  end_op();
  if (done == 0 && !r) return r.error();
  return done;
}

}  // namespace

Result<size_t> file_write(File* f, bool user_src, u64 src, size_t n) {
  if (!f->writable) return Error::BadFile;
  switch (f->type) {
    case File::Type::Pipe:
      return pipe_write(f->pipe, user_src, src, n);
    case File::Type::Device: {
      Devsw* d = device(f);
      if (!d || !d->write) return Error::Invalid;
      return d->write(user_src, src, n);
    }
    case File::Type::Inode:
      return inode_write(f, user_src, src, n);
    case File::Type::None:
      break;
  }
  return Error::BadFile;
}

Result<void> file_stat(File* f, struct stat* st) {
  if (f->type != File::Type::Inode && f->type != File::Type::Device)
    return Error::BadFile;
  ilock(f->ip);
  stati(f->ip, st);
  iunlock(f->ip);
  return {};
}

// ---------------------------------------------------------------- fd tables

FileRef fd_get(int fd) {
  if (fd < 0 || fd >= NOFILE) return FileRef();
  FdTable& t = myproc()->fds;
  SpinGuard g(t.lock);
  File* f = t.files[fd];
  if (!is_open(f)) return FileRef();
  return FileRef(file_dup(f));
}

Result<int> fd_reserve() {
  FdTable& t = myproc()->fds;
  SpinGuard g(t.lock);
  for (int fd = 0; fd < NOFILE; fd++) {
    if (t.files[fd] == nullptr) {
      t.files[fd] = &g_reserved;
      return fd;
    }
  }
  return Error::TooManyOpen;
}

void fd_install(int fd, File* f) {
  FdTable& t = myproc()->fds;
  {
    SpinGuard g(t.lock);
    if (t.files[fd] == &g_reserved) {
      t.files[fd] = f;
      return;
    }
  }
  // The table was emptied meanwhile (the process is exiting): nothing to
  // install into, so the reference is dropped instead.
  file_close(f);
}

void fd_unreserve(int fd) {
  FdTable& t = myproc()->fds;
  SpinGuard g(t.lock);
  if (t.files[fd] == &g_reserved) t.files[fd] = nullptr;
}

FileRef fd_take(int fd) {
  if (fd < 0 || fd >= NOFILE) return FileRef();
  FdTable& t = myproc()->fds;
  SpinGuard g(t.lock);
  File* f = t.files[fd];
  if (!is_open(f)) return FileRef();
  t.files[fd] = nullptr;
  // The table's reference moves to the caller, who drops it after this
  // lock is released (dropping may sleep).
  return FileRef(f);
}

void fdtable_copy(FdTable& dst, FdTable& src) {
  // Two tables are never locked at once: copy out under src's lock, then
  // fill dst (which nobody else uses yet) under its own.
  File* files[NOFILE];
  {
    SpinGuard g(src.lock);
    for (int fd = 0; fd < NOFILE; fd++) {
      File* f = src.files[fd];
      files[fd] = is_open(f) ? file_dup(f) : nullptr;
    }
  }
  SpinGuard g(dst.lock);
  for (int fd = 0; fd < NOFILE; fd++) {
    ASSERT(dst.files[fd] == nullptr);
    dst.files[fd] = files[fd];
  }
}

void fdtable_close_all(FdTable& t) {
  File* files[NOFILE];
  {
    SpinGuard g(t.lock);
    for (int fd = 0; fd < NOFILE; fd++) {
      files[fd] = t.files[fd];
      t.files[fd] = nullptr;
    }
  }
  for (File* f : files) {
    if (is_open(f)) file_close(f);
  }
}
