// fuzz: raw system calls, stackless threads, random numbers, and the
// registry's sending side (records on the pipe to the root).
#include "fuzz.h"

// ---------------------------------------------------------------------------
// Raw system calls, stackless threads, random numbers.

long sc(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long x10 __asm__("a0") = a0, x11 __asm__("a1") = a1, x12 __asm__("a2") = a2;
  register long x13 __asm__("a3") = a3, x14 __asm__("a4") = a4, x15 __asm__("a5") = a5;
  register long x17 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x12), "r"(x13), "r"(x14), "r"(x15), "r"(x17)
                   : "memory");
  // The stubs' convention (usys.S): an error number comes back negated.
  if ((unsigned long)x10 >= (unsigned long)-WEFT_ERRNO_MAX) {
    errno = (int)-x10;
    return -1;
  }
  return x10;
}

// Threads that use no stack, so any number can share one: park sleeps in
// futex_wait on the word its argument points at, forever; blip ends at once.
#define XSTR(x) STR(x)
#define STR(x) #x
__asm__(".text\n"
        ".globl fz_park, fz_blip\n"
        "fz_park: mv t0, a0\n"
        "1: mv a0, t0\n li a1, 0\n li a7, " XSTR(SYS_futex_wait) "\n ecall\n j 1b\n"
        "fz_blip: li a0, 0\n li a7, " XSTR(SYS_texit) "\n ecall\n");

u64 mix(u64 x) {  // splitmix64, to seed from small numbers
  x += 0x9e3779b97f4a7c15UL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
  return (x ^ (x >> 31)) | 1;  // xorshift's state must not be 0
}
u64 rnd(u64 *s) {  // xorshift64*
  u64 x = *s;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1dUL;
}

// ---------------------------------------------------------------------------
// The registry: 8-byte records on a pipe to the root. The first byte has the
// top bit set and says the type; seven more carry 7 bits of the value each,
// so the reader finds its feet again after a record torn by a kill.

static int record(unsigned char *r, int type, u64 v) {
  r[0] = 0x80 | type;
  for (int i = 1; i < 8; i++, v >>= 7) r[i] = v & 0x7f;
  return 8;
}
void report(int type, u64 v) {
  unsigned char r[8];
  SC3(SYS_write, g_regw, r, record(r, type, v));
}
void born(int pid) { report(R_BORN, (u64)pid | (u64)g_w << 32); }

// Sends the thread's counts in one write: per operation, calls and successes.
void flush(struct ctx *c) {
  unsigned char buf[8 * (NOPS_MAX + 1)];
  int len = 0;
  for (int i = 0; i < NOPS_MAX; i++)
    if (c->n[i]) len += record(buf + len, R_OP, i | (u64)c->n[i] << 8 | (u64)c->ok[i] << 28);
  if (c->spawned) len += record(buf + len, R_THREADS, c->spawned);
  if (len) SC3(SYS_write, g_regw, buf, len);
  memset(c->n, 0, sizeof(c->n)), memset(c->ok, 0, sizeof(c->ok));
  c->calls = c->spawned = 0;
}
