// t_lib_create: thread_create and thread_join (OSTEP style, on clone).
//
// thread_create returns the clone's pid and thread_join returns the same
// pid; the thread shares memory with its creator; returning from the start
// routine ends the thread cleanly; 2000 create/join cycles leave sbrk(0)
// where it was (every stack is freed); 30 threads at once compute a
// recursive function on their one-page stacks.
#include "test.h"

static volatile int shared_word;

static void set_word(void *arg) {
  shared_word = (int)(long)arg;
  exit(0);
}

static void just_return(void *arg) {
  shared_word = (int)(long)arg;
  // Returning here must end the thread like exit(0), not fault.
}

static void test_create_join(void) {
  shared_word = 0;
  int pid = thread_create(set_word, (void *)1234);
  EXPECT_GT(pid, 0, "thread_create returns a pid > 0");
  int joined = thread_join();
  EXPECT_EQ(joined, pid, "thread_join returns the pid thread_create gave");
  EXPECT_EQ(shared_word, 1234, "the thread wrote to memory its creator sees");
  EXPECT_EQ(thread_join(), -1, "thread_join with no thread left returns -1");

  shared_word = 0;
  pid = thread_create(just_return, (void *)99);
  ASSERT_GT(pid, 0, "thread_create for a start routine that returns");
  EXPECT_EQ(thread_join(), pid, "a thread whose start routine returns can be joined");
  EXPECT_EQ(shared_word, 99, "and it ran");
  EXPECT_EQ(wait(0), -1, "a joined thread is not left for wait()");
}

static volatile long cycles_sum;

static void add_one(void *arg) {
  (void)arg;
  __atomic_fetch_add(&cycles_sum, 1, __ATOMIC_SEQ_CST);
}

// 2000 threads are created and joined, BATCH at a time (so that the
// latencies of starting them on other harts overlap), with the heap's top
// checked before and after.
#define CYCLES 2000
#define BATCH 8

static void test_cycles(void) {
  // Warm up so that the heap has grown to what one batch needs.
  for (int i = 0; i < BATCH; i++)
    thread_create(add_one, NULL);
  while (thread_join() > 0)
    ;
  cycles_sum = 0;
  char *before = sbrk(0);
  unsigned long t0 = rdtime();
  int done = 0, bad = 0;
  while (done < CYCLES && !bad) {
    int pids[BATCH];
    for (int i = 0; i < BATCH; i++) {
      pids[i] = thread_create(add_one, NULL);
      if (pids[i] <= 0)
        bad = 1;
    }
    for (int i = 0; i < BATCH; i++) {
      int pid = thread_join();
      int mine = 0;
      for (int j = 0; j < BATCH; j++)
        if (pid > 0 && pids[j] == pid) {
          pids[j] = 0;
          mine = 1;
        }
      if (!mine)
        bad = 1;
      else
        done++;
    }
  }
  char *after = sbrk(0);
  test_note("%d create/join cycles: %lu ms", done, (rdtime() - t0) / 10000);
  EXPECT_EQ(bad, 0, "%d thread_create/thread_join cycles, each join returning a created pid",
            CYCLES);
  EXPECT_EQ(cycles_sum, CYCLES, "every thread ran once");
  EXPECT_LE(after - before, 4 * PGSIZE, "sbrk(0) stayed put: each stack was freed (grew %ld bytes)",
            (long)(after - before));
}

// Recursion on a one-page stack: fib(n) with noinline calls, so every level
// is a real frame. fib(17) nests 17 deep (well under a page) but makes
// thousands of calls, enough to be preempted and moved between harts.
static __attribute__((noinline)) int fib(int n) {
  volatile int keep = n;  // a local in every frame
  if (n < 2)
    return keep;
  return fib(n - 1) + fib(n - 2) + (keep - n);
}

// Deeper recursion with bigger frames: about 40 frames of 64 bytes, more
// than half of the page.
static __attribute__((noinline)) long deep(int n) {
  volatile char pad[32];
  pad[0] = (char)n;
  pad[31] = (char)n;
  if (n == 0)
    return 0;
  return deep(n - 1) + pad[0] + pad[31];
}

static int fib_iter(int n) {
  int a = 0, b = 1;
  for (int i = 0; i < n; i++) {
    int c = a + b;
    a = b;
    b = c;
  }
  return a;
}

#define NRECURSE 30
static int results[NRECURSE];
static int stack_ok[NRECURSE];

static void recurse(void *arg) {
  int id = (int)(long)arg;
  char mark[64];  // this thread's own stack, checked after the recursion
  memset(mark, id, sizeof(mark));
  int v = 0;
  for (int k = 0; k < 5; k++)
    v = fib(12 + (id + k) % 6);
  results[id] = v + (int)deep(40) - 40 * 41;  // deep(40) = 2 * (1 + ... + 40)
  int ok = 1;
  for (int i = 0; i < (int)sizeof(mark); i++)
    if (mark[i] != (char)id)
      ok = 0;
  stack_ok[id] = ok;
}

static void test_recursion(void) {
  int made = 0;
  for (int i = 0; i < NRECURSE; i++) {
    results[i] = -1;
    stack_ok[i] = 0;
    if (thread_create(recurse, (void *)(long)i) > 0)
      made++;
  }
  EXPECT_EQ(made, NRECURSE, "%d threads created at once", NRECURSE);
  int joined = 0;
  while (thread_join() > 0)
    joined++;
  EXPECT_EQ(joined, made, "all of them joined");
  int right = 0, stacks = 0;
  for (int i = 0; i < NRECURSE; i++) {
    if (results[i] == fib_iter(12 + (i + 4) % 6))
      right++;
    stacks += stack_ok[i];
  }
  EXPECT_EQ(right, NRECURSE, "every thread computed fib recursively on its one-page stack");
  EXPECT_EQ(stacks, NRECURSE, "no thread's stack was disturbed by another");
}

// Running out: thread_create returns -1 when there is no process slot left
// (a clone is a process; NPROC in the whole system), and frees what it took.
static int hold;

static void held(void *arg) {
  (void)arg;
  while (__atomic_load_n(&hold, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&hold, 0);
}

static void test_exhaustion(void) {
  hold = 0;
  int made = 0;
  while (made < NPROC && thread_create(held, NULL) > 0)
    made++;
  EXPECT_LT(made, NPROC, "thread_create returns -1 once no process is left (after %d)", made);
  __atomic_store_n(&hold, 1, __ATOMIC_RELEASE);
  futex_wake(&hold, NTHR);
  int joined = 0;
  while (thread_join() > 0)
    joined++;
  EXPECT_EQ(joined, made, "all %d joined", made);
  char *before = sbrk(0);
  hold = 1;
  int again = 0;
  for (int i = 0; i < made; i++) {
    // A process slot is free once its clone is reaped; allow the kernel a
    // moment anyway, the check is about our memory, not its timing.
    int tries = 0;
    while (thread_create(held, NULL) <= 0 && tries++ < 10 * test_hz())
      sleep(1);
    again += tries <= 10 * test_hz();
  }
  while (thread_join() > 0)
    ;
  EXPECT_EQ(again, made, "as many can be made again");
  EXPECT_EQ((char *)sbrk(0), before, "without the heap growing: the failed call freed its stack");
}

int main(void) {
  test_create_join();
  test_cycles();
  test_recursion();
  test_exhaustion();
  test_done();
}
