// t_brigade: the bucket brigade (kernel/sync/brigade.h), the grace period
// behind `shootdown=brigade`, and the TLB shootdown it makes. Every check
// holds in both shootdown modes: the trip itself is the same code in both,
// and an sbrk shrink must be safe whichever way the other harts flush.
//
// - The ring: brigade(stops, max, 1) runs the caller once on every other
//   hart and brings it home: the stops are home, each other hart once, home.
//   Trips made from many harts at once, by several threads, all follow one
//   cyclic order (the ring).
// - Busy harts: with a CPU-bound thread of this process on every other hart
//   (never entering the kernel by itself), trips through every hart and
//   through the harts that run the space still complete: a busy hart takes
//   the traveller at its next tick.
// - A shrink under fire: threads keep writing the top 16 pages of the heap
//   on the other harts; sbrk(-16 pages). Each of them gets at most one more
//   access in after sbrk returns, and then faults; the freed pages, taken at
//   once by another process and filled, still hold what it wrote when all
//   the writers are gone (no stale translation wrote into a reused page).
// - Kill and exit during trips: a process whose threads travel and shrink
//   all the time, with spinners on the other harts, is killed (or exits
//   from another thread); it ends with the right status and every page
//   comes back.
// timeout: 180
#include "t_thr_util.h"

#define MAXSTOPS (NCPU + 1)
static int ncpu = 1;
static char *stacks;  // NSTACKS pages
#define NSTACKS 16

// The ring as trips have shown it: next[h] is the hart after h, -1 unknown.
static int ring_next[NCPU];

// One trip's stops: home, the harts visited, home again (or just home).
// Returns 1 if they are well formed and agree with the ring seen so far;
// `every` says the trip had to visit every hart.
static int trip_ok(const int *stops, int n, int every) {
  if (n < 1 || n > MAXSTOPS)
    return 0;
  if (n == 1)
    return !every || ncpu == 1;
  if (n == 2 || stops[0] != stops[n - 1])
    return 0;
  if (every && n != ncpu + 1)
    return 0;
  int seen = 0;
  for (int i = 0; i < n - 1; i++) {
    int h = stops[i];
    if (h < 0 || h >= NCPU || (seen & (1 << h)))
      return 0;
    seen |= 1 << h;
  }
  // Only a trip through every hart shows who follows whom; a shorter
  // one skips harts.
  if (every)
    for (int i = 0; i < n - 1; i++) {
      int want = stops[i + 1];
      int old = -1;
      if (!CAS(&ring_next[stops[i]], &old, want) && old != want)
        return 0;
    }
  return 1;
}

// Do the visited harts of a shorter trip come in ring order from home?
static int in_ring_order(const int *stops, int n) {
  int h = stops[0];
  for (int i = 1; i < n; i++) {
    int steps = 0;
    do {
      h = LOAD(&ring_next[h]);
      if (h < 0 || ++steps > ncpu)
        return 0;
    } while (h != stops[i]);
  }
  return 1;
}

// ---- 1. the ring.
#define NTRAV 4
#define TRIPS 10
static int trav_bad, trav_done[NTRAV], trav_homes;
static void traveller(void *a) {
  long id = (long)a;
  int stops[MAXSTOPS];
  for (int k = 0; k < TRIPS; k++) {
    int n = brigade(stops, MAXSTOPS, 1);
    if (!trip_ok(stops, n, 1))
      ADD(&trav_bad, 1);
    else
      __atomic_or_fetch(&trav_homes, 1 << stops[0], __ATOMIC_SEQ_CST);
  }
  texit(&trav_done[id], 1);
}

static void test_ring(void) {
  for (int h = 0; h < NCPU; h++)
    ring_next[h] = -1;
  int stops[MAXSTOPS];
  int n = brigade(stops, MAXSTOPS, 1);
  ASSERT_TRUE(n >= 1 && n <= MAXSTOPS, "a trip through every hart: %d stops", n);
  ncpu = n == 1 ? 1 : n - 1;
  test_note("%d hart(s); first trip from hart %d", ncpu, stops[0]);
  EXPECT_TRUE(trip_ok(stops, n, 1),
              "it starts and ends at home and runs once on every other hart");
  int bad = 0;
  for (int k = 0; k < TRIPS; k++) {
    n = brigade(stops, MAXSTOPS, 1);
    bad += !trip_ok(stops, n, 1);
  }
  EXPECT_EQ(bad, 0, "%d more trips, one after another, follow the same ring", TRIPS);
  int ok = 1;
  for (long i = 0; i < NTRAV; i++)
    ok &= thr_spawn(stacks + i * PGSIZE, traveller, (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn %d travellers", NTRAV);
  for (int i = 0; i < NTRAV; i++)
    thr_wait_change(&trav_done[i], 0);
  EXPECT_EQ(LOAD(&trav_bad), 0, "%d threads travelling at once: %d trips, all "
            "home, every hart once, one ring", NTRAV, NTRAV * TRIPS);
  int homes = 0;
  for (int h = 0; h < NCPU; h++)
    homes += (trav_homes >> h) & 1;
  test_note("their trips started from %d different harts", homes);
  int small[1];
  EXPECT_EQ(brigade(small, 0, 1), -1, "max 0: -1 (the trip is made anyway)");
  EXPECT_EQ(ncpu == 1 || brigade(small, 1, 1) == -1, 1,
            "a buffer too small for the stops: -1");
  EXPECT_EQ(brigade((int *)0x10, MAXSTOPS, 1), -1, "a bad buffer: -1");
}

// ---- 2. busy harts.
static int spin_stop, spin_done[NCPU], spin_count[NCPU], spin_tid[NCPU];
static void spinner(void *a) {
  long i = (long)a;
  while (!LOAD(&spin_stop))
    __atomic_add_fetch(&spin_count[i], 1, __ATOMIC_RELAXED);
  texit(&spin_done[i], 1);
}

// n spinners on stacks[first..]; returns when each has run.
static int start_spinners(int first, int n) {
  STORE(&spin_stop, 0);
  for (int i = 0; i < n; i++) {
    STORE(&spin_done[i], 0);
    STORE(&spin_count[i], 0);
    spin_tid[i] = thr_spawn(stacks + (first + i) * PGSIZE, spinner, (void *)(long)i);
    if (spin_tid[i] <= 0)
      return 0;
  }
  for (int i = 0; i < n; i++)
    while (LOAD(&spin_count[i]) == 0)
      yield(-1);
  return 1;
}

static void stop_spinners(int n) {
  STORE(&spin_stop, 1);
  for (int i = 0; i < n; i++)
    thr_wait_change(&spin_done[i], 0);
}

// Waits up to 200 ms for a moment when all n spinners run (on other harts:
// this thread runs too). 1 if it came.
static int spinners_running(int n) {
  unsigned long t0 = rdtime();
  while (thr_ms_since(t0) < 200) {
    int k = procinfo(test_pi_, TEST_MAXPI), running = 0;
    for (int i = 0; i < k; i++)
      for (int j = 0; j < n; j++)
        running += test_pi_[i].tid == spin_tid[j] && test_pi_[i].state == PI_RUNNING;
    if (running == n)
      return 1;
    yield(-1);
  }
  return 0;
}

static void test_busy(void) {
  int nspin = ncpu > 1 ? ncpu - 1 : 1;
  ASSERT_TRUE(start_spinners(0, nspin), "%d CPU-bound threads running", nspin);
  int stops[MAXSTOPS], bad_all = 0, bad_mine = 0, went = 0, parallel = 0;
  unsigned long ms = 0;
  for (int k = 0; k < TRIPS; k++) {
    // A trip moves the spinners about (a busy hart's spinner is queued
    // while the traveller runs there, and an idle hart may take it): the
    // trips through this space's harts start when they all run.
    parallel += ncpu > 1 && spinners_running(nspin);
    unsigned long t0 = rdtime();
    int n = brigade(stops, MAXSTOPS, 0);
    bad_mine += !trip_ok(stops, n, 0) || !in_ring_order(stops, n);
    went += n > 1;
    n = brigade(stops, MAXSTOPS, 1);
    bad_all += !trip_ok(stops, n, 1);
    ms += thr_ms_since(t0);
  }
  stop_spinners(nspin);
  EXPECT_EQ(bad_all, 0, "busy harts: %d trips through every hart come home", TRIPS);
  EXPECT_EQ(bad_mine, 0, "busy harts: %d trips through the harts running this "
            "space come home, in ring order", TRIPS);
  if (parallel)
    EXPECT_GT(went, 0, "some of those found a spinner on another hart");
  test_note("%d trips in %lu ms; %d of the space's trips left home, %d began "
            "with every spinner running", 2 * TRIPS, ms, went, parallel);
}

// ---- 3. a shrink under fire.
#define NPG 16
#define ROUNDS 5
static volatile char *hammer_base;
static int hammer_count[NCPU];
static void hammer(void *a) {
  long i = (long)a;
  volatile char *p = hammer_base;
  for (unsigned v = 1;; v++) {
    for (int pg = 0; pg < NPG; pg++)
      p[pg * PGSIZE + i * 64] = (char)(v | 0x80);
    __atomic_add_fetch(&hammer_count[i], 1, __ATOMIC_SEQ_CST);
  }
}

// The other process: fills the pages it gets right after the shrink and
// checks them once every writer is gone. Exits 0 if they held.
static void reuser(int go, int back) {
  char c;
  if (read(go, &c, 1) != 1)
    exit(2);
  char *p = sbrk(2 * NPG * PGSIZE);
  if (p == (char *)-1)
    exit(3);
  for (int i = 0; i < 2 * NPG * PGSIZE; i++)
    p[i] = (char)(i * 7 + 1) & 0x7f;  // writers store bytes with bit 7 set
  write(back, "f", 1);
  if (read(go, &c, 1) != 1)
    exit(2);
  for (int i = 0; i < 2 * NPG * PGSIZE; i++)
    if (p[i] != ((char)(i * 7 + 1) & 0x7f))
      exit(1);
  exit(0);
}

static void test_shrink(void) {
  int nham = ncpu > 1 ? ncpu - 1 : 1;
  int late = 0, gone = 0, held = 0, parallel = 0;
  for (int round = 0; round < ROUNDS; round++) {
    int go[2], back[2];
    ASSERT_TRUE(pipe(go) == 0 && pipe(back) == 0, "pipes");
    // Forked before the pages exist: it must not share them.
    int pid = fork();
    if (pid == 0) {
      close(go[1]);
      close(back[0]);
      reuser(go[0], back[1]);
    }
    ASSERT_GT(pid, 0, "fork the process that takes the freed pages");
    close(go[0]);
    close(back[1]);
    char *top = thr_pages(NPG);
    ASSERT_TRUE(top != 0, "%d pages at the top of the heap", NPG);
    hammer_base = top;
    int tids[NCPU];
    for (int i = 0; i < nham; i++) {
      STORE(&hammer_count[i], 0);
      tids[i] = thr_spawn(stacks + i * PGSIZE, hammer, (void *)(long)i);
      ASSERT_GT(tids[i], 0, "spawn a writer");
    }
    for (int i = 0; i < nham; i++)
      while (LOAD(&hammer_count[i]) < 100)
        yield(-1);
    for (int i = 0; i < nham; i++)
      parallel += thr_state(tids[i]) == PI_RUNNING;
    ASSERT_NE(sbrk(-NPG * PGSIZE), (char *)-1, "sbrk(-%d pages)", NPG);
    int c1[NCPU];
    for (int i = 0; i < nham; i++)
      c1[i] = LOAD(&hammer_count[i]);
    write(go[1], "g", 1);  // take the pages, now
    char c;
    EXPECT_EQ(read(back[0], &c, 1), 1, "the other process filled its pages");
    for (int i = 0; i < nham; i++) {
      gone += thr_await_state(tids[i], 0, 10);
      if (LOAD(&hammer_count[i]) > c1[i] + 1)
        late++;
    }
    write(go[1], "c", 1);  // every writer is gone: check
    int st = -1;
    EXPECT_EQ(wait(&st), pid, "wait");
    held += st == 0;
    close(go[1]);
    close(back[0]);
  }
  EXPECT_EQ(gone, ROUNDS * nham, "every writer faulted once its pages were gone");
  EXPECT_EQ(late, 0, "none got more than one access in after sbrk returned");
  EXPECT_EQ(held, ROUNDS, "the pages reused at once by another process held "
            "what it wrote, %d times", ROUNDS);
  test_note("writers were running on another hart %d times of %d", parallel,
            ROUNDS * nham);
}

// ---- 4. kill and exit during trips.
static int busy_stop, trips_made;
static void trip_forever(void *a) {
  int fd = (int)(long)a, stops[MAXSTOPS];
  for (int k = 0;; k++) {
    brigade(stops, MAXSTOPS, k & 1);
    if (ADD(&trips_made, 1) == 4)
      write(fd, "t", 1);  // trips are under way
  }
}
static void shrink_forever(void *a) {
  (void)a;
  for (;;) {
    char *p = sbrk(4 * PGSIZE);
    if (p != (char *)-1) {
      for (int i = 0; i < 4; i++)
        p[i * PGSIZE] = 1;
      sbrk(-4 * PGSIZE);
    }
  }
}
static void spin_forever(void *a) {
  (void)a;
  while (!LOAD(&busy_stop)) {
  }
}

// The child: spinners, two travellers, a shrinker; tells the parent once
// trips are under way; exits `exit_after` ticks later (0: never).
static void trip_child(int ready, int exit_after) {
  int nspin = ncpu > 1 ? ncpu - 1 : 1, k = 0;
  for (int i = 0; i < nspin; i++)
    thr_spawn(stacks + k++ * PGSIZE, spin_forever, 0);
  thr_spawn(stacks + k++ * PGSIZE, trip_forever, (void *)(long)ready);
  thr_spawn(stacks + k++ * PGSIZE, trip_forever, (void *)(long)ready);
  thr_spawn(stacks + k++ * PGSIZE, shrink_forever, 0);
  if (exit_after) {
    while (LOAD(&trips_made) < 4)
      sleep(1);
    sleep(exit_after);
    exit(7);
  }
  for (;;)
    sleep(1000);
}

static void test_kill(void) {
  int before = freepages();
  int killed = 0, exited = 0;
  for (int round = 0; round < 6; round++) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0, "pipe");
    int by_exit = round & 1;
    trips_made = 0;
    int pid = fork();
    if (pid == 0) {
      close(ready[0]);
      trip_child(ready[1], by_exit ? round : 0);
    }
    ASSERT_GT(pid, 0, "fork");
    close(ready[1]);
    char c;
    read(ready[0], &c, 1);
    if (!by_exit) {
      sleep(1 + round);
      EXPECT_EQ(kill(pid), 0, "kill it while its threads travel");
    }
    int st = 0;
    EXPECT_EQ(wait(&st), pid, "wait");
    if (by_exit)
      exited += st == 7;
    else
      killed += st == -1;
    close(ready[0]);
  }
  EXPECT_EQ(killed, 3, "3 killed mid-trip: status -1");
  EXPECT_EQ(exited, 3, "3 ended by exit(7) from another thread mid-trip: status 7");
  EXPECT_GE(test_settled_freepages(before, 5), before, "every page came back");
}

int main(void) {
  stacks = thr_pages(NSTACKS);
  ASSERT_TRUE(stacks != 0, "stack pages");
  char args[256];
  int mode = 0;
  if (bootargs(args, sizeof(args)) > 0)
    for (char *s = args; *s; s++)
      mode |= strncmp(s, "shootdown=brigade", 17) == 0;
  test_note("shootdown by %s", mode ? "bucket brigade" : "SBI remote fence");
  test_ring();
  test_busy();
  test_shrink();
  test_kill();
  test_done();
}
