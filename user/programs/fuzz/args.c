// fuzz: the argument generators: valid and hostile values of each kind of
// system-call argument.
#include "fuzz.h"

// ---------------------------------------------------------------------------
// Arguments. Each pointer kind knows which of its values must make the call
// fail ("bad"): NULL, kernel addresses, the guard page, the top of user
// space, and text for buffers the kernel writes to. Buffers the kernel
// writes to are only ever in the sink or the arena above it, so that no
// length, however large, makes it write over the fuzzer's own data.

static const char *const rel_path[] = {"a", "d", "d/a", "x", "."};
static const long junk_int[] = {-1, 0, 1, 2, 16, 0x7fff, 0x8000, 0x7fffffff, INTMIN, -100};
static int g_one = 1, g_zero;  // futex words for desch: set, clear

long arena(struct ctx *c) {
  long lo = g_sink_end, hi = g_brk;
  return hi > lo ? lo + R(c, hi - lo) : lo;
}

static long ptr(struct ctx *c, int kind, int *bad) {
  if (R(c, 100) < 60) {  // a good one
    switch (kind) {
    case A_IN: return (long)g_pattern + R(c, 4096);
    case A_WORD: return c->word = (long)&g_fw[R(c, NFW)];
    case A_GUARD: return PICK(c, (long)&g_one, (long)&g_zero, (long)&g_fw[0]);
    default: return (long)g_sink + R(c, 256);
    }
  }
  switch (R(c, 10)) {
  case 0: *bad |= kind != A_OUTN; return 0;  // wait(NULL) is fine
  case 1: *bad = 1; return KADDR1 + R(c, 4) * PGSIZE;
  case 2: *bad = 1; return KADDR2;
  case 3: *bad = 1; return g_guard + R(c, PGSIZE);
  case 4: *bad = 1; return UTOP + R(c, PGSIZE);
  case 5: *bad |= kind == A_OUT || kind == A_OUTN; return g_text;  // read-only
  case 6: return g_brk + R(c, 2 * PGSIZE);   // past the break, unless it grows
  case 7: return arena(c);                   // another thread may unmap it
  case 8: return g_sink_end - 1 - R(c, 16);  // runs on into the arena
  default:                                   // unaligned
    if (kind == A_WORD) return *bad = 1, (long)&g_fw[R(c, NFW)] + 1 + R(c, 3);
    return (long)g_sink + 1 + 2 * R(c, 100);
  }
}

long path(struct ctx *c, int *bad) {
  long k = R(c, 100);
  if (k < 55) return (long)g_path[R(c, 24)];
  if (k < 70) return (long)g_mut;
  if (k < 80) return (long)rel_path[R(c, 5)];
  if (k < 84) return (long)g_path[R(c, 24)] + 1;  // relative, to the cwd (in the tree)
  *bad = 1;  // none of these can name a file
  return PICK(c, 0, KADDR1, KADDR2, g_guard, (long)g_long, g_edge);
}

long arg(struct ctx *c, int kind, int *bad, int *zero) {
  long k = R(c, 100);
  switch (kind) {
  case A_FD: {  // mostly 0..NOFILE-1, never the registry's
    if (k >= 85) return PICK(c, -1, NOFILE, 100, 0x7fffffff, INTMIN);
    long fd = R(c, NOFILE);
    return fd == g_regw ? (fd + 1) % NOFILE : fd;
  }
  case A_LEN: {
    long n = k < 50 ? 1 + R(c, 2048)
                    : PICK(c, 0, 1, 511, 4095, 4096, 4097, 65536, 1 << 20, 0x7fffffff, -1,
                           -4096, INTMIN);
    *zero |= n == 0;
    return n;
  }
  case A_IN: case A_OUT: case A_OUTN: case A_WORD: case A_GUARD: return ptr(c, kind, bad);
  case A_PATH: return path(c, bad);
  case A_FLAGS:
    return PICK(c, O_RDONLY, O_WRONLY, O_RDWR, O_CREATE | O_RDWR, O_CREATE | O_WRONLY,
                O_CREATE | O_TRUNC | O_RDWR, O_TRUNC | O_WRONLY, -1, 0x7fff);
  case A_MAJOR:  // never 1: reading the console would wait for typing
    return PICK(c, 0, 2, 3, 9, -1, NDEV, 0x7fff, -0x8000, 0x10001);
  case A_INT: return k < 75 ? junk_int[R(c, 10)] : (int)rnd(&c->rng);
  case A_TICKS: return k ? PICK(c, 0, 0, 1, 1, 2, 3, -1, INTMIN) : 1000000;
  case A_TID:
    if (k < 45) return g_slot[R(c, NSLOTS)].c.tid;
    if (k < 55) return g_main.tid;
    if (k < 65) return c->tid;
    if (k < 70) return c->pid;
    return k < 85 ? junk_int[R(c, 10)] : 1 + R(c, 300);
  case A_EXPECT: return c->word && k < 75 ? __atomic_load_n((int *)c->word, __ATOMIC_RELAXED) : k % 3;
  case A_COUNT: return PICK(c, 0, 1, 1, 2, 3, NTHR, 0x7fffffff, -1, INTMIN);
  default: return k < 50 ? (long)rnd(&c->rng) : junk_int[R(c, 10)];
  }
}
