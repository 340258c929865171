// Calls into OpenSBI (the SBI specification, v1.0 extensions).
#pragma once

#include "lib/types.h"

struct SbiRet {
  long error;
  long value;
};

SbiRet sbi_call(u64 ext, u64 fid, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0,
                u64 a3 = 0, u64 a4 = 0);

void sbi_console_putchar(int c);  // legacy extension: early boot output only
long sbi_hart_start(u64 hartid, u64 start_addr, u64 opaque);
void sbi_send_ipi(u64 hart_mask);  // bit i = hart id i
// Flush the TLB entries of [start, start+size) for asid on the harts in mask.
void sbi_remote_sfence_vma_asid(u64 hart_mask, u64 start, u64 size, u64 asid);
[[noreturn]] void sbi_shutdown();
