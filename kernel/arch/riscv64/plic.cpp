// Register offsets from the RISC-V PLIC specification; the S-mode context of
// hart h is 2h+1 on QEMU virt.
#include "arch/riscv64/plic.h"

#include "memlayout.h"
#include "proc.h"

namespace {
u64 context() { return 2 * mycpu()->hartid + 1; }
volatile u32& priority(u32 irq) { return *dev_reg32(PLIC + 4 * irq); }
volatile u32& enable(u64 ctx) { return *dev_reg32(PLIC + 0x2000 + 0x80 * ctx); }
volatile u32& threshold(u64 ctx) { return *dev_reg32(PLIC + 0x200000 + 0x1000 * ctx); }
volatile u32& claim(u64 ctx) { return *dev_reg32(PLIC + 0x200004 + 0x1000 * ctx); }
}  // namespace

void plic_init() {
  priority(UART0_IRQ) = 1;
  priority(VIRTIO0_IRQ) = 1;
}

void plic_init_hart() {
  // Every hart takes device interrupts; whichever claims first handles it.
  enable(context()) = (1u << UART0_IRQ) | (1u << VIRTIO0_IRQ);
  threshold(context()) = 0;
}

u32 plic_claim() { return claim(context()); }
void plic_complete(u32 irq) { claim(context()) = irq; }
