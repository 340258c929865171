// t_thr_exhaust: running out of threads (NTHR = 256, one global pool) and
// of processes (NPROC = 64) is an ordinary -1, never a panic or a leak.
//
// Repeated 5 times:
// - tspawn until it returns -1. That happens below NTHR (the other
//   processes hold some threads) but well above 200, and at the same count
//   every round (slots of ended threads all come back).
// - While the threads are exhausted (and process slots are free): fork,
//   clone and tspawn return -1 (a fork that succeeded anyway is reaped and
//   counted as a failure).
// - After the threads end (woken from futex_wait, they texit): fork, clone
//   and tspawn work again.
// - The free page count settles back to the baseline taken before round 1.
// Then, twice: clone until -1 (process slots run out first, below NPROC),
// fork returns -1 too, then join them all and everything works again; the
// free pages come back.
// timeout: 120
#include "t_thr_util.h"

#define ROUNDS 5
static char *stacks;  // NTHR small stacks, 1024 bytes each (256 KiB)
#define SSZ 1024

static int release, started, ended;
static void holder(void *a) {
  (void)a;
  thr_bump(&started);
  while (LOAD(&release) == 0)
    futex_wait(&release, 0);
  ADD(&ended, 1);
  texit(0, 0);
}

static int q_done;
static void quick(void *a) {
  (void)a;
  texit(&q_done, 1);
}
static void quick_clone(void *a) {
  (void)a;
  exit(0);
}

// fork, clone and tspawn all work: 1 if so.
static int all_work(char *stk) {
  int ok = 1;
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid < 0 || wait(0) != pid)
    ok = 0;
  int c = clone(quick_clone, 0, stk);
  void *g;
  if (c < 0 || join(&g) != c)
    ok = 0;
  STORE(&q_done, 0);
  int t = tspawn(stk + PGSIZE, quick, 0);
  if (t < 0)
    ok = 0;
  else
    thr_wait_change(&q_done, 0);
  return ok;
}

static void test_thread_exhaustion(char *spare) {
  int me = getpid();
  // Warm up (page tables, first-use allocations), then take the baseline.
  all_work(spare);
  thr_await_count(me, 1, 10);
  sleep(test_hz() / 5 + 1);
  int baseline = freepages();
  int counts[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    STORE(&release, 0);
    STORE(&started, 0);
    STORE(&ended, 0);
    int n = 0;
    while (n < NTHR + 10) {
      int t = tspawn(stacks + (n + 1) * SSZ, holder, 0);
      if (t < 0)
        break;
      n++;
    }
    counts[r] = n;
    int procs = test_count_procs();
    int f = fork();
    if (f == 0)
      exit(0);
    if (f > 0)
      wait(0);
    int c = clone(quick_clone, 0, spare);
    if (c > 0) {
      void *g;
      join(&g);
    }
    int t = tspawn(spare + PGSIZE, quick, 0);
    if (t > 0)
      thr_wait_change(&q_done, 0);
    EXPECT_TRUE(n > 200 && n < NTHR, "round %d: tspawn fails after %d threads",
                r + 1, n);
    EXPECT_LT(procs, NPROC, "round %d: process slots are free (%d used)", r + 1,
              procs);
    EXPECT_EQ(f, -1, "round %d: fork returns -1 while threads are exhausted",
              r + 1);
    EXPECT_EQ(c, -1, "round %d: clone returns -1", r + 1);
    EXPECT_EQ(t, -1, "round %d: tspawn returns -1 again", r + 1);
    // Let them all go.
    thr_wait_atleast(&started, n);
    STORE(&release, 1);
    futex_wake(&release, NTHR);
    EXPECT_TRUE(thr_await_count(me, 1, 20), "round %d: all %d threads end",
                r + 1, n);
    EXPECT_EQ(LOAD(&ended), n, "round %d: each texited", r + 1);
    EXPECT_TRUE(all_work(spare), "round %d: fork, clone and tspawn work again",
                r + 1);
    int now = test_settled_freepages(baseline, 5);
    EXPECT_GE(now, baseline, "round %d: free pages back to the baseline (%d, "
                             "now %d)", r + 1, baseline, now);
  }
  int same = 1;
  for (int r = 1; r < ROUNDS; r++)
    same &= counts[r] == counts[0];
  EXPECT_TRUE(same, "the same number of threads every round (%d)", counts[0]);
}

// Clones until the process table is full.
static int c_release;
static void clone_holder(void *a) {
  (void)a;
  while (LOAD(&c_release) == 0)
    futex_wait(&c_release, 0);
  exit(0);
}

static void test_process_exhaustion(char *cstacks, char *spare) {
  sleep(test_hz() / 5 + 1);
  int baseline = freepages();
  for (int r = 0; r < 2; r++) {
    STORE(&c_release, 0);
    int n = 0;
    while (n < NPROC + 2) {
      int c = clone(clone_holder, 0, cstacks + n * PGSIZE);
      if (c < 0)
        break;
      n++;
    }
    int f = fork();
    if (f == 0)
      exit(0);
    if (f > 0)
      wait(0);
    EXPECT_TRUE(n > NPROC - 16 && n < NPROC,
                "round %d: clone fails after %d clones", r + 1, n);
    EXPECT_EQ(f, -1, "round %d: fork returns -1 with the process table full",
              r + 1);
    STORE(&c_release, 1);
    futex_wake(&c_release, NTHR);
    int joined = 0;
    void *g;
    while (join(&g) > 0)
      joined++;
    EXPECT_EQ(joined, n, "round %d: join reaps all %d", r + 1, n);
    EXPECT_TRUE(all_work(spare), "round %d: fork, clone and tspawn work again",
                r + 1);
    int now = test_settled_freepages(baseline, 5);
    EXPECT_GE(now, baseline, "round %d: free pages back to the baseline (%d, "
                             "now %d)", r + 1, baseline, now);
  }
}

int main(void) {
  stacks = thr_pages((NTHR + 2) * SSZ / PGSIZE + 1);
  char *cstacks = thr_pages(NPROC + 2);
  char *spare = thr_pages(1);
  ASSERT_TRUE(stacks && cstacks && spare, "stack pages");
  // Touch every stack page now so the baseline already includes them.
  memset(stacks, 0, ((NTHR + 2) * SSZ / PGSIZE + 1) * PGSIZE);
  test_thread_exhaustion(spare);
  test_process_exhaustion(cstacks, spare);
  test_done();
}
