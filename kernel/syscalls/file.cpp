// The file system calls.
//
// Conventions kept by every handler here:
// - Path and struct arguments are copied into kernel memory once (arg_str,
//   copy_out of a filled kernel struct); only the copy is used, so another
//   thread changing the user memory meanwhile changes nothing.
// - An fd is turned into a counted File reference (fd_get, a FileRef) under
//   the table's lock, and the handler uses only that reference.
// - A new fd is reserved first and installed last, when nothing can fail any
//   more: other threads never see a half-made fd.
// - Every change to the disk is inside begin_op/end_op, and an error path
//   undoes what the operation did so far (a failed create leaves no entry
//   and no inode behind).
// - read and write are all or nothing with respect to bad buffers: if any
//   byte of the buffer that the call would transfer is not accessible user
//   memory, the call returns -1 and has no visible effect (no bytes written
//   to the file or pipe, no offset moved, nothing taken out of a pipe). The
//   one exception is memory that another thread unmaps while the call runs:
//   a write then returns the bytes it wrote before that point.
#include <fcntl.h>
#include <stat.h>
#include <weft/fs.h>
#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "fs/file.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/pipe.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "uaccess.h"

namespace {

// Make path a new inode of the given type and return it locked. For
// open(O_CREATE) (type T_FILE) an existing file or device is returned
// instead; anything else existing is an error.
Result<Inode*> create(const char* path, i16 type, i16 major, i16 minor) {
  char name[DIRSIZ + 1];
  auto parent = nameiparent(path, name);
  if (!parent && parent.error() == Error::Busy)  // "/": it exists, a directory
    return type == T_FILE ? Error::IsDir : Error::Exists;
  Inode* dp = TRY(parent);
  ilock(dp);
  auto found = dirlookup(dp, name, nullptr);
  if (found) {
    iunlockput(dp);
    Inode* ip = found.value();
    ilock(ip);
    if (type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    Error e = type == T_FILE ? Error::IsDir : Error::Exists;  // a directory
    iunlockput(ip);
    return e;
  }
  if (found.error() != Error::NotFound) {  // e.g. the inode cache is full
    iunlockput(dp);
    return found.error();
  }
  auto made = ialloc(dp->dev, type);
  if (!made) {
    iunlockput(dp);
    return made.error();
  }
  Inode* ip = made.value();
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);
  Result<void> linked;
  if (type == T_DIR) {
    // "." does not count as a link to the directory itself: a count that
    // included its own entry could never reach 0.
    linked = dirlink(ip, ".", ip->inum);
    if (linked) linked = dirlink(ip, "..", dp->inum);
  }
  if (linked) linked = dirlink(dp, name, ip->inum);
  if (!linked) {
    // Out of blocks (or dp was unlinked): with no links, the last iput
    // frees the inode and whatever blocks it got.
    ip->nlink = 0;
    iupdate(ip);
    iunlockput(ip);
    iunlockput(dp);
    return linked.error();
  }
  if (type == T_DIR) {
    dp->nlink++;  // the new directory's ".."
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;
}

bool is_dot_name(const char* name) {
  return strncmp(name, ".", DIRSIZ) == 0 || strncmp(name, "..", DIRSIZ) == 0;
}

// Whether the pages of [addr, addr + n) after the first can be read from
// user space: one byte is copied in from each. Writes check their source
// with this before transferring anything, because bytes written to a file
// or pipe cannot be taken back if the buffer turns out bad halfway. The
// first page needs no check: every writer's first copy starts in it, and a
// writer whose first copy fails has written nothing and returns the error
// (pipe_write, console_write, writei). That spares the common small write
// a second walk of the page table.
bool user_readable(u64 addr, size_t n) {
  if (n == 0) return true;
  if (addr + n < addr) return false;
  u64 last = (addr + n - 1) & ~(PGSIZE - 1);
  for (u64 page = (addr & ~(PGSIZE - 1)) + PGSIZE; page <= last; page += PGSIZE) {
    u8 byte;
    if (!copy_in(&byte, page, 1)) return false;
  }
  return true;
}

// Path argument n, copied in: Fault if the pointer is bad, NameTooLong if
// the string does not fit in MAXPATH bytes.
Result<void> arg_path(int n, char (&path)[MAXPATH]) {
  auto r = arg_str(n, path, MAXPATH);
  if (!r) return r.error();
  return {};
}

constexpr i64 kBadFd = -static_cast<i64>(Error::BadFile);
constexpr i64 kNoFile = -static_cast<i64>(Error::FileTable);

}  // namespace

i64 sys_read() {
  int fd = arg_int(0);
  u64 dst = arg_raw(1);
  int n = arg_int(2);
  if (n < 0) return syserr(Error::Invalid);
  FileRef f = fd_get(fd);
  if (!f) return kBadFd;
  return sysret(file_read(f.get(), true, dst, static_cast<size_t>(n)));
}

i64 sys_write() {
  int fd = arg_int(0);
  u64 src = arg_raw(1);
  int n = arg_int(2);
  if (n < 0) return syserr(Error::Invalid);
  if (!user_readable(src, static_cast<size_t>(n))) return syserr(Error::Fault);
  FileRef f = fd_get(fd);
  if (!f) return kBadFd;
  return sysret(file_write(f.get(), true, src, static_cast<size_t>(n)));
}

i64 sys_close() {
  FileRef f = fd_take(arg_int(0));
  return f ? 0 : kBadFd;  // f's reference, the table's, is dropped here
}

i64 sys_dup() {
  FileRef f = fd_get(arg_int(0));
  if (!f) return kBadFd;
  auto fd = fd_reserve();
  if (!fd) return syserr(fd.error());
  fd_install(fd.value(), f.release());
  return fd.value();
}

i64 sys_fstat() {
  FileRef f = fd_get(arg_int(0));
  UserOut<struct stat> dst{arg_raw(1)};
  if (!f) return kBadFd;
  struct stat st;
  memset(&st, 0, sizeof(st));  // no kernel stack bytes in the padding
  CHECK_SYS(file_stat(f.get(), &st));
  return sysret(write_user(dst, st));
}

// Every system call that changed a file returned only once its log group
// was committed and flushed (end_op), so nothing written before this call
// is still waiting; log_sync asks the disk to flush once more all the
// same. Pipes and devices have nothing to sync (EINVAL, as POSIX says).
i64 sys_fsync() {
  FileRef f = fd_get(arg_int(0));
  if (!f) return kBadFd;
  if (f->type != File::Type::Inode) return syserr(Error::Invalid);
  log_sync();
  return 0;
}

i64 sys_pipe() {
  struct PipeFds {
    int read_fd;
    int write_fd;
  };
  UserOut<PipeFds> dst{arg_raw(0)};
  FileRef rf = file_alloc();
  FileRef wf = file_alloc();
  if (!rf || !wf) return kNoFile;
  auto p = pipe_alloc();
  if (!p) return syserr(p.error());
  // From here on, dropping rf and wf closes the pipe's ends (and frees it).
  rf->type = File::Type::Pipe;
  rf->readable = true;
  rf->pipe = p.value();
  wf->type = File::Type::Pipe;
  wf->writable = true;
  wf->pipe = p.value();
  auto rfd = fd_reserve();
  if (!rfd) return syserr(rfd.error());
  auto wfd = fd_reserve();
  if (!wfd) {
    fd_unreserve(rfd.value());
    return syserr(wfd.error());
  }
  auto w = write_user(dst, PipeFds{rfd.value(), wfd.value()});
  if (!w) {
    fd_unreserve(rfd.value());
    fd_unreserve(wfd.value());
    return syserr(w.error());
  }
  fd_install(rfd.value(), rf.release());
  fd_install(wfd.value(), wf.release());
  return 0;
}

i64 sys_open() {
  char path[MAXPATH];
  CHECK_SYS(arg_path(0, path));
  int omode = arg_int(1);
  // Everything that can run out is taken before the operation begins, so
  // that a failure needs no disk undo.
  FileRef f = file_alloc();
  if (!f) return kNoFile;
  auto fd = fd_reserve();
  if (!fd) return syserr(fd.error());

  LogOp op;
  Result<Inode*> r = (omode & O_CREATE) ? create(path, T_FILE, 0, 0)
                                        : lookup(path);
  if (r && !(omode & O_CREATE)) ilock(r.value());
  Error err = r.ok() ? Error{} : r.error();
  Inode* ip = r.ok() ? r.value() : nullptr;
  if (ip && ip->type == T_DIR && omode != O_RDONLY) err = Error::IsDir;
  if (ip && ip->type == T_DEVICE && !device_exists(ip->major)) err = Error::NoDevice;
  if (err != Error{}) {
    if (ip) iunlockput(ip);
    fd_unreserve(fd.value());
    return syserr(err);
  }

  if (ip->type == T_DEVICE) {
    f->type = File::Type::Device;
    f->major = ip->major;
  } else {
    f->type = File::Type::Inode;
    f->off = 0;
  }
  f->ip = ip;  // the reference from lookup/create now belongs to f
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);
  if ((omode & O_TRUNC) && ip->type == T_FILE) itrunc(ip);
  iunlock(ip);
  op.end();

  fd_install(fd.value(), f.release());
  return fd.value();
}

i64 sys_mknod() {
  char path[MAXPATH];
  CHECK_SYS(arg_path(0, path));
  int major = arg_int(1);
  int minor = arg_int(2);
  if (major < 0 || major >= NDEV || minor < 0 || minor > 0x7fff)
    return syserr(Error::Invalid);
  LogOp op;
  auto r = create(path, T_DEVICE, static_cast<i16>(major),
                  static_cast<i16>(minor));
  if (!r) return syserr(r.error());
  iunlockput(r.value());
  return 0;
}

i64 sys_mkdir() {
  char path[MAXPATH];
  CHECK_SYS(arg_path(0, path));
  LogOp op;
  auto r = create(path, T_DIR, 0, 0);
  if (!r) return syserr(r.error());
  iunlockput(r.value());
  return 0;
}

i64 sys_chdir() {
  char path[MAXPATH];
  CHECK_SYS(arg_path(0, path));
  Process* p = myproc();
  LogOp op;
  auto r = lookup(path);
  if (!r) return syserr(r.error());
  Inode* ip = r.value();
  ilock(ip);
  if (ip->type != T_DIR) {
    iunlockput(ip);
    return syserr(Error::NotDir);
  }
  iunlock(ip);
  Inode* old;
  {
    SpinGuard g(p->cwd_lock);
    old = p->cwd;
    p->cwd = ip;
  }
  // After the lock: iput may sleep (and may free an unlinked directory).
  if (old) iput(old);
  return 0;
}

i64 sys_link() {
  char old_path[MAXPATH];
  char new_path[MAXPATH];
  char name[DIRSIZ + 1];
  CHECK_SYS(arg_path(0, old_path));
  CHECK_SYS(arg_path(1, new_path));
  LogOp op;
  auto r = lookup(old_path);
  if (!r) return syserr(r.error());
  Inode* ip = r.value();
  ilock(ip);
  // No links to directories (they would make cycles), and nlink must not
  // overflow its 16 bits. A file whose last name is gone stays gone.
  Error err = ip->type == T_DIR    ? Error::Perm
              : ip->nlink == 0x7fff ? Error::TooManyLinks
              : ip->nlink < 1       ? Error::NotFound
                                    : Error{};
  if (err != Error{}) {
    iunlockput(ip);
    return syserr(err);
  }
  // Count the link first and drop the lock: the new parent may be an
  // ancestor of ip, and locks go parent before child.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  Result<void> linked = Error::NotFound;
  auto parent = nameiparent(new_path, name);
  if (!parent) linked = parent.error() == Error::Busy ? Error::Exists : parent.error();
  if (parent) {
    Inode* dp = parent.value();
    ilock(dp);
    linked = dp->dev == ip->dev ? dirlink(dp, name, ip->inum)
                                : Result<void>(Error::CrossDevice);
    iunlockput(dp);
  }
  if (!linked) {
    ilock(ip);
    ip->nlink--;
    iupdate(ip);
    iunlockput(ip);
    return syserr(linked.error());
  }
  iput(ip);
  return 0;
}

i64 sys_unlink() {
  char path[MAXPATH];
  char name[DIRSIZ + 1];
  CHECK_SYS(arg_path(0, path));
  LogOp op;
  auto parent = nameiparent(path, name);
  if (!parent) return syserr(parent.error());
  Inode* dp = parent.value();
  ilock(dp);
  u32 off = 0;
  auto found = is_dot_name(name) ? Result<Inode*>(Error::Invalid)
                                 : dirlookup(dp, name, &off);
  if (!found) {
    iunlockput(dp);
    return syserr(found.error());
  }
  Inode* ip = found.value();
  ilock(ip);
  if (ip->nlink < 1) panic("unlink: inode %u has no links", ip->inum);
  if (ip->type == T_DIR && !dir_is_empty(ip)) {
    iunlockput(ip);
    iunlockput(dp);
    return syserr(Error::NotEmpty);
  }
  dirent empty{};
  auto w = writei(dp, false, reinterpret_cast<u64>(&empty), off, sizeof(empty));
  // The entry's block exists, so overwriting it allocates nothing.
  ASSERT(w.ok() && w.value() == sizeof(empty));
  if (ip->type == T_DIR) {
    dp->nlink--;  // ip's ".." no longer points at dp
    iupdate(dp);
  }
  iunlockput(dp);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);  // frees the inode if no fd has it open
  return 0;
}
