// xv6-compatible headers (docs/xv6.md): the addresses a user program may
// know about. Physical memory (and the kernel) starts at KERNBASE, as in
// xv6; user addresses stop below it. weft has no trampoline or trap-frame
// page in user space.
#pragma once

#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128 * 1024 * 1024)
