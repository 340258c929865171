// t_thr_spawn: tspawn() threads inside one process.
//
// - Memory is shared both ways: globals, the heap and the creator's stack.
// - The argument arrives whole (all 64 bits of a0).
// - Entry state: ra is the fake return address 0xffffffff, sp is stktop
//   rounded down to 16 (checked with the frame address, which is the sp at
//   entry), and tspawn returns the tid that gettid() reports in the thread.
// - gettid: the main thread's tid is the pid; spawned threads have other,
//   distinct tids, also when spawned concurrently by several threads.
// - Bad arguments give -1 and create no thread: stktop or f NULL, below
//   0x1000, past the break, or a kernel address. A stack top at the break
//   (the natural "top of sbrk'd memory") is fine.
// - Returning from the thread function ends only that thread: the process
//   and its other threads go on.
// timeout: 60
#include "t_thr_util.h"

#define NT 8

struct seen {
  int done;         // texit stores 1 here
  int tid;          // gettid() in the thread
  int pid;          // getpid() in the thread
  long arg;         // a0 as received
  unsigned long ra; // __builtin_return_address(0)
  unsigned long fp; // __builtin_frame_address(0): sp at entry
  int global_seen;  // the value of g_to_thread it read
  int stack_seen;   // the value it read through a pointer to main's stack
};

static struct seen seen[NT];
static int g_to_thread;
static int g_from_thread;
static int *g_main_stack_ptr;
static int *g_heap_ptr;

static __attribute__((noinline)) void probe(void *arg) {
  struct seen *s = &seen[(long)arg & 0xff];
  s->ra = (unsigned long)__builtin_return_address(0);
  s->fp = (unsigned long)__builtin_frame_address(0);
  s->arg = (long)arg;
  s->tid = gettid();
  s->pid = getpid();
  s->global_seen = LOAD(&g_to_thread);
  s->stack_seen = LOAD(g_main_stack_ptr);
  // Write back: a global, the heap and main's stack.
  STORE(&g_from_thread, 0x600d);
  STORE(g_heap_ptr, 0x4ea9);
  STORE(g_main_stack_ptr, 0x57ac);
  texit(&s->done, 1);
}

static void test_sharing_and_entry(char *stacks) {
  volatile int on_main_stack = 0x1234;
  g_main_stack_ptr = (int *)&on_main_stack;
  g_heap_ptr = malloc(sizeof(int));
  *g_heap_ptr = 0;
  g_to_thread = 0x7e57;

  // Upper bits in the argument: they must arrive whole; the low byte picks
  // the record.
  long arg = 0x5a5a00c0ffee0000L;
  char *top = stacks + PGSIZE;
  int tid = tspawn(top, probe, (void *)arg);
  ASSERT_GT(tid, 0, "tspawn returns a tid");
  EXPECT_EQ(thr_wait_change(&seen[0].done, 0), 1, "the thread ran and texited");
  struct seen *s = &seen[0];
  EXPECT_EQ(s->arg, arg, "the argument arrives in a0 with all 64 bits");
  EXPECT_EQ(s->ra, FAKE_RA, "the thread starts with ra == 0xffffffff");
  EXPECT_EQ(s->fp, (unsigned long)top, "sp at entry is the stack top given");
  EXPECT_EQ(s->tid, tid, "gettid() in the thread is what tspawn returned");
  EXPECT_EQ(s->pid, getpid(), "getpid() in the thread is the process's pid");
  EXPECT_EQ(s->global_seen, 0x7e57, "the thread sees a global set before");
  EXPECT_EQ(s->stack_seen, 0x1234, "the thread reads main's stack");
  EXPECT_EQ(LOAD(&g_from_thread), 0x600d, "main sees the thread's global write");
  EXPECT_EQ(LOAD(g_heap_ptr), 0x4ea9, "main sees the thread's heap write");
  EXPECT_EQ(on_main_stack, 0x57ac, "main sees the thread's write to its stack");

  // A stack top that is not 16-aligned is rounded down to 16.
  char *odd = stacks + 2 * PGSIZE - 9;
  tid = tspawn(odd, probe, (void *)1L);
  ASSERT_GT(tid, 0, "tspawn with a misaligned stack top");
  thr_wait_change(&seen[1].done, 0);
  EXPECT_EQ(seen[1].fp, ((unsigned long)odd) & ~15UL,
            "sp is the stack top rounded down to 16");
  EXPECT_EQ(seen[1].fp % 16, 0, "sp is 16-aligned");
  EXPECT_EQ(seen[1].ra, FAKE_RA, "ra is 0xffffffff here too");
  free(g_heap_ptr);
}

// gettid values.
static int tids_from_threads[NT];
static int tid_done[NT];

static void record_tid(void *arg) {
  long i = (long)arg;
  tids_from_threads[i] = gettid();
  texit(&tid_done[i], 1);
}

// Several threads spawn at once; each records the tid tspawn gave it.
static int nested_tids[4][4];
static int nested_got[4][4];
static int nested_done[4];
static int nested_child_done[4][4];
static char *nested_stacks;

static void nested_child(void *arg) {
  long k = (long)arg;
  nested_got[k / 4][k % 4] = gettid();
  texit(&nested_child_done[k / 4][k % 4], 1);
}

static void nested_parent(void *arg) {
  long i = (long)arg;
  for (int j = 0; j < 4; j++)
    nested_tids[i][j] = thr_spawn(nested_stacks + (4 + i * 4 + j) * PGSIZE,
                                  nested_child, (void *)(i * 4 + j));
  for (int j = 0; j < 4; j++)
    if (nested_tids[i][j] > 0)
      thr_wait_change(&nested_child_done[i][j], 0);
  texit(&nested_done[i], 1);
}

static void test_gettid(char *stacks) {
  EXPECT_EQ(gettid(), getpid(), "the main thread's tid is the pid");
  int tids[NT];
  for (int i = 0; i < NT; i++)
    tids[i] = thr_spawn(stacks + i * PGSIZE, record_tid, (void *)(long)i);
  int ok_ret = 1, ok_seen = 1, distinct = 1, not_pid = 1;
  for (int i = 0; i < NT; i++) {
    if (tids[i] <= 0) {
      ok_ret = 0;
      continue;
    }
    thr_wait_change(&tid_done[i], 0);
    if (tids_from_threads[i] != tids[i])
      ok_seen = 0;
    if (tids[i] == getpid())
      not_pid = 0;
    for (int j = 0; j < i; j++)
      if (tids[j] == tids[i])
        distinct = 0;
  }
  EXPECT_TRUE(ok_ret, "%d tspawns succeed", NT);
  EXPECT_TRUE(ok_seen, "each thread's gettid() is the tid tspawn returned");
  EXPECT_TRUE(not_pid, "no spawned thread has the pid as its tid");
  EXPECT_TRUE(distinct, "the %d tids are distinct", NT);

  // 4 threads each spawn 4 more, at the same time.
  nested_stacks = stacks;
  int ptids[4];
  for (int i = 0; i < 4; i++)
    ptids[i] = thr_spawn(stacks + i * PGSIZE, nested_parent, (void *)(long)i);
  int all = 1;
  for (int i = 0; i < 4; i++) {
    if (ptids[i] <= 0)
      all = 0;
    else
      thr_wait_change(&nested_done[i], 0);
  }
  EXPECT_TRUE(all, "4 threads spawned");
  int ids[20], n = 0, ok = 1;
  for (int i = 0; i < 4; i++) {
    ids[n++] = ptids[i];
    for (int j = 0; j < 4; j++) {
      if (nested_tids[i][j] <= 0 || nested_got[i][j] != nested_tids[i][j])
        ok = 0;
      ids[n++] = nested_tids[i][j];
    }
  }
  EXPECT_TRUE(ok, "threads spawned by threads: 16 tspawns succeed, "
                  "each gettid() matches");
  int dup = 0;
  for (int i = 0; i < n; i++) {
    if (ids[i] == getpid())
      dup = 1;
    for (int j = 0; j < i; j++)
      if (ids[i] == ids[j])
        dup = 1;
  }
  EXPECT_FALSE(dup, "20 tids from concurrent tspawns are distinct and none "
                    "is the pid");
}

// Bad arguments.
static int bad_ran;
static void should_not_run(void *arg) {
  (void)arg;
  STORE(&bad_ran, 1);
  texit(0, 0);
}

static int top_done;
static void at_top(void *arg) {
  (void)arg;
  texit(&top_done, 1);
}

static void test_bad_args(char *stacks) {
  char *top = stacks + PGSIZE;
  char *brk = sbrk(0);
  int me = getpid();
  // (The threads of the tests before have texited; let them finish ending.)
  EXPECT_TRUE(thr_await_count(me, 1, 10), "one thread before");
  int before = thr_count(me);
  EXPECT_EQ(tspawn(0, should_not_run, 0), -1, "stktop NULL: -1");
  EXPECT_EQ(tspawn((void *)0x800, should_not_run, 0), -1,
            "stktop in page 0: -1");
  EXPECT_EQ(tspawn((void *)0x80000000UL, should_not_run, 0), -1,
            "stktop at a kernel address (0x80000000): -1");
  EXPECT_EQ(tspawn((void *)0x80200000UL, should_not_run, 0), -1,
            "stktop at a kernel address (0x80200000): -1");
  EXPECT_EQ(tspawn(brk + PGSIZE, should_not_run, 0), -1,
            "stktop a page past the break: -1");
  EXPECT_EQ(tspawn((void *)-16L, should_not_run, 0), -1,
            "stktop 0xfff...f0: -1");
  EXPECT_EQ(tspawn(top, 0, 0), -1, "f NULL: -1");
  EXPECT_EQ(tspawn(top, (void (*)(void *))0x800, 0), -1, "f in page 0: -1");
  EXPECT_EQ(tspawn(top, (void (*)(void *))(brk + PGSIZE), 0), -1,
            "f past the break: -1");
  EXPECT_EQ(tspawn(top, (void (*)(void *))0x80200000UL, 0), -1,
            "f at a kernel address: -1");
  EXPECT_EQ(tspawn(top, (void (*)(void *))-4L, 0), -1, "f 0xfff...fc: -1");
  sleep(2);
  EXPECT_EQ(LOAD(&bad_ran), 0, "none of the refused threads ran");
  EXPECT_EQ(thr_count(me), before, "and none exists");

  // The top of the heap is a good stack top: memory just below it is ours.
  char *page = thr_pages(1);
  ASSERT_TRUE(page != 0, "sbrk one more page");
  char *end = page + PGSIZE;
  EXPECT_EQ(sbrk(0), end, "its end is the break");
  int tid = tspawn(end, at_top, 0);
  EXPECT_GT(tid, 0, "stktop exactly at the break works");
  if (tid > 0)
    thr_wait_change(&top_done, 0);
}

// Returning from the thread function.
static int ret_started;
static int sleeper_word;
static int sleeper_done;
static int spinner_stop;
static int spinner_count;
static int spinner_done;

static void returns(void *arg) {
  (void)arg;
  STORE(&ret_started, 1);
  futex_wake(&ret_started, 1);
  // falls off the end: jumps to 0xffffffff
}

static void sleeper(void *arg) {
  (void)arg;
  while (LOAD(&sleeper_word) == 0)
    futex_wait(&sleeper_word, 0);
  texit(&sleeper_done, 7);
}

static void spinner(void *arg) {
  (void)arg;
  while (!LOAD(&spinner_stop)) {
    ADD(&spinner_count, 1);
    yield(-1);
  }
  texit(&spinner_done, 8);
}

static void test_return_kills_thread(char *stacks) {
  int me = getpid();
  int st = thr_spawn(stacks + 0 * PGSIZE, sleeper, 0);
  int sp = thr_spawn(stacks + 1 * PGSIZE, spinner, 0);
  ASSERT_TRUE(st > 0 && sp > 0, "spawn a sleeper and a spinner");
  EXPECT_TRUE(thr_await_state(st, PI_SLEEPING, 10), "the sleeper is asleep");
  int rt = thr_spawn(stacks + 2 * PGSIZE, returns, 0);
  ASSERT_GT(rt, 0, "spawn a thread that returns from its function");
  thr_wait_change(&ret_started, 0);
  EXPECT_TRUE(thr_await_state(rt, 0, 10),
              "the returning thread is gone (fault at 0xffffffff)");
  EXPECT_EQ(thr_state(st), PI_SLEEPING, "the sleeper is still asleep");
  int c0 = LOAD(&spinner_count);
  int ticks = 0;
  while (LOAD(&spinner_count) < c0 + 10 && ticks++ < 5 * test_hz())
    sleep(1);
  EXPECT_GE(LOAD(&spinner_count), c0 + 10, "the spinner keeps running");
  EXPECT_TRUE(thr_await_count(me, 3, 10), "main, sleeper and spinner remain");
  STORE(&sleeper_word, 1);
  futex_wake(&sleeper_word, 1);
  STORE(&spinner_stop, 1);
  EXPECT_EQ(thr_wait_change(&sleeper_done, 0), 7, "the sleeper wakes and ends");
  EXPECT_EQ(thr_wait_change(&spinner_done, 0), 8, "the spinner ends");
  EXPECT_TRUE(thr_await_count(me, 1, 10), "only main is left");
}

int main(void) {
  char *stacks = thr_pages(24);
  ASSERT_TRUE(stacks != 0, "sbrk stack pages");
  test_sharing_and_entry(stacks);
  test_gettid(stacks);
  test_bad_args(stacks);
  test_return_kills_thread(stacks);
  test_done();
}
