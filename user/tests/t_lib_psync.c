// t_lib_psync: pthread mutexes, condition variables, barriers and once.
//
// - 12 threads (more than the harts of any configuration) x 2000 increments
//   under a mutex, each a read, a delay and a write, give an exact count;
//   trylock, destroy and unlock report EBUSY and EPERM as POSIX says;
// - condition variables: signals on another cv wake nobody, N signals wake
//   exactly N of N waiters and each returns holding the mutex; a bounded
//   buffer of one slot moves a fixed number of items with two producers and
//   two consumers;
// - a barrier of 6 threads over 50 rounds: nobody passes before all have
//   arrived, exactly one thread per round gets PTHREAD_BARRIER_SERIAL_THREAD;
// - pthread_once under a race of 16 threads runs the routine once, and every
//   caller returns only after it has finished.
// timeout: 120
#include <pthread.h>

#include "test.h"

static void delay(int n) {
  for (volatile int i = 0; i < n; i++)
    ;
}

static int start_all(pthread_t *t, int n, void *(*fn)(void *)) {
  int made = 0;
  for (long i = 0; i < n; i++)
    made += pthread_create(&t[i], NULL, fn, (void *)i) == 0;
  return made;
}

static int join_all(pthread_t *t, int n) {
  int joined = 0;
  for (int i = 0; i < n; i++)
    joined += pthread_join(t[i], NULL) == 0;
  return joined;
}

// A futex gate that holds workers until they all exist.
static int gate;

static void gate_wait(void) {
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&gate, 0);
}

static void gate_open(void) {
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  futex_wake(&gate, NTHR);
}

// ---------------------------------------------------------------------------
// Mutex.

#define MTHREADS 12
#define MINCS 2000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *mutex_worker(void *arg) {
  (void)arg;
  gate_wait();
  for (int i = 0; i < MINCS; i++) {
    pthread_mutex_lock(&m);
    long v = counter;
    delay(20);
    counter = v + 1;
    pthread_mutex_unlock(&m);
  }
  return NULL;
}

static void test_mutex(void) {
  pthread_mutex_t x;
  EXPECT_EQ(pthread_mutex_init(&x, NULL), 0, "pthread_mutex_init");
  EXPECT_EQ(pthread_mutex_trylock(&x), 0, "trylock takes a free mutex");
  EXPECT_EQ(pthread_mutex_trylock(&x), EBUSY, "trylock of a held mutex is EBUSY");
  EXPECT_EQ(pthread_mutex_destroy(&x), EBUSY, "destroying a held mutex is EBUSY");
  EXPECT_EQ(pthread_mutex_unlock(&x), 0, "unlock");
  EXPECT_EQ(pthread_mutex_unlock(&x), EPERM, "unlocking an unlocked mutex is EPERM");
  EXPECT_EQ(pthread_mutex_lock(&x), 0, "lock");
  EXPECT_EQ(pthread_mutex_unlock(&x), 0, "unlock");
  EXPECT_EQ(pthread_mutex_destroy(&x), 0, "destroy a free mutex");

  pthread_t t[MTHREADS];
  counter = 0;
  gate = 0;
  unsigned long t0 = rdtime();
  ASSERT_EQ(start_all(t, MTHREADS, mutex_worker), MTHREADS, "%d threads", MTHREADS);
  gate_open();
  EXPECT_EQ(join_all(t, MTHREADS), MTHREADS, "all joined");
  test_note("mutex counter: %lu ms", (rdtime() - t0) / 10000);
  EXPECT_EQ(counter, MTHREADS * MINCS, "mutex: %d threads x %d increments", MTHREADS, MINCS);
  EXPECT_EQ(m.state, 0, "the mutex is free at the end");
}

// ---------------------------------------------------------------------------
// Condition variables: exact wake-ups.

#define NWAIT 6

static pthread_cond_t cv_a = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_b = PTHREAD_COND_INITIALIZER;
static int registered, woken, held;  // guarded by m

static int read_locked(int *p) {
  pthread_mutex_lock(&m);
  int v = *p;
  pthread_mutex_unlock(&m);
  return v;
}

static int await_value(int *p, int want) {
  int ticks = 10 * test_hz();
  for (int i = 0; i < ticks; i++) {
    if (read_locked(p) == want)
      return 1;
    sleep(1);
  }
  return read_locked(p) == want;
}

static void *cv_waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  registered++;  // cv_wait queues us before it unlocks m: see t_lib_cv
  pthread_cond_wait(&cv_a, &m);
  held += pthread_mutex_trylock(&m) == EBUSY;  // held (by us)
  long v = counter;
  delay(200);
  counter = v + 1;
  woken++;
  pthread_mutex_unlock(&m);
  return NULL;
}

static void test_cond_exact(void) {
  pthread_t t[NWAIT];
  registered = woken = held = 0;
  counter = 0;
  ASSERT_EQ(start_all(t, NWAIT, cv_waiter), NWAIT, "%d waiters", NWAIT);
  ASSERT_TRUE(await_value(&registered, NWAIT), "all waiting on cv A");
  pthread_cond_signal(&cv_b);
  pthread_cond_broadcast(&cv_b);
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(read_locked(&woken), 0, "signal and broadcast on cv B wake nobody on cv A");
  EXPECT_EQ(pthread_cond_destroy(&cv_a), EBUSY, "destroying a cv with waiters is EBUSY");
  for (int k = 1; k <= NWAIT / 2; k++) {
    pthread_cond_signal(&cv_a);
    EXPECT_TRUE(await_value(&woken, k), "signal %d woke one waiter", k);
  }
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(read_locked(&woken), NWAIT / 2, "%d signals woke exactly %d of %d", NWAIT / 2,
            NWAIT / 2, NWAIT);
  pthread_cond_broadcast(&cv_a);
  EXPECT_TRUE(await_value(&woken, NWAIT), "a broadcast woke the rest");
  EXPECT_EQ(join_all(t, NWAIT), NWAIT, "all joined");
  EXPECT_EQ(held, NWAIT, "each waiter held the mutex when pthread_cond_wait returned");
  EXPECT_EQ(counter, NWAIT, "and their updates were all kept");
  EXPECT_EQ(pthread_cond_destroy(&cv_a), 0, "destroying an idle cv");
  pthread_cond_init(&cv_a, NULL);
}

// ---------------------------------------------------------------------------
// Condition variables: bounded buffer of one slot.

#define ITEMS 250
#define NPROD 2
#define NCONS 2

static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int full, slot, consumed;
static long sum;
static unsigned char seen[NPROD * ITEMS];
static int dups;

static void *producer(void *arg) {
  int base = (int)(long)arg * ITEMS;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&m);
    while (full)
      pthread_cond_wait(&not_full, &m);
    slot = base + i;
    full = 1;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&m);
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&m);
    while (!full && consumed < NPROD * ITEMS)
      pthread_cond_wait(&not_empty, &m);
    if (!full) {
      pthread_mutex_unlock(&m);
      return NULL;
    }
    full = 0;
    sum += slot;
    dups += seen[slot]++ != 0;
    if (++consumed == NPROD * ITEMS)
      pthread_cond_broadcast(&not_empty);
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&m);
  }
}

static void test_cond_buffer(void) {
  pthread_t c[NCONS], p[NPROD];
  full = consumed = dups = 0;
  sum = 0;
  unsigned long t0 = rdtime();
  int made = start_all(c, NCONS, consumer) + start_all(p, NPROD, producer);
  ASSERT_EQ(made, NCONS + NPROD, "producers and consumers started");
  EXPECT_EQ(join_all(p, NPROD) + join_all(c, NCONS), made, "all ended: no deadlock");
  test_note("bounded buffer: %lu ms", (rdtime() - t0) / 10000);
  long n = NPROD * ITEMS;
  EXPECT_EQ(consumed, n, "%ld items consumed", n);
  EXPECT_EQ(sum, n * (n - 1) / 2, "each item exactly once (sum)");
  EXPECT_EQ(dups, 0, "no item twice");
}

// ---------------------------------------------------------------------------
// Barrier.

#define BTHREADS 6
#define ROUNDS 50

static pthread_barrier_t bar;
static int arrivals[ROUNDS];  // atomic
static int serials[ROUNDS];   // atomic
static int early;             // atomic: passed a barrier before all arrived

static void *barrier_worker(void *arg) {
  (void)arg;
  for (int r = 0; r < ROUNDS; r++) {
    __atomic_fetch_add(&arrivals[r], 1, __ATOMIC_SEQ_CST);
    int s = pthread_barrier_wait(&bar);
    if (__atomic_load_n(&arrivals[r], __ATOMIC_SEQ_CST) != BTHREADS)
      __atomic_fetch_add(&early, 1, __ATOMIC_SEQ_CST);
    if (s == PTHREAD_BARRIER_SERIAL_THREAD)
      __atomic_fetch_add(&serials[r], 1, __ATOMIC_SEQ_CST);
    else if (s != 0)
      __atomic_fetch_add(&early, 1000, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

static void test_barrier(void) {
  pthread_barrier_t b;
  EXPECT_EQ(pthread_barrier_init(&b, NULL, 0), EINVAL, "a barrier for 0 threads is EINVAL");
  EXPECT_EQ(pthread_barrier_init(&b, NULL, 1), 0, "a barrier for 1 thread");
  EXPECT_EQ(pthread_barrier_wait(&b), PTHREAD_BARRIER_SERIAL_THREAD,
            "which opens at once, for its serial thread");
  EXPECT_EQ(pthread_barrier_destroy(&b), 0, "destroy it");

  ASSERT_EQ(pthread_barrier_init(&bar, NULL, BTHREADS), 0, "barrier for %d", BTHREADS);
  pthread_t t[BTHREADS];
  unsigned long t0 = rdtime();
  ASSERT_EQ(start_all(t, BTHREADS, barrier_worker), BTHREADS, "%d threads", BTHREADS);
  EXPECT_EQ(join_all(t, BTHREADS), BTHREADS, "all joined after %d rounds", ROUNDS);
  test_note("barrier: %lu ms", (rdtime() - t0) / 10000);
  EXPECT_EQ(early, 0, "nobody left a round before all %d had arrived", BTHREADS);
  int one_serial = 0;
  for (int r = 0; r < ROUNDS; r++)
    one_serial += serials[r] == 1;
  EXPECT_EQ(one_serial, ROUNDS, "exactly one PTHREAD_BARRIER_SERIAL_THREAD in each round");
  EXPECT_EQ(pthread_barrier_destroy(&bar), 0, "destroy the barrier");
}

// ---------------------------------------------------------------------------
// Once.

#define OTHREADS 16

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_runs;    // atomic
static int init_done;    // atomic: set at the end of the init routine
static int saw_undone;   // atomic: a caller returned before init finished

static void init_routine(void) {
  __atomic_fetch_add(&init_runs, 1, __ATOMIC_SEQ_CST);
  sleep(2);  // let the other callers pile up behind it
  __atomic_store_n(&init_done, 1, __ATOMIC_SEQ_CST);
}

static void *once_worker(void *arg) {
  (void)arg;
  gate_wait();
  pthread_once(&once, init_routine);
  if (!__atomic_load_n(&init_done, __ATOMIC_SEQ_CST))
    __atomic_fetch_add(&saw_undone, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void test_once(void) {
  pthread_t t[OTHREADS];
  gate = 0;
  ASSERT_EQ(start_all(t, OTHREADS, once_worker), OTHREADS, "%d threads", OTHREADS);
  gate_open();
  EXPECT_EQ(join_all(t, OTHREADS), OTHREADS, "all joined");
  EXPECT_EQ(init_runs, 1, "pthread_once ran the routine once among %d racing threads", OTHREADS);
  EXPECT_EQ(saw_undone, 0, "every caller returned after the routine had finished");
  pthread_once(&once, init_routine);
  EXPECT_EQ(init_runs, 1, "a later call does not run it again");
}

int main(void) {
  test_mutex();
  test_cond_exact();
  test_cond_buffer();
  test_barrier();
  test_once();
  test_done();
}
