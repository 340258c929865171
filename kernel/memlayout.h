// Physical and virtual memory layout.
//
// Every page table (the kernel's and each address space's) maps:
//   0x0000000000 - 0x007fffffff  user memory (U bit), private per space
//   0x0080000000 - 0x00bfffffff  RAM, identity-mapped with one 1 GiB page,
//                                kernel only, global (shared kernel half)
//   0xffffffc000000000 + pa      device registers, kernel only, global
// Because the kernel half is in every table, a trap never switches satp.
#pragma once

#include "lib/types.h"

constexpr u64 KERNBASE = 0x80200000;   // where OpenSBI starts us
constexpr u64 RAMBASE = 0x80000000;
constexpr u64 DEFAULT_RAMSIZE = 128ull << 20;  // if the device tree says nothing
constexpr u64 USER_TOP = 0x80000000;   // user addresses are below this
constexpr u64 USER_BASE = 0x1000;      // page 0 stays unmapped (NULL faults)

constexpr u64 DEVBASE = 0xffffffc000000000ull;
inline volatile u32* dev_reg32(u64 pa) {
  return reinterpret_cast<volatile u32*>(DEVBASE + pa);
}
inline volatile u8* dev_reg8(u64 pa) {
  return reinterpret_cast<volatile u8*>(DEVBASE + pa);
}

constexpr u64 TEST_FINISHER = 0x100000;  // sifive_test: power off with status
constexpr u64 UART0 = 0x10000000;
constexpr u64 UART0_IRQ = 10;
constexpr u64 VIRTIO0 = 0x10001000;      // virtio-mmio slot 0 (the disk)
constexpr u64 VIRTIO0_IRQ = 1;
constexpr u64 PLIC = 0x0c000000;
constexpr u64 PLIC_SIZE = 0x400000;
