// t_thr_args: tspawn_args() starts a thread with up to eight arguments in
// a0..a7.
//
// - 0, 1, 3 and 8 arguments arrive intact and in order in C functions
//   declared with that many long or pointer parameters. The values are
//   distinct: pointers (which the thread follows), negative numbers, and
//   values that need all 64 bits.
// - Parameters past nargs read zero, and the thread starts like a tspawn
//   thread: ra is 0xffffffff, sp is stktop rounded down to 16.
// - The array is copied when the thread is made: rewriting it as soon as
//   tspawn_args returns does not change what the thread receives.
// - nargs outside 0..8 gives -1 with EINVAL (the array is then not read);
//   an array that cannot be read whole gives -1 with EFAULT (NULL, page 0,
//   a kernel address, the top of the address space, one that runs past the
//   break); a bad stktop or f gives EINVAL. None of them makes a thread or
//   keeps a page. With nargs 0 the array is not read at all.
// - Many at once: 4 threads, themselves started with 8 arguments, each
//   start 8 more with 8 arguments of their own, concurrently; all of them
//   are alive together before any checks what it got, and then they run
//   side by side (on several harts when there are several; a note says
//   which harts were seen running them).
//
// Under injected allocation failures (failalloc) a spawn may fail with
// EAGAIN: single spawns are retried, and the concurrent part counts only
// the threads that started. Every wait is bounded, so a thread that never
// comes is a failed check, not a hang.
// timeout: 60
#include "t_thr_util.h"

// What a thread saw. `done` is set by texit once the thread is off its
// stack.
struct got {
  int done;
  long a[8];
  long deref;          // what the thread read through a pointer argument
  unsigned long ra;    // __builtin_return_address(0)
  unsigned long fp;    // __builtin_frame_address(0): sp at entry
};

static char *stacks;  // one page per thread, reused once its texit is seen

// thr_pages, tried again after an injected allocation failure (one failed
// page fails the whole sbrk).
static char *pages(int n) {
  char *p = 0;
  for (int k = 0; !p && k < 50; k++)
    p = thr_pages(n);
  return p;
}

// Bounded wait (in seconds) until *w != 0. Returns *w (0 if it never came).
static int wait_done(int *w, int seconds) {
  unsigned long deadline = rdtime() + (unsigned long)seconds * THR_TIMEBASE;
  int v;
  while ((v = LOAD(w)) == 0 && rdtime() < deadline)
    futex_wait_until(w, 0, deadline);
  return v;
}

// tspawn_args with the stack top `top`, retried while the only trouble is
// an injected allocation failure (EAGAIN).
static int spawn(char *top, void (*f)(), int nargs, const long *args) {
  int tid = -1;
  for (int k = 0; k < 50; k++) {
    tid = tspawn_args(top, f, nargs, args);
    if (tid > 0 || errno != EAGAIN)
      break;
  }
  return tid;
}

// ---------------------------------------------------------------------------
// 0, 1, 3 and 8 arguments.

static long g_marker = 0x5eedbeef;  // pointed at by pointer arguments
static struct got g0, g1, g3, g8, gpad;

static __attribute__((noinline)) void f0(void) {
  g0.ra = (unsigned long)__builtin_return_address(0);
  g0.fp = (unsigned long)__builtin_frame_address(0);
  texit(&g0.done, 1);
}

static __attribute__((noinline)) void f1(long a) {
  g1.a[0] = a;
  g1.ra = (unsigned long)__builtin_return_address(0);
  texit(&g1.done, 1);
}

static __attribute__((noinline)) void f3(long a, long *b, long c) {
  g3.a[0] = a;
  g3.a[1] = (long)b;
  g3.a[2] = c;
  g3.deref = *b;
  g3.ra = (unsigned long)__builtin_return_address(0);
  texit(&g3.done, 1);
}

static void record8(struct got *g, long a, long b, long c, long d, long e,
                    long f, long h, long i) {
  g->a[0] = a, g->a[1] = b, g->a[2] = c, g->a[3] = d;
  g->a[4] = e, g->a[5] = f, g->a[6] = h, g->a[7] = i;
}

static __attribute__((noinline)) void f8(long a, long *b, long c, long d,
                                         const char *e, long f, long h,
                                         long i) {
  record8(&g8, a, (long)b, c, d, (long)e, f, h, i);
  g8.deref = *b + e[0];
  g8.ra = (unsigned long)__builtin_return_address(0);
  g8.fp = (unsigned long)__builtin_frame_address(0);
  texit(&g8.done, 1);
}

// Declares eight parameters and is given fewer.
static __attribute__((noinline)) void f8pad(long a, long b, long c, long d,
                                            long e, long f, long h, long i) {
  record8(&gpad, a, b, c, d, e, f, h, i);
  texit(&gpad.done, 1);
}

static void test_counts(void) {
  int tid = spawn(stacks + PGSIZE, f0, 0, 0);
  ASSERT_GT(tid, 0, "tspawn_args with 0 arguments (args NULL)");
  EXPECT_EQ(wait_done(&g0.done, 10), 1, "the 0-argument thread ran");
  EXPECT_EQ(g0.ra, FAKE_RA, "it starts with ra == 0xffffffff");
  EXPECT_EQ(g0.fp, (unsigned long)(stacks + PGSIZE),
            "and sp == the stack top given");

  long one[] = {-42};
  tid = spawn(stacks + PGSIZE, f1, 1, one);
  ASSERT_GT(tid, 0, "tspawn_args with 1 argument");
  EXPECT_EQ(wait_done(&g1.done, 10), 1, "the 1-argument thread ran");
  EXPECT_EQ(g1.a[0], -42, "a0 is the negative number given");
  EXPECT_EQ(g1.ra, FAKE_RA, "ra == 0xffffffff");

  long three[] = {0x1122334455667788L, (long)&g_marker, -0x7000000000000001L};
  tid = spawn(stacks + PGSIZE, f3, 3, three);
  ASSERT_GT(tid, 0, "tspawn_args with 3 arguments");
  EXPECT_EQ(wait_done(&g3.done, 10), 1, "the 3-argument thread ran");
  EXPECT_EQ(g3.a[0], three[0], "a0: all 64 bits");
  EXPECT_EQ(g3.a[1], three[1], "a1: the pointer");
  EXPECT_EQ(g3.a[2], three[2], "a2: a large negative number");
  EXPECT_EQ(g3.deref, 0x5eedbeef, "the thread reads through the pointer");

  volatile int on_stack = 7;
  const char *text = "weft";
  long eight[] = {-1,
                  (long)&g_marker,
                  0x7fffffffffffffffL,
                  -0x7fffffffffffffffL - 1,
                  (long)text,
                  -123456789012L,
                  0x0123456789abcdefL,
                  (long)&on_stack};
  // An odd stack top: rounded down to 16 as for tspawn.
  char *odd_top = stacks + PGSIZE - 7;
  tid = spawn(odd_top, f8, 8, eight);
  ASSERT_GT(tid, 0, "tspawn_args with 8 arguments");
  EXPECT_EQ(wait_done(&g8.done, 10), 1, "the 8-argument thread ran");
  int same = 1;
  for (int i = 0; i < 8; i++) {
    if (g8.a[i] != eight[i]) {
      same = 0;
      test_note("a%d: got %lx, sent %lx", i, g8.a[i], eight[i]);
    }
  }
  EXPECT_TRUE(same, "a0..a7 arrive intact and in order (pointers, -1, "
                    "LONG_MAX, LONG_MIN, 64-bit patterns)");
  EXPECT_EQ(g8.deref, 0x5eedbeef + 'w',
            "the thread reads through a global and a string pointer");
  EXPECT_EQ(g8.ra, FAKE_RA, "ra == 0xffffffff");
  EXPECT_EQ(g8.fp, ((unsigned long)odd_top) & ~15UL,
            "sp is the stack top rounded down to 16");

  // Parameters past nargs: the kernel zeroes a(nargs)..a7.
  long few[] = {11, -22, 33};
  tid = spawn(stacks + PGSIZE, f8pad, 3, few);
  ASSERT_GT(tid, 0, "an 8-parameter function given 3 arguments");
  EXPECT_EQ(wait_done(&gpad.done, 10), 1, "it ran");
  EXPECT_TRUE(gpad.a[0] == 11 && gpad.a[1] == -22 && gpad.a[2] == 33,
              "its first 3 parameters are the arguments");
  EXPECT_TRUE(!gpad.a[3] && !gpad.a[4] && !gpad.a[5] && !gpad.a[6] &&
                  !gpad.a[7],
              "a3..a7 are zero");
}

// ---------------------------------------------------------------------------
// The array is copied when the thread is made.

static struct got gcopy;
static int gcopy_go;

static void copy_probe(long a, long b, long c, long d) {
  // Wait until main has rewritten the array: what we got was copied before.
  thr_wait_change(&gcopy_go, 0);
  gcopy.a[0] = a, gcopy.a[1] = b, gcopy.a[2] = c, gcopy.a[3] = d;
  texit(&gcopy.done, 1);
}

static void test_copied(void) {
  long args[] = {101, -102, 103, -104};
  int tid = spawn(stacks + PGSIZE, copy_probe, 4, args);
  ASSERT_GT(tid, 0, "spawn a thread with 4 arguments");
  for (int i = 0; i < 4; i++)
    args[i] = -1;
  STORE(&gcopy_go, 1);
  futex_wake(&gcopy_go, 1);
  EXPECT_EQ(wait_done(&gcopy.done, 10), 1, "it ran");
  EXPECT_TRUE(gcopy.a[0] == 101 && gcopy.a[1] == -102 && gcopy.a[2] == 103 &&
                  gcopy.a[3] == -104,
              "it got the values of the call, not the array rewritten "
              "after it");
}

// ---------------------------------------------------------------------------
// Refused calls.

static int bad_ran;
static void should_not_run(long a) {
  (void)a;
  STORE(&bad_ran, 1);
  texit(0, 0);
}

static int zero_done;
static void zero_args(void) { texit(&zero_done, 1); }

static struct got gedge;
static void edge_probe(long a, long b, long c, long d, long e, long f,
                       long h, long i) {
  record8(&gedge, a, b, c, d, e, f, h, i);
  texit(&gedge.done, 1);
}

// One refused call: -1 with errno `want`.
#define REFUSED(call, want, ...)                                               \
  do {                                                                         \
    errno = 0;                                                                 \
    int r_ = (call);                                                           \
    int e_ = errno;                                                            \
    EXPECT_TRUE(r_ == -1 && e_ == (want), __VA_ARGS__);                        \
    if (r_ != -1 || e_ != (want))                                              \
      test_note("returned %d, errno %d, want -1 and %d", r_, e_, (want));      \
  } while (0)

static void test_refused(void) {
  int me = getpid();
  EXPECT_TRUE(thr_await_count(me, 1, 10), "one thread before");
  // A page whose end is the break: an array may end there, not past it.
  char *page = pages(1);
  ASSERT_TRUE(page != 0, "sbrk a page");
  char *brk = page + PGSIZE;
  ASSERT_EQ(sbrk(0), brk, "its end is the break");
  int before = thr_count(me);
  int pages = freepages();
  char *top = stacks + PGSIZE;
  long nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

  REFUSED(tspawn_args(top, should_not_run, 9, nine), EINVAL,
          "9 arguments: EINVAL");
  REFUSED(tspawn_args(top, should_not_run, -1, nine), EINVAL,
          "nargs -1: EINVAL");
  REFUSED(tspawn_args(top, should_not_run, 0x7fffffff, nine), EINVAL,
          "nargs 0x7fffffff: EINVAL");
  REFUSED(tspawn_args(top, should_not_run, -0x7fffffff - 1, nine), EINVAL,
          "nargs INT_MIN: EINVAL");
  REFUSED(tspawn_args(top, should_not_run, 9, 0), EINVAL,
          "9 arguments and a NULL array: EINVAL (nargs is checked first)");

  REFUSED(tspawn_args(top, should_not_run, 1, 0), EFAULT,
          "1 argument from NULL: EFAULT");
  REFUSED(tspawn_args(top, should_not_run, 8, (const long *)0x800), EFAULT,
          "8 arguments from page 0: EFAULT");
  REFUSED(tspawn_args(top, should_not_run, 8, (const long *)0x80000000UL),
          EFAULT, "8 arguments from a kernel address: EFAULT");
  REFUSED(tspawn_args(top, should_not_run, 8, (const long *)-16L), EFAULT,
          "8 arguments from the top of the address space (wraps): EFAULT");
  REFUSED(tspawn_args(top, should_not_run, 8, (const long *)(brk - 24)),
          EFAULT, "8 arguments, 3 below the break and 5 past it: EFAULT");
  REFUSED(tspawn_args(top, should_not_run, 1, (const long *)brk), EFAULT,
          "1 argument at the break: EFAULT");

  REFUSED(tspawn_args(0, should_not_run, 1, nine), EINVAL,
          "stktop NULL: EINVAL");
  REFUSED(tspawn_args(brk + PGSIZE, should_not_run, 1, nine), EINVAL,
          "stktop past the break: EINVAL");
  REFUSED(tspawn_args(top, 0, 1, nine), EINVAL, "f NULL: EINVAL");
  REFUSED(tspawn_args(top, (void (*)())0x80200000UL, 1, nine), EINVAL,
          "f at a kernel address: EINVAL");

  sleep(test_hz() / 10);  // time for a thread made by mistake to run
  EXPECT_EQ(LOAD(&bad_ran), 0, "none of the refused threads ran");
  EXPECT_EQ(thr_count(me), before, "and none exists");
  EXPECT_EQ(test_settled_freepages(pages, 5), pages,
            "no page is kept by the refused calls");

  // The last 8 words below the break are a good array; with nargs 0 the
  // array is not read, so any pointer does.
  long *edge = (long *)(brk - 8 * sizeof(long));
  for (int i = 0; i < 8; i++)
    edge[i] = -100 - i;
  int tid = spawn(top, edge_probe, 8, edge);
  EXPECT_GT(tid, 0, "8 arguments ending exactly at the break: accepted");
  if (tid > 0 && EXPECT_EQ(wait_done(&gedge.done, 10), 1, "that thread ran")) {
    int same = 1;
    for (int i = 0; i < 8; i++)
      same &= gedge.a[i] == -100 - i;
    EXPECT_TRUE(same, "and got the 8 words below the break");
  }
  EXPECT_TRUE(thr_await_count(me, 1, 10), "it has ended");
  tid = spawn(top, zero_args, 0, (const long *)0x80000000UL);
  EXPECT_GT(tid, 0, "0 arguments from a kernel address: accepted (not read)");
  if (tid > 0)
    EXPECT_EQ(wait_done(&zero_done, 10), 1, "that thread ran");
}

// ---------------------------------------------------------------------------
// Many threads at once.

#define NSPAWNERS 4
#define PER 8
#define NWORKERS (NSPAWNERS * PER)

static struct got workers[NWORKERS];
static int worker_tid[NWORKERS];
static struct got spawners[NSPAWNERS];
static int started;   // workers that have begun
static int go;        // set once every worker that was made has begun
static int checked;   // workers that have recorded their arguments
static int stop;      // spinning workers stop

// The value of argument k of worker w: distinct across all workers and
// positions, half of them negative, using the upper bits.
static long wval(int w, int k) {
  long v = ((long)(w + 1) << 40) | ((long)(k + 1) << 20) | (w * 8 + k);
  return (k & 1) ? -v : v;
}

static void worker(long a, long b, long c, long d, long e, long f, long h,
                   long i) {
  // a0 is the worker's own record; its index tells the others' values.
  struct got *g = (struct got *)a;
  thr_bump(&started);
  thr_wait_change(&go, 0);
  record8(g, a, b, c, d, e, f, h, i);
  thr_bump(&checked);
  // Spin in user mode so that the workers run side by side.
  while (!LOAD(&stop))
    ;
  texit(&g->done, 1);
}

// Started with 8 arguments too: its index, the stack area, and six check
// values.
static void spawner(long s, char *area, long c, long d, long e, long f,
                    long h, long i) {
  record8(&spawners[s], s, (long)area, c, d, e, f, h, i);
  for (int j = 0; j < PER; j++) {
    int w = (int)s * PER + j;
    long args[8];
    args[0] = (long)&workers[w];
    for (int k = 1; k < 8; k++)
      args[k] = wval(w, k);
    // No retry here: under failalloc a worker may simply be missing.
    worker_tid[w] = tspawn_args(area + w * PGSIZE + PGSIZE, worker, 8, args);
  }
  texit(&spawners[s].done, 1);
}

static void test_many(char *area) {
  int me = getpid();
  EXPECT_TRUE(thr_await_count(me, 1, 10), "one thread before");
  int nsp = 0;
  for (int s = 0; s < NSPAWNERS; s++) {
    long args[8] = {s, (long)area, -s - 1000, s + 2000, -s - 3000,
                    s + 4000, -s - 5000, s + 6000};
    if (spawn(area + (NWORKERS + s + 1) * PGSIZE, spawner, 8, args) > 0)
      nsp++;
  }
  EXPECT_EQ(nsp, NSPAWNERS, "%d spawner threads started", NSPAWNERS);
  int spawners_ok = 1;
  for (int s = 0; s < NSPAWNERS; s++) {
    if (!wait_done(&spawners[s].done, 20))
      continue;  // never started (injected failure) or never ended
    struct got *g = &spawners[s];
    if (g->a[0] != s || g->a[1] != (long)area || g->a[2] != -s - 1000 ||
        g->a[3] != s + 2000 || g->a[4] != -s - 3000 || g->a[5] != s + 4000 ||
        g->a[6] != -s - 5000 || g->a[7] != s + 6000)
      spawners_ok = 0;
  }
  EXPECT_TRUE(spawners_ok, "each spawner got its 8 arguments");

  int made = 0, refused_ok = 1;
  for (int w = 0; w < NWORKERS; w++) {
    if (worker_tid[w] > 0)
      made++;
    else if (worker_tid[w] != -1)
      refused_ok = 0;  // 0 means the spawner never got to it
  }
  EXPECT_TRUE(refused_ok, "every spawn returned a tid or -1");
  test_note("%d of %d workers made", made, NWORKERS);
  EXPECT_GT(made, 0, "workers were made");

  // Every worker made is alive and waiting before any looks at its
  // arguments.
  unsigned long deadline = rdtime() + 20 * THR_TIMEBASE;
  int v;
  while ((v = LOAD(&started)) < made && rdtime() < deadline)
    futex_wait_until(&started, v, deadline);
  EXPECT_EQ(LOAD(&started), made, "every worker made has started");
  EXPECT_EQ(thr_count(me), 1 + made, "all %d are alive together", made);

  STORE(&go, 1);
  futex_wake(&go, NTHR);
  // While they spin, look for them running, and on which harts.
  unsigned hart_mask = 0;
  unsigned long t0 = rdtime();
  while (thr_ms_since(t0) < 1000 &&
         (LOAD(&checked) < made || thr_ms_since(t0) < 200)) {
    int k = procinfo(test_pi_, TEST_MAXPI);
    for (int i = 0; i < k; i++)
      if (test_pi_[i].pid == me && test_pi_[i].tid != me &&
          test_pi_[i].state == PI_RUNNING && test_pi_[i].hart >= 0 &&
          test_pi_[i].hart < 32)
        hart_mask |= 1u << test_pi_[i].hart;
  }
  int harts = __builtin_popcount(hart_mask);
  // The main thread was running whenever it looked, so a worker seen
  // RUNNING ran at the same time on another hart (never on one hart).
  test_note("workers seen running beside the main thread on %d hart(s) "
            "(mask 0x%x)", harts, hart_mask);
  STORE(&stop, 1);

  int arrived = 1, ended = 1;
  for (int w = 0; w < NWORKERS; w++) {
    if (worker_tid[w] <= 0)
      continue;
    if (!wait_done(&workers[w].done, 20)) {
      ended = 0;
      continue;
    }
    struct got *g = &workers[w];
    if (g->a[0] != (long)g)
      arrived = 0;
    for (int k = 1; k < 8; k++)
      if (g->a[k] != wval(w, k)) {
        arrived = 0;
        test_note("worker %d a%d: got %lx, sent %lx", w, k, g->a[k],
                  wval(w, k));
      }
  }
  EXPECT_TRUE(ended, "every worker ended");
  EXPECT_TRUE(arrived, "each of the %d workers got its own 8 arguments in "
                       "order", made);
  EXPECT_TRUE(thr_await_count(me, 1, 10), "only main is left");
}

int main(void) {
  // Workers, then spawners; the single-thread tests reuse the first page.
  stacks = pages(NWORKERS + NSPAWNERS);
  ASSERT_TRUE(stacks != 0, "sbrk stack pages");
  test_counts();
  test_copied();
  test_refused();
  test_many(stacks);
  test_done();
}
