// fuzz: a worker process and its threads: the fuzzing loop, the stack
// slots, and the main thread that keeps the others going.
#include "fuzz.h"

// The state that fuzz.h declares and describes.
u64 g_seed;
int g_regr, g_regw, g_w;
long g_guard, g_edge, g_text;
char g_top[16];
struct slot g_slot[NSLOTS];
char g_stack[NSLOTS][STACK] __attribute__((aligned(PGSIZE)));
struct ctx g_main;
long g_zpage;
char *g_sink;
long g_sink_end;
volatile long g_brk;
int g_fw[NFW];
char g_pattern[8192];
char g_long[300];
char g_mut[160];
int g_mutlen;
char g_path[24][40];

// ---------------------------------------------------------------------------
// Threads.

// Takes a free stack slot (trying from a random one on); -1 if none is.
int claim_slot(struct ctx *c) {
  for (int i = 0, s = R(c, NSLOTS); i < NSLOTS; i++, s = (s + 1) % NSLOTS) {
    int free = 0;
    if (__atomic_compare_exchange_n(&g_slot[s].busy, &free, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return s;
  }
  return -1;
}

// A new fuzzing thread (or clone) on slot s, with a budget of calls.
struct ctx *new_ctx(struct ctx *c, int s, int kind, long budget) {
  struct ctx *n = &g_slot[s].c;
  memset(n, 0, sizeof(*n));
  n->rng = mix(rnd(&c->rng)), n->kind = kind, n->slot = s, n->budget = budget, n->pid = c->pid;
  return n;
}

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

void thread_main(void *arg) {
  struct ctx *c = arg;
  c->tid = SC1(SYS_gettid, 0);
  fuzz_loop(c);
  finish(c);
}

void clone_main(void *arg) {
  struct ctx *c = arg;
  c->pid = c->tid = SC1(SYS_getpid, 0);
  born(c->pid);
  fuzz_loop(c);
  finish(c);
}

// A worker: process number w of the run, with directory slot j. It closes
// the console (fds 0-2) and the registry's read end; the registry's write
// end is the one fd the palette never touches.
void __attribute__((noreturn)) worker(int j, int w, int nthreads) {
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
