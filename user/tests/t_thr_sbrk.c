// t_thr_sbrk: sbrk in a multi-threaded process.
//
// - Growth by the main thread is seen at once by 30 threads that spin in
//   user mode waiting for it: each checks the contents the main thread
//   wrote into the new pages and writes its own mark there; the main thread
//   sees all the marks.
// - 30 threads grow the heap at the same time, a page each: they get 30
//   distinct pages, the break moves by exactly 30 pages, and after a
//   barrier every thread sees every other thread's page and contents.
// - 20 threads grow and shrink the heap concurrently (each shrinks only what
//   it grew, so the break never goes below where it started), while 6
//   threads keep reading, writing and checking memory below that point and
//   passing it to system calls, and 2 more make system calls on addresses
//   in the moving part (which must return a result or -1, never crash the
//   kernel). Nothing faults, the data below stays intact, the break ends
//   where it started and the free pages come back.
// - Shrinking is seen at once (TLB shootdown): a thread spinning on a page
//   in user mode (on another hart, when there is one) faults right after
//   another thread's sbrk(-n) returns: it gets at most one more access in,
//   and is gone.
// timeout: 120
#include "t_thr_util.h"

#define NSEE 30
static char *stacks;  // NSEE pages

// ---- 1. growth seen by 30 spinning threads.
static char *volatile region;
static int ready1, seen_ok, done1[NSEE];
static void see_growth(void *a) {
  long i = (long)a;
  thr_bump(&ready1);
  unsigned long n = 0;
  while (region == 0)
    if (++n % 4096 == 0)
      yield(-1);
  char *p = region;
  if (test_check(p, 4 * PGSIZE, 11, 0) < 0)
    ADD(&seen_ok, 1);
  ((volatile int *)(p + 4 * PGSIZE))[i] = 1000 + (int)i;  // page 5: marks
  texit(&done1[i], 1);
}

static void test_growth_seen(void) {
  int ok = 1;
  for (long i = 0; i < NSEE; i++)
    ok &= thr_spawn(stacks + i * PGSIZE, see_growth, (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn %d threads", NSEE);
  thr_wait_atleast(&ready1, NSEE);
  char *p = thr_pages(5);
  ASSERT_TRUE(p != 0, "the main thread grows the heap by 5 pages");
  test_fill(p, 4 * PGSIZE, 11, 0);
  region = p;
  for (int i = 0; i < NSEE; i++)
    thr_wait_change(&done1[i], 0);
  EXPECT_EQ(LOAD(&seen_ok), NSEE,
            "all %d threads see the new pages and their contents", NSEE);
  int marks = 0;
  for (int i = 0; i < NSEE; i++)
    marks += ((int *)(p + 4 * PGSIZE))[i] == 1000 + i;
  EXPECT_EQ(marks, NSEE, "the main thread sees the %d marks they wrote", NSEE);
}

// ---- 2. 30 threads grow at once.
static char *got2[NSEE];
static int bad2[NSEE], done2[NSEE];
static struct thr_barrier bar2 = {NSEE, 0, 0};
static void grow_one(void *a) {
  long i = (long)a;
  thr_barrier_wait(&bar2);
  char *p = sbrk(PGSIZE);
  got2[i] = p;
  if (p != (char *)-1)
    for (int k = 0; k < PGSIZE / 4; k++)
      ((int *)p)[k] = (int)(i * 100000 + k);
  thr_barrier_wait(&bar2);
  for (int j = 0; j < NSEE; j++) {
    int *q = (int *)got2[j];
    if (q == (int *)-1 || q[0] != j * 100000 || q[PGSIZE / 4 - 1] != j * 100000 + PGSIZE / 4 - 1)
      bad2[i]++;
  }
  texit(&done2[i], 1);
}

static void test_concurrent_growth(void) {
  char *start = thr_pages(0);
  ASSERT_TRUE(start != 0 && (unsigned long)start % PGSIZE == 0,
              "page-aligned break");
  int ok = 1;
  for (long i = 0; i < NSEE; i++)
    ok &= thr_spawn(stacks + i * PGSIZE, grow_one, (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn %d threads", NSEE);
  int bad = 0;
  for (int i = 0; i < NSEE; i++) {
    thr_wait_change(&done2[i], 0);
    bad += bad2[i];
  }
  EXPECT_EQ(sbrk(0), start + NSEE * PGSIZE,
            "%d concurrent sbrk(PGSIZE): the break moved by exactly %d pages",
            NSEE, NSEE);
  int distinct = 1;
  for (int i = 0; i < NSEE; i++) {
    if (got2[i] < start || got2[i] >= start + NSEE * PGSIZE ||
        (got2[i] - start) % PGSIZE)
      distinct = 0;
    for (int j = 0; j < i; j++)
      if (got2[i] == got2[j])
        distinct = 0;
  }
  EXPECT_TRUE(distinct, "each thread got its own page");
  EXPECT_EQ(bad, 0, "every thread sees every page with its owner's data");
}

// ---- 3. grow/shrink by 20 while others touch memory below.
#define NGS 20
#define NTOUCH 6
#define NPROBE 2
#define GS_ITERS 150
#define GS_MS 3000
static char *base3;   // 16 pages below the start break
static char *brk3;    // the break when the storm starts
static int stop3;
static int gs_fail, touch_bad, probe_bad, probe_calls;
static int done3[NGS + NTOUCH + NPROBE];
static int gs_running;

static unsigned long t3;  // rdtime at the start of the storm
static int gs_pairs;
static void grow_shrink(void *a) {
  long i = (long)a;
  unsigned seed = 1234 + (unsigned)i;
  // GS_ITERS pairs, or as many as fit in GS_MS (an overloaded host makes
  // every TLB shootdown slow: it waits for the other harts).
  for (int k = 0; k < GS_ITERS && thr_ms_since(t3) < GS_MS; k++) {
    int n = (int)(test_rand(&seed) % 3 + 1) * PGSIZE + (int)(test_rand(&seed) % 64);
    if (sbrk(n) == (char *)-1) {
      ADD(&gs_fail, 1);
      continue;
    }
    if (k % 8 == 0)
      yield(-1);
    if (sbrk(-n) == (char *)-1)
      ADD(&gs_fail, 1);
    ADD(&gs_pairs, 1);
  }
  if (ADD(&gs_running, -1) == 0)
    STORE(&stop3, 1);
  texit(&done3[i], 1);
}

static void toucher(void *a) {
  long t = (long)a;  // 0..NTOUCH-1
  // Each owns 2 of the 16 pages (the rest are checked read-only) and keeps
  // rewriting them with a moving pattern; it also reads into them with
  // system calls.
  char *mine = base3 + t * 2 * PGSIZE;
  unsigned round = 0;
  char args[64];
  int alen = bootargs(args, sizeof(args));
  while (!LOAD(&stop3)) {
    round++;
    test_fill(mine, 2 * PGSIZE, 100 + round, t);
    // The kernel writes into our memory while the break moves above it.
    if (bootargs(mine + 100, 64) != alen || memcmp(mine + 100, args, alen + 1))
      ADD(&touch_bad, 1);
    test_fill(mine + 100, alen + 1, 100 + round, t + 100);
    if (test_check(mine, 2 * PGSIZE, 100 + round, t) >= 0)
      ADD(&touch_bad, 1);
    if (test_check(base3 + 12 * PGSIZE, 4 * PGSIZE, 7, 0) >= 0)
      ADD(&touch_bad, 1);
  }
  texit(&done3[NGS + t], 1);
}

static void prober(void *a) {
  long t = (long)a;
  int p[2];
  if (pipe(p) < 0) {
    ADD(&probe_bad, 1);
    texit(&done3[NGS + NTOUCH + t], 1);
  }
  unsigned seed = 99 + (unsigned)t;
  while (!LOAD(&stop3)) {
    // An address in the part of the heap that comes and goes.
    char *addr = brk3 + test_rand(&seed) % (3 * PGSIZE);
    addr = (char *)((unsigned long)addr & ~7UL);
    int r1 = bootargs(addr, 64);
    int r2 = write(p[1], addr, 32);
    char buf[32];
    if (r2 > 0 && read(p[0], buf, r2) != r2)
      ADD(&probe_bad, 1);
    int r3 = futex_wait((int *)addr, 0x7eadbeef);
    if (r1 < -1 || r2 < -1 || r2 > 32 || (r3 != 0 && r3 != -1))
      ADD(&probe_bad, 1);
    ADD(&probe_calls, 1);
  }
  close(p[0]);
  close(p[1]);
  texit(&done3[NGS + NTOUCH + t], 1);
}

static void test_grow_shrink_storm(void) {
  base3 = thr_pages(16);
  ASSERT_TRUE(base3 != 0, "16 pages to touch");
  test_fill(base3 + 12 * PGSIZE, 4 * PGSIZE, 7, 0);
  brk3 = sbrk(0);
  // Grow and shrink once first, so that page-table pages for the moving
  // part exist before the free-page count is taken.
  sbrk(4 * PGSIZE);
  sbrk(-4 * PGSIZE);
  int before = freepages();
  gs_running = NGS;
  t3 = rdtime();
  int ok = 1;
  for (long i = 0; i < NTOUCH; i++)
    ok &= thr_spawn(stacks + (NGS + i) * PGSIZE, toucher, (void *)i) > 0;
  for (long i = 0; i < NPROBE; i++)
    ok &= thr_spawn(stacks + (NGS + NTOUCH + i) * PGSIZE, prober, (void *)i) > 0;
  for (long i = 0; i < NGS; i++)
    ok &= thr_spawn(stacks + i * PGSIZE, grow_shrink, (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn %d threads", NGS + NTOUCH + NPROBE);
  for (int i = 0; i < NGS + NTOUCH + NPROBE; i++)
    thr_wait_change(&done3[i], 0);
  test_note("storm: %d threads did %d grow/shrink pairs, %d probe rounds, "
            "%lu ms", NGS, LOAD(&gs_pairs), LOAD(&probe_calls),
            thr_ms_since(t3));
  EXPECT_GE(LOAD(&gs_pairs), NGS, "at least %d grow/shrink pairs", NGS);
  EXPECT_EQ(gs_fail, 0, "no sbrk failed");
  EXPECT_EQ(sbrk(0), brk3, "the break is back where it started");
  EXPECT_EQ(touch_bad, 0, "memory below the break stayed intact and usable "
                          "by system calls");
  EXPECT_EQ(probe_bad, 0, "system calls on the moving part returned sane "
                          "results");
  EXPECT_TRUE(thr_await_count(getpid(), 1, 10),
              "no thread faulted: all ended normally");
  EXPECT_GE(test_settled_freepages(before, 5), before,
            "the free pages came back");
}

// ---- 4. shrinking is seen at once.
static volatile int *victim_page;
static int victim_count, victim_started;
static void victim(void *a) {
  (void)a;
  volatile int *p = victim_page;
  STORE(&victim_started, 1);
  for (;;) {
    *p = *p + 1;
    __atomic_add_fetch(&victim_count, 1, __ATOMIC_SEQ_CST);
  }
}

static void test_shrink_seen(void) {
  int parallel = 0, late = 0, gone = 0;
  for (int round = 0; round < 5; round++) {
    char *p = thr_pages(1);
    ASSERT_TRUE(p != 0, "a page");
    victim_page = (volatile int *)p;
    STORE(&victim_count, 0);
    STORE(&victim_started, 0);
    int t = thr_spawn(stacks, victim, 0);
    ASSERT_GT(t, 0, "spawn a thread that spins on the top page");
    while (LOAD(&victim_count) < 1000)
      yield(-1);
    parallel += thr_state(t) == PI_RUNNING;
    sbrk(-PGSIZE);
    int c1 = LOAD(&victim_count);
    gone += thr_await_state(t, 0, 10);
    int c2 = LOAD(&victim_count);
    if (c2 > c1 + 1)
      late++;
  }
  EXPECT_EQ(gone, 5, "5 times: the thread touching the removed page ended");
  EXPECT_EQ(late, 0, "it never got more than one access in after sbrk(-n) "
                     "returned");
  test_note("the spinner was running on another hart in %d of 5 rounds",
            parallel);
}

int main(void) {
  stacks = thr_pages(NSEE);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_growth_seen();
  test_concurrent_growth();
  test_grow_shrink_storm();
  test_shrink_seen();
  test_done();
}
