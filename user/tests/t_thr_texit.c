// t_thr_texit: texit(where, what) and the end of a process's last thread.
//
// - texit stores `what` to *where, and wakes a thread that is already asleep
//   in futex_wait on that word (it is checked to be asleep first), and wakes
//   every waiter, not just one.
// - texit(NULL, x) and texit with an unusable pointer (kernel address,
//   read-only text, misaligned) just end the thread; nothing else changes.
// - The last thread's texit ends the process with status 0, whatever `what`
//   is, also when the first thread was not the last one; the parent's wait()
//   sees status 0 and no thread of the process is left.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

// --- texit stores and wakes a sleeping waiter.
static int word;
static int main_tid;

static void exit_when_main_sleeps(void *arg) {
  (void)arg;
  // Wait until the main thread is asleep in futex_wait(&word, 0), so that
  // only texit's wake-up can get it out of there.
  while (thr_state(main_tid) != PI_SLEEPING)
    yield(-1);
  texit(&word, 42);
}

static int waiters_woken;
static int waiters_ready;
static int gate;

static void gate_waiter(void *arg) {
  (void)arg;
  thr_bump(&waiters_ready);
  while (LOAD(&gate) == 0)
    futex_wait(&gate, 0);
  thr_bump(&waiters_woken);
  texit(0, 0);
}

static int gate_closer_go;
static void gate_texit(void *arg) {
  (void)arg;
  thr_wait_change(&gate_closer_go, 0);
  texit(&gate, -5);
}

static void test_store_and_wake(void) {
  main_tid = gettid();
  int t = thr_spawn(stacks, exit_when_main_sleeps, 0);
  ASSERT_GT(t, 0, "spawn");
  // One futex_wait, no loop: it must return because texit woke us (or
  // because the word had already changed, which the thread prevents).
  int r = futex_wait(&word, 0);
  EXPECT_EQ(r, 0, "futex_wait returns 0 when woken by texit");
  EXPECT_EQ(LOAD(&word), 42, "texit stored its value");
  EXPECT_TRUE(thr_await_state(t, 0, 10), "the texited thread is gone");

  // Three waiters, one texit: all three wake.
  int w[3];
  for (int i = 0; i < 3; i++)
    w[i] = thr_spawn(stacks + (1 + i) * PGSIZE, gate_waiter, 0);
  int c = thr_spawn(stacks + 4 * PGSIZE, gate_texit, 0);
  ASSERT_TRUE(w[0] > 0 && w[1] > 0 && w[2] > 0 && c > 0, "spawn 4 threads");
  thr_wait_atleast(&waiters_ready, 3);
  int asleep = 1;
  for (int i = 0; i < 3; i++)
    if (!thr_await_state(w[i], PI_SLEEPING, 10))
      asleep = 0;
  EXPECT_TRUE(asleep, "3 threads asleep in futex_wait");
  thr_bump(&gate_closer_go);
  thr_wait_atleast(&waiters_woken, 3);
  EXPECT_EQ(LOAD(&waiters_woken), 3, "texit woke all 3 waiters");
  EXPECT_EQ(LOAD(&gate), -5, "and stored -5");
  EXPECT_TRUE(thr_await_count(getpid(), 1, 10), "all 4 threads are gone");
}

// --- texit with no or unusable pointers.
static int bad_started;
static void texit_to(void *arg) {
  thr_bump(&bad_started);
  texit((int *)arg, 99);
}

static const int in_rodata = 5;
static int misaligned_target[2];

static void test_bad_where(void) {
  int *ptrs[] = {0, (int *)0x80000000UL, (int *)0x80200000UL,
                 (int *)(void *)&in_rodata, (int *)((char *)misaligned_target + 1),
                 (int *)(void *)test_bad_where};
  const char *what[] = {"NULL", "0x80000000", "kernel text", "read-only data",
                        "a misaligned word", "program text"};
  int n = sizeof(ptrs) / sizeof(ptrs[0]);
  for (int i = 0; i < n; i++) {
    int t = thr_spawn(stacks + PGSIZE * (5 + i), texit_to, ptrs[i]);
    EXPECT_TRUE(t > 0 && thr_await_state(t, 0, 10),
                "texit(%s, 99) ends the thread", what[i]);
  }
  EXPECT_EQ(LOAD(&bad_started), n, "all %d ran", n);
  EXPECT_EQ(in_rodata, 5, "read-only data unchanged");
  EXPECT_TRUE(misaligned_target[0] == 0 && misaligned_target[1] == 0,
              "no misaligned store happened");
  EXPECT_EQ(thr_count(getpid()), 1, "the process is fine, one thread left");
}

// --- The last texit ends the process with status 0.
static int pipefd[2];

static int first_gone;

static void late_thread(void *arg) {
  long i = (long)arg;
  // Wait until the first thread has texited (thread 0 watches the table;
  // the others wait for its word), then report through the pipe.
  if (i == 0) {
    while (thr_state(getpid()) != 0)
      sleep(1);
    thr_bump(&first_gone);
  } else {
    thr_wait_change(&first_gone, 0);
  }
  char c = 'a' + i;
  write(pipefd[1], &c, 1);
  texit(0, (int)(100 + i));
}

static int child_last_texit(void *arg) {
  (void)arg;
  close(pipefd[0]);
  for (long i = 0; i < 5; i++)
    if (thr_spawn(stacks + i * PGSIZE, late_thread, (void *)i) < 0)
      return 10;
  // pipefd[1] stays open: the threads share the file table. It closes when
  // the process ends, which gives the parent its EOF.
  texit(0, 77);  // the first thread goes first; `what` is not a status
}

static int last_word;
static void last_texits_with_value(void *arg) {
  (void)arg;
  while (thr_state(getpid()) != 0)
    sleep(1);
  texit(&last_word, 55);
}

static int child_last_with_store(void *arg) {
  (void)arg;
  if (thr_spawn(stacks, last_texits_with_value, 0) < 0)
    return 10;
  texit(0, 0);
}

static int child_main_only(void *arg) {
  (void)arg;
  texit(0, 123);
}

static void test_last_texit(void) {
  ASSERT_EQ(pipe(pipefd), 0, "pipe");
  int pid = fork();
  if (pid == 0)
    exit(child_last_texit(0));
  ASSERT_GE(pid, 0, "fork");
  close(pipefd[1]);
  char buf[8];
  int got = 0, r;
  while ((r = read(pipefd[0], buf + got, sizeof(buf) - got)) > 0)
    got += r;
  close(pipefd[0]);
  EXPECT_EQ(got, 5, "5 threads ran on after the first thread's texit");
  int status = -12345;
  EXPECT_EQ(wait(&status), pid, "wait returns the process");
  EXPECT_EQ(status, 0, "the last texit ended it with status 0");
  EXPECT_EQ(thr_records(pid), 0, "no record of it is left");

  EXPECT_EQ(test_child_status(child_last_with_store, 0), 0,
            "last thread texit(&w, 55): status 0");
  EXPECT_EQ(test_child_status(child_main_only, 0), 0,
            "single-threaded process texit(NULL, 123): status 0");
}

int main(void) {
  stacks = thr_pages(16);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_store_and_wake();
  test_bad_where();
  test_last_texit();
  test_done();
}
