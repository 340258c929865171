// t_lib_lock: the OSTEP spin lock (lock_t) and the ticket lock.
//
// 30 clone threads x 1000 increments, each a read, a delay and a write
// inside the critical section, must give exactly 30000 with either lock:
// with the delay, a lost update is all but certain if two threads ever are
// inside at once. The ticket lock must also serve waiters in ticket order:
// the main thread holds it while threads queue up one at a time (each next
// one starts only when the previous one has drawn its ticket), then lets go
// and checks the order in which they got in.
// timeout: 180
#include "test.h"

#define NTHREADS 30
#define INCREMENTS 1000

static lock_t spin;
static ticket_lock_t ticket;
static volatile long counter;

// A few dozen instructions of work that the compiler cannot remove.
static void delay(int n) {
  for (volatile int i = 0; i < n; i++)
    ;
}

// Workers wait here until all of them exist, so that they really contend.
static int gate;

static void gate_wait(void) {
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&gate, 0);
}

static void spin_worker(void *arg) {
  (void)arg;
  gate_wait();
  for (int i = 0; i < INCREMENTS; i++) {
    lock_acquire(&spin);
    long v = counter;
    delay(20);
    counter = v + 1;
    lock_release(&spin);
  }
}

static void ticket_worker(void *arg) {
  (void)arg;
  gate_wait();
  for (int i = 0; i < INCREMENTS; i++) {
    ticket_lock_acquire(&ticket);
    long v = counter;
    delay(20);
    counter = v + 1;
    ticket_lock_release(&ticket);
  }
}

static int run_threads(void (*fn)(void *), int n) {
  int pids[NTHREADS];
  int made = 0;
  gate = 0;
  for (int i = 0; i < n; i++) {
    pids[i] = thread_create(fn, NULL);
    if (pids[i] <= 0)
      break;
    made++;
  }
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  futex_wake(&gate, NTHR);
  int joined = 0;
  for (int i = 0; i < made; i++)
    if (thread_join() > 0)
      joined++;
  return made == n && joined == n;
}

static void test_spin_counter(void) {
  lock_init(&spin);
  counter = 0;
  unsigned long t0 = rdtime();
  ASSERT_TRUE(run_threads(spin_worker, NTHREADS), "%d threads created and joined", NTHREADS);
  EXPECT_EQ(counter, NTHREADS * INCREMENTS, "lock_t: %d threads x %d increments", NTHREADS,
            INCREMENTS);
  EXPECT_EQ(spin.locked, 0, "lock_t is free afterwards");
  test_note("lock_t counter: %lu ms", (rdtime() - t0) / 10000);
}

static void test_ticket_counter(void) {
  ticket_lock_init(&ticket);
  counter = 0;
  unsigned long t0 = rdtime();
  ASSERT_TRUE(run_threads(ticket_worker, NTHREADS), "%d threads created and joined", NTHREADS);
  EXPECT_EQ(counter, NTHREADS * INCREMENTS, "ticket lock: %d threads x %d increments", NTHREADS,
            INCREMENTS);
  EXPECT_EQ(ticket.next, ticket.turn, "ticket lock: every ticket drawn was served");
  EXPECT_EQ(ticket.next, NTHREADS * INCREMENTS, "ticket lock: one ticket per acquisition");
  test_note("ticket lock counter: %lu ms", (rdtime() - t0) / 10000);
}

#define NQUEUED 12
static int order[NQUEUED];
static int served;

static void queued_worker(void *arg) {
  ticket_lock_acquire(&ticket);
  order[served++] = (int)(long)arg;
  ticket_lock_release(&ticket);
}

// Waits (yielding, then sleeping) until the ticket lock has handed out
// `tickets` tickets; 0 if that did not happen within about 10 seconds.
static int await_tickets(unsigned tickets) {
  int hz = test_hz();
  for (int i = 0; i < 100 + 10 * hz; i++) {
    if (__atomic_load_n(&ticket.next, __ATOMIC_ACQUIRE) == tickets)
      return 1;
    if (i < 100)
      yield(-1);
    else
      sleep(1);
  }
  return 0;
}

static void test_ticket_fifo(void) {
  ticket_lock_init(&ticket);
  served = 0;
  ticket_lock_acquire(&ticket);  // ticket 0
  int queued = 0;
  for (int i = 0; i < NQUEUED; i++) {
    if (thread_create(queued_worker, (void *)(long)i) <= 0)
      break;
    // Thread i draws ticket i + 1; start the next one only after that.
    if (!await_tickets(i + 2))
      break;
    queued++;
  }
  EXPECT_EQ(queued, NQUEUED, "%d threads queued on the held ticket lock, one after another",
            NQUEUED);
  EXPECT_EQ(served, 0, "nobody got in while the lock was held");
  ticket_lock_release(&ticket);
  int joined = 0;
  while (thread_join() > 0)
    joined++;
  EXPECT_EQ(joined, queued, "all joined");
  EXPECT_EQ(served, queued, "every queued thread got the lock");
  int in_order = 1;
  for (int i = 0; i < served; i++)
    if (order[i] != i)
      in_order = 0;
  EXPECT_TRUE(in_order, "the ticket lock served the waiters in the order they queued");
  if (!in_order)
    for (int i = 0; i < served; i++)
      test_note("served %d: thread %d", i, order[i]);
}

static void test_basics(void) {
  lock_t lk = LOCK_INITIALIZER;
  lock_acquire(&lk);
  EXPECT_EQ(lk.locked, 1, "lock_acquire takes a free lock_t");
  lock_release(&lk);
  EXPECT_EQ(lk.locked, 0, "lock_release frees it");
  ticket_lock_t tl = TICKET_LOCK_INITIALIZER;
  ticket_lock_acquire(&tl);
  ticket_lock_release(&tl);
  ticket_lock_acquire(&tl);
  EXPECT_EQ(tl.next - tl.turn, 1, "ticket lock: taken again after a release");
  ticket_lock_release(&tl);
}

int main(void) {
  test_basics();
  test_spin_counter();
  test_ticket_counter();
  test_ticket_fifo();
  test_done();
}
