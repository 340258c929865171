// t_thr_futex: futex_wait / futex_wake, the primitive under texit and the
// thread libraries.
//
// - futex_wait returns 0 at once if *addr != expected; -1 for a misaligned
//   address, NULL, a kernel address or an address past the break.
// - futex_wake with nobody waiting returns 0; a negative count or a bad
//   address gives -1 (or 0 woken), never a crash.
// - Three threads asleep on one word (checked to be asleep): wake(1) wakes
//   exactly one (returns 1), wake(10) the other two (returns 2).
// - A waiter on another word, or on the same offset of another word, is not
//   woken by a wake on this word.
// - Waiters in a clone (another process sharing the memory) are woken by a
//   wake from this process.
// - A counter protected by a futex-based mutex, incremented by 6 threads
//   20000 times in total, ends exact (no lost wake-up leaves a thread stuck,
//   no double entry).
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

static void test_immediate(void) {
  int w = 5;
  EXPECT_EQ(futex_wait(&w, 4), 0, "futex_wait with *addr != expected: 0");
  int pair[2] = {0, 0};
  EXPECT_EQ(futex_wait((int *)((char *)pair + 1), 0), -1,
            "misaligned address: -1");
  EXPECT_EQ(futex_wait(0, 0), -1, "NULL: -1");
  EXPECT_EQ(futex_wait((int *)0x80000000UL, 0), -1, "kernel address: -1");
  EXPECT_EQ(futex_wait((int *)(sbrk(0) + 8 * PGSIZE), 0), -1,
            "past the break: -1");
  EXPECT_EQ(futex_wake(&w, 1), 0, "futex_wake with no waiter: 0");
  EXPECT_EQ(futex_wake(&w, 0), 0, "futex_wake(n = 0): 0");
  EXPECT_LE(futex_wake(&w, -1), 0, "futex_wake(n = -1): -1 or 0");
  EXPECT_EQ(futex_wake((int *)((char *)pair + 2), 1), -1,
            "futex_wake on a misaligned address: -1");
}

static int word, other_word, woken, ready;
static int w_done[4];
static void waiter(void *arg) {
  long i = (long)arg;
  int *on = i == 3 ? &other_word : &word;
  thr_bump(&ready);
  // One wait: a wake (or a word that already changed) ends it.
  futex_wait(on, 0);
  thr_bump(&woken);
  texit(&w_done[i], 1);
}

static void test_counts(void) {
  int t[4];
  for (int i = 0; i < 4; i++)
    t[i] = thr_spawn(stacks + i * PGSIZE, waiter, (void *)(long)i);
  ASSERT_TRUE(t[0] > 0 && t[1] > 0 && t[2] > 0 && t[3] > 0, "spawn 4 waiters");
  thr_wait_atleast(&ready, 4);
  int asleep = 1;
  for (int i = 0; i < 4; i++)
    asleep &= thr_await_state(t[i], PI_SLEEPING, 10);
  ASSERT_TRUE(asleep, "all 4 asleep (3 on one word, 1 on another)");
  EXPECT_EQ(futex_wake(&word, 1), 1, "futex_wake(1) wakes one: returns 1");
  thr_wait_atleast(&woken, 1);
  sleep(2);
  EXPECT_EQ(LOAD(&woken), 1, "exactly one woke");
  EXPECT_EQ(futex_wake(&word, 10), 2, "futex_wake(10) wakes the other two");
  thr_wait_atleast(&woken, 3);
  EXPECT_EQ(thr_state(t[3]), PI_SLEEPING,
            "the waiter on the other word still sleeps");
  EXPECT_EQ(futex_wake(&word, 10), 0, "nobody left on the word: 0");
  EXPECT_EQ(futex_wake(&other_word, 10), 1, "wake the last one");
  for (int i = 0; i < 4; i++)
    thr_wait_change(&w_done[i], 0);
  EXPECT_EQ(LOAD(&woken), 4, "all 4 woke");
}

static int cword, cready;
static void clone_waiter(void *arg) {
  (void)arg;
  thr_bump(&cready);
  while (LOAD(&cword) == 0)
    futex_wait(&cword, 0);
  exit(0);
}

static void test_clone_waiters(void) {
  int c1 = clone(clone_waiter, 0, stacks);
  int c2 = clone(clone_waiter, 0, stacks + PGSIZE);
  ASSERT_TRUE(c1 > 0 && c2 > 0, "two clones");
  thr_wait_atleast(&cready, 2);
  EXPECT_TRUE(thr_await_state(c1, PI_SLEEPING, 10) &&
                  thr_await_state(c2, PI_SLEEPING, 10),
              "both asleep in futex_wait");
  STORE(&cword, 1);
  EXPECT_EQ(futex_wake(&cword, 10), 2,
            "a wake from this process wakes both clones' waiters");
  void *g;
  EXPECT_TRUE(join(&g) > 0 && join(&g) > 0, "both end and are joined");
}

// A futex mutex (0 free, 1 locked, 2 locked with waiters).
static int mtx;
static void lock(void) {
  int c = 0;
  if (CAS(&mtx, &c, 1))
    return;
  if (c != 2)
    c = XCHG(&mtx, 2);
  while (c != 0) {
    futex_wait(&mtx, 2);
    c = XCHG(&mtx, 2);
  }
}
static void unlock(void) {
  if (XCHG(&mtx, 0) == 2)
    futex_wake(&mtx, 1);
}

#define NM 6
#define PER (20000 / NM)
static volatile int plain_counter;
static int inside, overlap;
static int m_done[NM];
static void mutex_worker(void *arg) {
  long i = (long)arg;
  for (int k = 0; k < PER; k++) {
    lock();
    if (ADD(&inside, 1) != 1)
      STORE(&overlap, 1);
    plain_counter = plain_counter + 1;
    if (k % 64 == 0)
      yield(-1);  // hold the lock across a switch now and then
    ADD(&inside, -1);
    unlock();
  }
  texit(&m_done[i], 1);
}

static void test_mutex(void) {
  int ok = 1;
  for (long i = 0; i < NM; i++)
    ok &= thr_spawn(stacks + i * PGSIZE, mutex_worker, (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn %d threads", NM);
  for (int i = 0; i < NM; i++)
    thr_wait_change(&m_done[i], 0);
  EXPECT_EQ(plain_counter, NM * PER, "futex mutex: the counter is exact (%d)",
            NM * PER);
  EXPECT_EQ(LOAD(&overlap), 0, "never two threads inside at once");
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_immediate();
  test_counts();
  test_clone_waiters();
  test_mutex();
  test_done();
}
