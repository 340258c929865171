// fuzz: the palette, the one table of what is called, and the operations
// that need more than random arguments. A new operation goes here.
#include "fuzz.h"

// ---------------------------------------------------------------------------
// The palette: one row per operation, a system call with the kinds of its
// arguments, or a function where a call needs more care. To add an
// operation, add a row (and maybe a function); weights are relative
// frequencies. `flags` says what a call with a bad pointer must return.
#define OP(name) static long op_##name(struct ctx *c, const struct op *o)
OP(fork); OP(spawn); OP(swarm); OP(exec); OP(exit); OP(kill); OP(sbrk); OP(ids);
OP(unknown); OP(scribble); OP(touch);

static int g_brk_lock, g_park, g_kid[16], g_nkid;  // g_kid: pids this address space made

const struct op palette[] = {
    {"read", SYS_read, 120, {A_FD, A_OUT, A_LEN}, F_BADLE0, 0},
    {"write", SYS_write, 120, {A_FD, A_IN, A_LEN}, F_BAD1, 0},
    {"open", SYS_open, 120, {A_PATH, A_FLAGS}, F_BAD1, 0},
    {"close", SYS_close, 110, {A_FD}, 0, 0},
    {"dup", SYS_dup, 40, {A_FD}, 0, 0},
    {"pipe", SYS_pipe, 30, {A_OUT}, F_BAD1, 0},
    {"fstat", SYS_fstat, 40, {A_FD, A_OUT}, F_BAD1, 0},
    {"fsync", SYS_fsync, 15, {A_FD}, 0, 0},
    {"mknod", SYS_mknod, 15, {A_PATH, A_MAJOR, A_TICKS}, F_BAD1, 0},
    {"unlink", SYS_unlink, 80, {A_PATH}, F_BAD1, 0},
    {"link", SYS_link, 40, {A_PATH, A_PATH}, F_BAD1, 0},
    {"rename", SYS_rename, 40, {A_PATH, A_PATH}, F_BAD1, 0},
    {"mkdir", SYS_mkdir, 60, {A_PATH}, F_BAD1, 0},
    {"chdir", SYS_chdir, 20, {A_PATH}, F_BAD1, 0},
    {"fork", SYS_fork, 15, {0}, 0, op_fork},
    {"clone", SYS_clone, 15, {0}, 0, op_spawn},
    {"tspawn", SYS_tspawn, 40, {0}, 0, op_spawn},
    {"tspawn_args", SYS_tspawn_args, 20, {0}, 0, op_spawn},
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
    {"brigade", SYS_brigade, 5, {A_OUT, A_LEN, A_INT}, F_BAD1, 0},  // a trip through the harts
    {"unknown", -1, 25, {0}, 0, op_unknown},      // 0, 27-29, SYS_MAX, huge
    {"scribble", -1, 60, {0}, F_USER, op_scribble},  // rewrite the shared path
    {"touch", -1, 10, {0}, F_USER, op_touch},        // store into the arena
    {"halt", SYS_halt, 0, {0}, 0, 0},               // never: it powers off
};
#define NOPS (int)(sizeof(palette) / sizeof(palette[0]))
const int g_nops = NOPS;
int g_total;  // the sum of the weights
_Static_assert(NOPS <= NOPS_MAX, "raise NOPS_MAX");

static void wrong(const struct op *o, long r) {
  report(R_BAD, (u64)(o - palette) | (u64)(unsigned)r << 8);
}

// Memory that the kernel never writes must stay as it was: the pattern (only
// ever a source) and the page of zeros. (A freed page reads 0x5a.)
void check_memory(void) {
  int bad = -1;
  for (int i = sizeof(g_pattern) - 1; i >= 0; i--)
    if (g_pattern[i] != 'a' + i % 26) bad = i;
  for (int i = PGSIZE - 1; i >= 0; i--)
    if (((char *)g_zpage)[i]) bad = sizeof(g_pattern) + i;
  if (bad >= 0) report(R_BAD, BAD_MEMORY | (u64)bad << 8);
}

long generic(struct ctx *c, const struct op *o) {
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

// tspawn_args: the new thread's ctx in a0 (all thread_main reads) and junk
// in the other registers it is given. Now and then nargs is out of range
// or the array cannot be read whole: then the call must fail.
static long spawn_args(struct ctx *c, long stack, long fn, long arg, int *bad) {
  long a[8] = {arg}, n = 1 + R(c, 8), p = (long)a, k = R(c, 10);
  for (int i = 1; i < 8; i++) a[i] = (long)rnd(&c->rng);
  if (k == 0) {
    n = PICK(c, 9, -1, INTMIN, 0x7fffffff, 64), *bad = 1;
  } else if (k == 1) {
    p = PICK(c, 0, KADDR1, KADDR2, g_guard, g_edge, UTOP);
    if (p != g_edge || n * 8 > g_guard - g_edge) *bad = 1;  // g_edge: 'a's up to the guard
  }
  return sc(SYS_tspawn_args, stack, fn, n, p, 0, 0);
}

// tspawn, tspawn_args and clone. A good one gets a stack slot of its own; a
// bad one has a stack that is not one, or code that faults at once (a page
// of zeros nobody writes, a kernel address, NULL). tspawn checks the code
// address, clone only the stack.
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
  long r = clone                     ? SC3(o->num, fn, arg, stack)
           : o->num == SYS_tspawn_args ? spawn_args(c, stack, fn, arg, &bad)
                                       : SC3(o->num, stack, fn, arg);
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
