// Result<T>: a value or an error code. Kernel functions return it instead of
// magic -1s; only the system call boundary turns an error into -1.
#pragma once

#include "lib/types.h"

enum class Error : int {
  Invalid = 1,    // bad argument
  Fault,          // bad user address
  NoMemory,       // out of physical pages
  NoSpace,        // out of disk blocks, inodes or table slots
  NotFound,       // no such file, process or thread
  Exists,         // name already taken
  Busy,           // in use (e.g. unlinking a non-empty directory)
  Interrupted,    // the process was killed while waiting
  BadFile,        // fd not open, or opened without the needed mode
  Pipe,           // write to a pipe without readers
  Again,          // a copy-on-write page met under a spin lock (uaccess.h)
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
