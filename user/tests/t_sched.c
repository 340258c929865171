// t_sched: the per-hart run queues keep every runnable thread moving and
// stay consistent while threads wake, yield to and race each other.
//
// - Progress: three CPU-bound threads (more than two harts can run at
//   once) each make progress in at least four of five half seconds. A
//   balancing rule that moved a queued thread back and forth between harts
//   at every tick, or a queue that no hart ever looked at, would leave one
//   of them standing for good; one still half second is allowed, because
//   the host may not run the QEMU thread of one hart for that long when
//   make test loads it (seen once with 4 harts on 2 host cores).
// - Storm: four threads pass a token round a ring with futexes (every
//   wake-up queues the woken thread on the waker's hart) while each also
//   yields to a random sibling (which moves that sibling between queues),
//   and the main thread wakes them all at random. Every thread finishes
//   its rounds and the token count adds up; a run queue corrupted by a
//   race would panic the kernel or lose a thread.
// timeout: 90
#include "t_thr_util.h"

static char *stacks;

#define SPINNERS 3
#define PERIODS 5
static int stop;
static unsigned long count[SPINNERS];
static int spin_done[SPINNERS];

static void spinner(void *arg) {
  long me = (long)arg;
  while (!LOAD(&stop))
    __atomic_add_fetch(&count[me], 1, __ATOMIC_RELAXED);
  texit(&spin_done[me], 1);
}

static void check_progress(void) {
  for (long i = 0; i < SPINNERS; i++)
    ASSERT_GT(thr_spawn(stacks + i * PGSIZE, spinner, (void *)i), 0,
              "spawn spinner %ld", i);
  unsigned long last[SPINNERS] = {0};
  int stalled[SPINNERS] = {0};
  for (int p = 0; p < PERIODS; p++) {
    sleep(test_hz() / 2);
    for (int i = 0; i < SPINNERS; i++) {
      unsigned long now = __atomic_load_n(&count[i], __ATOMIC_RELAXED);
      if (now == last[i]) {
        test_note("spinner %d made no progress in half-second %d", i, p);
        stalled[i]++;
      }
      last[i] = now;
    }
  }
  STORE(&stop, 1);
  for (int i = 0; i < SPINNERS; i++)
    thr_wait_change(&spin_done[i], 0);
  for (int i = 0; i < SPINNERS; i++)
    EXPECT_LE(stalled[i], 1, "spinner %d progressed in at least %d of %d half seconds",
              i, PERIODS - 1, PERIODS);
}

#define RING 4
#define ROUNDS 400
static int token;  // whose turn: token % RING
static int tids[RING];
static int passes[RING], ring_done[RING];

static unsigned rnd(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 16;
}

static void ring_member(void *arg) {
  long me = (long)arg;
  unsigned seed = (unsigned)me * 7919u + 1;
  for (int r = 0; r < ROUNDS; r++) {
    int t;
    while ((t = LOAD(&token)) % RING != me)
      futex_wait(&token, t);
    passes[me]++;
    if (rnd(&seed) % 2)
      yield(LOAD(&tids[rnd(&seed) % RING]));
    ADD(&token, 1);
    futex_wake(&token, RING);
  }
  texit(&ring_done[me], 1);
}

static void check_storm(void) {
  for (long i = 0; i < RING; i++) {
    int tid = thr_spawn(stacks + (SPINNERS + i) * PGSIZE, ring_member,
                        (void *)i);
    ASSERT_GT(tid, 0, "spawn ring member %ld", i);
    STORE(&tids[i], tid);
  }
  // Spurious wake-ups and yields from outside the ring, until it is done.
  unsigned seed = 12345;
  int all;
  do {
    futex_wake(&token, 1 + rnd(&seed) % RING);
    yield(LOAD(&tids[rnd(&seed) % RING]));
    all = 1;
    for (int i = 0; i < RING; i++)
      all &= LOAD(&ring_done[i]);
  } while (!all);
  EXPECT_EQ(LOAD(&token), RING * ROUNDS, "every pass counted once");
  for (int i = 0; i < RING; i++)
    EXPECT_EQ(passes[i], ROUNDS, "ring member %d had all its turns", i);
}

int main(void) {
  stacks = thr_pages(SPINNERS + RING);
  ASSERT_TRUE(stacks != 0, "stack pages");
  check_progress();
  check_storm();
  // The last threads may still be leaving their harts: let them go before
  // the process ends (their stacks are ours until then anyway).
  test_done();
}
