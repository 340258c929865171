// t_thr_exit: exit() from any thread ends the whole process.
//
// A child process is set up with a thread in each kind of wait plus a
// spinner: asleep in futex_wait, desch'd, asleep in sleep(), blocked reading
// an empty pipe, spinning in user mode without system calls; the first
// thread waits in futex_wait. When every one of them is in place (checked
// with procinfo), one thread calls exit(status):
// - a non-first thread: the parent's wait() returns the child with that
//   status;
// - the first thread: likewise;
// - two non-first threads at once, with different statuses: the status is
//   one of the two.
// After wait() returns, no thread of the child is left: no record with its
// pid, and none of the tids seen before exists.
// timeout: 60
#include "t_thr_util.h"

#define NKIND 5  // futex, desch, sleep, pipe, spin
static char *stacks;
static int gopipe[2];
static int go;
static int status_for[2] = {37, 41};

static void exiter(void *a) {
  long i = (long)a;
  thr_wait_change(&go, 0);
  exit(status_for[i]);
}

// The child's first thread. `mode`: 0 = one non-first thread exits, 1 = the
// first thread exits, 2 = two non-first threads exit at once.
static void child(int mode) {
  if (pipe(thr_emptypipe) < 0)
    exit(100);
  void (*kinds[NKIND])(void *) = {thr_park_futex, thr_park_desch, thr_park_sleep, thr_park_pipe, thr_park_spin};
  int tids[NKIND];
  for (int i = 0; i < NKIND; i++)
    if ((tids[i] = thr_spawn(stacks + i * PGSIZE, kinds[i], 0)) < 0)
      exit(101);
  int nexit = mode == 2 ? 2 : mode == 0 ? 1 : 0;
  for (int i = 0; i < nexit; i++)
    if (thr_spawn(stacks + (NKIND + i) * PGSIZE, exiter, (void *)(long)i) < 0)
      exit(102);
  thr_wait_atleast(&thr_ready, NKIND);
  // Everyone who should sleep is asleep. (The sleep() one is made runnable
  // at every tick to look at the clock, so it is not checked.)
  for (int i = 0; i < NKIND - 1; i++)
    if (kinds[i] != thr_park_sleep && !thr_await_state(tids[i], PI_SLEEPING, 10))
      exit(103);
  // Wait (blocked in a pipe read) until the parent has looked at the table.
  char c;
  close(gopipe[1]);
  if (read(gopipe[0], &c, 1) != 1)
    exit(104);
  if (mode == 1)
    exit(38);
  thr_bump(&go);
  for (;;)
    futex_wait(&thr_never, 0);
}

static void run(int mode, const char *what, int want_a, int want_b) {
  ASSERT_EQ(pipe(gopipe), 0, "pipe");
  int pid = fork();
  if (pid == 0)
    child(mode);
  ASSERT_GT(pid, 0, "fork");
  close(gopipe[0]);
  // Collect the child's tids once it has all its threads.
  int want_threads = 1 + NKIND + (mode == 2 ? 2 : mode == 0 ? 1 : 0);
  int got = thr_await_count(pid, want_threads, 10);
  int tids[16], nt = 0;
  int n = procinfo(test_pi_, TEST_MAXPI);
  for (int i = 0; i < n && nt < 16; i++)
    if (test_pi_[i].pid == pid)
      tids[nt++] = test_pi_[i].tid;
  write(gopipe[1], "g", 1);
  close(gopipe[1]);
  int status = -12345;
  int w = wait(&status);
  EXPECT_TRUE(got, "%s: the child had %d threads", what, want_threads);
  EXPECT_EQ(w, pid, "%s: wait returns the child", what);
  EXPECT_TRUE(status == want_a || status == want_b, "%s: status %d", what,
              status);
  EXPECT_EQ(thr_records(pid), 0, "%s: no record of the child is left", what);
  int left = 0;
  for (int i = 0; i < nt; i++)
    if (thr_state(tids[i]) != 0)
      left++;
  EXPECT_EQ(left, 0, "%s: none of its %d tids exists", what, nt);
}

int main(void) {
  stacks = thr_pages(NKIND + 2);
  ASSERT_TRUE(stacks != 0, "stack pages");
  run(0, "exit(37) from a non-first thread", 37, 37);
  run(1, "exit(38) from the first thread", 38, 38);
  run(2, "exit(37) and exit(41) from two threads at once", 37, 41);
  test_done();
}
