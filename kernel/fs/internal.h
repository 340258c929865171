// What the file-system files (log, inode, dir, file, pipe) and the file
// system calls share with each other but not with the rest of the kernel.
//
// Lock order for the file system (the ranks are in sync/lockrank.h, which
// checks them at every acquire):
//
//   begin_op (waiting for log space; not a lock, but it must come first:
//             it may wait for a commit, which waits for every running
//             operation to end, and one of those may be waiting for an
//             inode lock the caller holds)
//     -> g_rename_lock (rename only; see syscalls/rename.cpp)
//     -> Inode::lock, a directory before the inodes it names
//        (at most one parent and one child at a time; a rename holds
//        two parents, an ancestor first, then the source and target)
//       -> the log's private buffer (commit), then Buf::lock: a file's
//          indirect block before bitmap and newly allocated blocks;
//          otherwise one at a time
//         -> the spin locks: g_log.lock, g_itable.lock (ialloc), the
//            buffer-cache lock, the disk lock
//
//   Process::cwd_lock -> g_itable.lock   (idup of the cwd)
//   Pipe::lock        -> AddressSpace::lock_ (copying straight to or from
//                                            the ring; the copy never sleeps)
//
// Waiters wait in the wait queue of the object they wait for (a pipe's
// readers, the log's begin_op queue, ...) and are woken under that
// object's lock, which comes before Thread::lock in the order.
#pragma once

#include <atomic>

#include <stat.h>
#include <weft/fs.h>
#include <weft/param.h>

#include "fs/fs.h"
#include "lib/result.h"
#include "lib/types.h"
#include "sync/sleeplock.h"

struct Buf;
struct Pipe;

// ---------------------------------------------------------------- log.cpp

void log_init(u32 dev, const superblock& sb);  // and replay a committed log
// begin_op if the log has room right now, without waiting. Lets a thread
// that is inside an operation begin the next one before ending the current
// (begin_op there could wait forever for a commit that waits for it).
bool try_begin_op();
// end_op for a thread that has already begun its next operation (a chain):
// it does not wait for the commit, which cannot come before that one ends.
void end_op_chained();
// Record that b (locked, modified) belongs to the current operation. Used
// instead of bwrite: the block reaches its home location only after the
// commit. Pins b in the cache until then.
void log_write(Buf* b);
// Make everything committed durable (fsync): a disk flush.
void log_sync();

// -------------------------------------------------------------- inode.cpp

extern superblock g_sb;  // read once by fs_init, constant afterwards

// The in-memory copy of an inode. Two levels of protection:
// - g_itable.lock guards which inode an entry caches (dev, inum) and how
//   many references (ref) point at it; an entry with ref 0 may be reused.
// - lock (a sleep lock, taken by ilock) guards everything read from disk,
//   and the file's contents. Callers hold a reference while they hold lock.
struct Inode {
  // guarded by g_itable.lock:
  u32 dev = 0;
  u32 inum = 0;
  int ref = 0;
  ListNode cache_node;  // in the hash bucket of (dev, inum) while ref > 0,
                        // on the free list while ref == 0

  SleepLock lock{"inode", LockRank::Inode};
  // guarded by lock:
  bool valid = false;  // the fields below hold the on-disk inode
  i16 type = 0;
  i16 major = 0;
  i16 minor = 0;
  i16 nlink = 0;
  u32 size = 0;
  u32 addrs[NDIRECT + 2] = {};  // direct, indirect, double-indirect
};

// A new inode of the given type on dev, referenced but not locked. Its link
// count is 0: the caller links it or lets iput free it. Its cache entry is
// always a fresh one: a free inode that an iput is still freeing is skipped.
Result<Inode*> ialloc(u32 dev, i16 type);
// An inode cache entry for (dev, inum), referenced but not locked;
// FileTable if every entry is in use.
Result<Inode*> iget(u32 dev, u32 inum);
void iupdate(Inode* ip);  // write the cached fields to disk (inside an op)
void itrunc(Inode* ip);   // free every data block (inside an op; ip locked)
// Write n bytes from src (a user address if user_src) at off; ip locked,
// inside an op. Writes what fits below MAXFILE blocks and the free blocks;
// an error only if nothing at all could be written.
Result<size_t> writei(Inode* ip, bool user_src, u64 src, u32 off, u32 n);
void stati(Inode* ip, struct stat* st);  // ip locked
// The disk block holding block bn of ip's contents (ip locked), 0 if none.
u32 block_of(Inode* ip, u32 bn);

// ---------------------------------------------------------------- dir.cpp

// The entry called name in directory dp (locked): a referenced, unlocked
// inode, and the entry's byte offset in *poff if poff is not null.
// NotFound if there is no such entry, NoSpace if the inode cache is full.
Result<Inode*> dirlookup(Inode* dp, const char* name, u32* poff);
// Add the entry name -> inum to dp (locked, inside an op). Exists if the
// name is taken, Invalid if it is empty or longer than DIRSIZ, NotFound if
// dp has been unlinked, NoSpace if the directory cannot grow.
Result<void> dirlink(Inode* dp, const char* name, u32 inum);
// Point the existing entry at byte offset off of dp (locked, inside an op)
// at inum; 0 frees the slot. Never allocates, so it cannot fail.
void dir_set_inum(Inode* dp, u32 off, u32 inum);
// The byte offset of a directory's ".." entry: create writes "." and ".."
// first, and fsck checks that they stay there.
constexpr u32 kDotDotOffset = sizeof(dirent);
// True if dp (locked) holds no entries but "." and "..".
bool dir_is_empty(Inode* dp);
// Path lookup (inside an op): the inode path names, or its parent directory
// with the last element copied into name (DIRSIZ + 1 bytes). Unlocked,
// referenced.
Result<Inode*> lookup(const char* path);
Result<Inode*> nameiparent(const char* path, char* name);

// --------------------------------------------------------------- file.cpp

// An open file: what one open() or pipe() made, shared by every fd (in any
// process) that dup/fork/clone copied from it.
struct File {
  enum class Type : u8 { None, Pipe, Inode, Device };
  // References (fd table entries, FileRefs). Atomic, so that taking and
  // dropping one (twice per read or write) needs no lock: it goes up only
  // from a reference someone holds, and from 0 to 1 only in file_alloc,
  // under g_ftable.lock, which is all that lock guards.
  std::atomic<int> ref{0};
  // set before the file is installed in an fd table, constant while ref > 0:
  Type type = Type::None;
  bool readable = false;
  bool writable = false;
  i16 major = 0;          // Device
  Pipe* pipe = nullptr;   // Pipe
  Inode* ip = nullptr;    // Inode, Device
  // guarded by ip->lock:
  u32 off = 0;            // Inode: where the next read or write starts
};

// A counted reference to a File, dropped (file_close) when it goes out of
// scope. System calls hold one for as long as they use a file, so another
// thread closing the fd cannot free the File underneath them.
class FileRef {
 public:
  FileRef() = default;
  explicit FileRef(File* f) : f_(f) {}  // adopts a reference the caller owns
  ~FileRef() { reset(); }
  FileRef(FileRef&& o) : f_(o.release()) {}
  FileRef& operator=(FileRef&& o) {
    if (this != &o) {
      reset();
      f_ = o.release();
    }
    return *this;
  }
  FileRef(const FileRef&) = delete;
  FileRef& operator=(const FileRef&) = delete;

  File* get() const { return f_; }
  File* operator->() const { return f_; }
  explicit operator bool() const { return f_ != nullptr; }
  File* release() {  // hand the reference to someone else (an fd table)
    File* f = f_;
    f_ = nullptr;
    return f;
  }
  void reset();

 private:
  File* f_ = nullptr;
};

FileRef file_alloc();  // a blank File (type None), or empty if none is free
Result<size_t> file_read(File* f, bool user_dst, u64 dst, size_t n);
Result<size_t> file_write(File* f, bool user_src, u64 src, size_t n);
Result<void> file_stat(File* f, struct stat* st);

// The calling process's fd table. A reserved slot is taken (so no other
// thread can get that fd) but not yet usable: lookups treat it as closed
// until fd_install fills it, which lets a system call finish every step
// that can fail before the fd becomes visible.
FileRef fd_get(int fd);  // a new reference to the open file, empty if none
Result<int> fd_reserve();
void fd_install(int fd, File* f);  // fill a reserved slot, adopting f's ref
void fd_unreserve(int fd);
FileRef fd_take(int fd);  // remove fd from the table (close), empty if none

// --------------------------------------------------------------- pipe.cpp
// (see fs/pipe.h)
