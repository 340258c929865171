// t_waitrace: wait() and join() racing the exit of a child's threads.
//
// Regression test for a whole-machine hang. The reaper (wait/join) found a
// zombie child and then spun, with interrupts off and holding the global
// wait lock, until the child's thread count reached 0. A non-last thread
// that had already dropped the process's live count but was preempted before
// it marked itself a zombie still counted, and on one hart it could never
// run again: the hart was spinning for it. At a 10 kHz tick, exiting a
// 5-thread process takes longer than a tick, so a pending tick preempts the
// interrupted thread again as soon as it resumes, and the parent, woken
// meanwhile, gets the hart first and spins. On the unfixed kernel at CPUS=1
// and 10 kHz this hung the machine before round 250 in every run (at 100
// and 1000 Hz it did not hang); the runner's timeout reports it (Ctrl-P
// prints nothing: the only hart has interrupts off).
//
// - ROUNDS times: fork a child whose main thread tspawns 4 threads; once all
//   are running and the parent sleeps in wait(), the five texit together.
//   wait() returns the child and its status is 0 (the last texit ends the
//   process as exit(0) would, whatever `what` the threads pass).
// - CLONE_ROUNDS times: 4 clones exit at once while the parent sleeps in
//   join(); join returns each of them once, with the stack it was given.
//
// The threads spin with yield(-1), not bare: on one hart a bare spinner
// would burn a whole time slice (10 ms at 100 Hz) per round.
//
// The hang needs one hart; there every round is run. With several harts
// (where each round costs cross-hart wake-ups, and far more when the host
// has fewer cores than the guest has harts) the loops stop after
// MULTI_MS once they have done at least a fifth of their rounds.
// timeout: 60
#include "t_thr_util.h"

#define ROUNDS 1000
#define NT 4              // threads besides the child's main thread
#define CLONE_ROUNDS 250
#define NC 4              // clones per round
#define MULTI_MS 4000     // time budget of each loop with several harts

static int one_hart;

// With several harts: has the loop that started at t0 had its time?
static int budget_spent(int round, int rounds, unsigned long t0) {
  return !one_hart && round >= rounds / 5 && thr_ms_since(t0) > MULTI_MS;
}

static char *stacks;      // NT thread stacks; the child inherits a copy
static int go, ready;     // in the child's copy of memory
static int parent_pid, parent_tid;

// Waits (yielding, bounded) until the parent's thread sleeps, i.e. is in
// wait() or join(). A bound, not a check: if the parent is slow we race
// anyway, which is still a valid round.
static void until_parent_sleeps(void) {
  for (int i = 0; i < 200; i++) {
    if (thr_state(parent_tid) == PI_SLEEPING)
      return;
    yield(-1);
  }
}

static void racer(void *arg) {
  ADD(&ready, 1);
  while (!LOAD(&go))
    yield(-1);
  texit(0, (int)(long)arg);  // `what` is not a status
}

static void child(void) {
  for (long i = 0; i < NT; i++)
    if (thr_spawn(stacks + i * PGSIZE, racer, (void *)(100 + i)) < 0)
      exit(10);
  while (LOAD(&ready) < NT)
    yield(-1);
  until_parent_sleeps();
  STORE(&go, 1);
  texit(0, 55);
}

static void test_wait(void) {
  int wrong_pid = 0, wrong_status = 0, bad_fork = 0, first_bad = -1;
  int last_status = 0, r;
  unsigned long t0 = rdtime();
  for (r = 0; r < ROUNDS && !budget_spent(r, ROUNDS, t0); r++) {
    if (r && r % 250 == 0)
      test_note("%d rounds done", r);  // where a hang struck
    int pid = fork();
    if (pid < 0) {
      bad_fork++;
      break;
    }
    if (pid == 0)
      child();
    int status = -12345;
    int w = wait(&status);
    if (w != pid) {
      wrong_pid++;
      if (first_bad < 0)
        first_bad = r;
    } else if (status != 0) {
      wrong_status++;
      last_status = status;
      if (first_bad < 0)
        first_bad = r;
    }
  }
  test_note("%d fork/tspawn/texit/wait rounds in %lu ms", r, thr_ms_since(t0));
  EXPECT_EQ(bad_fork, 0, "every fork succeeded");
  EXPECT_EQ(wrong_pid, 0, "wait returned the child in all %d rounds", r);
  if (!EXPECT_EQ(wrong_status, 0, "status 0 (last texit) in all %d rounds", r))
    test_note("first bad round %d, a bad status %d", first_bad, last_status);
  int st;
  EXPECT_EQ(wait(&st), -1, "no child left");
}

// --- clones exiting at once while the parent sleeps in join().
static char *cstacks;
static int cgo, cready;

static void clone_fn(void *arg) {
  // The last clone to start waits for the parent to be asleep in join();
  // the others wait for it.
  if (ADD(&cready, 1) == NC) {
    until_parent_sleeps();
    STORE(&cgo, 1);
  }
  while (!LOAD(&cgo))
    yield(-1);
  exit((int)(long)arg);
}

static void test_join(void) {
  int bad_clone = 0, bad_join = 0, bad_stack = 0, dup = 0, r;
  unsigned long t0 = rdtime();
  for (r = 0; r < CLONE_ROUNDS && !budget_spent(r, CLONE_ROUNDS, t0); r++) {
    STORE(&cgo, 0);
    STORE(&cready, 0);
    int pids[NC], seen[NC];
    int made = 0;
    for (int i = 0; i < NC; i++) {
      seen[i] = 0;
      pids[i] = clone(clone_fn, (void *)(long)i, cstacks + i * PGSIZE);
      if (pids[i] < 0)
        bad_clone++;
      else
        made++;
    }
    if (made < NC)
      STORE(&cgo, 1);  // the last clone never comes to release the others
    for (int n = 0; n < made; n++) {
      void *stk = 0;
      int w = join(&stk);
      int k = -1;
      for (int i = 0; i < NC; i++)
        if (pids[i] == w)
          k = i;
      if (k < 0) {
        bad_join++;
        continue;
      }
      if (seen[k]++)
        dup++;
      if (stk != cstacks + k * PGSIZE)
        bad_stack++;
    }
  }
  test_note("%d rounds of %d clones in %lu ms", r, NC, thr_ms_since(t0));
  EXPECT_EQ(bad_clone, 0, "every clone succeeded");
  EXPECT_EQ(bad_join, 0, "join returned one of the clones %d times", NC * r);
  EXPECT_EQ(dup, 0, "no clone was joined twice");
  EXPECT_EQ(bad_stack, 0, "join gave back each clone's own stack");
  void *stk;
  EXPECT_EQ(join(&stk), -1, "no clone left");
}

int main(void) {
  parent_pid = getpid();
  parent_tid = gettid();
  stacks = thr_pages(NT);
  cstacks = thr_pages(NC);
  ASSERT_TRUE(stacks && cstacks, "stack pages");
  int max_hart = -1;
  one_hart = !thr_parallel_seen(stacks, 2, 100, &max_hart);
  test_note("%s", one_hart ? "one hart: every round" : "several harts: time budget");
  test_wait();
  test_join();
  EXPECT_EQ(thr_records(parent_pid), 1, "only the test's own thread is left");
  test_done();
}
