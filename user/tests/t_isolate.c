// t_isolate: what one process can do to another's threads and status.
//
// Regression tests for two holes in the isolation of processes:
// - mkrun(tid) woke a thread of any process, and yield(tid) accepted any
//   process's thread. A process could wake another process's thread out of
//   desch(), breaking that process's guard protocol. The fixed kernel
//   refuses both (-1) for a thread of another process; here that other
//   process is a fork()ed child, which shares nothing with the test.
// - A process's exit status was not final when its last thread ended: the
//   last texit set it to 0, but a kill() that came while the dying process
//   was still closing its files turned it into -1. The status is decided
//   once, by the first of exit, kill or the last thread's end.
//
// Checked:
// - (a) mkrun and yield of a thread (asleep in desch) of another process:
//   -1, and it stays asleep until its own process mkruns it (then 0).
//   yield(own tid), yield(-1): 0; mkrun of an own thread not in desch: -1.
// - (b) kill of a zombie: -1 (a zombie is not alive), status kept (7 from
//   exit(7), 0 from a last texit). And the race: a child whose last thread
//   texits (or which calls exit(7)) closes a pipe and then ten unlinked
//   files (freeing each takes a log commit); the parent kills it as soon
//   as it sees the pipe's EOF. kill may return 0 or -1, but the status must
//   stay 0 (7). On the unfixed kernel it became -1 every time.
// - (c) kill of a pid never used, of negative pids, of 0: -1.
// - (d) kill racing fork and tspawn: a process whose two threads fork and
//   tspawn in a tight loop is killed; wait returns it with status -1 within
//   a bound (no thread of it escaped the kill), and soon no process it made
//   is left (those made just before the kill are orphans init reaps).
// - (e) kill of the previous, reaped child while a new child lives: -1, and
//   the new child exits with its own status.
// timeout: 120
#include "t_thr_util.h"

static char *stacks;

// Process pid is a zombie: its only record is the process record (tid 0).
static int is_zombie(int pid) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  int recs = 0, zombie = 0;
  for (int i = 0; i < n; i++) {
    if (test_pi_[i].pid != pid)
      continue;
    recs++;
    zombie = test_pi_[i].tid == 0 && test_pi_[i].state == PI_ZOMBIE;
  }
  return recs == 1 && zombie;
}

static int await_zombie(int pid, int seconds) {
  int ticks = seconds * test_hz();
  for (int i = 0; i <= ticks; i++) {
    if (is_zombie(pid))
      return 1;
    sleep(1);
  }
  return 0;
}

// --- (a) mkrun and yield across processes.
static int a_guard = 1, a_done;
static int a_woke[2], a_info[2], a_go[2];

static void a_descher(void *arg) {
  (void)arg;
  desch(&a_guard);
  write(a_woke[1], "W", 1);
  texit(&a_done, 1);
}

static void a_child(void) {
  int t = thr_spawn(stacks, a_descher, 0);
  if (t < 0)
    exit(10);
  // Tell the parent the tid once the thread is asleep in desch (its only
  // sleep).
  if (!thr_await_state(t, PI_SLEEPING, 10))
    exit(11);
  write(a_info[1], &t, sizeof(t));
  char c;
  if (read(a_go[0], &c, 1) != 1)
    exit(12);
  int r = mkrun(t);  // its own process: this one works
  thr_wait_change(&a_done, 0);
  exit(r == 0 ? 0 : 13);
}

static int s_word, s_done;
static void futex_sleeper(void *arg) {
  (void)arg;
  while (LOAD(&s_word) == 0)
    futex_wait(&s_word, 0);
  texit(&s_done, 1);
}

static void test_cross_mkrun(void) {
  ASSERT_TRUE(pipe(a_woke) == 0 && pipe(a_info) == 0 && pipe(a_go) == 0, "pipes");
  int pid = fork();
  if (pid == 0)
    a_child();
  ASSERT_GT(pid, 0, "fork");
  // Only the child writes these: if it fails (say, an injected allocation
  // failure ends it early), the reads below see end-of-file instead of
  // waiting forever for our own copies of the write ends.
  close(a_info[1]);
  close(a_woke[1]);
  int t = 0;
  ASSERT_EQ(read(a_info[0], &t, sizeof(t)), (int)sizeof(t),
            "the child's thread is asleep in desch");
  // yield first: an (unfixed) mkrun would wake the thread, which then ends,
  // and yield to a thread that is gone is -1 for another reason.
  EXPECT_EQ(yield(t), -1, "yield to another process's thread: -1");
  EXPECT_EQ(mkrun(t), -1, "mkrun of another process's thread: -1");
  sleep(2);
  EXPECT_EQ(thr_state(t), PI_SLEEPING, "that thread is still asleep in desch");
  write(a_go[1], "g", 1);
  char c = 0;
  EXPECT_EQ(read(a_woke[0], &c, 1), 1, "its own process's mkrun wakes it");
  int st = -12345;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 0, "the child's own mkrun returned 0 (status %d)", st);

  EXPECT_EQ(yield(gettid()), 0, "yield(own tid): 0");
  EXPECT_EQ(yield(-1), 0, "yield(-1): 0");
  int s = thr_spawn(stacks, futex_sleeper, 0);
  ASSERT_GT(s, 0, "spawn a thread");
  thr_await_state(s, PI_SLEEPING, 10);
  EXPECT_EQ(mkrun(s), -1, "mkrun of an own thread that is not in desch: -1");
  EXPECT_EQ(yield(s), 0, "yield to an own thread: 0");
  STORE(&s_word, 1);
  futex_wake(&s_word, 1);
  thr_wait_change(&s_done, 0);
  int fds[] = {a_woke[0], a_info[0], a_go[0], a_go[1]};
  for (int i = 0; i < 4; i++)
    close(fds[i]);
}

// --- (b) the status is decided once.
static int b_done[3];
static void b_late_texit(void *arg) {
  long i = (long)arg;
  texit(&b_done[i], 1);
}

static void test_zombie_kill(void) {
  int pid = fork();
  if (pid == 0)
    exit(7);
  ASSERT_GT(pid, 0, "fork");
  EXPECT_TRUE(await_zombie(pid, 10), "exit(7): the child becomes a zombie");
  EXPECT_EQ(kill(pid), -1, "kill of the zombie: -1");
  int st = -12345;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 7, "status 7 kept");

  pid = fork();
  if (pid == 0) {
    for (long i = 0; i < 3; i++)
      thr_spawn(stacks + i * PGSIZE, b_late_texit, (void *)i);
    texit(0, 5);
  }
  ASSERT_GT(pid, 0, "fork");
  EXPECT_TRUE(await_zombie(pid, 10), "last texit: the child becomes a zombie");
  EXPECT_EQ(kill(pid), -1, "kill of the zombie: -1");
  st = -12345;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 0, "status 0 kept");
}

// The race: the child's fd 3 is the write end of a pipe the parent reads;
// fds 4 and up are unlinked files. Exit closes fds in order, so the parent
// sees EOF and kills while the child frees the files, one log commit (disk
// writes, during which it sleeps) per file: a window wide enough for a
// parent woken on another hart, too.
#define NFILES 10
#define RACE_ROUNDS 4
static char blk[1024];

static void b_race_child(int p[2], int use_exit) {
  close(p[0]);
  // Pipe end to fd 3 (the lowest free one: the test has no other fds open
  // above 2 here), the files above it.
  if (p[1] != 3) {
    close(3);
    if (dup(p[1]) != 3)
      exit(22);
    close(p[1]);
  }
  for (int i = 0; i < NFILES; i++) {
    char name[32];
    test_format(name, sizeof(name), "t_isolate.%d", i);
    int f = open(name, O_CREATE | O_RDWR);
    if (f <= 3 || unlink(name) != 0 || write(f, blk, sizeof(blk)) != sizeof(blk))
      exit(20);
  }
  if (use_exit)
    exit(7);
  texit(0, 9);  // the only thread: the last texit, status 0
}

static void test_late_kill_race(int use_exit) {
  int want = use_exit ? 7 : 0;
  int wrong = 0, kills = 0, other = 0;
  for (int r = 0; r < RACE_ROUNDS; r++) {
    int p[2];
    if (pipe(p) != 0) {
      other++;
      break;
    }
    int pid = fork();
    if (pid == 0)
      b_race_child(p, use_exit);
    close(p[1]);
    char c;
    while (read(p[0], &c, 1) == 1)
      ;
    // EOF: the child's last thread has ended; it is releasing its files.
    int k = kill(pid);
    close(p[0]);
    if (k == 0)
      kills++;
    int st = -12345;
    if (pid < 0 || wait(&st) != pid)
      other++;
    else if (st != want) {
      if (!wrong)
        test_note("round %d: kill returned %d, status %d", r, k, st);
      wrong++;
    }
  }
  test_note("kill returned 0 in %d of %d rounds", kills, RACE_ROUNDS);
  EXPECT_EQ(other, 0, "pipes, forks and waits worked");
  EXPECT_EQ(wrong, 0, "%s, then a kill while it closes its files: status %d "
                      "every time",
            use_exit ? "exit(7)" : "last texit", want);
}

// --- (c)
static void test_bad_pids(void) {
  EXPECT_EQ(kill(1 << 30), -1, "kill of a pid never used: -1");
  EXPECT_EQ(kill(-1), -1, "kill(-1): -1");
  EXPECT_EQ(kill(-getpid()), -1, "kill(-pid): -1");
  EXPECT_EQ(kill(0), -1, "kill(0): -1");
}

// --- (d) a killed process makes no more processes or threads.
static int d_ready[2];  // a pipe per round; the child writes when it is busy
static int d_count;

static void d_spawned(void *arg) {
  texit((int *)arg, 1);
}

static void d_maker(void *arg) {
  long me = (long)arg;
  char *stk = stacks + (2 + me) * PGSIZE;
  int word;
  for (int i = 0;; i++) {
    int pid = fork();
    if (pid == 0)
      exit(0);
    if (pid > 0)
      wait(0);
    word = 0;
    if (tspawn(stk + PGSIZE, d_spawned, &word) > 0)
      thr_wait_change(&word, 0);
    if (ADD(&d_count, 1) == 40)
      write(d_ready[1], "r", 1);
  }
}

static int others_named_like_us(void) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  int me = getpid(), c = 0, last = -1;
  for (int i = 0; i < n; i++) {
    if (test_pi_[i].pid == me || test_pi_[i].pid == last)
      continue;
    last = test_pi_[i].pid;
    if (strncmp(test_pi_[i].name, "t_isolate", PI_NAMELEN) == 0)
      c++;
  }
  return c;
}

#define D_ROUNDS 5
static void test_killed_makes_nothing(void) {
  int bad_kill = 0, bad_status = 0, hung = 0, left = 0;
  for (int r = 0; r < D_ROUNDS; r++) {
    ASSERT_EQ(pipe(d_ready), 0, "pipe");
    int pid = fork();
    if (pid == 0) {
      close(d_ready[0]);
      if (thr_spawn(stacks, d_maker, (void *)1) < 0)
        exit(30);
      d_maker(0);
    }
    if (pid < 0) {
      close(d_ready[0]);
      close(d_ready[1]);
      hung++;
      break;
    }
    // Only the child writes: if it ends early (an injected allocation
    // failure, say), the read sees end-of-file instead of waiting forever
    // for our own copy of the write end.
    close(d_ready[1]);
    char c;
    read(d_ready[0], &c, 1);
    close(d_ready[0]);
    sleep(1 + r);
    if (kill(pid) != 0)
      bad_kill++;
    if (!await_zombie(pid, 10)) {
      hung++;
      break;
    }
    int st = 0;
    if (wait(&st) != pid || st != -1)
      bad_status++;
    // Children it made just before the kill are orphans now; init reaps
    // them. None may be left after a little while.
    int i, ticks = 10 * test_hz();
    for (i = 0; i < ticks && others_named_like_us() > 0; i++)
      sleep(1);
    if (i == ticks)
      left++;
  }
  EXPECT_EQ(bad_kill, 0, "kill of the busy process: 0 (%d rounds)", D_ROUNDS);
  EXPECT_EQ(hung, 0, "it ended within 10 s");
  EXPECT_EQ(bad_status, 0, "wait returned it with status -1");
  EXPECT_EQ(left, 0, "no process it made was left after 10 s");
}

// --- (e) kill of an old pid does not hit a new child.
#define E_ROUNDS 100
static void test_old_pid(void) {
  int prev = -1, bad = 0, hit = 0;
  for (int r = 0; r < E_ROUNDS; r++) {
    int go[2];
    if (pipe(go) != 0) {
      bad++;
      break;
    }
    int pid = fork();
    if (pid == 0) {
      char c;
      close(go[1]);
      read(go[0], &c, 1);
      exit(r % 100 + 1);
    }
    close(go[0]);
    if (pid < 0) {
      close(go[1]);
      bad++;
      break;
    }
    if (prev > 0 && kill(prev) != -1)
      hit++;
    if (pid == prev)
      bad++;  // pids are not reused soon
    write(go[1], "g", 1);
    close(go[1]);
    int st = -12345;
    if (wait(&st) != pid || st != r % 100 + 1)
      bad++;
    prev = pid;
  }
  EXPECT_EQ(hit, 0, "kill of the previous, reaped child: -1 (%d times)", E_ROUNDS);
  EXPECT_EQ(bad, 0, "every new child exited with its own status");
}

int main(void) {
  stacks = thr_pages(4);
  ASSERT_TRUE(stacks != 0, "stack pages");
  unsigned long t0 = rdtime();
  test_cross_mkrun();
  test_zombie_kill();
  test_late_kill_race(0);
  test_late_kill_race(1);
  test_bad_pids();
  test_killed_makes_nothing();
  test_old_pid();
  test_note("%lu ms", thr_ms_since(t0));
  test_done();
}
