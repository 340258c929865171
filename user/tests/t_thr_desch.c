// t_thr_desch: desch(guard) and mkrun(tid).
//
// - desch returns 0 at once when *guard == 0; -1 for a bad pointer (NULL,
//   kernel address, past the break).
// - With *guard != 0 it sleeps (and keeps sleeping: no early return) until
//   mkrun(its tid), which returns 0; desch then returns 0.
// - mkrun returns -1 for a tid that does not exist, for oneself, for a
//   thread asleep in futex_wait (which stays asleep), for a running thread,
//   and for a thread already woken.
// - No lost wake-up under a tight loop: two parties hand a turn back and
//   forth thousands of times (up to 20000, for at most 3 s, at least 100),
//   each sleeping in desch with the guard protocol (set own guard, re-check
//   the turn, desch; the other side sets the turn, clears the guard,
//   mkrun), between two threads of one process. The main thread watches
//   progress: a lost wake-up shows as no progress for 5 s and fails the
//   test (instead of hanging it).
// - mkrun reaches only the caller's own process: a clone asleep in desch
//   (another process, sharing the memory) cannot be woken by its parent.
// timeout: 120
#include "t_thr_util.h"

static char *stacks;

// --- basics
static int b_guard, b_ret = 99, b_done, b_woke;
static void descher(void *arg) {
  (void)arg;
  STORE(&b_guard, 1);
  int r = desch(&b_guard);
  STORE(&b_woke, 1);
  b_ret = r;
  texit(&b_done, 1);
}

static int f_word, f_done;
static void futex_sleeper(void *arg) {
  (void)arg;
  while (LOAD(&f_word) == 0)
    futex_wait(&f_word, 0);
  texit(&f_done, 1);
}

static int s_stop, s_done;
static void spinner(void *arg) {
  (void)arg;
  while (!LOAD(&s_stop))
    ;
  texit(&s_done, 1);
}

static void test_basics(void) {
  int zero = 0;
  EXPECT_EQ(desch(&zero), 0, "desch with *guard == 0 returns 0 at once");
  EXPECT_EQ(desch(0), -1, "desch(NULL): -1");
  EXPECT_EQ(desch((int *)0x80000000UL), -1, "desch(kernel address): -1");
  EXPECT_EQ(desch((int *)(sbrk(0) + 8 * PGSIZE)), -1,
            "desch(past the break): -1");
  EXPECT_EQ(mkrun(999999), -1, "mkrun of a tid that does not exist: -1");
  EXPECT_EQ(mkrun(-1), -1, "mkrun(-1): -1");
  EXPECT_EQ(mkrun(gettid()), -1, "mkrun of oneself (running): -1");

  int t = thr_spawn(stacks, descher, 0);
  ASSERT_GT(t, 0, "spawn a thread that desches");
  EXPECT_TRUE(thr_await_state(t, PI_SLEEPING, 10), "it sleeps in desch");
  sleep(test_hz() / 10 + 2);
  EXPECT_EQ(LOAD(&b_woke), 0, "and stays asleep without mkrun");
  EXPECT_EQ(thr_state(t), PI_SLEEPING, "still sleeping");
  EXPECT_EQ(mkrun(t), 0, "mkrun of the desched thread: 0");
  thr_wait_change(&b_done, 0);
  EXPECT_EQ(b_ret, 0, "its desch returned 0");
  EXPECT_EQ(mkrun(t), -1, "mkrun of it again (it has ended): -1");

  int f = thr_spawn(stacks + PGSIZE, futex_sleeper, 0);
  ASSERT_GT(f, 0, "spawn a futex sleeper");
  EXPECT_TRUE(thr_await_state(f, PI_SLEEPING, 10), "it sleeps in futex_wait");
  EXPECT_EQ(mkrun(f), -1, "mkrun of a thread asleep in futex_wait: -1");
  sleep(2);
  EXPECT_EQ(thr_state(f), PI_SLEEPING, "it is still asleep");
  EXPECT_EQ(LOAD(&f_done), 0, "and did not run on");
  thr_bump(&f_word);
  thr_wait_change(&f_done, 0);

  int s = thr_spawn(stacks + 2 * PGSIZE, spinner, 0);
  ASSERT_GT(s, 0, "spawn a spinner");
  EXPECT_EQ(mkrun(s), -1, "mkrun of a running/runnable thread: -1");
  STORE(&s_stop, 1);
  thr_wait_change(&s_done, 0);
}

// --- ping-pong
#define ROUNDS 20000   // at most; and at most PP_MS milliseconds
#define PP_MS 3000
// The point is that no wake-up is lost (no progress for 5 s fails), not
// speed: a loaded host or schedule chaos makes every hand-over slow.
#define MIN_ROUNDS 100

struct side {
  int tid;
  int guard;
  int rounds;
  int desch_errors;
  int finished;
};
static struct side side[2];
static int turn;
static int started;
static int pp_stop;
static unsigned long pp_deadline;

static void play(int me) {
  int other = 1 - me;
  STORE(&side[me].tid, gettid());
  thr_bump(&started);
  thr_wait_atleast(&started, 2);
  // Side 0 decides when to stop (after ROUNDS or PP_MS): it sets pp_stop
  // and hands over one last time; side 1 sees pp_stop on its turn and stops
  // without handing back.
  for (int i = 0;; i++) {
    while (LOAD(&turn) != me) {
      STORE(&side[me].guard, 1);
      if (LOAD(&turn) == me) {
        STORE(&side[me].guard, 0);
        break;
      }
      if (desch(&side[me].guard) != 0)
        ADD(&side[me].desch_errors, 1);
    }
    if (LOAD(&pp_stop))
      break;
    STORE(&side[me].rounds, i + 1);
    if (me == 0 && (i + 1 >= ROUNDS || rdtime() > pp_deadline))
      STORE(&pp_stop, 1);
    STORE(&turn, other);
    STORE(&side[other].guard, 0);
    mkrun(LOAD(&side[other].tid));
    if (me == 0 && LOAD(&pp_stop))
      break;
  }
  STORE(&side[me].finished, 1);
}

static int thread_done[2];
static void play_thread(void *arg) {
  long me = (long)arg;
  play((int)me);
  texit(&thread_done[me], 1);
}

static int c_guard = 1, c_woke;
static void clone_descher(void *arg) {
  (void)arg;
  desch(&c_guard);
  STORE(&c_woke, 1);
  exit(0);
}

static void reset(void) {
  memset(side, 0, sizeof(side));
  turn = 0;
  started = 0;
  pp_stop = 0;
  pp_deadline = rdtime() + PP_MS * (THR_TIMEBASE / 1000);
  thread_done[0] = thread_done[1] = 0;
}

// Watches the two sides; 1 if both finished, 0 if progress stopped for 5 s.
static int watch(const char *what) {
  int last = -1, still = 0;
  unsigned long t0 = rdtime();
  for (;;) {
    int a = LOAD(&side[0].rounds), b = LOAD(&side[1].rounds);
    if (LOAD(&side[0].finished) && LOAD(&side[1].finished))
      break;
    if (a + b == last) {
      if (++still >= 50) {
        test_note("%s: no progress for 5 s at rounds %d/%d (turn %d, guards "
                  "%d/%d)", what, a, b, LOAD(&turn), LOAD(&side[0].guard),
                  LOAD(&side[1].guard));
        return 0;
      }
    } else {
      still = 0;
      last = a + b;
    }
    sleep(test_hz() / 10 + 1);
  }
  int n = LOAD(&side[0].rounds);
  test_note("%s: %d round trips in %lu ms", what, n, thr_ms_since(t0));
  EXPECT_GE(n, MIN_ROUNDS, "%s: at least %d round trips", what, MIN_ROUNDS);
  EXPECT_EQ(LOAD(&side[1].rounds), n - 1, "%s: the other side did one fewer",
            what);
  return 1;
}

static void test_pingpong_threads(void) {
  reset();
  int a = thr_spawn(stacks, play_thread, (void *)0L);
  int b = thr_spawn(stacks + PGSIZE, play_thread, (void *)1L);
  ASSERT_TRUE(a > 0 && b > 0, "spawn two players");
  int ok = watch("threads");
  EXPECT_TRUE(ok, "two threads, thousands of desch/mkrun hand-overs: no "
                  "lost wake-up");
  if (!ok)
    exit(1);  // ends the stuck threads too
  thr_wait_change(&thread_done[0], 0);
  thr_wait_change(&thread_done[1], 0);
  EXPECT_EQ(side[0].desch_errors + side[1].desch_errors, 0,
            "every desch returned 0");
}

static void test_other_process(void) {
  int c = clone(clone_descher, 0, stacks + 2 * PGSIZE);
  ASSERT_GT(c, 0, "clone a process that desches");
  EXPECT_TRUE(thr_await_state(c, PI_SLEEPING, 10), "the clone sleeps in desch");
  EXPECT_EQ(mkrun(c), -1, "mkrun of another process's thread (a clone): -1");
  sleep(2);
  EXPECT_EQ(thr_state(c), PI_SLEEPING, "the clone is still asleep");
  EXPECT_EQ(LOAD(&c_woke), 0, "and did not run on");
  EXPECT_EQ(kill(c), 0, "kill ends the clone's desch");
  void *got;
  EXPECT_EQ(join(&got), c, "join the clone");
  EXPECT_EQ(LOAD(&c_woke), 0, "its desch never returned to user code");
}

int main(void) {
  stacks = thr_pages(4);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_basics();
  test_pingpong_threads();
  test_other_process();
  test_done();
}
