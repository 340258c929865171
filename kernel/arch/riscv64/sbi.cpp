#include "arch/riscv64/sbi.h"

#include "trace.h"

namespace {
constexpr u64 EXT_LEGACY_PUTCHAR = 0x01;
constexpr u64 EXT_IPI = 0x735049;    // "sPI"
constexpr u64 EXT_RFENCE = 0x52464E43;  // "RFNC"
constexpr u64 EXT_HSM = 0x48534D;    // "HSM"
constexpr u64 EXT_SRST = 0x53525354;  // "SRST"
}  // namespace

SbiRet sbi_call(u64 ext, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4) {
  register u64 r_a0 asm("a0") = a0;
  register u64 r_a1 asm("a1") = a1;
  register u64 r_a2 asm("a2") = a2;
  register u64 r_a3 asm("a3") = a3;
  register u64 r_a4 asm("a4") = a4;
  register u64 r_a6 asm("a6") = fid;
  register u64 r_a7 asm("a7") = ext;
  asm volatile("ecall"
               : "+r"(r_a0), "+r"(r_a1)
               : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a6), "r"(r_a7)
               : "memory");
  return {static_cast<long>(r_a0), static_cast<long>(r_a1)};
}

void sbi_console_putchar(int c) { sbi_call(EXT_LEGACY_PUTCHAR, 0, c); }

long sbi_hart_start(u64 hartid, u64 start_addr, u64 opaque) {
  return sbi_call(EXT_HSM, 0, hartid, start_addr, opaque).error;
}

void sbi_send_ipi(u64 hart_mask) {
  if (tracing()) [[unlikely]]
    trace_put(TR_IPI_SEND, 0, static_cast<i64>(trace_hart_mask(hart_mask)), 0);
  sbi_call(EXT_IPI, 0, hart_mask, 0);
}

void sbi_remote_sfence_vma_asid(u64 hart_mask, u64 start, u64 size, u64 asid) {
  if (tracing()) [[unlikely]]
    trace_put(TR_FENCE, 0, static_cast<i64>(trace_hart_mask(hart_mask)), static_cast<i64>(asid));
  sbi_call(EXT_RFENCE, 2, hart_mask, 0, start, size, asid);
}

void sbi_shutdown() {
  sbi_call(EXT_SRST, 0, 0, 0);
  for (;;) asm volatile("wfi");
}
