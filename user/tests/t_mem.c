// t_mem: memory exhaustion. A process takes memory with sbrk until it
// fails; every page it got is its own (contents checked); fork, exec and
// pipe then fail cleanly with -1 while the file system still works; after
// giving some back, fork works again. Two processes racing for memory
// both stop cleanly. When they exit, every page is free again.
//
// Does not use malloc: only the test moves the break.
// timeout: 180
#include "test.h"

// Grows the heap until sbrk fails, in steps from 16 MiB down to a page.
// Returns the bytes obtained; *base is where they start.
static long grab_all(char **base) {
  *base = sbrk(0);
  long total = 0;
  for (int step = 16 << 20; step >= PGSIZE; ) {
    if (sbrk(step) == (char *)-1)
      step /= 2;
    else
      total += step;
  }
  return total;
}

// Writes a word into every page, then checks them all: no page may have
// been handed out twice or be shared with anyone.
static int mark_and_check(char *base, long bytes, unsigned tag) {
  long pages = bytes / PGSIZE;
  for (long i = 0; i < pages; i++) {
    unsigned *w = (unsigned *)(base + i * PGSIZE);
    w[0] = tag ^ (unsigned)i;
    w[PGSIZE / sizeof(unsigned) - 1] = ~(tag ^ (unsigned)i);
  }
  for (long i = 0; i < pages; i++) {
    unsigned *w = (unsigned *)(base + i * PGSIZE);
    if (w[0] != (tag ^ (unsigned)i) || w[PGSIZE / sizeof(unsigned) - 1] != ~(tag ^ (unsigned)i))
      return 0;
  }
  return 1;
}

// Child: exhaust memory and try things. Reports through exit codes: 0 if
// all went as expected, else the number of the first thing that did not.
// report[]: a pipe to tell the parent what it got; go[]: the parent's
// signal that it has tried its own forks while we hold everything.
static int report[2], go[2];

static int hog(void *arg) {
  (void)arg;
  close(report[0]);
  close(go[1]);
  int free_start = freepages();
  char *base;
  long got = grab_all(&base);
  int free_full = freepages();
  write(report[1], &got, sizeof(got));
  write(report[1], &free_full, sizeof(free_full));
  char c;
  read(go[0], &c, 1);  // the parent tries to fork now
  if (got < (long)free_start * PGSIZE / 2)
    return 2;  // could not even get half of what was free
  if (!mark_and_check(base, got, 0xabcd0000))
    return 3;

  // Nothing else fits now.
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0) {
    wait(0);
    return 4;
  }
  char *argv[] = {"t_mem", "exec-ran", 0};
  if (exec("/t_mem", argv) != -1)
    return 5;
  // The file system needs no new pages: it still works.
  int fd = open("t_mem.f", O_CREATE | O_RDWR);
  if (fd < 0 || write(fd, "still works", 11) != 11)
    return 6;
  close(fd);
  if (unlink("t_mem.f") != 0)
    return 7;
  // pipe needs a page; if it gets one it must work.
  int p[2];
  if (pipe(p) == 0) {
    c = 0;
    if (write(p[1], "p", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'p')
      return 8;
    close(p[0]);
    close(p[1]);
  }

  // Give back a little more than half: now a fork (which may copy all we
  // have) fits.
  long keep = (got / 2 - (8 << 20)) & ~(long)(PGSIZE - 1);
  if (sbrk(-(int)(got - keep)) == (char *)-1)
    return 9;
  pid = fork();
  if (pid == 0)
    exit(42);
  int status = 0;
  if (pid < 0 || wait(&status) != pid || status != 42)
    return 10;
  // What is left is still intact.
  long pages = keep / PGSIZE;
  for (long i = 0; i < pages; i++)
    if (*(unsigned *)(base + i * PGSIZE) != (0xabcd0000u ^ (unsigned)i))
      return 11;
  return 0;
}

static void test_hog(void) {
  int free0 = freepages();
  ASSERT_EQ(pipe(report), 0, "pipe");
  ASSERT_EQ(pipe(go), 0, "pipe");
  int pid = fork();
  if (pid == 0)
    exit(hog(0));
  ASSERT_GT(pid, 0, "fork the hog");
  close(report[1]);
  close(go[0]);
  long got = 0;
  int free_full = -1;
  read(report[0], &got, sizeof(got));
  read(report[0], &free_full, sizeof(free_full));
  close(report[0]);
  test_note("one process got %ld MiB of %ld MiB free; %d pages were left",
            got >> 20, ((long)free0 * PGSIZE) >> 20, free_full);
  // While it holds everything, a small process cannot fork either.
  int child = fork();
  if (child == 0)
    exit(0);
  if (child > 0)
    wait(0);
  EXPECT_EQ(child, -1, "fork fails while another process holds all memory");
  write(go[1], "g", 1);
  close(go[1]);
  int status = -1;
  EXPECT_EQ(wait(&status), pid, "reap the hog");
  EXPECT_EQ(status, 0, "the hog: fork and exec fail, files work, fork works after "
            "giving half back (step %d failed)", status);
  EXPECT_GE(got, (long)free0 * PGSIZE / 2, "it got most of the free memory");
  int after = test_settled_freepages(free0, 2);
  EXPECT_GE(after, free0, "every page is free again after it exits (%d of %d)",
            after, free0);
}

static int racer(void *arg) {
  int fd = *(int *)arg;
  char *base;
  long got = grab_all(&base);
  int ok = mark_and_check(base, got, 0x12340000 ^ getpid());
  write(fd, &got, sizeof(got));
  return ok ? 0 : 1;
}

// Two processes grab memory at the same time. Each must end up with
// distinct, intact pages; together they get nearly everything.
static void test_race(void) {
  int free0 = freepages();
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pids[2];
  for (int i = 0; i < 2; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      close(p[0]);
      exit(racer(&p[1]));
    }
  }
  close(p[1]);
  long total = 0, got;
  int reports = 0;
  while (read(p[0], &got, sizeof(got)) == sizeof(got)) {
    total += got;
    reports++;
  }
  close(p[0]);
  int good = 0;
  for (int i = 0; i < 2; i++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      good++;
  }
  EXPECT_EQ(reports, 2, "two processes race for memory until sbrk fails");
  EXPECT_EQ(good, 2, "both keep intact pages of their own");
  test_note("together they got %ld MiB", total >> 20);
  EXPECT_GE(total, (long)free0 * PGSIZE / 2, "together they got most of it");
  int after = test_settled_freepages(free0, 2);
  EXPECT_GE(after, free0, "every page is free again (%d of %d)", after, free0);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    printf("# t_mem: exec under memory pressure should have failed\n");
    return 1;
  }
  test_hog();
  test_race();
  test_done();
}
