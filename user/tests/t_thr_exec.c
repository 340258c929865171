// t_thr_exec: exec and fork from a thread that is not the first one.
//
// - exec from a non-first thread of a process whose other threads sleep in
//   futex_wait, desch and sleep() or spin: the new image runs in the same
//   process (same pid) with exactly one thread, whose tid is the pid, and
//   threads work there (this program, run as "t_thr_exec child PID", checks
//   that and exits 0). Also from the first thread.
// - A failed exec (no such file, or a bad argv pointer) returns -1 and
//   leaves the process as it was: its other threads are still there
//   (POSIX: a failed exec does not change the calling process).
// - fork from a non-first thread while others sleep: the child has one
//   thread with tid == pid, is a copy of the calling thread (it returns 0
//   on that thread's stack), has its own memory, and can spawn threads;
//   the forking thread can wait for it. Also from the first thread.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

// ---- child mode: run by exec.
static int cm_done, cm_val;
static void cm_thread(void *a) {
  cm_val = (int)(long)a;
  texit(&cm_done, 1);
}

static int child_mode(int pid_expected) {
  int code = 0;
  if (gettid() != getpid())
    code |= 1;
  if (thr_count(getpid()) != 1)
    code |= 2;
  if (getpid() != pid_expected)
    code |= 4;
  char *stk = thr_pages(1);
  if (!stk || thr_spawn(stk, cm_thread, (void *)7L) < 0) {
    code |= 8;
  } else {
    thr_wait_change(&cm_done, 0);
    if (cm_val != 7)
      code |= 8;
  }
  return code;
}

// ---- threads that are in the way.

static void (*kinds[4])(void *) = {thr_park_futex, thr_park_desch, thr_park_sleep, thr_park_spin};

static void spawn_bystanders(void) {
  for (int i = 0; i < 4; i++)
    if (thr_spawn(stacks + i * PGSIZE, kinds[i], 0) < 0)
      exit(101);
  thr_wait_atleast(&thr_ready, 4);
}

static char pidstr[16];
static char *exec_argv[4];
static void do_exec(void *a) {
  (void)a;
  exec("t_thr_exec", exec_argv);
  exit(120);  // exec failed
}

// mode 0: exec from a non-first thread; 1: from the first thread.
static void test_exec(int mode, const char *what) {
  int pid = fork();
  if (pid == 0) {
    test_itoa(getpid(), pidstr);
    exec_argv[0] = "t_thr_exec";
    exec_argv[1] = "child";
    exec_argv[2] = pidstr;
    exec_argv[3] = 0;
    spawn_bystanders();
    if (mode == 0) {
      if (thr_spawn(stacks + 4 * PGSIZE, do_exec, 0) < 0)
        exit(102);
      for (;;)
        futex_wait(&thr_never, 0);
    }
    do_exec(0);
  }
  ASSERT_GT(pid, 0, "fork");
  int status = -12345;
  EXPECT_EQ(wait(&status), pid, "%s: wait returns the child", what);
  EXPECT_EQ(status, 0,
            "%s: the new image has the old pid, one thread, tid == pid, and "
            "threads work (status bits: 1 tid, 2 count, 4 pid, 8 spawn)",
            what);
}

// Failed execs from a non-first thread, which reports through a pipe.
static int fx_pipe[2], fx_done;
static void failing_exec(void *a) {
  (void)a;
  char *argv[] = {"nonexistent", 0};
  int res[4];
  res[0] = exec("t_thr_exec", (char **)0x80000000UL);
  res[1] = thr_count(getpid());
  res[2] = exec("t_thr_exec_no_such_program", argv);
  res[3] = thr_count(getpid());
  write(fx_pipe[1], res, sizeof(res));
  texit(&fx_done, 1);
}

static void test_failed_exec(void) {
  // In a child, so that a kernel that ends our threads anyway does not take
  // the test's own threads with it.
  ASSERT_EQ(pipe(fx_pipe), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    spawn_bystanders();
    int t = thr_spawn(stacks + 4 * PGSIZE, failing_exec, 0);
    if (t < 0)
      exit(102);
    thr_wait_change(&fx_done, 0);
    exit(0);
  }
  ASSERT_GT(pid, 0, "fork");
  close(fx_pipe[1]);
  int res[4] = {0, 0, 0, 0};
  EXPECT_EQ(read(fx_pipe[0], res, sizeof(res)), (int)sizeof(res),
            "the exec'ing thread reports");
  close(fx_pipe[0]);
  int status = -1;
  EXPECT_EQ(wait(&status), pid, "wait");
  EXPECT_EQ(status, 0, "the child exits normally");
  EXPECT_EQ(res[0], -1, "exec with a bad argv pointer from a thread: -1");
  EXPECT_EQ(res[1], 6,
            "after it, the first thread and the 4 others are still there "
            "(threads counted: %d, want 6)", res[1]);
  EXPECT_EQ(res[2], -1, "exec of a missing file from a thread: -1");
  EXPECT_EQ(res[3], 6,
            "after it, the first thread and the 4 others are still there "
            "(threads counted: %d, want 6)", res[3]);
}

// fork from a non-first thread.
static int fk_pid, fk_wait, fk_status, fk_done, fk_mem = 1;
static int fk_cdone, fk_cval;
static void fk_child_thread(void *a) {
  fk_cval = (int)(long)a;
  texit(&fk_cdone, 1);
}

static void forker(void *a) {
  (void)a;
  int stack_marker = 0x5157;
  int pid = fork();
  if (pid == 0) {
    // The child: a copy of this thread, on a copy of its stack.
    int code = 0;
    if (gettid() != getpid())
      code |= 1;
    if (thr_count(getpid()) != 1)
      code |= 2;
    if (stack_marker != 0x5157)
      code |= 4;
    fk_mem = 99;  // our own copy
    if (thr_spawn(stacks + 6 * PGSIZE, fk_child_thread, (void *)3L) < 0)
      code |= 8;
    else {
      thr_wait_change(&fk_cdone, 0);
      if (fk_cval != 3)
        code |= 8;
    }
    exit(code);
  }
  fk_pid = pid;
  fk_wait = wait(&fk_status);
  texit(&fk_done, 1);
}

static void test_fork_from_thread(void) {
  spawn_bystanders();  // in this process: they stay until we exit
  int t = thr_spawn(stacks + 5 * PGSIZE, forker, 0);
  ASSERT_GT(t, 0, "spawn a thread that forks");
  thr_wait_change(&fk_done, 0);
  EXPECT_GT(fk_pid, 0, "fork from a non-first thread works");
  EXPECT_NE(fk_pid, t, "the child's pid is not the thread's tid");
  EXPECT_EQ(fk_wait, fk_pid, "the forking thread waits for the child");
  EXPECT_EQ(fk_status, 0,
            "the child: one thread, tid == pid, its stack copied, threads "
            "work (status bits: 1 tid, 2 count, 4 stack, 8 spawn)");
  EXPECT_EQ(fk_mem, 1, "the child's writes are its own");
  EXPECT_TRUE(thr_await_count(getpid(), 5, 10), "we still have our 5 threads");

  // fork from the first thread with those 4 bystanders around.
  int pid = fork();
  if (pid == 0)
    exit(gettid() == getpid() && thr_count(getpid()) == 1 ? 0 : 1);
  int status = -1;
  EXPECT_EQ(wait(&status), pid, "fork from the first thread of 5");
  EXPECT_EQ(status, 0, "the child has one thread, tid == pid");
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0)
    exit(child_mode(atoi(argv[2])));
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_exec(0, "exec from a non-first thread");
  test_exec(1, "exec from the first thread");
  test_failed_exec();
  test_fork_from_thread();
  // The bystanders end with the process.
  test_done();
}
