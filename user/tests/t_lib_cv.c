// t_lib_cv: OSTEP-style condition variables (cond_t with lock_t and with the
// ticket lock), on clone threads.
//
// - A signal on another condition variable wakes nobody.
// - N signals wake exactly N of N waiters, one each: after k signals exactly
//   k have returned, also a while later.
// - cv_wait returns with the lock held: waiters released together by a
//   broadcast each do a read-delay-write of a counter, and none is lost.
// - Producer/consumer through a one-slot buffer (two producers, two
//   consumers, two condition variables) moves a fixed number of items, each
//   exactly once, and ends: no lost wake-up, no deadlock.
//
// The waiters of the first tests count themselves under the lock right
// before cv_wait. cv_wait queues a waiter before it releases the lock, so
// once the main thread sees the count (under the lock) every waiter is on
// the queue, and which of them a signal reaches no longer depends on timing.
#include "test.h"

#define NWAIT 6

static lock_t lk;
static cond_t cv_a, cv_b;
static int registered;       // guarded by lk
static int woken;            // guarded by lk
static int held_on_return;   // guarded by lk
static long counter;         // guarded by lk

static void delay(int n) {
  for (volatile int i = 0; i < n; i++)
    ;
}

static int read_locked(int *p) {
  lock_acquire(&lk);
  int v = *p;
  lock_release(&lk);
  return v;
}

// Polls (a tick at a time) until *p == want, for at most about 10 seconds.
static int await_value(int *p, int want) {
  int ticks = 10 * test_hz();
  for (int i = 0; i < ticks; i++) {
    if (read_locked(p) == want)
      return 1;
    sleep(1);
  }
  return read_locked(p) == want;
}

static void waiter(void *arg) {
  (void)arg;
  lock_acquire(&lk);
  registered++;
  cv_wait(&cv_a, &lk);
  // We must hold lk here: the read-delay-write below loses updates if
  // several returned waiters run it at once.
  held_on_return += lk.locked == 1;
  long v = counter;
  delay(200);
  counter = v + 1;
  woken++;
  lock_release(&lk);
}

static int start_waiters(int n) {
  int made = 0;
  for (int i = 0; i < n; i++)
    if (thread_create(waiter, NULL) > 0)
      made++;
  return made;
}

static int join_all(void) {
  int n = 0;
  while (thread_join() > 0)
    n++;
  return n;
}

static void test_signals(void) {
  registered = woken = held_on_return = 0;
  counter = 0;
  cv_init(&cv_a);
  cv_init(&cv_b);
  int made = start_waiters(NWAIT);
  ASSERT_EQ(made, NWAIT, "%d waiters started", NWAIT);
  ASSERT_TRUE(await_value(&registered, NWAIT), "all %d are waiting on cv A", NWAIT);

  cv_signal(&cv_b);
  cv_broadcast(&cv_b);
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(read_locked(&woken), 0, "a signal and a broadcast on cv B wake nobody on cv A");

  int half = NWAIT / 2;
  for (int k = 1; k <= half; k++) {
    cv_signal(&cv_a);
    EXPECT_TRUE(await_value(&woken, k), "signal %d on cv A woke a waiter", k);
  }
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(read_locked(&woken), half, "%d signals woke exactly %d of %d waiters", half, half,
            NWAIT);
  for (int k = half + 1; k <= NWAIT; k++)
    cv_signal(&cv_a);
  EXPECT_TRUE(await_value(&woken, NWAIT), "%d signals in all woke all %d waiters", NWAIT, NWAIT);
  EXPECT_EQ(join_all(), NWAIT, "all waiters ended");
  EXPECT_EQ(held_on_return, NWAIT, "each held the lock when cv_wait returned");
  EXPECT_EQ(counter, NWAIT, "their updates under the lock were all kept");
  cv_signal(&cv_a);  // nobody waits: nothing happens, nothing is remembered
}

static void test_broadcast(void) {
  registered = woken = held_on_return = 0;
  counter = 0;
  int made = start_waiters(NWAIT);
  ASSERT_EQ(made, NWAIT, "%d waiters started", NWAIT);
  ASSERT_TRUE(await_value(&registered, NWAIT), "all %d are waiting on cv A", NWAIT);
  // A signal that was sent before they waited (in test_signals) must not
  // have been kept for them.
  sleep(1 + test_hz() / 20);
  EXPECT_EQ(read_locked(&woken), 0, "an earlier signal with no waiter woke nobody later");
  cv_broadcast(&cv_a);
  EXPECT_TRUE(await_value(&woken, NWAIT), "one broadcast woke all %d waiters", NWAIT);
  EXPECT_EQ(join_all(), NWAIT, "all waiters ended");
  EXPECT_EQ(held_on_return, NWAIT, "each held the lock when cv_wait returned");
  EXPECT_EQ(counter, NWAIT, "released together, they still ran one at a time under the lock");
}

// ---------------------------------------------------------------------------
// Producer/consumer with a one-slot buffer.

#define ITEMS 250  // per producer
#define NPROD 2
#define NCONS 2

static int use_ticket;  // 0: lock_t, 1: ticket lock
static ticket_lock_t tlk;
static cond_t not_empty, not_full;
static int full;        // the slot holds an item
static int slot;
static long consumed_sum;
static int consumed_count;
static unsigned char seen[NPROD * ITEMS];
static int dup_items;

static void pc_lock(void) {
  if (use_ticket)
    ticket_lock_acquire(&tlk);
  else
    lock_acquire(&lk);
}

static void pc_unlock(void) {
  if (use_ticket)
    ticket_lock_release(&tlk);
  else
    lock_release(&lk);
}

static void pc_wait(cond_t *cv) {
  if (use_ticket)
    cv_wait_ticket(cv, &tlk);
  else
    cv_wait(cv, &lk);
}

static void producer(void *arg) {
  int base = (int)(long)arg * ITEMS;
  for (int i = 0; i < ITEMS; i++) {
    pc_lock();
    while (full)
      pc_wait(&not_full);
    slot = base + i;
    full = 1;
    cv_signal(&not_empty);
    pc_unlock();
  }
}

static void consumer(void *arg) {
  (void)arg;
  for (;;) {
    pc_lock();
    while (!full && consumed_count < NPROD * ITEMS)
      pc_wait(&not_empty);
    if (!full) {  // everything has been consumed
      pc_unlock();
      return;
    }
    int item = slot;
    full = 0;
    consumed_sum += item;
    if (seen[item]++)
      dup_items++;
    if (++consumed_count == NPROD * ITEMS)
      cv_broadcast(&not_empty);  // let the other consumers see the end
    cv_signal(&not_full);
    pc_unlock();
  }
}

static void test_producer_consumer(int ticket) {
  const char *name = ticket ? "ticket lock" : "lock_t";
  use_ticket = ticket;
  lock_init(&lk);
  ticket_lock_init(&tlk);
  cv_init(&not_empty);
  cv_init(&not_full);
  full = 0;
  consumed_sum = 0;
  consumed_count = 0;
  dup_items = 0;
  memset(seen, 0, sizeof(seen));
  unsigned long t0 = rdtime();
  int made = 0;
  for (int c = 0; c < NCONS; c++)
    made += thread_create(consumer, NULL) > 0;
  for (int p = 0; p < NPROD; p++)
    made += thread_create(producer, (void *)(long)p) > 0;
  ASSERT_EQ(made, NPROD + NCONS, "%s: %d producers and %d consumers started", name, NPROD, NCONS);
  EXPECT_EQ(join_all(), made, "%s: all of them ended (no deadlock)", name);
  test_note("%s producer/consumer: %lu ms", name, (rdtime() - t0) / 10000);
  long n = NPROD * ITEMS;
  EXPECT_EQ(consumed_count, n, "%s: %ld items consumed", name, n);
  EXPECT_EQ(consumed_sum, n * (n - 1) / 2, "%s: the sum of the items is right", name);
  EXPECT_EQ(dup_items, 0, "%s: no item was consumed twice", name);
  EXPECT_EQ(full, 0, "%s: the slot is empty at the end", name);
}

int main(void) {
  lock_init(&lk);
  test_signals();
  test_broadcast();
  test_producer_consumer(0);
  test_producer_consumer(1);
  test_done();
}
