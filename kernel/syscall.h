// System call dispatch and argument fetching. Handlers read their arguments
// from the calling thread's trap frame and return a value for a0; errors
// become -1 at this boundary.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

void syscall();                  // dispatch on the current trap frame's a7

u64 arg_raw(int n);              // register a<n>
inline int arg_int(int n) { return static_cast<int>(arg_raw(n)); }
// Copy string argument n into buf (at most max bytes with the NUL).
Result<size_t> arg_str(int n, char* buf, size_t max);

// Turn a kernel result into a system call return value.
// What a system call returns for an error: its number, negated.
inline i64 syserr(Error e) { return -static_cast<i64>(e); }
template <typename T>
inline i64 sysret(Result<T> r) {
  return r.ok() ? static_cast<i64>(r.value()) : syserr(r.error());
}
inline i64 sysret(Result<void> r) { return r.ok() ? 0 : syserr(r.error()); }

// CHECK_SYS(expr): an error of the Result<void> expr ends the system call.
#define CHECK_SYS(expr)                         \
  do {                                          \
    auto _r = (expr);                           \
    if (!_r.ok()) return syserr(_r.error());    \
  } while (0)
