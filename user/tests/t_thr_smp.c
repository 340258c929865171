// t_thr_smp: two threads of one process really run at the same time.
//
// Two independent proofs, both impossible on one hart:
// 1. Snapshot: the main thread spins alongside spinning threads and calls
//    procinfo: if it sees another thread of ours RUNNING, both were on a
//    hart at that instant (the caller is running while it reads the record).
// 2. Hand-off timing: two threads pass a token back and forth by spinning
//    on a shared word in user mode, with no system call; each notes (with
//    rdtime, a CSR read) the shortest time between two of its own hand-offs.
//    On one hart the token changes hands only when a timer interrupt
//    preempts the holder, so between two hand-offs by the same thread there
//    are two such interrupts on that hart: at least one tick interval. Seeing
//    a gap shorter than half an interval proves the two ran at once. (A
//    hand-off *rate* would not do: on an overloaded host QEMU's harts may
//    run alternately for most of a second.)
// On a one-hart machine both are impossible and the test prints
// "ok ... # SKIP". It decides that from what it sees: 3 spinning threads for
// 2 seconds, no RUNNING thread of ours ever seen while the main thread runs,
// and no RUNNING record on any hart but hart 0. (A kernel that never uses
// its other harts would look the same: the skip line says so.)
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

static int token;  // even: A's turn; odd: B's turn
static int stop, hand_offs[2], done[2];
static unsigned long min_gap[2];
static unsigned long deadline, enough;  // rdtime units

static void player(void *a) {
  long me = (long)a;
  int n = 0;
  unsigned long spins = 0, last = 0, gap = ~0UL;
  for (;;) {
    int t = LOAD(&token);
    if ((t & 1) == me) {
      unsigned long now = rdtime();
      if (n > 0 && now - last < gap) {
        gap = now - last;
        if (gap < enough)
          STORE(&stop, 1);  // proven; the other one stops too
      }
      last = now;
      STORE(&token, t + 1);
      n++;
      continue;
    }
    if (LOAD(&stop))
      break;
    // rdtime is a plain CSR read, not a system call.
    if (++spins % 1024 == 0 && rdtime() > deadline) {
      STORE(&stop, 1);
      break;
    }
  }
  hand_offs[me] = n;
  min_gap[me] = gap;
  texit(&done[me], 1);
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  int max_hart = -1;
  int parallel = thr_parallel_seen(stacks, 3, 2000, &max_hart);
  if (!parallel) {
    test_note("no two threads of ours ever seen running at once in 2 s; "
              "highest hart seen running: %d", max_hart);
    // max_hart > 0 with no parallel run would mean several harts exist but
    // never run our threads together: that is a failure, not a skip.
    EXPECT_LE(max_hart, 0, "only hart 0 ever runs anything");
    test_report(1, "two threads run at the same time # SKIP one hart (or a "
                   "kernel that never uses its other harts)");
    test_done();
  }
  EXPECT_TRUE(parallel, "snapshot: a thread of ours RUNNING while the main "
                        "thread runs (highest hart %d)", max_hart);

  // Hand-offs until a short gap is seen, for at most 5 seconds (an
  // overloaded host may not run two of QEMU's harts at once for a while).
  int hz = test_hz();
  unsigned long interval = THR_TIMEBASE / hz;  // one tick, in rdtime units
  enough = interval / 2;
  unsigned long t0 = rdtime();
  deadline = t0 + 5 * THR_TIMEBASE;
  int a = thr_spawn(stacks, player, (void *)0L);
  int b = thr_spawn(stacks + PGSIZE, player, (void *)1L);
  ASSERT_TRUE(a > 0 && b > 0, "spawn two players");
  thr_wait_change(&done[0], 0);
  thr_wait_change(&done[1], 0);
  unsigned long gap = min_gap[0] < min_gap[1] ? min_gap[0] : min_gap[1];
  test_note("%d hand-offs in %lu ms; shortest gap between two hand-offs by "
            "one thread: %lu us (a tick is %lu us)",
            hand_offs[0] + hand_offs[1], thr_ms_since(t0), gap / 10,
            interval / 10);
  EXPECT_LT(gap, enough,
            "spinning threads pass a token back and forth faster than the "
            "tick: they run at the same time");
  test_done();
}
