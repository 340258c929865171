// t_lib_pthread: pthread_create, pthread_join, pthread_exit, pthread_self,
// pthread_equal, pthread_detach and the stack size attribute.
//
// - join returns each thread's exit value, whether the thread returned it
//   or passed it to pthread_exit from deep in its call stack;
// - a chain of 15 threads, each creating and joining the next, and a binary
//   tree of 63 threads (each inner one creates and joins two children) give
//   exact sums;
// - the POSIX error numbers: EDEADLK, ESRCH, EINVAL;
// - stacks are freed at join, and for detached threads after they end: the
//   heap's top stays put over many create/join and create-detached cycles;
// - a larger stack from pthread_attr_setstacksize is usable;
// - pthread_exit in the main thread leaves the process running until its
//   last thread ends.
// timeout: 120
#include <pthread.h>

#include "test.h"

static void *square_plus_one(void *arg) {
  long i = (long)arg;
  return (void *)(i * i + 1);
}

static __attribute__((noinline)) long exit_deep(long depth, long value) {
  if (depth < 0)
    return 0;
  if (depth == 0)
    pthread_exit((void *)value);
  return exit_deep(depth - 1, value) + 1;  // not a tail call: a real frame
}

static void *exits_from_deep(void *arg) {
  exit_deep(10, (long)arg * 3);
  return (void *)-1;  // not reached
}

static pthread_t self_seen[8];

static void *reports_self(void *arg) {
  self_seen[(long)arg] = pthread_self();
  return arg;
}

static void test_join_values(void) {
  pthread_t t[8];
  int made = 0;
  for (long i = 0; i < 8; i++)
    made += pthread_create(&t[i], NULL, i % 2 ? square_plus_one : exits_from_deep,
                           (void *)i) == 0;
  ASSERT_EQ(made, 8, "8 threads created");
  int right = 0;
  for (long i = 0; i < 8; i++) {
    void *v = NULL;
    if (pthread_join(t[i], &v) == 0 && (long)v == (i % 2 ? i * i + 1 : i * 3))
      right++;
  }
  EXPECT_EQ(right, 8, "join returns each thread's value (returned or via pthread_exit)");

  made = 0;
  for (long i = 0; i < 8; i++)
    made += pthread_create(&t[i], NULL, reports_self, (void *)i) == 0;
  int same = 0, distinct = 1;
  for (long i = 0; i < made; i++) {
    pthread_join(t[i], NULL);  // NULL: the value is not wanted
    same += pthread_equal(self_seen[i], t[i]) != 0;
    for (long j = 0; j < i; j++)
      if (pthread_equal(t[i], t[j]))
        distinct = 0;
  }
  EXPECT_EQ(same, 8, "pthread_self in a thread equals the id pthread_create gave");
  EXPECT_TRUE(distinct, "threads alive at the same time have distinct ids");
  EXPECT_TRUE(pthread_equal(pthread_self(), pthread_self()), "pthread_equal(self, self)");
  EXPECT_EQ((long)pthread_self(), (long)getpid(), "the main thread's id is the pid");
}

// A chain: level k creates level k+1 and joins it, and returns k plus what
// the rest of the chain returned.
#define CHAIN 15

static void *chain(void *arg) {
  long level = (long)arg;
  if (level == CHAIN)
    return (void *)level;
  pthread_t next;
  if (pthread_create(&next, NULL, chain, (void *)(level + 1)) != 0)
    return (void *)-100000L;
  void *rest = NULL;
  if (pthread_join(next, &rest) != 0)
    return (void *)-100000L;
  return (void *)(level + (long)rest);
}

// A binary tree: node n (heap numbering, root 1) creates nodes 2n and 2n+1
// down to depth 5 (63 nodes) and returns the sum of its subtree's numbers.
static void *tree(void *arg) {
  long n = (long)arg;
  if (n >= 32)
    return (void *)n;
  pthread_t l, r;
  int okl = pthread_create(&l, NULL, tree, (void *)(2 * n)) == 0;
  int okr = pthread_create(&r, NULL, tree, (void *)(2 * n + 1)) == 0;
  void *vl = (void *)-100000L, *vr = (void *)-100000L;
  if (okl)
    pthread_join(l, &vl);
  if (okr)
    pthread_join(r, &vr);
  return (void *)(n + (long)vl + (long)vr);
}

static void test_chain_and_tree(void) {
  pthread_t t;
  void *v = NULL;
  ASSERT_EQ(pthread_create(&t, NULL, chain, (void *)1L), 0, "chain started");
  EXPECT_EQ(pthread_join(t, &v), 0, "chain joined");
  EXPECT_EQ((long)v, CHAIN * (CHAIN + 1) / 2, "a create/join chain %d deep sums 1..%d", CHAIN,
            CHAIN);

  v = NULL;
  ASSERT_EQ(pthread_create(&t, NULL, tree, (void *)1L), 0, "tree started");
  EXPECT_EQ(pthread_join(t, &v), 0, "tree joined");
  EXPECT_EQ((long)v, 63 * 64 / 2, "a binary create/join tree of 63 threads sums 1..63");
}

static int stop_flag;

static void *wait_for_stop(void *arg) {
  while (__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&stop_flag, 0);
  return arg;
}

static void *join_self(void *arg) {
  (void)arg;
  return (void *)(long)pthread_join(pthread_self(), NULL);
}

static void test_errors(void) {
  EXPECT_EQ(pthread_join(pthread_self(), NULL), EDEADLK, "joining oneself is EDEADLK");
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, NULL, join_self, NULL), 0, "created");
  void *v = NULL;
  pthread_join(t, &v);
  EXPECT_EQ((long)v, EDEADLK, "a thread joining itself gets EDEADLK");
  EXPECT_EQ(pthread_join(t, NULL), ESRCH, "joining a thread already joined is ESRCH");
  EXPECT_EQ(pthread_join((pthread_t)999999, NULL), ESRCH, "joining an unknown id is ESRCH");
  EXPECT_EQ(pthread_detach((pthread_t)999999), ESRCH, "detaching an unknown id is ESRCH");

  stop_flag = 0;
  ASSERT_EQ(pthread_create(&t, NULL, wait_for_stop, NULL), 0, "created");
  EXPECT_EQ(pthread_detach(t), 0, "detach a running thread");
  EXPECT_EQ(pthread_detach(t), EINVAL, "detaching it again is EINVAL");
  EXPECT_EQ(pthread_join(t, NULL), EINVAL, "joining a detached thread is EINVAL");
  __atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
  futex_wake(&stop_flag, NTHR);

  pthread_attr_t a;
  EXPECT_EQ(pthread_attr_init(&a), 0, "pthread_attr_init");
  EXPECT_EQ(pthread_attr_setstacksize(&a, 100), EINVAL, "a stack below PTHREAD_STACK_MIN is EINVAL");
  EXPECT_EQ(pthread_attr_setdetachstate(&a, 7), EINVAL, "an unknown detach state is EINVAL");
  pthread_attr_destroy(&a);
}

// ---------------------------------------------------------------------------
// Memory: stacks are freed.

static int detached_done;

static void *count_and_end(void *arg) {
  (void)arg;
  __atomic_fetch_add(&detached_done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void test_stacks_freed(void) {
  // Warm up the heap.
  pthread_t t[8];
  for (int i = 0; i < 8; i++)
    pthread_create(&t[i], NULL, count_and_end, NULL);
  for (int i = 0; i < 8; i++)
    pthread_join(t[i], NULL);

  char *before = sbrk(0);
  int bad = 0;
  for (int round = 0; round < 100 && !bad; round++) {
    for (int i = 0; i < 8; i++)
      bad |= pthread_create(&t[i], NULL, count_and_end, NULL) != 0;
    for (int i = 0; i < 8; i++)
      bad |= pthread_join(t[i], NULL) != 0;
  }
  EXPECT_EQ(bad, 0, "800 pthread create/join cycles");
  EXPECT_LE((char *)sbrk(0) - before, 4 * PGSIZE, "the heap did not grow: joined stacks are freed");

  // Detached threads: their stacks are freed by later pthread calls. Keep
  // at most 8 unfinished at a time, so the heap needs room for about that.
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  detached_done = 0;
  before = sbrk(0);
  int made = 0;
  for (int i = 0; i < 400 && !bad; i++) {
    while (made - __atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) >= 8)
      yield(-1);
    if (pthread_create(&t[0], &a, count_and_end, NULL) != 0)
      bad = 1;
    else
      made++;
  }
  while (__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) < made)
    yield(-1);
  EXPECT_EQ(made, 400, "400 detached threads created and all ran");
  EXPECT_LE((char *)sbrk(0) - before, 16 * (PTHREAD_STACK_DEFAULT + 64),
            "the heap stays bounded: stacks of ended detached threads are freed");
  pthread_attr_destroy(&a);
}

// ---------------------------------------------------------------------------
// A bigger stack.

#define BIG (256 * 1024)

static void *use_big_stack(void *arg) {
  (void)arg;
  volatile char buf[200 * 1024];
  for (int i = 0; i < (int)sizeof(buf); i += 512)
    buf[i] = (char)i;
  long sum = 0;
  for (int i = 0; i < (int)sizeof(buf); i += 512)
    sum += buf[i] == (char)i;
  return (void *)sum;
}

static void test_stacksize(void) {
  pthread_attr_t a;
  size_t size = 0;
  pthread_attr_init(&a);
  pthread_attr_getstacksize(&a, &size);
  EXPECT_EQ(size, PTHREAD_STACK_DEFAULT, "the default stack size is PTHREAD_STACK_DEFAULT");
  EXPECT_EQ(pthread_attr_setstacksize(&a, BIG), 0, "set a %d KiB stack", BIG / 1024);
  pthread_attr_getstacksize(&a, &size);
  EXPECT_EQ(size, BIG, "and read it back");
  pthread_t t;
  void *v = NULL;
  ASSERT_EQ(pthread_create(&t, &a, use_big_stack, NULL), 0, "create with the stack size attribute");
  pthread_join(t, &v);
  EXPECT_EQ((long)v, 200 * 1024 / 512, "the thread used 200 KiB of its stack");
  pthread_attr_destroy(&a);
}

// ---------------------------------------------------------------------------
// Running out: pthread_create says EAGAIN when the kernel has no thread left
// (NTHR in the whole system), and nothing leaks on the way.

static int hold;

static void *held(void *arg) {
  while (__atomic_load_n(&hold, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&hold, 0);
  return arg;
}

static void test_exhaustion(void) {
  static pthread_t t[NTHR + 1];
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
  hold = 0;
  char *before = sbrk(0);
  int made = 0, err = 0;
  while (made <= NTHR) {
    err = pthread_create(&t[made], &a, held, (void *)(long)made);
    if (err != 0)
      break;
    made++;
  }
  EXPECT_EQ(err, EAGAIN, "pthread_create fails with EAGAIN when no thread is left (after %d)",
            made);
  EXPECT_LT(made, NTHR, "fewer than NTHR threads could be made");
  __atomic_store_n(&hold, 1, __ATOMIC_RELEASE);
  futex_wake(&hold, NTHR);
  int right = 0;
  for (int i = 0; i < made; i++) {
    void *v = NULL;
    right += pthread_join(t[i], &v) == 0 && (long)v == i;
  }
  EXPECT_EQ(right, made, "all %d joined with their values", made);
  // The kernel frees a thread's slot a little after texit; wait for it.
  pthread_t again;
  int tries = 0;
  while (pthread_create(&again, &a, square_plus_one, (void *)3L) != 0 && tries++ < 100 * test_hz())
    sleep(1);
  void *v = NULL;
  pthread_join(again, &v);
  EXPECT_EQ((long)v, 10, "threads can be made again afterwards");
  // The stacks all went back to malloc's free list: the heap can serve
  // the same again without growing.
  char *mid = sbrk(0);
  hold = 0;
  int remade = 0;
  for (int i = 0; i < made / 2; i++)
    remade += pthread_create(&t[i], &a, held, NULL) == 0;
  __atomic_store_n(&hold, 1, __ATOMIC_RELEASE);
  futex_wake(&hold, NTHR);
  for (int i = 0; i < remade; i++)
    pthread_join(t[i], NULL);
  EXPECT_EQ((char *)sbrk(0), mid, "the heap did not grow for %d more threads (it grew %ld bytes "
            "for the first %d)", remade, (long)(mid - before), made);
  pthread_attr_destroy(&a);
}

// ---------------------------------------------------------------------------
// pthread_exit in the main thread, in a child process.

static void *exit_later(void *arg) {
  (void)arg;
  sleep(2);
  exit(42);
}

static int main_exits(void *arg) {
  (void)arg;
  pthread_t t;
  if (pthread_create(&t, NULL, exit_later, NULL) != 0)
    return 1;
  pthread_exit(NULL);
}

static void test_main_exit(void) {
  EXPECT_EQ(test_child_status(main_exits, NULL), 42,
            "after pthread_exit in main, the other thread runs on and decides the exit status");
}

int main(void) {
  test_join_values();
  test_chain_and_tree();
  test_errors();
  test_stacks_freed();
  test_stacksize();
  test_exhaustion();
  test_main_exit();
  test_done();
}
