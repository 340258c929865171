// t_thr_kstack: an ended thread's kernel stack is freed promptly.
//
// Thousands of threads are created and ended while the free page count is
// sampled. A thread's kernel stack is one page; at any moment the pages in
// use for threads may be at most: the live threads' stacks (threads spawned
// whose end has not yet been observed, counted conservatively: reserved
// before tspawn, released after the texit store is seen) plus one stale
// stack per hart (NCPU = 8 at most). So no sample may dip below
//   baseline - (live + NCPU)
// where the baseline is taken before any of these threads exists. At the
// end the count settles back to the baseline (no leak).
// - Phase 1: the main thread spawns batches of 16 short-lived threads,
//   sampling after every spawn (3000 threads).
// - Phase 2: 4 threads each spawn-and-await a thread 300 times at the same
//   time (1200 threads, exits on several harts at once) while the main
//   thread samples.
// - Phase 3: 200 clones created and joined (each is a process with one
//   thread), then the count settles back too.
// timeout: 120
#include "t_thr_util.h"

#define SSZ 1024
static char *stacks;  // 64 small stacks
static char *cstacks; // 8 pages for clones

static int reserved, released;  // live = reserved - released
static int baseline;
static int worst_excess = -1000000;  // max of (dip - live - NCPU) seen
static int worst_dip;
static int samples, spawn_fail;

static void sample(int extra_live) {
  int rel = LOAD(&released);
  int f = freepages();
  int res = LOAD(&reserved);
  int dip = baseline - f;
  int excess = dip - (res - rel + extra_live) - NCPU;
  if (excess > worst_excess)
    worst_excess = excess;
  if (dip > worst_dip)
    worst_dip = dip;
  samples++;
}

static int bdone[16];
static void brief(void *a) { texit((int *)a, 1); }

static void phase1(void) {
  for (int round = 0; round < 3000 / 16; round++) {
    for (int i = 0; i < 16; i++) {
      bdone[i] = 0;
      ADD(&reserved, 1);
      if (tspawn(stacks + (i + 1) * SSZ, brief, &bdone[i]) < 0) {
        ADD(&released, 1);
        bdone[i] = 1;
        spawn_fail++;
      }
      sample(0);
    }
    for (int i = 0; i < 16; i++) {
      thr_wait_change(&bdone[i], 0);
      ADD(&released, 1);
      sample(0);
    }
  }
}

#define NSP 4
#define PER 300
static int sp_done[NSP], sp_fail;
static int child_done[NSP];
static void spawner(void *a) {
  long s = (long)a;
  char *stk = stacks + (20 + s) * SSZ;  // its child's stack
  for (int k = 0; k < PER; k++) {
    STORE(&child_done[s], 0);
    ADD(&reserved, 1);
    if (tspawn(stk + SSZ, brief, &child_done[s]) < 0) {
      ADD(&released, 1);
      ADD(&sp_fail, 1);
      continue;
    }
    thr_wait_change(&child_done[s], 0);
    ADD(&released, 1);
  }
  texit(&sp_done[s], 1);
}

static void phase2(void) {
  int ok = 1;
  for (long s = 0; s < NSP; s++)
    ok &= thr_spawn(cstacks + s * PGSIZE, spawner, (void *)s) > 0;
  ASSERT_TRUE(ok, "spawn %d spawners", NSP);
  for (;;) {
    sample(NSP);  // the spawners themselves are live threads too
    int all = 1;
    for (int s = 0; s < NSP; s++)
      all &= LOAD(&sp_done[s]);
    if (all)
      break;
    yield(-1);
  }
}

static void cl(void *a) {
  (void)a;
  exit(0);
}

static void test_clones(void) {
  int before = freepages();
  int bad = 0;
  for (int k = 0; k < 200; k++) {
    int c = clone(cl, 0, cstacks + (k % 8) * PGSIZE);
    void *g;
    if (c < 0 || join(&g) != c)
      bad++;
  }
  EXPECT_EQ(bad, 0, "200 clones made and joined");
  int now = test_settled_freepages(before, 5);
  EXPECT_GE(now, before, "free pages back after the clones (%d, now %d)",
            before, now);
}

int main(void) {
  stacks = thr_pages(64 * SSZ / PGSIZE);
  cstacks = thr_pages(8);
  ASSERT_TRUE(stacks && cstacks, "stack pages");
  memset(stacks, 0, 64 * SSZ);
  memset(cstacks, 0, 8 * PGSIZE);
  sleep(test_hz() / 5 + 1);
  baseline = freepages();
  unsigned long t0 = rdtime();
  phase1();
  test_note("phase 1: 3000 threads in %lu ms", thr_ms_since(t0));
  EXPECT_EQ(spawn_fail, 0, "3000 tspawns from one thread succeed");
  t0 = rdtime();
  phase2();
  test_note("phase 2: %d threads from %d spawners in %lu ms", NSP * PER, NSP,
            thr_ms_since(t0));
  EXPECT_EQ(sp_fail, 0, "%d tspawns from %d threads succeed", NSP * PER, NSP);
  for (int s = 0; s < NSP; s++)
    thr_wait_change(&sp_done[s], 0);
  test_note("%d samples; deepest dip %d pages; worst (dip - live - NCPU) %d",
            samples, worst_dip, worst_excess);
  EXPECT_LE(worst_excess, 0,
            "the free count never dipped by more than live threads + NCPU");
  int now = test_settled_freepages(baseline, 5);
  EXPECT_GE(now, baseline, "it settles back to the baseline (%d, now %d)",
            baseline, now);
  test_clones();
  test_done();
}
