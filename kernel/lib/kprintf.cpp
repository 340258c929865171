#include "lib/kprintf.h"

#include <stdarg.h>

#include "arch/riscv64/riscv.h"
#include "arch/riscv64/sbi.h"
#include "dev/console.h"
#include "memlayout.h"
#include "proc.h"
#include "sync/spinlock.h"

volatile int g_panicked = 0;

namespace {
Spinlock g_print_lock{"kprintf", LockRank::Print};
bool g_uart_ready = false;  // before paging, print through SBI

void putc(int c) {
  if (g_uart_ready)
    console_putc(c);
  else
    sbi_console_putchar(c);
}

void print_num(u64 v, int base, bool is_signed, int width, char pad) {
  char buf[24];
  bool neg = is_signed && static_cast<i64>(v) < 0;
  if (neg) v = -static_cast<i64>(v);
  int i = 0;
  do {
    buf[i++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (neg) buf[i++] = '-';
  while (i < width) buf[i++] = pad;
  while (i > 0) putc(buf[--i]);
}

void vprint(const char* fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0;
    if (*fmt == '0') pad = '0';
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    bool is_long = false;
    while (*fmt == 'l') {
      is_long = true;
      fmt++;
    }
    switch (*fmt) {
      case 'd':
        print_num(is_long ? va_arg(ap, i64) : va_arg(ap, int), 10, true, width, pad);
        break;
      case 'u':
        print_num(is_long ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, false, width, pad);
        break;
      case 'x':
        print_num(is_long ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, false, width, pad);
        break;
      case 'p':
        putc('0');
        putc('x');
        print_num(reinterpret_cast<u64>(va_arg(ap, void*)), 16, false, 16, '0');
        break;
      case 's': {
        const char* s = va_arg(ap, const char*);
        for (s = s ? s : "(null)"; *s; s++) putc(*s);
        break;
      }
      case 'c':
        putc(va_arg(ap, int));
        break;
      case '%':
        putc('%');
        break;
      case 0:
        return;
      default:
        putc('%');
        putc(*fmt);
    }
  }
}

// Walk the frame-pointer chain: with -fno-omit-frame-pointer, fp-8 holds the
// return address and fp-16 the caller's fp.
void backtrace() {
  u64 fp;
  asm volatile("mv %0, s0" : "=r"(fp));
  for (int depth = 0; depth < 16; depth++) {
    if (fp < KERNBASE || fp >= USER_TOP + (1ull << 30) || (fp & 7)) break;
    u64 ra = *reinterpret_cast<u64*>(fp - 8);
    if (ra < KERNBASE) break;
    kprintf("  %p\n", reinterpret_cast<void*>(ra));
    u64 next = *reinterpret_cast<u64*>(fp - 16);
    if (next <= fp) break;
    fp = next;
  }
}
}  // namespace

void kprintf_use_uart() { g_uart_ready = true; }

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (g_panicked) {
    vprint(fmt, ap);  // the panicking hart owns the console now
  } else {
    SpinGuard g(g_print_lock);
    vprint(fmt, ap);
  }
  va_end(ap);
}

void panic(const char* fmt, ...) {
  intr_off();
  g_panicked = 1;
  va_list ap;
  va_start(ap, fmt);
  kprintf("\npanic on hart %d: ", mycpu() ? mycpu()->hartid : -1);
  vprint(fmt, ap);
  va_end(ap);
  kprintf("\nbacktrace (addr2line -e build/kernel.elf):\n");
  backtrace();
  // Power off with a failure status so a test run ends at once.
  *dev_reg32(TEST_FINISHER) = (99u << 16) | 0x3333;
  for (;;) asm volatile("wfi");
}
