// t_lib_timed: waits with deadlines, mutex types, spin locks, atfork.
// - futex_wait_until: times out (ETIMEDOUT, not before its deadline);
//   returns 0 at once when the word differs; returns 0 when woken long
//   before its deadline.
// - pthread_cond_timedwait: times out holding the mutex; a signal ends it
//   early with 0; a deadline already past times out at once.
// - ERRORCHECK mutexes refuse a second lock (EDEADLK) and foreign or
//   extra unlocks (EPERM); RECURSIVE ones count; trylock says EBUSY.
// - Spin locks exclude: four threads' increments all count.
// - pthread_atfork handlers run in POSIX order in parent and child.
// timeout: 60
#include <pthread.h>

#include "test.h"

static unsigned long ticks_to_time(int ticks) {
  return (unsigned long)ticks * WEFT_TIME_HZ / test_hz();
}

static int word;
static void *wake_soon(void *arg) {
  (void)arg;
  sleep(2);
  __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
  futex_wake(&word, 1);
  return NULL;
}

static void check_futex(void) {
  unsigned long t0 = rdtime(), deadline = t0 + ticks_to_time(5);
  errno = 0;
  EXPECT_EQ(futex_wait_until(&word, 0, deadline), -1, "futex_wait_until times out");
  EXPECT_EQ(errno, ETIMEDOUT, "with ETIMEDOUT");
  EXPECT_GE(rdtime(), deadline, "not before its deadline");
  EXPECT_EQ(futex_wait_until(&word, 5, rdtime() + WEFT_TIME_HZ), 0,
            "a word that differs returns 0 at once");
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, NULL, wake_soon, NULL), 0, "create waker");
  t0 = rdtime();
  int r = 0;
  while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0 && r == 0)
    r = futex_wait_until(&word, 0, t0 + 60 * WEFT_TIME_HZ);
  EXPECT_EQ(r, 0, "a woken futex_wait_until returns 0");
  EXPECT_LT(rdtime() - t0, 30UL * WEFT_TIME_HZ, "long before its deadline");
  pthread_join(t, NULL);
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static void *signal_soon(void *arg) {
  (void)arg;
  sleep(2);
  pthread_mutex_lock(&m);
  ready = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&m);
  return NULL;
}

static void check_cond(void) {
  struct timespec ts;
  unsigned long before = rdtime();  // (before the clock is read: ts >= before)
  ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &ts), 0, "clock_gettime");
  ts.tv_nsec += 50 * 1000 * 1000;  // 50 ms
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&m);
  EXPECT_EQ(pthread_cond_timedwait(&cv, &m, &ts), ETIMEDOUT, "timedwait times out");
  EXPECT_GE(rdtime(), timespec_to_time(&ts), "not before its deadline");
  EXPECT_GE(rdtime() - before, (unsigned long)WEFT_TIME_HZ / 20, "after 50 ms at least");
  EXPECT_EQ(pthread_mutex_trylock(&m), EBUSY, "and holds the mutex again");
  struct timespec past = {0, 0};
  EXPECT_EQ(pthread_cond_timedwait(&cv, &m, &past), ETIMEDOUT, "a past deadline");
  struct timespec bad = {0, 1000000000L};
  EXPECT_EQ(pthread_cond_timedwait(&cv, &m, &bad), EINVAL, "tv_nsec of 1e9: EINVAL");

  pthread_t t;
  ASSERT_EQ(pthread_create(&t, NULL, signal_soon, NULL), 0, "create signaller");
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += 60;
  int r = 0;
  while (!ready && r == 0)
    r = pthread_cond_timedwait(&cv, &m, &ts);
  EXPECT_EQ(r, 0, "a signalled timedwait returns 0");
  EXPECT_TRUE(ready, "after the signal");
  pthread_mutex_unlock(&m);
  pthread_join(t, NULL);
  EXPECT_EQ(pthread_cond_destroy(&cv), 0, "no waiter left behind on the queue");
}

static pthread_mutex_t em, rm;
static int foreign_unlock;
static void *unlock_other(void *arg) {
  foreign_unlock = pthread_mutex_unlock((pthread_mutex_t *)arg);
  return NULL;
}
static int other_try;
static void *try_other(void *arg) {
  other_try = pthread_mutex_trylock((pthread_mutex_t *)arg);
  if (other_try == 0)
    pthread_mutex_unlock((pthread_mutex_t *)arg);
  return NULL;
}

static void check_types(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  EXPECT_EQ(pthread_mutexattr_settype(&a, 7), EINVAL, "settype(7): EINVAL");
  EXPECT_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0, "ERRORCHECK");
  pthread_mutex_init(&em, &a);
  EXPECT_EQ(pthread_mutex_unlock(&em), EPERM, "unlock of a free mutex: EPERM");
  EXPECT_EQ(pthread_mutex_lock(&em), 0, "lock");
  EXPECT_EQ(pthread_mutex_lock(&em), EDEADLK, "second lock: EDEADLK");
  EXPECT_EQ(pthread_mutex_trylock(&em), EBUSY, "trylock by the owner: EBUSY");
  pthread_t t;
  pthread_create(&t, NULL, unlock_other, &em);
  pthread_join(t, NULL);
  EXPECT_EQ(foreign_unlock, EPERM, "unlock by another thread: EPERM");
  EXPECT_EQ(pthread_mutex_unlock(&em), 0, "unlock by the owner");

  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rm, &a);
  EXPECT_EQ(pthread_mutex_lock(&rm), 0, "recursive lock 1");
  EXPECT_EQ(pthread_mutex_lock(&rm), 0, "recursive lock 2");
  EXPECT_EQ(pthread_mutex_trylock(&rm), 0, "recursive trylock 3");
  pthread_create(&t, NULL, try_other, &rm);
  pthread_join(t, NULL);
  EXPECT_EQ(other_try, EBUSY, "another thread cannot take it");
  for (int i = 0; i < 3; i++)
    EXPECT_EQ(pthread_mutex_unlock(&rm), 0, "unlock %d", i + 1);
  EXPECT_EQ(pthread_mutex_unlock(&rm), EPERM, "a fourth unlock: EPERM");
  pthread_create(&t, NULL, try_other, &rm);
  pthread_join(t, NULL);
  EXPECT_EQ(other_try, 0, "now another thread can take it");

  pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&plain);
  EXPECT_EQ(pthread_mutex_trylock(&plain), EBUSY, "trylock of a held mutex: EBUSY");
  pthread_mutex_unlock(&plain);
  EXPECT_EQ(pthread_mutex_trylock(&plain), 0, "trylock of a free one");
  pthread_mutex_unlock(&plain);
}

static pthread_spinlock_t spin;
static long spun;
static void *spinner(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_spin_lock(&spin);
    spun++;
    pthread_spin_unlock(&spin);
  }
  return NULL;
}

static void check_spin(void) {
  pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, spinner, NULL);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  EXPECT_EQ(spun, 80000L, "every increment under the spin lock counted");
  pthread_spin_lock(&spin);
  EXPECT_EQ(pthread_spin_trylock(&spin), EBUSY, "spin_trylock when held: EBUSY");
  EXPECT_EQ(pthread_spin_destroy(&spin), EBUSY, "spin_destroy when held: EBUSY");
  pthread_spin_unlock(&spin);
  EXPECT_EQ(pthread_spin_destroy(&spin), 0, "spin_destroy");
}

static char order[16];
static int norder;
static void note(char c) { order[norder++] = c; }
static void prep_a(void) { note('a'); }
static void prep_b(void) { note('b'); }
static void parent_a(void) { note('A'); }
static void parent_b(void) { note('B'); }
static void child_a(void) { note('1'); }
static void child_b(void) { note('2'); }

// A recursive mutex held across fork by the prepare handler: the child's
// copy of the forking thread still owns it and can unlock it.
static int rm_unlock_result = -1;
static void lock_rm(void) { pthread_mutex_lock(&rm); }
static void unlock_rm(void) { rm_unlock_result = pthread_mutex_unlock(&rm); }

static void check_atfork(void) {
  EXPECT_EQ(pthread_atfork(prep_a, parent_a, child_a), 0, "atfork a");
  EXPECT_EQ(pthread_atfork(prep_b, parent_b, child_b), 0, "atfork b");
  EXPECT_EQ(pthread_atfork(NULL, NULL, NULL), 0, "atfork with no handlers");
  EXPECT_EQ(pthread_atfork(lock_rm, unlock_rm, unlock_rm), 0, "atfork with a mutex");
  int pid = fork();
  if (pid == 0)
    exit(strcmp(order, "ba12") == 0 && rm_unlock_result == 0 ? 0 : 1);
  int st = -1;
  wait(&st);
  EXPECT_EQ(st, 0, "child ran prepare b, a then child a, b, and unlocked the "
                   "recursive mutex the forking thread held");
  EXPECT_EQ(rm_unlock_result, 0, "the parent unlocked it too");
  EXPECT_EQ(strcmp(order, "baAB"), 0, "parent ran prepare b, a then parent a, b (%s)",
            order);
}

int main(void) {
  check_futex();
  check_cond();
  check_types();
  check_spin();
  check_atfork();
  test_done();
}
