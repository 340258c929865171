// The file system as the rest of the kernel sees it. Layers, bottom up:
// virtio disk -> buffer cache (bio) -> write-ahead log -> inodes ->
// directories and paths -> open files and pipes.
#pragma once

#include <weft/fs.h>

#include "lib/result.h"
#include "lib/types.h"

struct Inode;
struct stat;

void fs_init(int dev);  // read the superblock, recover the log. Sleeps, so it
                        // runs in the first process, not in kmain.

// Every file-system change is one operation between begin_op and end_op; the
// log commits operations in groups. end_op returns once the operation's
// group is committed, so a system call's change is durable when it returns.
// It is called with no inode or buffer lock held.
void begin_op();
void end_op();

// One operation as a scope: begun here, ended when the scope is left by any
// path (or earlier with end()), so no early return can leave it open.
class [[nodiscard]] LogOp {
 public:
  LogOp() { begin_op(); }
  ~LogOp() { end(); }
  void end() {
    if (open_) end_op();
    open_ = false;
  }
  LogOp(const LogOp&) = delete;
  LogOp& operator=(const LogOp&) = delete;

 private:
  bool open_ = true;
};

// Path lookup relative to the current process's cwd (absolute if it starts
// with '/'). path is a kernel string. nullptr if missing.
Inode* namei(const char* path);

void ilock(Inode* ip);      // lock and read from disk if needed
void iunlock(Inode* ip);
void iput(Inode* ip);       // drop a reference (inside an operation)
void iunlockput(Inode* ip);
Inode* idup(Inode* ip);     // take another reference
// For kstat: inode cache entries in use, free inodes and free data blocks
// on the disk (the last two read the inode blocks and the bitmap).
int cached_inode_count();
int free_inode_count(u32 dev);
int free_block_count(u32 dev);
// Read n bytes at off into dst (a user address if user_dst); ip locked.
// Returns the bytes read (0 at end of file).
Result<size_t> readi(Inode* ip, bool user_dst, u64 dst, u32 off, u32 n);
