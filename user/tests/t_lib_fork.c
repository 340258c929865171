// t_lib_fork: fork in a threaded program. While other threads keep the
// library's locks busy (malloc/free, printf, pthread_create/join,
// thread_create/join), the main thread forks children one after another.
// Each child at once uses every one of those: malloc/free, a pthread, a
// clone, one fprintf; then exits 0. A lock that the child inherited held
// by a thread it does not have makes it hang (malloc spun forever before
// fork took the library's locks), so the parent gives each child a few
// seconds, then kills it and counts it as hung. Expected: none hung.
// Then a pthread (not the main thread) forks a few children the same way;
// in those the forking thread's pthread_t must be its new tid.
// timeout: 300
#include <pthread.h>

#include "test.h"

#define CHILDREN 48       // forked by the main thread
#define THREAD_CHILDREN 8  // forked by a pthread
#define MALLOCERS 3
#define HANG_SECONDS 3
#define KEEP 32  // live blocks per thread: a longer free list to walk

static int stop;
static int sink[2];  // workers and children print here; drain() empties it
static int ops[MALLOCERS + 2];
static pthread_t workers[MALLOCERS];

static void *drain(void *arg) {
  (void)arg;
  char buf[512];
  while (read(sink[0], buf, sizeof(buf)) > 0)
    ;
  return NULL;
}

// malloc/free of sizes from 1 byte to a few pages, a few blocks kept live
// so that the free list has holes, and a short line through both print
// locks in use: fd 2 (the console lock, shared with 0 and 1: fd 2 is a
// copy of the pipe here) and the pipe's own fd.
static void *mallocer(void *arg) {
  long id = (long)arg;
  unsigned seed = 12345 + (unsigned)id;
  void *keep[KEEP] = {0};
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    unsigned r = test_rand(&seed);
    int slot = r % KEEP;
    free(keep[slot]);
    size_t n = 1 + (r >> 8) % (r & 0x80 ? 12000 : 200);
    keep[slot] = malloc(n);
    if (keep[slot])
      memset(keep[slot], (int)id, n < 64 ? n : 64);
    if ((r >> 20) % 8 == 0)
      fprintf((r & 1) ? 2 : sink[1], "w%ld %u\n", id, r);
    __atomic_fetch_add(&ops[id], 1, __ATOMIC_RELAXED);
  }
  for (int i = 0; i < KEEP; i++)
    free(keep[i]);
  return NULL;
}

static void *nothing(void *arg) {
  return arg;
}

// Keeps the pthread table lock busy.
static void *pchurn(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) == 0)
      pthread_join(t, NULL);
    __atomic_fetch_add(&ops[MALLOCERS], 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void clone_body(void *arg) {
  free(malloc(100 + (long)arg));
}

// Keeps the clone table lock busy.
static void *cchurn(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    if (thread_create(clone_body, NULL) > 0)
      thread_join();
    __atomic_fetch_add(&ops[MALLOCERS + 1], 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

// The child: every library lock once. Exit status 0 if all of it worked.
// If a pthread forked, also: the parent's other threads are not in the
// child's thread table (joining one is ESRCH, not a wait for ever), and the
// forking thread's row carries its new tid (== pid).
static __attribute__((noreturn)) void child(int i, int by_pthread) {
  char *p = malloc(100 + i * 37);
  if (p == NULL)
    exit(2);
  memset(p, 'c', 100);
  free(p);
  pthread_t t;
  void *ret = NULL;
  if (pthread_create(&t, NULL, nothing, (void *)7L) != 0 || pthread_join(t, &ret) != 0 ||
      ret != (void *)7L)
    exit(3);
  if (thread_create(clone_body, NULL) <= 0 || thread_join() <= 0)
    exit(4);
  if (by_pthread) {
    if (pthread_join(workers[0], NULL) != ESRCH)
      exit(6);
    if (pthread_self() != (pthread_t)getpid() || pthread_detach(pthread_self()) != 0)
      exit(7);
  }
  char want[32];
  int n = test_format(want, sizeof(want), "child %d\n", i);
  if (fprintf(2, "child %d\n", i) != n)
    exit(5);
  exit(0);
}

// 1 once pid is a zombie (or gone), 0 if it is not after HANG_SECONDS.
static int finishes(int pid) {
  unsigned long deadline = rdtime() + HANG_SECONDS * 10000000UL;
  for (;;) {
    struct procinfo pi;
    int r = test_find_proc(pid, &pi);
    if (r == 0 || (r == 1 && pi.state == PI_ZOMBIE))
      return 1;
    if (rdtime() > deadline)
      return 0;
    sleep(1);
  }
}

struct tally {
  int forked, hung, failed;
};

static void fork_children(int n, int by_pthread, struct tally *t) {
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0)
      child(i, by_pthread);
    if (pid < 0)
      continue;
    t->forked++;
    int hung = !finishes(pid);
    if (hung) {
      t->hung++;
      kill(pid);
    }
    int status = -1;
    if (wait(&status) != pid || (!hung && status != 0)) {
      t->failed++;
      test_note("child %d: status %d", i, status);
    }
  }
}

static void *thread_forker(void *arg) {
  fork_children(THREAD_CHILDREN, 1, (struct tally *)arg);
  return NULL;
}

int main(void) {
  ASSERT_EQ(pipe(sink), 0, "pipe");
  // fd 2 becomes a copy of the pipe, so that prints to it take the console
  // print lock without filling the console.
  close(2);
  ASSERT_EQ(dup(sink[1]), 2, "fd 2 is the pipe");

  pthread_t dr, pc, cc;
  ASSERT_EQ(pthread_create(&dr, NULL, drain, NULL), 0, "drain thread");
  int made = 0;
  for (long i = 0; i < MALLOCERS; i++)
    made += pthread_create(&workers[i], NULL, mallocer, (void *)i) == 0;
  made += pthread_create(&pc, NULL, pchurn, NULL) == 0;
  made += pthread_create(&cc, NULL, cchurn, NULL) == 0;
  ASSERT_EQ(made, MALLOCERS + 2, "%d worker threads", MALLOCERS + 2);

  // Let every worker get going before the first fork.
  for (int i = 0; i < MALLOCERS + 2; i++)
    while (__atomic_load_n(&ops[i], __ATOMIC_RELAXED) == 0)
      sleep(1);

  unsigned long t0 = rdtime();
  struct tally main_t = {0, 0, 0};
  fork_children(CHILDREN, 0, &main_t);
  test_note("%d forks from the main thread: %lu ms", main_t.forked,
            (rdtime() - t0) / 10000);
  EXPECT_GE(main_t.forked, 40, "main thread forked at least 40 children");
  EXPECT_EQ(main_t.hung, 0, "no child forked by the main thread hung");
  EXPECT_EQ(main_t.failed, 0, "every child malloc'ed, made a pthread and a clone, printed");

  struct tally thr_t = {0, 0, 0};
  pthread_t f;
  ASSERT_EQ(pthread_create(&f, NULL, thread_forker, &thr_t), 0, "forking pthread");
  pthread_join(f, NULL);
  EXPECT_EQ(thr_t.forked, THREAD_CHILDREN, "a pthread forked %d children", THREAD_CHILDREN);
  EXPECT_EQ(thr_t.hung + thr_t.failed, 0,
            "none of them hung or failed (the forking pthread's row has its new tid)");

  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < MALLOCERS; i++)
    pthread_join(workers[i], NULL);
  pthread_join(pc, NULL);
  pthread_join(cc, NULL);
  close(2);
  close(sink[1]);
  pthread_join(dr, NULL);
  close(sink[0]);
  test_note("worker rounds: %d %d %d, pthreads %d, clones %d", ops[0], ops[1], ops[2],
            ops[3], ops[4]);

  // The parent's heap is still whole after all of that.
  void *p = malloc(50000);
  EXPECT_NE(p, NULL, "the parent can still malloc");
  free(p);
  test_done();
}
