// t_kill: kill() ends processes wherever they are: asleep in sleep(),
// blocked in a pipe read or write, blocked in wait(), or running in a loop
// that makes no system call. A killed process exits with status -1, its
// files are closed, and kill of a pid that does not exist fails.
//
// Every child tells the parent through a pipe that it has started, so the
// kill cannot come before the child exists; if a kill is lost, the child
// blocks forever and the runner's timeout reports the test.
// timeout: 30
#include "test.h"

static int ready[2];

static void signal_ready(void) {
  char c = 'r';
  write(ready[1], &c, 1);
}

static void await_ready(void) {
  char c = 0;
  if (read(ready[0], &c, 1) != 1)
    test_note("the child did not report that it started");
}

// Forks a child that runs body(); returns the child's pid after it has
// reported that it is about to block.
static int spawn(void (*body)(void)) {
  int pid = fork();
  if (pid == 0) {
    body();
    exit(50);  // body never returns unless the kernel misbehaves
  }
  if (pid > 0)
    await_ready();
  return pid;
}

static int kill_and_reap(int pid) {
  if (kill(pid) != 0)
    return -5000;
  int status = 0;
  if (wait(&status) != pid)
    return -6000;
  return status;
}

static void body_sleep(void) {
  signal_ready();
  sleep(1000000);
}

static int block[2];  // a pipe nobody writes to (or reads from)

static void body_read(void) {
  signal_ready();
  char c;
  read(block[0], &c, 1);
}

static void body_write(void) {
  static char buf[PGSIZE];
  signal_ready();
  for (;;)
    write(block[1], buf, sizeof(buf));  // fills the pipe, then blocks
}

static void body_spin(void) {
  signal_ready();
  volatile unsigned long n = 0;
  for (;;)
    n++;
}

static void body_kill_self(void) {
  signal_ready();
  kill(getpid());
  // The kill takes effect on the way back to user mode at the latest.
  for (volatile int i = 0; i < 1000; i++)
    getpid();
  exit(51);
}

static int grand[2];

static void body_wait(void) {
  int pid = fork();
  if (pid == 0) {
    sleep(1000000);
    exit(52);
  }
  write(grand[1], &pid, sizeof(pid));
  signal_ready();
  wait(0);
}

// Kills REPEAT children running body, each right after it reports that it
// starts; returns how many exited with status -1. The kill may land before,
// while or after the child goes to sleep: every case must end the child
// (a lost wake-up hangs the test, and the runner reports the timeout).
#define REPEAT 20
static int kill_many_times(void (*body)(void)) {
  int minus_one = 0;
  for (int i = 0; i < REPEAT; i++) {
    if (pipe(block) < 0)
      return -1;
    minus_one += kill_and_reap(spawn(body)) == -1;
    close(block[0]);
    close(block[1]);
  }
  return minus_one;
}

static void test_kill_blocked(void) {
  EXPECT_EQ(kill_many_times(body_sleep), REPEAT,
            "kill a process asleep in sleep(): status -1 (%d times)", REPEAT);
  EXPECT_EQ(kill_many_times(body_read), REPEAT,
            "kill a process blocked reading an empty pipe (%d times)", REPEAT);
  EXPECT_EQ(kill_many_times(body_write), REPEAT,
            "kill a process blocked writing a full pipe (%d times)", REPEAT);
  EXPECT_EQ(kill_many_times(body_spin), REPEAT,
            "kill a process spinning in user mode (%d times)", REPEAT);
  int pid = spawn(body_kill_self);
  int status = 0;
  EXPECT_EQ(wait(&status), pid, "a process that kills itself ends");
  EXPECT_EQ(status, -1, "with status -1");
}

static void test_kill_waiting_parent(void) {
  ASSERT_EQ(pipe(grand), 0, "pipe");
  int pid = spawn(body_wait);
  ASSERT_GT(pid, 0, "fork");  // (else nobody would write to grand)
  int gpid = -1;
  EXPECT_EQ(read(grand[0], &gpid, sizeof(gpid)), sizeof(gpid),
            "the child reports its own child");
  EXPECT_EQ(kill_and_reap(pid), -1, "kill a process blocked in wait()");
  ASSERT_GT(gpid, 0, "grandchild pid");
  struct procinfo pi;
  EXPECT_EQ(test_find_proc(gpid, &pi), 1, "its child lives on");
  EXPECT_EQ(pi.ppid, test_pid_of("init"), "re-parented to init");
  EXPECT_EQ(kill(gpid), 0, "kill the orphan, which is not our child");
  EXPECT_TRUE(test_await_proc(gpid, 0, 30), "init reaps it");
  close(grand[0]);
  close(grand[1]);
}

static void test_kill_many(void) {
  enum { N = 10 };
  int pids[N];
  for (int i = 0; i < N; i++)
    pids[i] = spawn(i % 2 ? body_spin : body_sleep);
  int killed = 0;
  for (int i = 0; i < N; i++)
    killed += pids[i] > 0 && kill(pids[i]) == 0;
  EXPECT_EQ(killed, N, "kill %d children, half spinning, half asleep", N);
  int minus_one = 0;
  for (int i = 0; i < N; i++) {
    int status = 0;
    if (wait(&status) > 0 && status == -1)
      minus_one++;
  }
  EXPECT_EQ(minus_one, N, "all of them exit with status -1");
  EXPECT_EQ(wait(0), -1, "no child is left");
}

static void test_killed_files_closed(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(p[0]);
    signal_ready();
    sleep(1000000);
    exit(53);
  }
  ASSERT_GT(pid, 0, "fork");  // (else nobody would signal ready)
  close(p[1]);
  await_ready();
  EXPECT_EQ(kill_and_reap(pid), -1, "kill a child holding a pipe's write end");
  char c;
  EXPECT_EQ(read(p[0], &c, 1), 0, "its end was closed: the reader sees EOF");
  close(p[0]);
}

static void test_kill_bad(void) {
  EXPECT_EQ(kill(-1), -1, "kill(-1) fails");
  EXPECT_EQ(kill(0), -1, "kill(0) fails");
  EXPECT_EQ(kill(999999), -1, "kill of a pid that does not exist fails");
  EXPECT_EQ(kill(0x7fffffff), -1, "kill(INT_MAX) fails");
  // docs/design.md: init reaps orphans and must not die.
  EXPECT_EQ(kill(1), -1, "kill of init (pid 1) is refused");
  struct procinfo init;
  EXPECT_TRUE(test_find_proc(1, &init) == 1 && init.state != PI_ZOMBIE,
              "and init lives on");
  int pid = fork();
  if (pid == 0)
    exit(0);
  int status = 0;
  wait(&status);
  EXPECT_EQ(kill(pid), -1, "kill of a reaped child fails");

  // A zombie keeps the status it exited with, whatever kill does to it.
  pid = fork();
  if (pid == 0)
    exit(44);
  ASSERT_GT(pid, 0, "fork");  // (else the wait below would last 30 s)
  test_await_proc(pid, PI_ZOMBIE, 30);
  kill(pid);
  EXPECT_EQ(wait(&status), pid, "reap a zombie that was killed");
  EXPECT_EQ(status, 44, "it keeps its own exit status");
}

int main(void) {
  ASSERT_EQ(pipe(ready), 0, "pipe");
  test_kill_blocked();
  test_kill_waiting_parent();
  test_kill_many();
  test_killed_files_closed();
  test_kill_bad();
  test_done();
}
