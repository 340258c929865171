// t_badargs: every system call given bad arguments returns -1 and changes
// nothing: NULL, kernel addresses (0x80000000, 0xffffffc000000000),
// unmapped user addresses, the stack's guard page, read-only text for
// buffers the kernel writes, buffers that start valid and run past the end
// of the heap, strings with no NUL before the end of the heap, negative and
// huge sizes, bad file descriptors (-1, NOFILE, never opened, closed),
// and unknown system call numbers. Afterwards the process is intact and has
// not lost a file descriptor.
#include "test.h"
#include "weft/syscall.h"

static long raw_syscall(long num, long a0, long a1, long a2) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a7 __asm__("a7") = num;
  __asm__ volatile("ecall"
                   : "+r"(r_a0)
                   : "r"(r_a1), "r"(r_a2), "r"(r_a7)
                   : "memory");
  return r_a0;
}

// Addresses no system call may read or write through. Filled in by
// find_addresses(): the fixed ones, then some that depend on the layout.
enum { MAXBAD = 16 };
static unsigned long bad_in[MAXBAD];   // the kernel reads from these
static unsigned long bad_out[MAXBAD];  // the kernel writes to these
static int nbad_in, nbad_out;

static char *heap_end;  // page-aligned break; the page below is ours
static char *edge;      // 16 bytes below heap_end

static void add_bad(unsigned long a, int also_out_only) {
  if (!also_out_only && nbad_in < MAXBAD)
    bad_in[nbad_in++] = a;
  if (nbad_out < MAXBAD)
    bad_out[nbad_out++] = a;
}

static void find_addresses(void) {
  // A heap that ends on a page boundary, with a page of our own below it.
  char *brk = sbrk(0);
  sbrk(PGSIZE - (unsigned long)brk % PGSIZE + PGSIZE);
  heap_end = sbrk(0);
  edge = heap_end - 16;
  memset(heap_end - PGSIZE, '\n', PGSIZE);

  add_bad(0, 0);                        // NULL
  add_bad(0x80000000ul, 0);             // USER_TOP: the first kernel address
  add_bad(0x80200000ul, 0);             // the kernel image
  add_bad(0xffffffc000000000ul, 0);     // the device window
  add_bad(0xfffffffffffffff8ul, 0);     // the top of the address space
  add_bad(0x7ffff000ul, 0);             // just under USER_TOP, unmapped
  add_bad((unsigned long)heap_end, 0);  // just past the heap
  add_bad((unsigned long)heap_end + 64 * PGSIZE, 0);
  // The guard page under the stack: exec maps it without user access. The
  // stack is USTACK_PAGES pages and main runs in the top one.
  int local;
  unsigned long top_page = (unsigned long)&local & ~(unsigned long)(PGSIZE - 1);
  add_bad(top_page - USTACK_PAGES * PGSIZE, 0);
  // Text is readable but not writable: only bad for the kernel's writes.
  add_bad(0x1000, 1);
}

// ---------------------------------------------------------------------------

static int file_fd;     // a file with 100 bytes of content
static int free_fd;     // the lowest free descriptor at the start

// Gives t_badargs.f its 100 bytes of 'h' again (a failed write that wrongly
// wrote part of its data must not make later checks fail too).
static void reset_file(void) {
  static char hundred[100];
  memset(hundred, 'h', sizeof(hundred));
  int fd = open("t_badargs.f", O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0 || write(fd, hundred, 100) != 100)
    test_note("could not rewrite t_badargs.f");
  close(fd);
}

static void test_read_write(void) {
  char buf[200];
  int bad = 0;
  for (int i = 0; i < nbad_out; i++) {
    // A fresh descriptor each time, at offset 0: there is data to copy.
    int fd = open("t_badargs.f", O_RDONLY);
    if (read(fd, (void *)bad_out[i], 10) != -1) {
      test_note("read from a file into %p did not fail", (void *)bad_out[i]);
      bad++;
    }
    close(fd);
  }
  EXPECT_EQ(bad, 0, "read into %d bad addresses fails", nbad_out);
  bad = 0;
  for (int i = 0; i < nbad_in; i++) {
    if (write(file_fd, (void *)bad_in[i], 10) != -1) {
      test_note("write to a file from %p did not fail", (void *)bad_in[i]);
      bad++;
    }
    if (write(1, (void *)bad_in[i], 10) != -1) {
      test_note("write to the console from %p did not fail", (void *)bad_in[i]);
      bad++;
    }
  }
  EXPECT_EQ(bad, 0, "write from %d bad addresses fails (file and console)",
            nbad_in);

  // The file still has its 100 bytes: reopen and read them.
  int fd = open("t_badargs.f", O_RDONLY);
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 100, "the file is unchanged (100 bytes)");
  close(fd);
  reset_file();

  // A buffer that starts valid and runs past the end of the heap.
  fd = open("t_badargs.f", O_RDONLY);
  EXPECT_EQ(read(fd, edge, 100), -1,
            "read of 100 bytes into the last 16 bytes of the heap fails");
  close(fd);
  fd = open("t_badargs.f", O_WRONLY);
  EXPECT_EQ(write(fd, edge, 100), -1,
            "write of 100 bytes from the last 16 bytes of the heap fails");
  close(fd);
  reset_file();
  // (The 16 bytes are newlines: if some reach the console, no harm.)
  EXPECT_EQ(write(1, edge, 100), -1,
            "console write running past the heap fails");

  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  EXPECT_EQ(write(p[1], edge, 100), -1, "pipe write running past the heap fails");
  EXPECT_EQ(write(p[1], "abc", 3), 3, "pipe write of 3 bytes");
  close(p[1]);
  char got[128];
  EXPECT_EQ(read(p[0], got, sizeof(got)), 3,
            "the failed pipe write left nothing in the pipe");
  close(p[0]);

  ASSERT_EQ(pipe(p), 0, "pipe");
  EXPECT_EQ(write(p[1], "abc", 3), 3, "pipe write of 3 bytes");
  EXPECT_EQ(read(p[0], (void *)0x80000000ul, 3), -1,
            "pipe read into a kernel address fails");
  close(p[1]);
  memset(got, 0, sizeof(got));
  int n = read(p[0], got, sizeof(got));
  // A failed read may or may not have consumed the bytes; it must not
  // have delivered anything but them.
  EXPECT_TRUE(n == 0 || (n == 3 && memcmp(got, "abc", 3) == 0),
              "the pipe holds nothing but what was written");
  close(p[0]);

  // Negative sizes.
  fd = open("t_badargs.f", O_RDWR);
  EXPECT_EQ(read(fd, buf, -1), -1, "read with n = -1 fails");
  EXPECT_EQ(read(fd, buf, -4096), -1, "read with n = -4096 fails");
  EXPECT_EQ(write(fd, buf, -1), -1, "write with n = -1 fails");
  EXPECT_EQ(write(fd, buf, (int)0x80000000u), -1, "write with n = INT_MIN fails");
  EXPECT_EQ(read(fd, buf, 0), 0, "read with n = 0 returns 0");
  EXPECT_EQ(write(fd, buf, 0), 0, "write with n = 0 returns 0");
  // A huge size with a valid start: runs into unmapped memory.
  EXPECT_EQ(write(fd, heap_end - PGSIZE, 0x7fffffff), -1,
            "write with n = INT_MAX from the heap fails");
  close(fd);
  reset_file();
}

static void test_bad_fds(void) {
  int closed = dup(file_fd);
  close(closed);
  // 15 (NOFILE - 1) is a valid number that this process never opened.
  int fds[] = {-1, -2, NOFILE, NOFILE + 1, 1000, (int)0x80000000u, closed,
               NOFILE - 1};
  int nfds = sizeof(fds) / sizeof(fds[0]);
  int bad = 0;
  char buf[8];
  struct stat st;
  for (int i = 0; i < nfds; i++) {
    int fd = fds[i];
    int r[5] = {read(fd, buf, 1), write(fd, "x", 1), fstat(fd, &st), dup(fd),
                close(fd)};
    for (int k = 0; k < 5; k++) {
      if (r[k] != -1) {
        test_note("fd %d: call %d returned %d", fd, k, r[k]);
        bad++;
      }
    }
  }
  EXPECT_EQ(bad, 0, "read, write, fstat, dup, close of %d bad fds fail", nfds);
  EXPECT_EQ(close(file_fd), 0, "close a good fd");
  EXPECT_EQ(close(file_fd), -1, "closing it again fails");
  EXPECT_EQ(read(file_fd, buf, 1), -1, "reading a closed fd fails");
  file_fd = open("t_badargs.f", O_RDWR);
  ASSERT_GE(file_fd, 0, "reopen the file");

  // Wrong direction.
  int ro = open("t_badargs.f", O_RDONLY);
  EXPECT_EQ(write(ro, "x", 1), -1, "write to a read-only fd fails");
  close(ro);
  int wo = open("t_badargs.f", O_WRONLY);
  EXPECT_EQ(read(wo, buf, 1), -1, "read from a write-only fd fails");
  close(wo);
}

static void test_paths(void) {
  // The kernel reads a path from each of these: every call must fail.
  int bad = 0;
  char *argv[] = {"t_badargs", 0};
  for (int i = 0; i < nbad_in; i++) {
    const char *p = (const char *)bad_in[i];
    long r[] = {open(p, O_RDONLY), open(p, O_CREATE | O_RDWR), mkdir(p),
                chdir(p), unlink(p), mknod(p, CONSOLE, 0), link(p, "t_badargs.l"),
                link("t_badargs.f", p), exec(p, argv)};
    for (unsigned k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
      if (r[k] != -1) {
        test_note("path %p: call %d returned %ld", (void *)p, k, r[k]);
        bad++;
      }
    }
  }
  EXPECT_EQ(bad, 0, "open, mkdir, chdir, unlink, mknod, link, exec with %d bad "
            "path pointers fail", nbad_in);
  EXPECT_EQ(open("t_badargs.l", O_RDONLY), -1, "no link was made");

  // A path with no NUL before the end of the heap.
  memset(edge, 'a', 16);
  EXPECT_EQ(open(edge, O_CREATE | O_RDWR), -1, "open of a path running off the heap fails");
  EXPECT_EQ(mkdir(edge), -1, "mkdir of a path running off the heap fails");
  EXPECT_EQ(unlink(edge), -1, "unlink of a path running off the heap fails");
  memset(edge, '\n', 16);

  static char longpath[3 * MAXPATH];
  memset(longpath, 'q', sizeof(longpath) - 1);
  EXPECT_EQ(open(longpath, O_CREATE | O_RDWR), -1, "open of a %d-byte path fails",
            (int)sizeof(longpath) - 1);
  EXPECT_EQ(mkdir(longpath), -1, "mkdir of a %d-byte path fails",
            (int)sizeof(longpath) - 1);
  EXPECT_EQ(open("no-such-dir/x", O_CREATE | O_RDWR), -1,
            "create in a missing directory fails");
  EXPECT_EQ(open("t_badargs.f/x", O_CREATE | O_RDWR), -1,
            "create under a file fails");
  EXPECT_EQ(chdir("no-such-dir"), -1, "chdir to a missing directory fails");
  EXPECT_EQ(chdir("t_badargs.f"), -1, "chdir to a file fails");
  EXPECT_EQ(unlink("no-such-file"), -1, "unlink of a missing file fails");
  EXPECT_EQ(link("no-such-file", "t_badargs.l"), -1, "link of a missing file fails");
}

static void test_out_structs(void) {
  reset_file();
  struct stat st;
  int bad = 0;
  for (int i = 0; i < nbad_out; i++) {
    if (fstat(file_fd, (struct stat *)bad_out[i]) != -1)
      bad++;
  }
  EXPECT_EQ(bad, 0, "fstat into %d bad addresses fails", nbad_out);
  EXPECT_EQ(fstat(file_fd, (struct stat *)(heap_end - 8)), -1,
            "fstat into a struct running past the heap fails");
  EXPECT_EQ(fstat(file_fd, &st), 0, "fstat into a good struct works");
  EXPECT_EQ(st.size, 100, "and says 100 bytes");

  // pipe(): a bad array must not cost descriptors or a pipe.
  bad = 0;
  for (int i = 0; i < nbad_out; i++)
    if (pipe((int *)bad_out[i]) != -1)
      bad++;
  EXPECT_EQ(bad, 0, "pipe into %d bad addresses fails", nbad_out);
  EXPECT_EQ(pipe((int *)(heap_end - 4)), -1,
            "pipe into an array whose second int is past the heap fails");

  bad = 0;
  static struct procinfo pi[TEST_MAXPI];
  for (int i = 0; i < nbad_out; i++)
    if (procinfo((struct procinfo *)bad_out[i], TEST_MAXPI) != -1)
      bad++;
  EXPECT_EQ(bad, 0, "procinfo into %d bad addresses fails", nbad_out);
  EXPECT_EQ(procinfo((struct procinfo *)(heap_end - sizeof(struct procinfo) - 4),
                     TEST_MAXPI),
            -1, "procinfo into a buffer running past the heap fails");
  EXPECT_EQ(procinfo(pi, -1), -1, "procinfo with max -1 fails");
  EXPECT_GT(procinfo(pi, TEST_MAXPI), 0, "procinfo into a good buffer works");

  bad = 0;
  for (int i = 0; i < nbad_out; i++)
    if (bootargs((char *)bad_out[i], 128) != -1)
      bad++;
  EXPECT_EQ(bad, 0, "bootargs into %d bad addresses fails", nbad_out);
  char args[128];
  EXPECT_EQ(bootargs(args, 0), -1, "bootargs with n = 0 fails");
  EXPECT_EQ(bootargs(args, -1), -1, "bootargs with n = -1 fails");
  EXPECT_GT(bootargs(args, sizeof(args)), 0, "bootargs into a good buffer works");
  EXPECT_TRUE(strncmp(args, "tick=", 5) == 0, "and starts with tick=");
}

static void test_numbers(void) {
  EXPECT_EQ(raw_syscall(0, 0, 0, 0), -ENOSYS, "system call 0 fails with -ENOSYS");
  EXPECT_EQ(raw_syscall(999, 0, 0, 0), -ENOSYS, "system call 999 fails");
  EXPECT_EQ(raw_syscall(-1, 0, 0, 0), -ENOSYS, "system call -1 fails");
  EXPECT_EQ(raw_syscall(0x100000000l + SYS_getpid, 0, 0, 0), -ENOSYS,
            "a number with high bits set is not getpid");
  EXPECT_EQ(raw_syscall(SYS_getpid, 0, 0, 0), getpid(), "getpid through ecall works");
  char *brk = sbrk(0);
  EXPECT_EQ(sbrk(0x7fffffff), (char *)-1, "sbrk(INT_MAX) fails");
  EXPECT_EQ(sbrk((int)0x80000000u), (char *)-1, "sbrk(INT_MIN) fails");
  EXPECT_EQ(sbrk(0), brk, "and the break did not move");
  EXPECT_EQ(sleep(-5), -1, "sleep(-5) fails");
}

int main(void) {
  static int canary = 0x5eed;
  free_fd = open("t_badargs.f", O_CREATE | O_RDWR | O_TRUNC);
  ASSERT_GE(free_fd, 3, "create t_badargs.f");
  static char hundred[100];
  memset(hundred, 'h', sizeof(hundred));
  ASSERT_EQ(write(free_fd, hundred, 100), 100, "write 100 bytes");
  file_fd = free_fd;
  find_addresses();

  test_read_write();
  test_bad_fds();
  test_paths();
  test_out_structs();
  test_numbers();

  close(file_fd);
  int fd = open("t_badargs.f", O_RDONLY);
  EXPECT_EQ(fd, free_fd, "no file descriptor was lost to a failed call");
  close(fd);
  EXPECT_EQ(canary, 0x5eed, "the process's memory is intact");
  EXPECT_EQ(unlink("t_badargs.f"), 0, "remove the test file");
  EXPECT_EQ(unlink("t_badargs.l"), -1, "no stray link exists");
  test_done();
}
