// t_thr_kill: kill(pid) ends every thread of a process.
//
// - A child with threads asleep in sleep(), futex_wait, desch and a pipe
//   read, one spinning in user mode, and its first thread in futex_wait:
//   kill of any of its non-first tids is -1 and changes nothing; kill(pid)
//   is 0, wait() returns it with status -1, and none of its threads is left.
// - Every thread of the child desch'd (the first one too): kill ends them.
// - The first thread has texited, the others sleep: kill(pid) still works.
// - kill of one of our own non-first tids is -1 and that thread runs on.
// - A clone (a process sharing our memory) with threads of its own: kill of
//   the clone ends all of them; join reaps it; we are not affected.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

// Sets up a child; returns its pid after every thread is in place, with
// its tids in tids[] (count in *nt).
static int make_child(int mode, int *tids, int *nt) {
  int sync[2];
  if (pipe(sync) < 0)
    return -1;
  int pid = fork();
  if (pid == 0) {
    close(sync[0]);
    if (pipe(thr_emptypipe) < 0)
      exit(100);
    void (*kinds[])(void *) = {thr_park_sleep, thr_park_futex, thr_park_desch, thr_park_pipe, thr_park_spin};
    int n = mode == 1 ? 3 : 5;  // mode 1: desch only
    int t[5];
    for (int i = 0; i < n; i++)
      if ((t[i] = thr_spawn(stacks + i * PGSIZE, mode == 1 ? thr_park_desch : kinds[i],
                            0)) < 0)
        exit(101);
    thr_wait_atleast(&thr_ready, n);
    for (int i = 0; i < n; i++)
      if (mode == 1 || (kinds[i] != thr_park_sleep && kinds[i] != thr_park_spin))
        if (!thr_await_state(t[i], PI_SLEEPING, 10))
          exit(102);
    write(sync[1], "r", 1);
    if (mode == 2)
      texit(0, 0);  // the first thread goes; the others stay
    if (mode == 1)
      for (;;)
        desch(&thr_guard);
    for (;;)
      futex_wait(&thr_never, 0);
  }
  close(sync[1]);
  char c;
  int r = read(sync[0], &c, 1);
  close(sync[0]);
  if (r != 1) {
    wait(0);
    return -1;
  }
  if (mode == 2)
    thr_await_state(pid, 0, 10);
  *nt = 0;
  int n = procinfo(test_pi_, TEST_MAXPI);
  for (int i = 0; i < n && *nt < 16; i++)
    if (test_pi_[i].pid == pid)
      tids[(*nt)++] = test_pi_[i].tid;
  return pid;
}

static void check_gone(int pid, int *tids, int nt, const char *what) {
  int status = 0;
  EXPECT_EQ(kill(pid), 0, "%s: kill(pid) == 0", what);
  EXPECT_EQ(wait(&status), pid, "%s: wait returns it", what);
  EXPECT_EQ(status, -1, "%s: status -1", what);
  EXPECT_EQ(thr_records(pid), 0, "%s: no record left", what);
  int left = 0;
  for (int i = 0; i < nt; i++)
    left += thr_state(tids[i]) != 0;
  EXPECT_EQ(left, 0, "%s: none of its %d threads is left", what, nt);
}

static void test_kill_all_kinds(void) {
  int tids[16], nt = 0;
  int pid = make_child(0, tids, &nt);
  ASSERT_GT(pid, 0, "child set up");
  EXPECT_EQ(nt, 6, "it has 6 threads");
  int refused = 0, others = 0;
  for (int i = 0; i < nt; i++) {
    if (tids[i] == pid)
      continue;
    others++;
    refused += kill(tids[i]) == -1;
  }
  EXPECT_EQ(refused, others, "kill of each of its %d non-first tids: -1",
            others);
  sleep(2);
  EXPECT_EQ(thr_count(pid), nt, "all %d threads still there", nt);
  check_gone(pid, tids, nt, "sleep/futex/desch/pipe/spin");
}

static void test_kill_all_desched(void) {
  int tids[16], nt = 0;
  int pid = make_child(1, tids, &nt);
  ASSERT_GT(pid, 0, "child set up");
  EXPECT_TRUE(nt == 4 && thr_await_state(pid, PI_SLEEPING, 10),
              "4 threads, all desch'd");
  check_gone(pid, tids, nt, "all desch'd");
}

static void test_kill_first_gone(void) {
  int tids[16], nt = 0;
  int pid = make_child(2, tids, &nt);
  ASSERT_GT(pid, 0, "child set up");
  EXPECT_EQ(thr_state(pid), 0, "its first thread has texited");
  EXPECT_EQ(nt, 5, "5 threads left");
  check_gone(pid, tids, nt, "first thread gone");
}

static int own_stop, own_count, own_done;
static void own(void *a) {
  (void)a;
  while (!LOAD(&own_stop)) {
    ADD(&own_count, 1);
    yield(-1);
  }
  texit(&own_done, 1);
}

static void test_kill_own_thread(void) {
  int t = thr_spawn(stacks, own, 0);
  ASSERT_GT(t, 0, "spawn");
  EXPECT_EQ(kill(t), -1, "kill of our own non-first tid: -1");
  int c = LOAD(&own_count);
  int i = 0;
  while (LOAD(&own_count) < c + 10 && i++ < 5 * test_hz())
    sleep(1);
  EXPECT_GE(LOAD(&own_count), c + 10, "and it runs on");
  STORE(&own_stop, 1);
  thr_wait_change(&own_done, 0);
}

// A clone with threads of its own.
static int cready, cstarted;
static void clone_thread(void *a) {
  (void)a;
  thr_bump(&cready);
  for (;;)
    futex_wait(&thr_never, 0);
}
static void clone_main(void *a) {
  (void)a;
  for (int i = 0; i < 3; i++)
    if (thr_spawn(stacks + (8 + i) * PGSIZE, clone_thread, 0) < 0)
      thr_bump(&cready);  // (an injected failure): nobody will count for it
  thr_bump(&cstarted);
  for (;;)
    desch(&thr_guard);
}

static void test_kill_clone(void) {
  int c = clone(clone_main, 0, stacks + 7 * PGSIZE);
  ASSERT_GT(c, 0, "clone");
  thr_wait_change(&cstarted, 0);
  thr_wait_atleast(&cready, 3);
  EXPECT_TRUE(thr_await_count(c, 4, 10), "the clone has 4 threads");
  EXPECT_EQ(kill(c), 0, "kill the clone");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "join reaps it");
  EXPECT_EQ(thr_records(c), 0, "none of its threads is left");
  EXPECT_TRUE(thr_await_count(getpid(), 1, 10), "we are fine");
}

int main(void) {
  stacks = thr_pages(12);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_kill_all_kinds();
  test_kill_all_desched();
  test_kill_first_gone();
  test_kill_own_thread();
  test_kill_clone();
  test_done();
}
