// xv6-compatible headers (docs/xv6.md): the parts of xv6's riscv.h that a
// user program may use: page sizes and rounding, the top of the virtual
// address space, and the time CSR.
#pragma once

#include "kernel/types.h"

#ifndef PGSIZE
#define PGSIZE 4096
#endif
#define PGSHIFT 12
#define PGROUNDUP(sz) (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

// One past the highest virtual address Sv39 allows (as xv6 defines it).
// weft's user space ends lower, at 0x80000000: every address from there
// up is refused by system calls and faults in user mode.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

static inline uint64 r_time(void) {
  uint64 x;
  __asm__ volatile("csrr %0, time" : "=r"(x));
  return x;
}
