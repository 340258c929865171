// t_fd: file descriptors. The lowest free number is used; dup and close;
// a process can hold NOFILE descriptors and no more; the system-wide file
// table (NFILE) can be filled by several processes and then fails cleanly;
// everything a process had open is released when it exits.
#include "test.h"

static void test_lowest(void) {
  int a = open("README.md", O_RDONLY);
  int b = open("README.md", O_RDONLY);
  EXPECT_EQ(a, 3, "the first open gets fd 3 (0-2 are the console)");
  EXPECT_EQ(b, 4, "the next gets 4");
  close(a);
  EXPECT_EQ(dup(b), 3, "after closing 3, dup gets 3");
  EXPECT_EQ(open("README.md", O_RDONLY), 5, "and open gets 5");
  close(3);
  close(4);
  close(5);
  EXPECT_EQ(open("README.md", O_RDONLY), 3, "all closed: 3 again");
  close(3);

  // Closing 0 makes it the lowest free number.
  int saved = dup(0);
  close(0);
  int z = open("README.md", O_RDONLY);
  EXPECT_EQ(z, 0, "with 0 closed, open gets 0");
  close(0);
  EXPECT_EQ(dup(saved), 0, "restore fd 0");
  close(saved);
}

static void test_nofile(void) {
  int fds[NOFILE + 4];
  int n = 0;
  for (; n < NOFILE + 4; n++) {
    fds[n] = open("README.md", O_RDONLY);
    if (fds[n] < 0)
      break;
  }
  EXPECT_EQ(n, NOFILE - 3, "a process can have NOFILE (%d) fds: %d more than 0-2",
            NOFILE, NOFILE - 3);
  EXPECT_EQ(dup(0), -1, "dup fails when they are all in use");
  int p[2];
  EXPECT_EQ(pipe(p), -1, "pipe fails too");
  close(fds[0]);
  EXPECT_EQ(pipe(p), -1, "pipe still fails with one free fd (it needs two)");
  EXPECT_EQ(dup(1), fds[0], "and that one free fd is still free");
  for (int i = 0; i < n; i++)
    close(fds[i]);
  EXPECT_EQ(open("README.md", O_RDONLY), 3, "after closing them, fd 3 is free");
  close(3);
}

// Children hold as many open files as they can until the whole system's
// table is full; then opens fail; once they exit, all are free again.
static void test_nfile(void) {
  // Each child has 5 fds in use (console 0-2, one end of each pipe).
  enum { KIDS = NFILE / (NOFILE - 5) + 2 };
  int counts[2], hold[2];
  ASSERT_EQ(pipe(counts), 0, "pipe");
  ASSERT_EQ(pipe(hold), 0, "pipe");
  // Held open from here: console (shared, 1 entry), counts, hold.
  for (int k = 0; k < KIDS; k++) {
    int pid = fork();
    if (pid == 0) {
      close(counts[0]);
      close(hold[1]);
      int n = 0;
      while (open("README.md", O_RDONLY) >= 0)
        n++;
      write(counts[1], &n, sizeof(n));
      char c;
      read(hold[0], &c, 1);
      exit(0);
    }
    // (If fork fails, bailing out closes hold[1], which lets the children
    // already made go.)
    ASSERT_GT(pid, 0, "fork child %d", k);
  }
  close(counts[1]);
  int total = 0, n, reports = 0;
  while (reports < KIDS && read(counts[0], &n, sizeof(n)) == sizeof(n)) {
    total += n;
    reports++;
  }
  EXPECT_EQ(reports, KIDS, "%d children opened files until open failed", KIDS);
  EXPECT_LT(total, KIDS * (NOFILE - 5), "the system-wide table ran out first");
  EXPECT_GT(total, NFILE - 16, "after most of NFILE (%d) entries (%d opened)", NFILE,
            total);
  // (Still holding counts[0]: closing it would free the table entry that
  // the children gave up when they closed their copies.)
  int fd = open("README.md", O_RDONLY);
  EXPECT_EQ(fd, -1, "open fails here too, the table is full");
  if (fd >= 0)
    close(fd);
  int p[2];
  EXPECT_EQ(pipe(p), -1, "and so does pipe");
  close(counts[0]);
  close(hold[1]);
  int ok = 0;
  for (int k = 0; k < KIDS; k++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      ok++;
  }
  close(hold[0]);
  EXPECT_EQ(ok, KIDS, "the children exit");
  int fds[NOFILE];
  int m = 0;
  while (m < NOFILE && (fds[m] = open("README.md", O_RDONLY)) >= 0)
    m++;
  EXPECT_EQ(m, NOFILE - 3, "their files were all closed: we can open %d again",
            NOFILE - 3);
  for (int i = 0; i < m; i++)
    close(fds[i]);
}

int main(void) {
  test_lowest();
  test_nofile();
  test_nfile();
  test_done();
}
