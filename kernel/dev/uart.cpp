// Register numbers are from the 16550 data sheet. Output is polled: under
// QEMU the transmitter is always ready at once, so an output buffer and
// transmit interrupts would add code without adding speed.
#include "dev/uart.h"

#include "dev/console.h"
#include "memlayout.h"

namespace {
constexpr u64 RHR = 0;  // receive holding (read)
constexpr u64 THR = 0;  // transmit holding (write)
constexpr u64 IER = 1;  // interrupt enable
constexpr u64 FCR = 2;  // FIFO control
constexpr u64 LCR = 3;  // line control
constexpr u64 LSR = 5;  // line status
constexpr u8 IER_RX = 1 << 0;
constexpr u8 FCR_ENABLE_CLEAR = 0x07;
constexpr u8 LCR_8N1 = 0x03;
constexpr u8 LCR_DLAB = 0x80;
constexpr u8 LSR_RX_READY = 1 << 0;
constexpr u8 LSR_TX_EMPTY = 1 << 5;

volatile u8& reg(u64 r) { return *dev_reg8(UART0 + r); }
}  // namespace

void uart_init() {
  reg(IER) = 0;
  reg(LCR) = LCR_DLAB;  // divisor latch: 38400 baud (QEMU ignores it)
  reg(0) = 3;
  reg(1) = 0;
  reg(LCR) = LCR_8N1;
  reg(FCR) = FCR_ENABLE_CLEAR;
  reg(IER) = IER_RX;
}

void uart_putc(int c) {
  while ((reg(LSR) & LSR_TX_EMPTY) == 0) {
  }
  reg(THR) = static_cast<u8>(c);
}

void uart_intr() {
  while (reg(LSR) & LSR_RX_READY) console_intr(reg(RHR));
}
