// t_thr_yield: yield(tid).
//
// - yield(-1) ("anyone"), yield(-7), yield(own tid) and yield(another live
//   thread of ours) return 0; yield of a tid that does not exist, or of a
//   thread that has ended, returns -1.
// - Yielding to a sleeping thread is only a hint: it stays asleep.
// - yield(t) lets t run: a thread waiting for a runnable t by yielding to it
//   sees t make progress.
// - On one hart (detected: for 2 s no other thread of ours is seen running
//   while we run, and nothing runs on a hart but hart 0) the hint is exact:
//   after one yield(t) the runnable t has run, and with two runnable threads
//   A then B in the run queue, yield(B) runs B before A. (A trial in which a
//   timer tick could have preempted us before the yield is discarded and
//   repeated.)
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

static int sleeper_word, sleeper_done;
static void sleeper(void *arg) {
  (void)arg;
  while (LOAD(&sleeper_word) == 0)
    futex_wait(&sleeper_word, 0);
  texit(&sleeper_done, 1);
}

static int quick_done;
static void quick(void *arg) {
  (void)arg;
  texit(&quick_done, 1);
}

static void test_return_values(void) {
  EXPECT_EQ(yield(-1), 0, "yield(-1) returns 0");
  EXPECT_EQ(yield(-7), 0, "yield(-7) (any negative: anyone) returns 0");
  EXPECT_EQ(yield(gettid()), 0, "yield to oneself returns 0");
  EXPECT_EQ(yield(999999), -1, "yield to a tid that does not exist: -1");
  EXPECT_EQ(yield(0x7fffffff), -1, "yield(INT_MAX): -1");

  int s = thr_spawn(stacks, sleeper, 0);
  ASSERT_GT(s, 0, "spawn a sleeper");
  EXPECT_TRUE(thr_await_state(s, PI_SLEEPING, 10), "it sleeps in futex_wait");
  EXPECT_EQ(yield(s), 0, "yield to a sleeping thread of ours returns 0");
  int ok = 1;
  for (int i = 0; i < 20; i++)
    if (yield(s) != 0)
      ok = 0;
  EXPECT_TRUE(ok, "20 more yields to it return 0");
  EXPECT_EQ(thr_state(s), PI_SLEEPING, "and it is still asleep");
  thr_bump(&sleeper_word);
  thr_wait_change(&sleeper_done, 0);

  int q = thr_spawn(stacks + PGSIZE, quick, 0);
  ASSERT_GT(q, 0, "spawn a thread that ends at once");
  thr_wait_change(&quick_done, 0);
  EXPECT_TRUE(thr_await_state(q, 0, 10), "it is gone");
  EXPECT_EQ(yield(q), -1, "yield to a thread that has ended: -1");
  EXPECT_TRUE(thr_await_state(s, 0, 10), "the old sleeper is gone too");
  EXPECT_EQ(yield(s), -1, "yield to the old sleeper, ended too: -1");
}

// Yield to a runnable thread until it has done its work.
static int worker_steps, worker_stop, worker_done;
static void worker(void *arg) {
  (void)arg;
  while (!LOAD(&worker_stop)) {
    ADD(&worker_steps, 1);
    yield(-1);
  }
  texit(&worker_done, 1);
}

static void test_yield_lets_it_run(void) {
  int w = thr_spawn(stacks, worker, 0);
  ASSERT_GT(w, 0, "spawn a worker");
  int yields = 0, res = 0;
  unsigned long t0 = rdtime();
  while (LOAD(&worker_steps) < 200 && thr_ms_since(t0) < 10000) {
    res |= yield(w);
    yields++;
  }
  EXPECT_GE(LOAD(&worker_steps), 200,
            "yielding to a runnable thread lets it run (200 steps)");
  EXPECT_EQ(res, 0, "every yield(worker) returned 0 (%d yields)", yields);
  STORE(&worker_stop, 1);
  thr_wait_change(&worker_done, 0);
}

// One hart: exact order.
static int seq;
static int ran_at[2];   // order in which A (0) and B (1) ran: 1 or 2
static int tick_at[2];  // uptime() just after that
static int ab_done[2];
static void ab(void *arg) {
  long i = (long)arg;
  ran_at[i] = ADD(&seq, 1);
  tick_at[i] = uptime();
  texit(&ab_done[i], 1);
}

static int one_done, one_ran, one_release;
static void one(void *arg) {
  (void)arg;
  STORE(&one_ran, 1);
  // Stays until released, so that yield(t) always finds it.
  while (LOAD(&one_release) == 0)
    futex_wait(&one_release, 0);
  texit(&one_done, 1);
}

static void test_one_hart_order(void) {
  int max_hart = -1;
  int parallel = thr_parallel_seen(stacks, 3, 2000, &max_hart);
  if (parallel || max_hart > 0) {
    test_report(1, "yield order on one hart # SKIP several harts (highest "
                   "hart seen running: %d)", max_hart);
    return;
  }
  test_note("no two of our threads ever ran at once: one hart (highest hart "
            "seen %d)", max_hart);

  // Plain: after one yield(t), t has run.
  int t = thr_spawn(stacks, one, 0);
  ASSERT_GT(t, 0, "spawn");
  EXPECT_EQ(yield(t), 0, "yield(t)");
  EXPECT_EQ(LOAD(&one_ran), 1, "one hart: t ran during a single yield(t)");
  thr_bump(&one_release);
  thr_wait_change(&one_done, 0);

  // A and B runnable in that order; yield(B) must run B first.
  int valid = 0, good = 0;
  for (int trial = 0; trial < 20 && valid < 5; trial++) {
    STORE(&seq, 0);
    ran_at[0] = ran_at[1] = 0;
    ab_done[0] = ab_done[1] = 0;
    int t0 = uptime();
    int a = thr_spawn(stacks + PGSIZE, ab, (void *)0L);
    int b = thr_spawn(stacks + 2 * PGSIZE, ab, (void *)1L);
    if (a < 0 || b < 0) {
      test_report(0, "spawn A and B");
      break;
    }
    yield(b);
    thr_wait_change(&ab_done[0], 0);
    thr_wait_change(&ab_done[1], 0);
    // A trial counts only if no tick fell between t0 and the moment B took
    // its place in the order (so no preemption, which on one hart comes
    // only with a tick, could have run A first).
    if (tick_at[1] != t0)
      continue;
    valid++;
    if (ran_at[1] == 1 && ran_at[0] == 2)
      good++;
  }
  EXPECT_GT(valid, 0, "at least one trial without a tick in the window");
  EXPECT_EQ(good, valid, "yield(B) ran B before A (%d of %d trials)", good,
            valid);
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_return_values();
  test_yield_lets_it_run();
  test_one_hart_order();
  test_done();
}
