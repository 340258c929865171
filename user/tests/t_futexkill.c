// t_futexkill: a futex_wake is never spent on a waiter that a kill ends.
//
// Two clones (separate processes sharing this memory) wait on one futex
// word, A first. A is killed; at once, before A has run again, the word is
// set and futex_wake(word, 1) is called. A kill makes A runnable but leaves
// its entry in the futex queue until A gets the bucket lock back; that
// entry used to take the wake-up (futex_wake returned 1), so B, alive and
// asleep, was never woken: a lost wake-up for a program whose clones share
// a mutex. Now a waiter that must end is passed over and B is woken.
//
// On one hart the kill and the wake always come before A runs; on several
// harts A may leave first, and then the test passes either way.
// timeout: 60
#include "t_thr_util.h"

#define ROUNDS 10

static int word;
static int b_woke;

static void waiter(void *arg) {
  while (LOAD(&word) == 0)
    futex_wait(&word, 0);
  if (arg)
    STORE(&b_woke, 1);
  exit(0);
}

int main(void) {
  char *stacks = thr_pages(2);
  ASSERT_TRUE(stacks != 0, "stack pages");
  int lost = 0, counted = 0;
  for (int round = 0; round < ROUNDS; round++) {
    STORE(&word, 0);
    STORE(&b_woke, 0);
    int a = clone(waiter, 0, stacks);
    ASSERT_GT(a, 0, "clone A");
    ASSERT_TRUE(thr_await_state(a, PI_SLEEPING, 10), "A waits on the word");
    int b = clone(waiter, (void *)1L, stacks + PGSIZE);
    ASSERT_GT(b, 0, "clone B");
    ASSERT_TRUE(thr_await_state(b, PI_SLEEPING, 10), "B waits on the word");
    kill(a);
    STORE(&word, 1);
    counted += futex_wake(&word, 1);
    if (!thr_poll_eq(&b_woke, 1, 3)) {
      lost++;
      kill(b);
    }
    void *st;
    join(&st);
    join(&st);
  }
  EXPECT_EQ(lost, 0, "B was woken in every round (%d of %d lost)", lost, ROUNDS);
  EXPECT_EQ(counted, ROUNDS, "every futex_wake(word, 1) woke one thread");
  test_done();
}
