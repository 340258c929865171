// fuzz: a random system-call fuzzer.
//
//   fuzz SECONDS SEED [PROCS [THREADS]]      (default 4 workers x 4 threads)
//
// The root process keeps PROCS worker processes going for SECONDS. In each
// worker, THREADS threads (and more threads, clones and forked children, as
// the dice say) call system calls by number (raw ecall, sc()) with arguments
// drawn from valid and hostile values: NULL, kernel addresses, the stack's
// guard page, read-only text as an output buffer, addresses past the break,
// an arena that other threads shrink with sbrk meanwhile, fds that other
// threads close, a path that other threads rewrite while the kernel reads it,
// directories that other threads remove, huge and negative sizes, unknown
// call numbers. The palette below is the one table of what is called.
//
// A worker lives 1-6 s; then the root kills it and everything it made, and
// starts another. A worker's main thread does not fuzz: it wakes its threads
// out of futex_wait and desch, and replaces threads stuck in a call (a pipe
// nobody writes, wait), so that the fuzzing goes on. Every new process
// registers through a pipe to the root (the registry, report()), which also
// carries the counts and wrong results; the root kills every registered
// process whose worker has ended, so nothing outlives the run. At the end
// the root kills and reaps everything, removes the run's files, checks that
// the kernel still works and that kstat shows every resource given back,
// and prints "fuzz: ... PASS" or "fuzz: ... FAIL: what".
//
// Never called, because they would only end the run: halt; kill of a process
// not made by the run; exit in the root or a worker's main thread; exec of
// anything but `echo` and `fuzz -x` (which exits at once); reading the
// console (workers close fds 0-2, and mknod never makes major 1); sbrk below
// the memory the fuzzer itself uses.
//
// Reproducibility: each thread has its own xorshift64* stream, seeded from
// SEED, the worker's number and its creator's stream, so a seed makes the
// same choices in the same order in each thread. How threads and harts
// interleave, and so what each call finds, is not reproducible.
#include "user.h"
#include "weft/fs.h"
#include "weft/syscall.h"

typedef unsigned long u64;

#define NSLOTS 12                 // stacks for threads and clones per address space
#define STACK (2 * PGSIZE)        // each; a clone runs on its top page
#define SINK (16 * PGSIZE)        // heap buffer that the kernel may write into
#define ARENA_MAX (256 * PGSIZE)  // past this the arena is shrunk back
#define NFW 8                     // shared futex words
#define MAXPROCS 8
#define KADDR1 0x80000000L                  // kernel RAM
#define KADDR2 (long)0xffffffc000000000UL   // the device window
#define UTOP 0x7ffff000L                    // user space, never mapped here
#define INTMIN (-0x7fffffffL - 1)

// ---------------------------------------------------------------------------
// Raw system calls, stackless threads, random numbers.

static long sc(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long x10 __asm__("a0") = a0, x11 __asm__("a1") = a1, x12 __asm__("a2") = a2;
  register long x13 __asm__("a3") = a3, x14 __asm__("a4") = a4, x15 __asm__("a5") = a5;
  register long x17 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x12), "r"(x13), "r"(x14), "r"(x15), "r"(x17)
                   : "memory");
  return x10;
}
#define SC1(n, a) sc((n), (long)(a), 0, 0, 0, 0, 0)
#define SC3(n, a, b, c) sc((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

// Threads that use no stack, so any number can share one: park sleeps in
// futex_wait on the word its argument points at, forever; blip ends at once.
#define XSTR(x) STR(x)
#define STR(x) #x
void fz_park(void *word);
void fz_blip(void *unused);
__asm__(".text\n"
        "fz_park: mv t0, a0\n"
        "1: mv a0, t0\n li a1, 0\n li a7, " XSTR(SYS_futex_wait) "\n ecall\n j 1b\n"
        "fz_blip: li a0, 0\n li a7, " XSTR(SYS_texit) "\n ecall\n");

static u64 mix(u64 x) {  // splitmix64, to seed from small numbers
  x += 0x9e3779b97f4a7c15UL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
  return (x ^ (x >> 31)) | 1;  // xorshift's state must not be 0
}
static u64 rnd(u64 *s) {  // xorshift64*
  u64 x = *s;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1dUL;
}
#define R(c, n) ((long)(rnd(&(c)->rng) % (u64)(n)))
#define PICK(c, ...) ((const long[]){__VA_ARGS__}[R(c, sizeof((const long[]){__VA_ARGS__}) / sizeof(long))])

// ---------------------------------------------------------------------------
// State. What the root sets before it forks is the same in every worker; the
// rest belongs to one address space: a worker's threads and clones share it.

#define NOPS_MAX 48
struct ctx {                // one per thread
  u64 rng;
  int kind;                 // K_MAIN (a worker's first thread), K_THREAD, K_CLONE, K_CHILD
  int slot;                 // its stack slot, -1 for K_MAIN
  long budget;              // calls left, -1 for no limit
  int pid, tid;             // what getpid and gettid must return
  long word;                // the futex word chosen last (A_EXPECT)
  volatile u64 since;       // rdtime when the running call began, 0 if none
  int calls, spawned;       // counts not yet reported to the root
  unsigned short n[NOPS_MAX], ok[NOPS_MAX];
};
enum { K_MAIN, K_THREAD, K_CLONE, K_CHILD };

static u64 g_seed;
static int g_root, g_hz = 100, g_regr, g_regw, g_w;
static long g_guard, g_edge, g_text;  // guard page, 'a's running into it, code
static char g_top[16];                // "/fzPID": the run's files are all below

static struct { int busy; struct ctx c; } g_slot[NSLOTS];
static char g_stack[NSLOTS][STACK] __attribute__((aligned(PGSIZE)));
static struct ctx g_main;
static long g_zpage;                  // a heap page of zeros that nobody writes
static char *g_sink;
static long g_sink_end;               // where the arena starts
static volatile long g_brk;           // the break as last seen
static int g_brk_lock;
static int g_fw[NFW], g_one = 1, g_zero, g_park;
static int g_kid[16], g_nkid;         // pids this address space made
static char g_pattern[8192];          // letters, to write to files
static char g_long[300];              // no NUL within MAXPATH
static char g_mut[160];               // a path that threads rewrite under the kernel
static int g_mutlen;
static char g_path[24][40];           // paths in the run's tree
static const char *const rel_path[] = {"a", "d", "d/a", "x", "."};
static const long junk_int[] = {-1, 0, 1, 2, 16, 0x7fff, 0x8000, 0x7fffffff, INTMIN, -100};

// ---------------------------------------------------------------------------
// The registry: 8-byte records on a pipe to the root. The first byte has the
// top bit set and says the type; seven more carry 7 bits of the value each,
// so the reader finds its feet again after a record torn by a kill.
enum { R_BORN = 1, R_OP, R_THREADS, R_BAD };

static int record(unsigned char *r, int type, u64 v) {
  r[0] = 0x80 | type;
  for (int i = 1; i < 8; i++, v >>= 7) r[i] = v & 0x7f;
  return 8;
}
static void report(int type, u64 v) {
  unsigned char r[8];
  SC3(SYS_write, g_regw, r, record(r, type, v));
}
static void born(int pid) { report(R_BORN, (u64)pid | (u64)g_w << 32); }

// Sends the thread's counts in one write: per operation, calls and successes.
static void flush(struct ctx *c) {
  unsigned char buf[8 * (NOPS_MAX + 1)];
  int len = 0;
  for (int i = 0; i < NOPS_MAX; i++)
    if (c->n[i]) len += record(buf + len, R_OP, i | (u64)c->n[i] << 8 | (u64)c->ok[i] << 28);
  if (c->spawned) len += record(buf + len, R_THREADS, c->spawned);
  if (len) SC3(SYS_write, g_regw, buf, len);
  memset(c->n, 0, sizeof(c->n)), memset(c->ok, 0, sizeof(c->ok));
  c->calls = c->spawned = 0;
}

// ---------------------------------------------------------------------------
// Arguments. Each pointer kind knows which of its values must make the call
// fail ("bad"): NULL, kernel addresses, the guard page, the top of user
// space, and text for buffers the kernel writes to. Buffers the kernel
// writes to are only ever in the sink or the arena above it, so that no
// length, however large, makes it write over the fuzzer's own data.
enum { A_ANY, A_FD, A_IN, A_OUT, A_OUTN, A_LEN, A_PATH, A_FLAGS, A_MAJOR,
       A_INT, A_TICKS, A_TID, A_WORD, A_GUARD, A_EXPECT, A_COUNT };

static long arena(struct ctx *c) {
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

static long path(struct ctx *c, int *bad) {
  long k = R(c, 100);
  if (k < 55) return (long)g_path[R(c, 24)];
  if (k < 70) return (long)g_mut;
  if (k < 80) return (long)rel_path[R(c, 5)];
  if (k < 84) return (long)g_path[R(c, 24)] + 1;  // relative, to the cwd (in the tree)
  *bad = 1;  // none of these can name a file
  return PICK(c, 0, KADDR1, KADDR2, g_guard, (long)g_long, g_edge);
}

static long arg(struct ctx *c, int kind, int *bad, int *zero) {
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

// ---------------------------------------------------------------------------
// The palette: one row per operation, a system call with the kinds of its
// arguments, or a function where a call needs more care. To add an
// operation, add a row (and maybe a function); weights are relative
// frequencies. `flags` says what a call with a bad pointer must return.
struct op {
  const char *name;
  long num;               // system call number
  int weight;
  unsigned char kind[3];  // kinds of a0..a2 (a3..a5 get junk)
  int flags;
  long (*fn)(struct ctx *, const struct op *);  // or NULL: generic()
};
#define F_BAD1 1    // a bad pointer (and a non-zero length) gives -1
#define F_BADLE0 2  // ... gives no positive count (read at the end of a file gives 0)
#define F_USER 4    // no system call: not counted
#define F_HOG 8     // sbrk about all free memory

#define OP(name) static long op_##name(struct ctx *c, const struct op *o)
OP(fork); OP(spawn); OP(swarm); OP(exec); OP(exit); OP(kill); OP(sbrk); OP(ids);
OP(unknown); OP(scribble); OP(touch);

static const struct op palette[] = {
    {"read", SYS_read, 120, {A_FD, A_OUT, A_LEN}, F_BADLE0, 0},
    {"write", SYS_write, 120, {A_FD, A_IN, A_LEN}, F_BAD1, 0},
    {"open", SYS_open, 120, {A_PATH, A_FLAGS}, F_BAD1, 0},
    {"close", SYS_close, 110, {A_FD}, 0, 0},
    {"dup", SYS_dup, 40, {A_FD}, 0, 0},
    {"pipe", SYS_pipe, 30, {A_OUT}, F_BAD1, 0},
    {"fstat", SYS_fstat, 40, {A_FD, A_OUT}, F_BAD1, 0},
    {"mknod", SYS_mknod, 15, {A_PATH, A_MAJOR, A_TICKS}, F_BAD1, 0},
    {"unlink", SYS_unlink, 80, {A_PATH}, F_BAD1, 0},
    {"link", SYS_link, 40, {A_PATH, A_PATH}, F_BAD1, 0},
    {"mkdir", SYS_mkdir, 60, {A_PATH}, F_BAD1, 0},
    {"chdir", SYS_chdir, 20, {A_PATH}, F_BAD1, 0},
    {"fork", SYS_fork, 15, {0}, 0, op_fork},
    {"clone", SYS_clone, 15, {0}, 0, op_spawn},
    {"tspawn", SYS_tspawn, 40, {0}, 0, op_spawn},
    {"swarm", SYS_tspawn, 10, {0}, 0, op_swarm},  // many threads without stacks
    {"join", SYS_join, 15, {A_OUT}, F_BAD1, 0},
    {"wait", SYS_wait, 15, {A_OUTN}, F_BAD1, 0},
    {"exec", SYS_exec, 10, {0}, 0, op_exec},
    {"exit", SYS_exit, 1, {0}, 0, op_exit},
    {"texit", SYS_texit, 15, {0}, 0, op_exit},
    {"kill", SYS_kill, 20, {0}, 0, op_kill},
    {"sbrk", SYS_sbrk, 80, {0}, 0, op_sbrk},
    {"hog", SYS_sbrk, 2, {0}, F_HOG, op_sbrk},  // about all free memory (shrunk soon)
    {"sleep", SYS_sleep, 15, {A_TICKS}, 0, 0},
    {"uptime", SYS_uptime, 10, {0}, 0, 0},
    {"getpid", SYS_getpid, 15, {0}, 0, op_ids},
    {"gettid", SYS_gettid, 15, {0}, 0, op_ids},
    {"yield", SYS_yield, 30, {A_TID}, 0, 0},
    {"desch", SYS_desch, 15, {A_GUARD}, F_BAD1, 0},
    {"mkrun", SYS_mkrun, 30, {A_TID}, 0, 0},
    {"futex_wait", SYS_futex_wait, 25, {A_WORD, A_EXPECT}, F_BAD1, 0},
    {"futex_wake", SYS_futex_wake, 40, {A_WORD, A_COUNT}, 0, 0},
    {"freepages", SYS_freepages, 5, {0}, 0, 0},
    {"procinfo", SYS_procinfo, 10, {A_OUT, A_LEN}, F_BAD1, 0},
    {"bootargs", SYS_bootargs, 5, {A_OUT, A_LEN}, F_BAD1, 0},
    {"kstat", SYS_kstat, 10, {A_OUT}, F_BAD1, 0},
    {"unknown", -1, 25, {0}, 0, op_unknown},      // 0, 27-29, SYS_MAX, huge
    {"scribble", -1, 60, {0}, F_USER, op_scribble},  // rewrite the shared path
    {"touch", -1, 10, {0}, F_USER, op_touch},        // store into the arena
    {"halt", SYS_halt, 0, {0}, 0, 0},               // never: it powers off
};
#define NOPS (int)(sizeof(palette) / sizeof(palette[0]))
static int g_total;  // the sum of the weights
_Static_assert(NOPS <= NOPS_MAX, "raise NOPS_MAX");

static void wrong(const struct op *o, long r) {
  report(R_BAD, (u64)(o - palette) | (u64)(unsigned)r << 8);
}

// Memory that the kernel never writes must stay as it was: the pattern (only
// ever a source) and the page of zeros. (A freed page reads 0x5a.)
#define BAD_MEMORY 0xff
static void check_memory(void) {
  int bad = -1;
  for (int i = sizeof(g_pattern) - 1; i >= 0; i--)
    if (g_pattern[i] != 'a' + i % 26) bad = i;
  for (int i = PGSIZE - 1; i >= 0; i--)
    if (((char *)g_zpage)[i]) bad = sizeof(g_pattern) + i;
  if (bad >= 0) report(R_BAD, BAD_MEMORY | (u64)bad << 8);
}

static long generic(struct ctx *c, const struct op *o) {
  long a[6];
  int bad = 0, zero = 0;
  for (int i = 0; i < 6; i++) a[i] = arg(c, i < 3 ? o->kind[i] : A_ANY, &bad, &zero);
  long r = sc(o->num, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (bad && !zero && (((o->flags & F_BAD1) && r != -1) || ((o->flags & F_BADLE0) && r > 0)))
    wrong(o, r);
  return r;
}

// ---------------------------------------------------------------------------
// Operations that need more than random arguments.

static void thread_main(void *arg);
static void clone_main(void *arg);
static void add_kid(int pid) { g_kid[__atomic_fetch_add(&g_nkid, 1, __ATOMIC_RELAXED) % 16] = pid; }

// A forked child is a copy of this thread alone: it makes a few calls of
// its own and exits (finish()).
OP(fork) {
  u64 seed = rnd(&c->rng);
  long r = SC1(o->num, 0);
  if (r == 0) {
    c->rng = mix(seed), c->kind = K_CHILD, c->budget = R(c, 40);
    c->pid = c->tid = SC1(SYS_getpid, 0);
    memset(c->n, 0, sizeof(c->n)), memset(c->ok, 0, sizeof(c->ok)), c->calls = c->spawned = 0;
    born(c->pid);
    check_memory();                    // the copy is the original
    if (R(c, 3) == 0) op_swarm(c, o);  // a child with many threads, to end
    return -1;  // the parent counts the call
  } else if (r > 0) {
    add_kid(r);
  }
  return r;
}

static int claim_slot(struct ctx *c) {
  for (int i = 0, s = R(c, NSLOTS); i < NSLOTS; i++, s = (s + 1) % NSLOTS) {
    int free = 0;
    if (__atomic_compare_exchange_n(&g_slot[s].busy, &free, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return s;
  }
  return -1;
}

// A new fuzzing thread (or clone) on slot s, with a budget of calls.
static struct ctx *new_ctx(struct ctx *c, int s, int kind, long budget) {
  struct ctx *n = &g_slot[s].c;
  memset(n, 0, sizeof(*n));
  n->rng = mix(rnd(&c->rng)), n->kind = kind, n->slot = s, n->budget = budget, n->pid = c->pid;
  return n;
}

// tspawn and clone. A good one gets a stack slot of its own; a bad one has
// a stack that is not one, or code that faults at once (a page of zeros
// nobody writes, a kernel address, NULL). tspawn checks the code address,
// clone only the stack.
OP(spawn) {
  int clone = o->num == SYS_clone, s = -1, bad = 0;
  long stack, fn, arg;
  if (R(c, 100) < 70 && (s = claim_slot(c)) >= 0) {
    arg = (long)new_ctx(c, s, clone ? K_CLONE : K_THREAD, 50 + R(c, clone ? 1000 : 2000));
    stack = (long)g_stack[s] + (clone ? PGSIZE : STACK - R(c, 16));
    fn = clone ? (long)clone_main : (long)thread_main;
  } else {
    long k = R(c, 6);
    stack = k == 0 ? g_zpage : PICK(c, 0, KADDR1, KADDR2, 0x1000, UTOP) + (R(c, 4) ? 0 : 8);
    fn = PICK(c, g_zpage, g_zpage, KADDR1, 0);
    if (clone)
      bad = stack != g_zpage && stack != 0x1000;
    else
      bad = fn != g_zpage || (stack != g_zpage && stack != 0x1008);
    arg = (long)rnd(&c->rng);
  }
  long r = clone ? SC3(o->num, fn, arg, stack) : SC3(o->num, stack, fn, arg);
  if (r < 0 && s >= 0) __atomic_store_n(&g_slot[s].busy, 0, __ATOMIC_RELEASE);
  if (r > 0) c->spawned++;
  if (r > 0 && clone) add_kid(r);
  if (bad && r != -1) wrong(o, r);
  return r;
}

// Up to 40 threads that park or end at once (the kernel has NTHR slots for
// everyone), or a few clones that end at once.
OP(swarm) {
  long k = R(c, 4), r = -1;
  (void)o;
  for (int n = 1 + R(c, k == 3 ? 4 : 40); n > 0; n--) {
    if (k == 3)
      r = SC3(SYS_clone, fz_blip, 0, g_zpage);
    else
      r = SC3(SYS_tspawn, g_zpage + PGSIZE, k < 2 ? fz_park : fz_blip, &g_park);
    if (r < 0) break;
    c->spawned++;
  }
  return r;
}

OP(exec) {
  static char *echo_argv[] = {"echo", "fz", 0}, *self_argv[] = {"fuzz", "-x", 0};
  static char *badstr_argv[] = {"echo", (char *)KADDR1, 0}, *many_argv[MAXARG + 2];
  int bad = 1;  // all but the first kind must fail
  long k = R(c, 100), p, argv;
  for (int i = 0; i < MAXARG + 1; i++) many_argv[i] = "x";
  if (k < 5) {  // really replaces the process: rare
    bad = 0, p = (long)(k < 3 ? "/echo" : "/fuzz"), argv = (long)(k < 3 ? echo_argv : self_argv);
    flush(c);
  } else if (k < 50) {  // no program lives in the tree
    p = path(c, &bad), argv = (long)echo_argv;
  } else {
    p = (long)"/echo";
    argv = PICK(c, 0, KADDR1, g_guard, g_edge, (long)badstr_argv, (long)many_argv);
  }
  long r = SC3(o->num, p, argv, 0);
  if (bad && r != -1) wrong(o, r);
  return r;
}

// exit ends the process (a worker too: rare), texit the thread; texit to
// its own slot's busy word frees the slot once the thread is off its stack.
OP(exit) {
  flush(c);
  if (o->num == SYS_exit) return SC1(o->num, arg(c, A_INT, &(int){0}, &(int){0}));
  if (c->slot >= 0 && R(c, 2)) SC3(o->num, &g_slot[c->slot].busy, 0, 0);
  return SC3(o->num, PICK(c, 0, KADDR1, g_text, g_guard, (long)&g_fw[0] + 2, (long)&g_fw[1]),
             R(c, 3), 0);
}

OP(kill) {
  long k = R(c, 100), pid;
  int must_fail = 0;
  if (k < 50 && g_nkid)
    pid = g_kid[R(c, g_nkid < 16 ? g_nkid : 16)];
  else if (k < 60 && c->kind == K_THREAD && c->tid > 0)
    pid = c->tid, must_fail = 1;  // a thread that is not a process's first
  else if (k == 60)
    pid = c->pid;       // ourselves
  else if (k == 61)
    pid = g_main.pid;   // our worker (from a clone or a child)
  else
    pid = PICK(c, -1, 0, 0x7fffffff, INTMIN, -100), must_fail = 1;
  long r = SC1(o->num, pid);
  if (must_fail && r != -1) wrong(o, r);
  return r;
}

// The arena [g_sink_end, break) grows and shrinks here, by one thread at a
// time (a try-lock: a forked child may hold a copy of it taken).
OP(sbrk) {
  long k = R(c, 100), r;
  if (k < 10 && !(o->flags & F_HOG)) {  // impossible requests
    if ((r = SC1(o->num, PICK(c, INTMIN, 0x7fffffff, -0x7fffffff))) != -1) wrong(o, r);
    return r;
  }
  int free = 0;
  if (!__atomic_compare_exchange_n(&g_brk_lock, &free, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return 0;
  long cur = SC1(o->num, 0), size = cur - g_sink_end, n;
  if (size < 0)
    n = 0;  // cannot happen: only this code shrinks the heap
  else if (o->flags & F_HOG)  // about all free memory, sometimes more
    n = (SC1(SYS_freepages, 0) + 256 - R(c, 512)) * PGSIZE, n = n < 0 ? 0 : n;
  else if (size > ARENA_MAX || k < 50)
    n = -R(c, size + 1);  // never below the arena
  else
    n = 1 + R(c, k < 52 ? 8 << 20 : 4 * PGSIZE);
  if ((r = SC1(o->num, n)) != -1 && r != cur) wrong(o, r);
  g_brk = SC1(o->num, 0);
  __atomic_store_n(&g_brk_lock, 0, __ATOMIC_RELEASE);
  return r;
}

OP(ids) {
  long r = SC1(o->num, rnd(&c->rng));
  int want = o->num == SYS_getpid ? c->pid : c->tid;
  if (want && r != want) wrong(o, r);
  return r;
}

OP(unknown) {
  int bad, zero;
  long r = sc(PICK(c, 0, 27, 28, 29, SYS_MAX, SYS_MAX + 1, 255, 0x7fffffff, 0x80000000L,
                   (1L << 32) + SYS_getpid, -1, -SYS_fork),
              arg(c, A_ANY, &bad, &zero), arg(c, A_ANY, &bad, &zero), arg(c, A_ANY, &bad, &zero),
              0, 0, 0);
  if (r != -1) wrong(o, r);
  return r;
}

// Rewrites bytes of the shared path while other threads hand it to the
// kernel. It keeps the "/fzPID/s/" prefix and has no dots: it never names
// anything outside the run's tree.
OP(scribble) {
  volatile char *m = g_mut;
  if (R(c, 8) == 0) {
    for (int i = 0; i < 6; i++) m[g_mutlen + i] = "d/a\0\0\0"[i];
    return 0;
  }
  for (int n = 1 + R(c, 8); n > 0; n--)
    m[g_mutlen + R(c, sizeof(g_mut) - 1 - g_mutlen)] = "ab/dx\0"[R(c, 6)];
  (void)o;
  return 0;
}

// Stores into the arena from user mode while other threads shrink it: a
// store to a page being unmapped either lands before the unmap or faults
// (ending this thread only); it must never reach the page once it is freed.
OP(touch) {
  for (int n = 0; n < 16; n++) *(volatile char *)arena(c) = (char)R(c, 256);
  (void)o;
  return 0;
}

// ---------------------------------------------------------------------------
// Threads.

static void fuzz_loop(struct ctx *c) {
  for (; c->budget != 0; c->budget -= c->budget > 0) {
    const struct op *o = palette;
    for (long x = R(c, g_total); x >= o->weight; o++) x -= o->weight;
    int i = o - palette;
    if (!(o->flags & F_USER)) c->n[i]++;
    c->since = rdtime();
    long r = (o->fn ? o->fn : generic)(c, o);
    c->since = 0;
    if (o->flags & F_USER) continue;
    c->ok[i] += r >= 0;
    if (++c->calls >= 256) flush(c);
  }
}

static void __attribute__((noreturn)) finish(struct ctx *c) {
  static char *echo_argv[] = {"echo", "fz", 0}, *self_argv[] = {"fuzz", "-x", 0};
  flush(c);
  // A child ends its process, threads and all: exit or exec. A clone may
  // exec too, leaving the address space it shared.
  long k = R(c, 4);
  if ((c->kind == K_CHILD && k < 2) || (c->kind == K_CLONE && k == 0))
    SC3(SYS_exec, k ? "/echo" : "/fuzz", k ? echo_argv : self_argv, 0);
  if (c->kind == K_CHILD) SC1(SYS_exit, k);
  // texit stores 0 once we are off the stack: the slot is free again.
  SC3(SYS_texit, c->slot >= 0 ? (long)&g_slot[c->slot].busy : 0, 0, 0);
  for (;;) {
  }
}

static void thread_main(void *arg) {
  struct ctx *c = arg;
  c->tid = SC1(SYS_gettid, 0);
  fuzz_loop(c);
  finish(c);
}

static void clone_main(void *arg) {
  struct ctx *c = arg;
  c->pid = c->tid = SC1(SYS_getpid, 0);
  born(c->pid);
  fuzz_loop(c);
  finish(c);
}

// A worker: process number w of the run, with directory slot j. It closes
// the console (fds 0-2) and the registry's read end; the registry's write
// end is the one fd the palette never touches.
static void __attribute__((noreturn)) worker(int j, int w, int nthreads) {
  static const char *const tails[12] = {"", "/a", "/b", "/d", "/d/a", "/d/b", "/d/d",
                                        "/d/d/a", "/x", "/.", "/..", "/d/.."};
  struct ctx *c = &g_main;
  g_w = w;
  for (int fd = 0; fd < 3; fd++) close(fd);
  close(g_regr);
  c->rng = mix(g_seed * 1000003 + (u64)w), c->kind = K_MAIN, c->slot = -1, c->budget = -1;
  c->pid = c->tid = getpid();
  born(c->pid);

  char own[24], shared[24];
  strcpy(own, g_top), strcat(own, "/w0"), own[strlen(own) - 1] += j;
  strcpy(shared, g_top), strcat(shared, "/s");
  for (int i = 0; i < 24; i++) strcat(strcpy(g_path[i], i < 12 ? own : shared), tails[i % 12]);
  mkdir(own);
  if (chdir(own) < 0) chdir(g_top);  // never stay in "/": relative names stay in the tree
  strcat(strcpy(g_mut, shared), "/");
  g_mutlen = strlen(g_mut);
  strcpy(g_mut + g_mutlen, "d/a");

  // The heap: a page of zeros, the sink, then the arena.
  long pad = -(long)sbrk(0) & (PGSIZE - 1);
  char *h = sbrk(pad + PGSIZE + SINK);
  if (h == (char *)-1) exit(1);
  g_zpage = (long)h + pad, g_sink = (char *)g_zpage + PGSIZE;
  g_brk = g_sink_end = (long)g_sink + SINK;

  // Keep nthreads threads fuzzing. Once a tick: wake every futex and desch
  // sleeper, replace threads stuck in a call for 0.1 s, and now and then
  // close an fd (a pipe's readers see the end once its writers are closed).
  for (;;) {
    int running = 0, s;
    for (s = 0; s < NSLOTS; s++) {
      struct ctx *t = &g_slot[s].c;
      if (!__atomic_load_n(&g_slot[s].busy, __ATOMIC_ACQUIRE) || t->kind != K_THREAD) continue;
      u64 since = t->since;
      running += !since || rdtime() - since < 1000000;
      if (t->tid > 0) mkrun(t->tid);
    }
    for (int i = 0; i < NFW; i++) futex_wake(&g_fw[i], NTHR);
    for (; running < nthreads && (s = claim_slot(c)) >= 0; running++) {
      if (tspawn(g_stack[s] + STACK, thread_main, new_ctx(c, s, K_THREAD, 100 + R(c, 3000))) > 0)
        c->spawned++;
      else
        __atomic_store_n(&g_slot[s].busy, 0, __ATOMIC_RELEASE);
    }
    if (R(c, 8) == 0 && (s = R(c, NOFILE)) != g_regw) close(s);
    check_memory();
    flush(c);
    sleep(1);
  }
}

// ---------------------------------------------------------------------------
// The root. A thread copies the registry into a ring; the main thread starts
// and ends workers, reaps, kills what ended workers left behind, and counts.
#define RING 1024
#define MAXFAM 1024
#define MAXGEN 65536
#define MAXPI (NPROC + NTHR)
static struct { int type; u64 v; } g_ring[RING];
static unsigned g_head, g_tail;               // advanced by the reader, by main
static int g_reader_done;
static char g_reader_stack[PGSIZE] __attribute__((aligned(16)));
static struct { int pid, w; } g_fam[MAXFAM];  // registered, maybe alive
static int g_nfam, g_all_dead, g_ngen;
static unsigned char g_dead[MAXGEN / 8];      // workers that have ended
static struct { int pid, w; long end; } g_work[MAXPROCS];
static long g_calls, g_procs, g_threads, g_bad, g_opn[NOPS_MAX], g_opok[NOPS_MAX];
static struct procinfo g_pi[MAXPI];
static char g_why[240];

static char *dec(int v, char t[16]) {  // decimal text of v, inside t
  char *s = t + 15;
  unsigned u = v < 0 ? -(unsigned)v : (unsigned)v;
  *s = 0;
  do *--s = '0' + u % 10; while (u /= 10);
  if (v < 0) *--s = '-';
  return s;
}

// Adds a reason to the FAIL line; fmt knows %s and %d.
static void why(const char *fmt, ...) {
  char *p = g_why + strlen(g_why), *e = g_why + sizeof(g_why) - 1, t[16];
  va_list ap;
  va_start(ap, fmt);
  for (const char *s = p == g_why ? "" : "; "; *s && p < e;) *p++ = *s++;
  for (; *fmt && p < e; fmt++) {
    const char *s = *fmt != '%' ? (t[0] = *fmt, t[1] = 0, t)
                    : *++fmt == 's' ? va_arg(ap, const char *) : dec(va_arg(ap, int), t);
    while (*s && p < e) *p++ = *s++;
  }
  *p = 0;
  va_end(ap);
}

static void reader(void *arg) {
  unsigned char buf[512];
  int type = 0, n = 0;
  u64 v = 0;
  for (int got; (got = read(g_regr, buf, sizeof(buf))) > 0;) {
    for (int i = 0; i < got; i++) {
      if (buf[i] & 0x80) {
        type = buf[i] & 0x7f, n = 0, v = 0;
      } else if (type && (v |= (u64)buf[i] << (7 * n), ++n == 7)) {
        while (g_head - __atomic_load_n(&g_tail, __ATOMIC_ACQUIRE) >= RING) sleep(1);
        g_ring[g_head % RING].type = type, g_ring[g_head % RING].v = v;
        __atomic_store_n(&g_head, g_head + 1, __ATOMIC_RELEASE);
        type = 0;
      }
    }
  }
  (void)arg;
  texit(&g_reader_done, 1);  // end of file: every writer is gone
}

static int dead(int w) { return g_all_dead || (g_dead[w % MAXGEN / 8] >> (w % 8) & 1); }
static void set_dead(int w) { g_dead[w % MAXGEN / 8] |= 1 << (w % 8); }

static void drain(void) {
  for (unsigned head = __atomic_load_n(&g_head, __ATOMIC_ACQUIRE); g_tail != head;) {
    int type = g_ring[g_tail % RING].type, i;
    u64 v = g_ring[g_tail % RING].v;
    __atomic_store_n(&g_tail, g_tail + 1, __ATOMIC_RELEASE);
    if (type == R_BORN && (g_procs++, g_threads++, g_nfam < MAXFAM))
      g_fam[g_nfam].pid = v & 0xffffffff, g_fam[g_nfam++].w = v >> 32;
    if (type == R_OP && (i = v & 0xff) < NOPS_MAX)
      g_opn[i] += v >> 8 & 0xfffff, g_opok[i] += v >> 28, g_calls += v >> 8 & 0xfffff;
    if (type == R_THREADS) g_threads += v;
    if (type == R_BAD && (v & 0xff) == BAD_MEMORY && g_bad++ < 20)
      printf("fuzz: wrong result: memory that no one writes changed at byte %d\n", (int)(v >> 8));
    else if (type == R_BAD && g_bad++ < 20)
      printf("fuzz: wrong result: %s returned %d\n", palette[(v & 0xff) % NOPS].name, (int)(v >> 8));
  }
}

// One look at the process table: reap our zombie children, forget the
// registered processes that are gone, kill those whose worker has ended.
// Returns how many registered processes and children of ours are there.
static int scan(void) {
  drain();
  int n = procinfo(g_pi, MAXPI), left = 0, zombies = 0;
  for (int i = 0; i < n; i++) {
    left += g_pi[i].ppid == g_root && (i == 0 || g_pi[i].pid != g_pi[i - 1].pid);
    zombies += g_pi[i].ppid == g_root && g_pi[i].tid == 0 && g_pi[i].state == PI_ZOMBIE;
  }
  for (int f = 0; f < g_nfam;) {
    int present = 0, alive = 0;
    for (int i = 0; i < n; i++)
      if (g_pi[i].pid == g_fam[f].pid) present = 1, alive |= g_pi[i].state != PI_ZOMBIE;
    if (!present) {  // it was made before it registered, so it was in the table
      g_fam[f] = g_fam[--g_nfam];
      continue;
    }
    if (alive && dead(g_fam[f].w)) kill(g_fam[f].pid);
    left += alive, f++;
  }
  for (; zombies > 0; zombies--)
    for (int j = 0, pid = wait(0); j < MAXPROCS; j++)
      if (pid > 0 && g_work[j].pid == pid) set_dead(g_work[j].w), g_work[j].pid = 0;
  return n < 0 ? -1 : left;
}

// Empties the cwd: each entry is unlinked, a directory emptied first with
// chdir (the tree may be deeper than MAXPATH). Returns what could not go.
static int rm_here(void) {
  struct dirent de;
  struct stat st;
  char name[DIRSIZ + 1];
  for (int skip = 0, failed = 0;;) {
    int fd = open(".", O_RDONLY), seen = 0, found = 0;
    while (!found && fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de)) {
      memmove(name, de.name, DIRSIZ), name[DIRSIZ] = 0;
      found = de.inum && strcmp(name, ".") && strcmp(name, "..") && seen++ >= skip;
    }
    close(fd);
    if (!found) return failed;
    if (unlink(name) == 0) continue;  // a file, a device, an empty directory
    if (stat(name, &st) == 0 && st.type == T_DIR && chdir(name) == 0) {
      failed += rm_here();
      chdir("..");
      if (unlink(name) == 0) continue;
    }
    failed++, skip++;
  }
}

// The kernel still answers: getpid, a pipe, fork and wait, a file. Then
// everything the run took must come back (freeing may finish a little
// after wait returns: allow 5 s).
static void check_kernel(struct kstat *before) {
  static const char *what[] = {"free pages", "free threads", "free procs", "open files",
                               "cached inodes", "free disk inodes", "free disk blocks"};
  char a[100], b[100], path[32];
  int fds[2] = {-1, -1}, st = 0, fd;
  for (int i = 0; i < 100; i++) a[i] = 'a' + i % 26, b[i] = 0;
  if (getpid() != g_root) why("getpid is wrong");
  if (pipe(fds) < 0 || write(fds[1], a, 100) != 100 || read(fds[0], b, 100) != 100 || memcmp(a, b, 100))
    why("pipe round trip failed");
  close(fds[0]), close(fds[1]);
  int pid = fork();
  if (pid == 0) exit(42);
  if (pid < 0 || wait(&st) != pid || st != 42) why("fork+wait failed");
  strcat(strcpy(path, g_top), "/chk");
  if ((fd = open(path, O_CREATE | O_RDWR)) < 0 || write(fd, a, 100) != 100) why("file write failed");
  close(fd), memset(b, 0, 100);
  if ((fd = open(path, O_RDONLY)) < 0 || read(fd, b, 100) != 100 || memcmp(a, b, 100)) why("file read failed");
  close(fd);
  if (unlink(path) < 0) why("unlink failed");
  struct kstat now;
  for (int i = 0; i < 5 * g_hz; i++, sleep(1))
    if (kstat(&now) == 0 && !memcmp(&now, before, sizeof(now))) return;
  for (int i = 0; i < 7; i++) {
    int x = ((int *)before)[i], y = ((int *)&now)[i];
    if (x != y) why("%s %d -> %d", what[i], x, y);
  }
}

// A checksum of the names in "/": the run must leave nothing there.
static unsigned root_names(void) {
  struct dirent de;
  unsigned h = 0;
  int fd = open("/", O_RDONLY);
  while (fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de))
    for (int i = 0; de.inum && i < DIRSIZ && de.name[i]; i++) h = h * 31 + de.name[i] + i;
  close(fd);
  return h;
}

static int digits(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return *s && strlen(s) < 10;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "-x") == 0) return 0;  // exec'd by a worker
  int ok = argc >= 3 && argc <= 5;
  for (int i = 1; ok && i < argc; i++) ok = digits(argv[i]);
  if (!ok) {
    fprintf(2, "usage: fuzz SECONDS SEED [PROCS [THREADS]]\n");
    return 2;
  }
  int secs = atoi(argv[1]), nprocs = argc > 3 ? atoi(argv[3]) : 4;
  int nthreads = argc > 4 ? atoi(argv[4]) : 4, fds[2];
  if (nprocs < 1 || nprocs > MAXPROCS) nprocs = 4;
  g_seed = atoi(argv[2]), g_root = getpid();
  char args[128], t[16];
  if (bootargs(args, sizeof(args)) > 0)
    for (char *s = args; *s; s++)
      if ((s == args || s[-1] == ' ') && !strncmp(s, "tick=", 5) && atoi(s + 5) > 0) g_hz = atoi(s + 5);
  for (int i = 0; i < NOPS; i++) g_total += palette[i].weight;
  // Addresses from the layout exec made: a guard page and the stack right
  // above the program, and the break at the top of the stack.
  extern char end[];
  g_edge = g_guard = (long)sbrk(0) - (USTACK_PAGES + 1) * PGSIZE;
  if (g_guard - (long)end >= 16) memset((char *)(g_edge = g_guard - 16), 'a', 16);
  g_text = (long)main;
  for (int i = 0; i < (int)sizeof(g_pattern); i++) g_pattern[i] = 'a' + i % 26;
  memset(g_long, 'a', sizeof(g_long) - 1);

  strcat(strcpy(g_top, "/fz"), dec(g_root, t));
  struct kstat before;
  unsigned names = root_names();
  if (mkdir(g_top) < 0 || kstat(&before) < 0 || mkdir(strcat(strcpy(args, g_top), "/s")) < 0 ||
      pipe(fds) < 0 || (g_regr = fds[0], g_regw = fds[1],
                        tspawn(g_reader_stack + PGSIZE, reader, 0) < 0)) {
    printf("fuzz: cannot set up in %s\n", g_top);
    return 1;
  }
  printf("fuzz: %d s, seed %d, %d processes x %d threads, %d Hz, in %s\n", secs, (int)g_seed,
         nprocs, nthreads, g_hz, g_top);

  u64 rs = mix(g_seed);
  long t0 = uptime(), note = t0 + 10L * g_hz;
  for (long now; (now = uptime()) < t0 + (long)secs * g_hz; sleep(g_hz / 20 + 1)) {
    for (int j = 0, pid; j < nprocs; j++) {
      if (g_work[j].pid && now >= g_work[j].end)
        kill(g_work[j].pid), set_dead(g_work[j].w), g_work[j].pid = 0;
      if (g_work[j].pid || (pid = fork()) < 0) continue;  // the tables may be full: later
      if (pid == 0) worker(j, g_ngen, nthreads);
      g_work[j].pid = pid, g_work[j].w = g_ngen++;
      g_work[j].end = now + (long)(1 + rnd(&rs) % 6) * g_hz;
    }
    scan();
    if (now >= note) {
      printf("fuzz: %d s, %d calls, %d processes, %d threads, %d wrong, %d free pages\n",
             (int)((now - t0) / g_hz), (int)g_calls, (int)g_procs, (int)g_threads, (int)g_bad,
             freepages());
      note += 10L * g_hz;
    }
  }

  // The end: kill and reap everything the run made; orphans are reaped by
  // init, and nothing made after the root may be left (pids only grow).
  g_all_dead = 1;
  for (int j = 0; j < nprocs; j++)
    if (g_work[j].pid) kill(g_work[j].pid);
  int left = 1, others = 1;
  for (long limit = uptime() + 30L * g_hz; uptime() < limit && (left || others); sleep(2)) {
    left = scan(), others = 0;
    for (int i = 0, n = procinfo(g_pi, MAXPI); i < n; i++) others += g_pi[i].pid > g_root;
  }
  if (left || others) {
    why(left ? "processes survived kill" : "unregistered processes survived");
    for (int i = 0, n = procinfo(g_pi, MAXPI); i < n; i++)
      if (g_pi[i].pid > g_root || g_pi[i].ppid == g_root)
        printf("fuzz: still there: pid %d ppid %d tid %d state %d %s\n", g_pi[i].pid,
               g_pi[i].ppid, g_pi[i].tid, g_pi[i].state, g_pi[i].name);
  } else {
    close(g_regw);  // the reader sees the end of the registry once all writers are gone
    for (int i = 0; i < 10 * g_hz && !__atomic_load_n(&g_reader_done, __ATOMIC_ACQUIRE); i++) sleep(1);
    drain();
    if (!g_reader_done) why("the registry pipe still has a writer");
    close(g_regr);
    int pid = fork(), st = -1;
    if (pid == 0) exit(chdir(g_top) < 0 ? 1 : rm_here());  // a child: the root keeps its cwd
    if (pid < 0 || wait(&st) != pid || st != 0) why("%d files could not be removed", st);
    check_kernel(&before);
    if (unlink(g_top) < 0) why("cannot remove %s", g_top);
    if (root_names() != names) why("the names in / changed");
  }
  if (g_bad) why("%d wrong results", (int)g_bad);
  printf("fuzz: calls per operation (%% ok):");
  for (int i = 0, k = 0; i < NOPS; i++)
    if (!(palette[i].flags & F_USER) && palette[i].weight)
      printf("%s %s %d (%d)", k++ % 8 ? "," : "\nfuzz:  ", palette[i].name, (int)g_opn[i],
             g_opn[i] ? (int)(100 * g_opok[i] / g_opn[i]) : 0);
  printf("\nfuzz: %d calls, %d processes, %d threads, seed %d: %s%s\n", (int)g_calls, (int)g_procs,
         (int)g_threads, (int)g_seed, *g_why ? "FAIL: " : "PASS", g_why);
  return *g_why ? 1 : 0;
}
