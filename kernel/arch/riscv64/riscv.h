// RISC-V supervisor-mode registers, page-table entry bits and small inline
// helpers. Numbers are from the RISC-V privileged specification.
#pragma once

#include "lib/types.h"

#define CSR_READ(name)                                   \
  ({                                                     \
    u64 _v;                                              \
    asm volatile("csrr %0, " #name : "=r"(_v));          \
    _v;                                                  \
  })
#define CSR_WRITE(name, v) asm volatile("csrw " #name ", %0" ::"r"((u64)(v)))
#define CSR_SET(name, v) asm volatile("csrs " #name ", %0" ::"r"((u64)(v)))
#define CSR_CLEAR(name, v) asm volatile("csrc " #name ", %0" ::"r"((u64)(v)))

// sstatus bits
constexpr u64 SSTATUS_SIE = 1ull << 1;   // interrupts enabled in S-mode
constexpr u64 SSTATUS_SPIE = 1ull << 5;  // SIE before the trap
constexpr u64 SSTATUS_SPP = 1ull << 8;   // trap came from S-mode
constexpr u64 SSTATUS_FS = 3ull << 13;   // floating-point state
constexpr u64 SSTATUS_FS_INITIAL = 1ull << 13;
constexpr u64 SSTATUS_SUM = 1ull << 18;  // S-mode may touch U pages

// sie / sip bits
constexpr u64 SIE_SSIE = 1ull << 1;  // software (IPI)
constexpr u64 SIE_STIE = 1ull << 5;  // timer
constexpr u64 SIE_SEIE = 1ull << 9;  // external (PLIC)

// scause values
constexpr u64 SCAUSE_INTR = 1ull << 63;
constexpr u64 IRQ_S_SOFT = 1;
constexpr u64 IRQ_S_TIMER = 5;
constexpr u64 IRQ_S_EXT = 9;
constexpr u64 EXC_ECALL_U = 8;
constexpr u64 EXC_STORE_PAGE_FAULT = 15;

// Sv39 page tables
constexpr u64 PGSIZE = 4096;
constexpr u64 PGSHIFT = 12;
constexpr u64 PTE_V = 1 << 0;
constexpr u64 PTE_R = 1 << 1;
constexpr u64 PTE_W = 1 << 2;
constexpr u64 PTE_X = 1 << 3;
constexpr u64 PTE_U = 1 << 4;
constexpr u64 PTE_G = 1 << 5;
constexpr u64 PTE_A = 1 << 6;
constexpr u64 PTE_D = 1 << 7;
constexpr u64 PTE_COW = 1 << 8;  // a software bit (RSW): shared until written
constexpr u64 SATP_SV39 = 8ull << 60;

inline u64 pg_round_up(u64 a) { return (a + PGSIZE - 1) & ~(PGSIZE - 1); }
inline u64 pg_round_down(u64 a) { return a & ~(PGSIZE - 1); }
inline u64 pte_to_pa(u64 pte) { return (pte >> 10) << 12; }
inline u64 pa_to_pte(u64 pa) { return (pa >> 12) << 10; }
inline u64 vpn(u64 va, int level) { return (va >> (12 + 9 * level)) & 0x1ff; }
inline u64 make_satp(u64 root_pa, u64 asid) {
  return SATP_SV39 | (asid << 44) | (root_pa >> 12);
}

inline void intr_on() { CSR_SET(sstatus, SSTATUS_SIE); }
inline void intr_off() { CSR_CLEAR(sstatus, SSTATUS_SIE); }
inline bool intr_enabled() { return (CSR_READ(sstatus) & SSTATUS_SIE) != 0; }
// Interrupts off; returns whether they were on (one csrrci, no bookkeeping:
// for a few instructions that must not be split by a preemption).
inline bool intr_save_off() {
  u64 s;
  asm volatile("csrrci %0, sstatus, %1" : "=r"(s) : "i"(SSTATUS_SIE) : "memory");
  return (s & SSTATUS_SIE) != 0;
}
inline void intr_restore(bool on) {
  if (on) intr_on();
}

inline u64 read_time() { return CSR_READ(time); }
inline u64 read_tp() {
  u64 v;
  asm volatile("mv %0, tp" : "=r"(v));
  return v;
}
inline void sfence_vma_all() { asm volatile("sfence.vma zero, zero" ::: "memory"); }
inline void sfence_vma_page(u64 va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }
inline void sfence_vma_asid(u64 asid) {
  asm volatile("sfence.vma zero, %0" ::"r"(asid) : "memory");
}

constexpr u64 TIMEBASE_HZ = 10000000;  // the `time` CSR ticks at 10 MHz
