// t_lib_sem: POSIX semaphores (semaphore.h) with pthreads.
//
// - sem_init/sem_getvalue/sem_trywait/sem_post, and the errors (EINVAL,
//   EAGAIN, EOVERFLOW through errno);
// - a semaphore of 3 bounds a resource: 10 threads x 200 uses, never more
//   than 3 inside at once, and every use happens;
// - a semaphore of 0 as a signal: sem_wait sleeps until sem_post, and N
//   posts let exactly N waiters through.
#include <pthread.h>
#include <semaphore.h>

#include "test.h"

static void delay(int n) {
  for (volatile int i = 0; i < n; i++)
    ;
}

static void test_basics(void) {
  sem_t s;
  int v = -1;
  EXPECT_EQ(sem_init(&s, 0, 2), 0, "sem_init with 2");
  sem_getvalue(&s, &v);
  EXPECT_EQ(v, 2, "sem_getvalue says 2");
  EXPECT_EQ(sem_wait(&s), 0, "sem_wait takes one");
  EXPECT_EQ(sem_trywait(&s), 0, "sem_trywait takes the other");
  errno = 0;
  EXPECT_EQ(sem_trywait(&s), -1, "sem_trywait at 0 fails");
  EXPECT_EQ(errno, EAGAIN, "with EAGAIN");
  EXPECT_EQ(sem_post(&s), 0, "sem_post");
  sem_getvalue(&s, &v);
  EXPECT_EQ(v, 1, "back to 1");
  EXPECT_EQ(sem_destroy(&s), 0, "sem_destroy");
  errno = 0;
  EXPECT_EQ(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1), -1, "sem_init above SEM_VALUE_MAX fails");
  EXPECT_EQ(errno, EINVAL, "with EINVAL");
  sem_init(&s, 0, SEM_VALUE_MAX);
  errno = 0;
  EXPECT_EQ(sem_post(&s), -1, "sem_post at SEM_VALUE_MAX fails");
  EXPECT_EQ(errno, EOVERFLOW, "with EOVERFLOW");
}

// ---------------------------------------------------------------------------
// Bounding a resource.

#define NTHREADS 10
#define USES 200
#define UNITS 3

static sem_t pool;
static int inside;    // atomic: threads holding a unit now
static int max_inside;  // atomic
static int uses;      // atomic

// Threads wait here until all exist, so that they compete for the units.
static int gate;

static void *user_thread(void *arg) {
  (void)arg;
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&gate, 0);
  for (int i = 0; i < USES; i++) {
    sem_wait(&pool);
    int now = __atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
    int m = __atomic_load_n(&max_inside, __ATOMIC_SEQ_CST);
    while (now > m && !__atomic_compare_exchange_n(&max_inside, &m, now, 0, __ATOMIC_SEQ_CST,
                                                   __ATOMIC_SEQ_CST))
      ;
    // Use the unit for a while, and give the hart away in the middle, so
    // that other threads run and try to get in even on one hart.
    delay(50);
    yield(-1);
    delay(50);
    __atomic_fetch_add(&uses, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
    sem_post(&pool);
  }
  return NULL;
}

static void test_bound(void) {
  sem_init(&pool, 0, UNITS);
  inside = max_inside = uses = 0;
  pthread_t t[NTHREADS];
  int made = 0;
  gate = 0;
  for (int i = 0; i < NTHREADS; i++)
    made += pthread_create(&t[i], NULL, user_thread, NULL) == 0;
  ASSERT_EQ(made, NTHREADS, "%d threads", NTHREADS);
  unsigned long t0 = rdtime();
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  futex_wake(&gate, NTHR);
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(t[i], NULL);
  test_note("bounded resource: %lu ms, at most %d inside", (rdtime() - t0) / 10000, max_inside);
  EXPECT_EQ(uses, NTHREADS * USES, "every one of the %d uses happened", NTHREADS * USES);
  EXPECT_LE(max_inside, UNITS, "never more than %d threads inside at once", UNITS);
  EXPECT_GE(max_inside, 1, "someone was inside");
  int v = -1;
  sem_getvalue(&pool, &v);
  EXPECT_EQ(v, UNITS, "all %d units are back at the end", UNITS);
}

// ---------------------------------------------------------------------------
// Signalling.

#define NWAIT 5

static sem_t go;
static int passed;  // atomic

static void *waiter(void *arg) {
  (void)arg;
  sem_wait(&go);
  __atomic_fetch_add(&passed, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static int await_passed(int want) {
  int ticks = 10 * test_hz();
  for (int i = 0; i < ticks && __atomic_load_n(&passed, __ATOMIC_SEQ_CST) != want; i++)
    sleep(1);
  return __atomic_load_n(&passed, __ATOMIC_SEQ_CST) == want;
}

static void test_signal(void) {
  sem_init(&go, 0, 0);
  passed = 0;
  pthread_t t[NWAIT];
  int made = 0;
  for (int i = 0; i < NWAIT; i++)
    made += pthread_create(&t[i], NULL, waiter, NULL) == 0;
  ASSERT_EQ(made, NWAIT, "%d waiters", NWAIT);
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(passed, 0, "nobody passes a semaphore at 0");
  sem_post(&go);
  sem_post(&go);
  EXPECT_TRUE(await_passed(2), "two posts let two through");
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(passed, 2, "and only two");
  for (int i = 2; i < NWAIT; i++)
    sem_post(&go);
  EXPECT_TRUE(await_passed(NWAIT), "%d posts in all let all %d through", NWAIT, NWAIT);
  for (int i = 0; i < NWAIT; i++)
    pthread_join(t[i], NULL);
  int v = -1;
  sem_getvalue(&go, &v);
  EXPECT_EQ(v, 0, "the semaphore is at 0 again");
}

int main(void) {
  test_basics();
  test_bound();
  test_signal();
  test_done();
}
