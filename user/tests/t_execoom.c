// t_execoom: exec running out of memory at each of its allocations.
//
// Regression test for a file system that wedged for good. exec locks the
// program's inode inside a log operation, then builds the new address
// space; when the very first page of it (the page table's root) could not
// be had, exec returned -1 without unlocking the inode or ending the
// operation. Every later open of that program slept forever on the inode
// lock, and the log could never commit again.
//
// Each round the test lets exactly k pages be free (a hog process holds all
// the others) and has a waiting child exec("echo", {"echo", "x", 0}), for
// k = 0, 1, 2, ... until exec has succeeded a few times, so that every page
// exec allocates is the one that is missing in some round. exec must either
// work (echo prints "x" and exits 0) or return -1 with the caller intact.
// After every round, with memory back, a checker process opens echo, makes,
// writes, reads and removes a file and runs echo; it must be done within a
// bound. On the unfixed kernel the round with 2 free pages (exec's two
// argument pages fit, the page-table root does not) left echo locked: the
// checker hung in open("echo"), which this reports instead of hanging.
//
// Echo's output goes to a pipe the test reads, not to the console.
// timeout: 120
#include "t_thr_util.h"  // thr_ms_since

#define MAXK 48         // most free-page counts tried
#define WANT_OK 3       // stop after this many successful execs
#define SLACK 400       // pages left free between rounds (forks, exec)
#define CHECK_SECS 10   // bound on the checker (normally a few ms)

static int cmd[2], rep[2];  // test -> hog, hog -> test
static int outp[2];         // echo's stdout

// --- The hog: holds every page but `target`, on command.
static int set_free(int target) {
  // Grow or shrink until exactly `target` pages are free. A growth also
  // takes page-table pages, a shrink gives back only data pages: each pass
  // at least halves the difference, and the last ones fix the overshoot.
  for (int pass = 0; pass < 100; pass++) {
    int f = freepages();
    if (f == target)
      return f;
    if (f > target) {
      int n = f - target;
      while (n > 0 && sbrk(n * PGSIZE) == (char *)-1)
        n /= 2;  // with its page tables it did not fit: half as much
      if (n == 0)
        return freepages();
    } else if (sbrk(-(target - f) * PGSIZE) == (char *)-1) {
      return freepages();
    }
  }
  return freepages();
}

static void hog(void) {
  close(cmd[1]);
  close(rep[0]);
  char *base = sbrk(0);
  int target;
  while (read(cmd[0], &target, sizeof(target)) == sizeof(target)) {
    int got = target < 0 ? (sbrk(-(int)(sbrk(0) - base)), freepages())
                         : set_free(target);
    write(rep[1], &got, sizeof(got));
  }
  exit(0);
}

static int hog_set(int target) {
  int got = -1;
  if (write(cmd[1], &target, sizeof(target)) != sizeof(target) ||
      read(rep[0], &got, sizeof(got)) != sizeof(got))
    return -2;
  return got;
}

// --- The exec'ing child: waits for the go byte, then execs echo.
#define EXEC_FAILED 3
static void execer(int go) {
  char c;
  if (read(go, &c, 1) != 1)
    exit(1);
  close(1);
  if (dup(outp[1]) != 1)
    exit(2);
  char *argv[] = {"echo", "x", 0};
  int r = exec("echo", argv);
  exit(r == -1 ? EXEC_FAILED : 4);
}

// --- The checker: the file system and exec still work.
static int checker(void) {
  int fd = open("echo", O_RDONLY);
  if (fd < 0)
    return 1;
  char elf[4];
  if (read(fd, elf, 4) != 4 || elf[1] != 'E')
    return 2;
  close(fd);
  fd = open("t_execoom.f", O_CREATE | O_RDWR);
  if (fd < 0 || write(fd, "still here", 10) != 10)
    return 3;
  close(fd);
  char buf[16];
  fd = open("t_execoom.f", O_RDONLY);
  if (fd < 0 || read(fd, buf, sizeof(buf)) != 10 || memcmp(buf, "still here", 10))
    return 4;
  close(fd);
  if (unlink("t_execoom.f") != 0)
    return 5;
  int pid = fork();
  if (pid == 0) {
    close(1);
    dup(outp[1]);
    char *argv[] = {"echo", "y", 0};
    exec("echo", argv);
    exit(99);
  }
  int st = -1;
  if (pid < 0 || wait(&st) != pid || st != 0)
    return 6;
  return 0;
}

// Reads what is in the output pipe (the writers are done): up to max-1
// bytes, without blocking on an empty pipe (a marker byte is written first).
static int drain(char *buf, int max) {
  write(outp[1], "|", 1);
  int n = 0;
  while (n < max - 1) {
    int r = read(outp[0], buf + n, 1);
    if (r != 1 || buf[n] == '|')
      break;
    n++;
  }
  buf[n] = 0;
  return n;
}

int main(void) {
  ASSERT_EQ(pipe(cmd), 0, "pipe");
  ASSERT_EQ(pipe(rep), 0, "pipe");
  ASSERT_EQ(pipe(outp), 0, "pipe");
  int hog_pid = fork();
  if (hog_pid == 0)
    hog();
  ASSERT_GT(hog_pid, 0, "fork the hog");
  close(cmd[0]);
  close(rep[1]);

  unsigned long t0 = rdtime();
  int oks = 0, fails = 0, wrong = 0, first_ok = -1;
  char out[64];
  for (int k = 0; k <= MAXK && oks < WANT_OK; k++) {
    // Between rounds SLACK pages are free: enough to fork the child.
    if (hog_set(SLACK) < SLACK) {
      test_note("hog could not give back memory");
      wrong++;
      break;
    }
    int go[2];
    if (pipe(go) != 0) {
      wrong++;
      break;
    }
    int pid = fork();
    if (pid == 0) {
      close(go[1]);
      execer(go[0]);
    }
    close(go[0]);
    if (pid < 0) {
      close(go[1]);
      wrong++;
      break;
    }
    int got = hog_set(k);
    if (got != k)
      test_note("k=%d: %d pages free instead", k, got);  // the round still runs
    write(go[1], "g", 1);
    close(go[1]);
    int st = -12345;
    int w = wait(&st);
    hog_set(SLACK);
    drain(out, sizeof(out));
    if (w != pid || (st != 0 && st != EXEC_FAILED) ||
        (st == 0 && strcmp(out, "x\n") != 0)) {
      test_note("k=%d: wait %d (child %d), status %d, output \"%s\"", k, w,
                pid, st, out);
      wrong++;
    } else if (st == 0) {
      if (first_ok < 0)
        first_ok = got;
      oks++;
    } else {
      fails++;
    }

    // The file system must still work: in a child, with a bound.
    int cpid = fork();
    if (cpid == 0)
      exit(checker());
    if (cpid < 0 || !test_await_proc(cpid, PI_ZOMBIE, CHECK_SECS)) {
      test_report(0, "after exec with %d free pages: open/create/exec "
                     "did not finish in %d s",
                  got, CHECK_SECS);
      test_note("bailing out; the checker (pid %d) is stuck", cpid);
      hog_set(-1);
      test_done();
    }
    int cst = -1;
    if (wait(&cst) != cpid || cst != 0) {
      test_report(0, "after exec with %d free pages: checker status %d", got,
                  cst);
      wrong++;
    }
    drain(out, sizeof(out));
    if (strcmp(out, "y\n") != 0) {
      test_note("k=%d: checker's echo printed \"%s\"", k, out);
      wrong++;
    }
  }
  test_note("%d execs failed cleanly, %d worked (first with %d free pages), "
            "in %lu ms",
            fails, oks, first_ok, thr_ms_since(t0));
  EXPECT_EQ(wrong, 0, "every exec worked or returned -1; every check after it passed");
  EXPECT_EQ(oks, WANT_OK, "exec works again once there is enough memory");
  EXPECT_GT(fails, 2, "exec failed for lack of memory in the first rounds");

  hog_set(-1);
  close(cmd[1]);
  int st = -1;
  EXPECT_EQ(wait(&st), hog_pid, "the hog exits");
  EXPECT_EQ(st, 0, "with status 0");
  test_done();
}
