// System call dispatch and argument fetching. Handlers read their arguments
// from the calling thread's trap frame and return a value for a0; errors
// become -1 at this boundary.
#pragma once

#include "lib/result.h"
#include "lib/types.h"
#include "proc.h"

void syscall();                  // dispatch on the current trap frame's a7

[[noreturn]] void arg_index_panic(int n);
// Register a<n>. Inline: handlers fetch two or three per call, and with a
// constant n the switch folds to one load.
inline u64 arg_raw(int n) {
  const TrapFrame& tf = current()->tf;
  switch (n) {
    case 0: return tf.a0;
    case 1: return tf.a1;
    case 2: return tf.a2;
    case 3: return tf.a3;
    case 4: return tf.a4;
    case 5: return tf.a5;
  }
  arg_index_panic(n);
}
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
