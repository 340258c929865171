// t_forkfull: fork until the process table (NPROC) is full. fork then
// returns -1 (no panic, no hang), the rest of the system keeps working,
// every child is reaped, and the same number of forks succeeds again
// afterwards: no process slot and no page is lost. Then several processes
// fill the table at the same time.
#include "test.h"

// Children block reading this pipe until the parent closes its write end.
static int hold[2];

static void hold_child(void) {
  close(hold[1]);
  char c;
  read(hold[0], &c, 1);
  exit(0);
}

// Forks children until fork fails; returns how many succeeded. *failed is
// set if a fork returned -1 (rather than stopping at the safety limit).
static int fill_table(int *failed) {
  int n = 0;
  *failed = 0;
  while (n < 2 * NPROC) {
    int pid = fork();
    if (pid < 0) {
      *failed = 1;
      break;
    }
    if (pid == 0)
      hold_child();
    n++;
  }
  return n;
}

// Lets every held child go and reaps them; returns how many exited with 0.
static int release_and_reap(int n) {
  close(hold[1]);
  int good = 0;
  for (int i = 0; i < n; i++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      good++;
  }
  close(hold[0]);
  return good;
}

static int one_round(int round, int live) {
  ASSERT_EQ(pipe(hold), 0, "pipe");
  int failed;
  int n = fill_table(&failed);
  EXPECT_TRUE(failed, "round %d: fork returns -1 once the table is full", round);
  EXPECT_EQ(n, NPROC - live,
            "round %d: %d forks succeed (NPROC %d minus %d processes)", round,
            NPROC - live, NPROC, live);
  EXPECT_EQ(fork(), -1, "round %d: fork still fails while full", round);
  // The rest of the system still works with a full table.
  int p[2];
  EXPECT_EQ(pipe(p), 0, "round %d: pipe works with a full table", round);
  EXPECT_EQ(write(p[1], "ok", 2), 2, "round %d: and carries data", round);
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(test_count_procs(), NPROC, "round %d: procinfo shows %d processes",
            round, NPROC);
  EXPECT_EQ(release_and_reap(n), n, "round %d: all %d children exit 0 and are reaped",
            round, n);
  EXPECT_EQ(wait(0), -1, "round %d: no child is left", round);
  return n;
}

// Four workers fill the table at once; each reports its count, and holds
// its children until the parent lets them all go.
static void test_concurrent(int live) {
  enum { W = 4 };
  int counts[2], start[2];
  ASSERT_EQ(pipe(hold), 0, "pipe");
  ASSERT_EQ(pipe(counts), 0, "pipe");
  ASSERT_EQ(pipe(start), 0, "pipe");
  for (int w = 0; w < W; w++) {
    int pid = fork();
    if (pid == 0) {
      close(counts[0]);
      // Only the parent keeps hold[1] and start[1] open: drop our copies
      // before our children inherit them.
      close(hold[1]);
      close(start[1]);
      char c;
      read(start[0], &c, 1);  // EOF once all workers exist
      close(start[0]);
      int failed;
      int n = fill_table(&failed);
      write(counts[1], &n, sizeof(n));
      int good = 0;
      for (int i = 0; i < n; i++) {
        int status = -1;
        if (wait(&status) > 0 && status == 0)
          good++;
      }
      exit(failed && good == n ? 0 : 1);
    }
    ASSERT_GT(pid, 0, "fork worker %d", w);
  }
  close(start[0]);
  close(start[1]);  // all workers start filling the table now
  close(counts[1]);
  int total = 0, reports = 0, n;
  while (reports < W && read(counts[0], &n, sizeof(n)) == sizeof(n)) {
    total += n;
    reports++;
  }
  close(counts[0]);
  EXPECT_EQ(reports, W, "all %d workers ran out of slots", W);
  EXPECT_EQ(total + W, NPROC - live,
            "together they filled the table (%d children + %d workers)", total, W);
  close(hold[1]);  // every grandchild reads EOF now
  int good = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      good++;
  }
  close(hold[0]);
  EXPECT_EQ(good, W, "each worker reaped all its children");
  EXPECT_EQ(wait(0), -1, "no child is left");
}

int main(void) {
  int free0 = freepages();
  // Processes that exist now: init, sh, runtests, us, and perhaps orphans
  // that init has not reaped yet; wait until those are gone.
  int live = test_count_procs();
  for (int i = 0; i < 10 * test_hz() && live > 4; i++) {
    sleep(1);
    live = test_count_procs();
  }
  EXPECT_GT(live, 0, "count the processes (%d)", live);

  int n1 = one_round(1, live);
  int n2 = one_round(2, live);
  EXPECT_EQ(n1, n2, "both rounds fork the same number of children");
  int after = test_settled_freepages(free0, 2);
  EXPECT_GE(after, free0, "no page is lost (%d free before, %d after)", free0,
            after);

  test_concurrent(live);
  after = test_settled_freepages(free0, 2);
  EXPECT_GE(after, free0, "no page is lost after the concurrent round");

  int pid = fork();
  if (pid == 0)
    exit(7);
  int status = 0;
  EXPECT_EQ(wait(&status), pid, "fork works again");
  EXPECT_EQ(status, 7, "and the child runs");
  test_done();
}
