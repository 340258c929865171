// Kernel console output and panic.
#pragma once

#include "lib/types.h"

// printf subset: %d %u %x %p %s %c %l{d,u,x} %%. Output of one call is not
// interleaved with another hart's.
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Print the hart, the message and a backtrace, stop every hart.
[[noreturn]] void panic(const char* fmt, ...)
    __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                    \
  do {                                                                  \
    if (!(cond)) panic("assertion failed: %s at %s:%d", #cond, __FILE__, \
                       __LINE__);                                       \
  } while (0)

extern volatile int g_panicked;  // set once a hart panics
