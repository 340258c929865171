// t_thr_fault: a fault ends only the faulting thread.
//
// - Threads that load from NULL, store to a kernel address, store into the
//   program's (read-only) text, jump into the (non-executable) heap, run an
//   illegal instruction, or return from their function (jump to 0xffffffff)
//   each end alone (the kernel prints one line per fault); a sleeping and a
//   spinning thread of the same process run on, and the process goes on to
//   finish its work normally.
// - In a child process: the first thread faults, another thread carries on
//   (it sees the first thread gone), reports through a pipe, and its texit
//   as the last thread ends the process with status 0.
// - In a child process: the last thread faults (after the first thread has
//   texited): the process exits with status -1.
// - A clone that faults ends (it is a process of its own); join reaps it.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;
// Wild pointers, volatile so that the compiler neither sees nor removes them.
static volatile int *volatile wild_null = 0;
static volatile int *volatile wild_low = (volatile int *)0x10;
static volatile int *volatile wild_kernel = (volatile int *)0x80200000UL;

static void f_null(void *a) {
  (void)a;
  (void)*wild_null;
}
static void f_kernel(void *a) {
  (void)a;
  *wild_kernel = 1;
}
static void f_text(void *a) {
  (void)a;
  *(volatile int *)(void *)f_text = 0;
}
static void f_heap_exec(void *a) {
  // a points to heap memory holding a "ret" instruction: no X permission.
  ((void (*)(void))a)();
}
static void f_illegal(void *a) {
  (void)a;
  __asm__ volatile(".word 0");
}
static void f_return(void *a) { (void)a; }

static int sl_word, sl_done, sp_stop, sp_done;
static int sp_count;
static void sleeper(void *a) {
  (void)a;
  while (LOAD(&sl_word) == 0)
    futex_wait(&sl_word, 0);
  texit(&sl_done, 5);
}
static void spinner(void *a) {
  (void)a;
  while (!LOAD(&sp_stop)) {
    ADD(&sp_count, 1);
    yield(-1);
  }
  texit(&sp_done, 6);
}

static void test_faults_end_one_thread(void) {
  int me = getpid();
  int s1 = thr_spawn(stacks, sleeper, 0);
  int s2 = thr_spawn(stacks + PGSIZE, spinner, 0);
  ASSERT_TRUE(s1 > 0 && s2 > 0, "spawn a sleeper and a spinner");
  EXPECT_TRUE(thr_await_state(s1, PI_SLEEPING, 10), "the sleeper is asleep");
  unsigned *code = malloc(64);
  ASSERT_TRUE(code != 0, "malloc");  // (exit ends the sleeper and spinner)
  code[0] = 0x00008067;  // ret
  void (*fns[])(void *) = {f_null,    f_kernel, f_text,
                           f_heap_exec, f_illegal, f_return};
  const char *what[] = {"load from NULL", "store to a kernel address",
                        "store into program text", "jump into the heap",
                        "illegal instruction", "return from the function"};
  for (int i = 0; i < 6; i++) {
    int t = thr_spawn(stacks + (2 + i) * PGSIZE, fns[i], code);
    EXPECT_TRUE(t > 0 && thr_await_state(t, 0, 10), "%s ends the thread",
                what[i]);
    EXPECT_EQ(thr_count(me), 3, "the other 3 threads remain");
  }
  EXPECT_EQ(thr_state(s1), PI_SLEEPING, "the sleeper still sleeps");
  int c = LOAD(&sp_count), i = 0;
  while (LOAD(&sp_count) < c + 10 && i++ < 5 * test_hz())
    sleep(1);
  EXPECT_GE(LOAD(&sp_count), c + 10, "the spinner still runs");
  thr_bump(&sl_word);
  STORE(&sp_stop, 1);
  EXPECT_EQ(thr_wait_change(&sl_done, 0), 5, "the sleeper ends normally");
  EXPECT_EQ(thr_wait_change(&sp_done, 0), 6, "the spinner ends normally");
  EXPECT_EQ(*(volatile unsigned *)code, 0x00008067u, "memory intact");
  free(code);
}

// The first thread faults; the other goes on and ends the process.
static int rep[2];
static void survivor(void *a) {
  int first = (int)(long)a;
  while (thr_state(first) != 0)
    sleep(1);
  write(rep[1], "s", 1);
  texit(0, 0);
}

static int first_faults(void *a) {
  (void)a;
  if (thr_spawn(stacks, survivor, (void *)(long)getpid()) < 0)
    return 10;
  *wild_null = 1;
  return 11;
}

static int last_word;
static void last_faulter(void *a) {
  (void)a;
  while (LOAD(&last_word) == 0)
    futex_wait(&last_word, 0);
  *wild_low = 1;
}

static int last_faults(void *a) {
  (void)a;
  if (thr_spawn(stacks, last_faulter, 0) < 0)
    return 10;
  texit(&last_word, 1);  // wakes it; it faults as the last thread
}

static void test_process_status(void) {
  ASSERT_EQ(pipe(rep), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(rep[0]);
    exit(first_faults(0));
  }
  ASSERT_GT(pid, 0, "fork");
  close(rep[1]);
  char c = 0;
  EXPECT_EQ(read(rep[0], &c, 1), 1,
            "after the first thread's fault another thread runs on");
  close(rep[0]);
  int status = -12345;
  EXPECT_EQ(wait(&status), pid, "wait");
  EXPECT_EQ(status, 0, "its texit as the last thread: status 0");

  EXPECT_EQ(test_child_status(last_faults, 0), -1,
            "the last thread's fault: status -1");
}

static int clone_ran;
static void clone_faults(void *a) {
  (void)a;
  STORE(&clone_ran, 1);
  *wild_null = 0;
}

static void test_clone_fault(void) {
  int c = clone(clone_faults, 0, stacks);
  ASSERT_GT(c, 0, "clone");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "a clone that faults ends; join reaps it");
  EXPECT_EQ(LOAD(&clone_ran), 1, "it ran");
  EXPECT_TRUE(thr_await_count(getpid(), 1, 10), "we are unaffected");
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_faults_end_one_thread();
  test_process_status();
  test_clone_fault();
  test_done();
}
