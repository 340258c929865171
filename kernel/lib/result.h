// Result<T>: a value or an error code. Kernel functions return it instead of
// magic -1s; the system call boundary returns the error's number negated
// (sysret, syscall.h), which is the POSIX errno the user library stores.
#pragma once

#include <weft/errno.h>

#include "lib/types.h"

enum class Error : int {
  Perm = EPERM,                // not allowed
  NotFound = ENOENT,           // no such file or directory
  NoProcess = ESRCH,           // no such process or thread
  Interrupted = EINTR,         // the process was killed while waiting
  TooBig = E2BIG,              // too many or too long exec arguments
  NotExec = ENOEXEC,           // not a program weft can load
  BadFile = EBADF,             // fd not open, or opened without the needed mode
  NoChild = ECHILD,            // nothing to wait for
  TryAgain = EAGAIN,           // out of thread or process slots
  NoMemory = ENOMEM,           // out of physical pages
  Fault = EFAULT,              // bad user address
  Busy = EBUSY,                // in use
  Exists = EEXIST,             // name already taken
  CrossDevice = EXDEV,         // a link to another device
  NoDevice = ENODEV,           // a device number with no driver
  NotDir = ENOTDIR,            // a path element is not a directory
  IsDir = EISDIR,              // a directory where a file is needed
  Invalid = EINVAL,            // bad argument
  FileTable = ENFILE,          // the system's file or inode table is full
  TooManyOpen = EMFILE,        // the process's fd table is full
  FileTooBig = EFBIG,          // past the largest file size
  NoSpace = ENOSPC,            // out of disk blocks or inodes
  TooManyLinks = EMLINK,       // nlink would overflow
  Pipe = EPIPE,                // write to a pipe without readers
  Range = ERANGE,              // a user buffer too small for the answer
  Deadlock = EDEADLK,          // waiting would never end
  NameTooLong = ENAMETOOLONG,  // a path or path element too long
  NoSys = ENOSYS,              // no such system call
  NotEmpty = ENOTEMPTY,        // a directory with entries
  TimedOut = ETIMEDOUT,        // a deadline passed first
  // Never leaves the kernel: a copy-on-write page met under a spin lock
  // (uaccess.h); the caller breaks it without the lock and tries again.
  Retry = 1000,
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(value), error_(0) {}
  Result(Error e) : value_(), error_(static_cast<int>(e)) {}
  bool ok() const { return error_ == 0; }
  explicit operator bool() const { return ok(); }
  T value() const { return value_; }
  Error error() const { return static_cast<Error>(error_); }

 private:
  T value_;
  int error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : error_(0) {}
  Result(Error e) : error_(static_cast<int>(e)) {}
  bool ok() const { return error_ == 0; }
  explicit operator bool() const { return ok(); }
  Error error() const { return static_cast<Error>(error_); }

 private:
  int error_;
};

// TRY(expr): evaluate a Result; on error return the error from the caller.
#define TRY(expr)                               \
  ({                                            \
    auto _r = (expr);                           \
    if (!_r.ok()) return _r.error();            \
    _r.value();                                 \
  })

// CHECK(expr): like TRY for Result<void>.
#define CHECK(expr)                             \
  do {                                          \
    auto _r = (expr);                           \
    if (!_r.ok()) return _r.error();            \
  } while (0)
