// t_errno: the error numbers of the system call reference (docs/syscalls.md)
// that a program can cause by itself in a moment, provoked once each: the
// call returns -1 (sbrk: (char *)-1) and errno holds the documented number.
// A successful call leaves errno alone. strerror gives the words for a
// number; an unknown system call number comes back as -ENOSYS.
// timeout: 60
#include "test.h"
#include "weft/trace.h"
#include "weft/syscall.h"

#define FAILS(call, err, what)                                                \
  do {                                                                        \
    errno = 0;                                                                \
    long r_ = (long)(call);                                                   \
    int e_ = errno;                                                           \
    EXPECT_EQ(r_, -1, "%s fails", what);                                      \
    EXPECT_EQ(e_, err, "%s: errno %s (%s)", what, #err, strerror(e_));        \
  } while (0)

static char *bad = (char *)0x7ffff000ul;  // unmapped, under USER_TOP

static void files(void) {
  char big[MAXPATH + 8];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = 0;
  FAILS(open("nofile", O_RDONLY), ENOENT, "open of a missing file");
  FAILS(open("nodir/f", O_RDONLY), ENOENT, "open below a missing dir");
  int fd = open("errf", O_CREATE | O_RDWR);
  ASSERT_GE(fd, 0, "create errf");
  FAILS(open("errf/x", O_RDONLY), ENOTDIR, "open below a file");
  FAILS(open("/", O_RDWR), EISDIR, "open a directory for writing");
  FAILS(open("abcdefghijklmnopq", O_RDONLY), ENAMETOOLONG, "15-byte name");
  FAILS(open(big, O_RDONLY), ENAMETOOLONG, "path longer than MAXPATH");
  FAILS(open(bad, O_RDONLY), EFAULT, "open of a bad pointer");
  FAILS(open(".", O_CREATE | O_RDWR), EISDIR, "create over a directory");
  FAILS(mknod("errf", 1, 0), EEXIST, "mknod over a file");
  FAILS(mknod("dev", -1, 0), EINVAL, "mknod with a bad major");
  FAILS(mkdir("errf"), EEXIST, "mkdir over a file");
  FAILS(mkdir("nodir/d"), ENOENT, "mkdir below a missing dir");
  FAILS(mkdir("errf/d"), ENOTDIR, "mkdir below a file");
  FAILS(chdir("nodir"), ENOENT, "chdir to a missing dir");
  FAILS(chdir("errf"), ENOTDIR, "chdir to a file");
  FAILS(link("nofile", "l"), ENOENT, "link of a missing file");
  FAILS(link("errf", "errf"), EEXIST, "link onto an existing name");
  FAILS(link("/", "l"), EPERM, "link to a directory");
  FAILS(unlink("nofile"), ENOENT, "unlink of a missing file");
  FAILS(unlink("."), EINVAL, "unlink of .");
  FAILS(unlink("/"), EBUSY, "unlink of /");
  FAILS(link("errf", "/"), EEXIST, "link onto /");
  FAILS(exec("errf/x", (char *[]){"x", 0}), ENOTDIR, "exec below a file");
  EXPECT_EQ(mknod("errdev", 7, 0), 0, "mknod of a major with no driver");
  FAILS(open("errdev", O_RDWR), ENODEV, "open of a node with no driver");
  test_unlink("errdev");
  ASSERT_EQ(mkdir("errd"), 0, "mkdir errd");
  ASSERT_EQ(mkdir("errd/sub"), 0, "mkdir errd/sub");
  FAILS(unlink("errd"), ENOTEMPTY, "unlink of a non-empty dir");
  ASSERT_EQ(mkdir("erre"), 0, "mkdir erre");
  FAILS(rename("nofile", "x"), ENOENT, "rename of a missing file");
  FAILS(rename(".", "x"), EINVAL, "rename of .");
  FAILS(rename("/", "x"), EBUSY, "rename of /");
  FAILS(rename("erre", "erre/x"), EINVAL, "rename of a dir into itself");
  FAILS(rename("erre", "errd"), ENOTEMPTY, "rename onto a non-empty dir");
  FAILS(rename("errf", "erre"), EISDIR, "rename of a file onto a dir");
  FAILS(rename("erre", "errf"), ENOTDIR, "rename of a dir onto a file");
  FAILS(rename("errd/sub", "errd"), ENOTEMPTY, "rename onto its parent");
  EXPECT_EQ(test_unlink("erre"), 0, "unlink erre");
  EXPECT_EQ(test_unlink("errd/sub"), 0, "unlink errd/sub");
  EXPECT_EQ(test_unlink("errd"), 0, "unlink errd");

  char c;
  FAILS(read(-1, &c, 1), EBADF, "read of fd -1");
  FAILS(read(fd, &c, -1), EINVAL, "read of a negative count");
  EXPECT_EQ(write(fd, "x", 1), 1, "write a byte");
  close(fd);
  fd = open("errf", O_RDONLY);
  FAILS(read(fd, bad, 1), EFAULT, "read into a bad buffer");
  FAILS(write(fd, "x", 1), EBADF, "write to a read-only fd");
  FAILS(write(99, "x", 1), EBADF, "write to fd 99");
  FAILS(write(fd, "x", -1), EINVAL, "write of a negative count");
  FAILS(write(1, bad, 1), EFAULT, "write from a bad buffer");
  FAILS(fstat(fd, (struct stat *)bad), EFAULT, "fstat to a bad buffer");
  FAILS(fstat(-1, 0), EBADF, "fstat of fd -1");
  FAILS(fsync(-1), EBADF, "fsync of fd -1");
  FAILS(close(-1), EBADF, "close of fd -1");
  FAILS(dup(-1), EBADF, "dup of fd -1");
  // (make test boots without `trace`; t_trace checks the others with it)
  struct trace_info ti;
  if (trace(TRACE_INFO, 0, &ti, 0) < 0)
    FAILS(trace(TRACE_INFO, 0, &ti, 0), ENODEV, "trace without `trace' booted");
  FAILS(pipe((int *)bad), EFAULT, "pipe to a bad buffer");
  close(fd);

  // Fill the fd table: the next dup, open and pipe fail with EMFILE.
  int fds[NOFILE];
  int n = 0;
  while (n < NOFILE && (fds[n] = dup(0)) >= 0)
    n++;
  FAILS(dup(0), EMFILE, "dup with every fd in use");
  FAILS(open("errf", O_RDONLY), EMFILE, "open with every fd in use");
  int p[2];
  FAILS(pipe(p), EMFILE, "pipe with every fd in use");
  for (int i = 0; i < n; i++)
    close(fds[i]);

  ASSERT_EQ(pipe(p), 0, "pipe");
  FAILS(fsync(p[1]), EINVAL, "fsync of a pipe");
  close(p[0]);
  FAILS(write(p[1], "x", 1), EPIPE, "write to a pipe nobody reads");
  close(p[1]);
  EXPECT_EQ(test_unlink("errf"), 0, "unlink errf");
}

static void processes(void) {
  FAILS(kill(999999), ESRCH, "kill of a missing pid");
  FAILS(kill(1), EPERM, "kill of init");
  FAILS(wait(0), ECHILD, "wait with no children");
  int pid = fork();
  if (pid == 0)
    exit(0);
  FAILS(wait((int *)bad), EFAULT, "wait with a bad status pointer");
  EXPECT_EQ(wait(0), pid, "then wait reaps the child");
  FAILS(sbrk(0x7fffffff), ENOMEM, "sbrk of 2 GiB");
  FAILS(sleep(-1), EINVAL, "sleep of -1");

  char *args[MAXARG + 2];
  for (int i = 0; i <= MAXARG; i++)
    args[i] = "x";
  args[MAXARG + 1] = 0;
  char *none[] = {"nofile", 0};
  FAILS(exec("nofile", none), ENOENT, "exec of a missing file");
  FAILS(exec("echo", args), E2BIG, "exec with MAXARG + 1 arguments");
  FAILS(exec("echo", (char **)bad), EFAULT, "exec with a bad argv");
  int fd = open("notelf", O_CREATE | O_RDWR);
  write(fd, "#!/bin/sh\n", 10);
  close(fd);
  char *one[] = {"notelf", 0};
  FAILS(exec("notelf", one), ENOEXEC, "exec of a text file");
  test_unlink("notelf");

  struct procinfo pi[1];
  FAILS(procinfo(pi, -1), EINVAL, "procinfo of -1 records");
  FAILS(procinfo(pi, 0), ERANGE, "procinfo with no room");
  FAILS(procinfo((struct procinfo *)bad, 8), EFAULT, "procinfo to a bad buffer");
  char small[2];
  FAILS(bootargs(small, 1), ERANGE, "bootargs into 1 byte");
  FAILS(bootargs(bad, 4096), EFAULT, "bootargs to a bad buffer");
  FAILS(kstat((struct kstat *)bad), EFAULT, "kstat to a bad buffer");
}

static void threads(void) {
  FAILS(clone(0, 0, (void *)1), EINVAL, "clone with a misaligned stack");
  void *stack;
  FAILS(join(&stack), ECHILD, "join with no clones");
  FAILS(join((void **)bad), EFAULT, "join with a bad pointer");
  FAILS(tspawn(0, 0, 0), EINVAL, "tspawn at address 0");
  int stops[1];
  FAILS(brigade(stops, 0, 1), ERANGE, "brigade with room for no stop");
  FAILS(brigade((int *)bad, 64, 1), EFAULT, "brigade into a bad buffer");
  FAILS(tspawn_args(0, 0, 9, 0), EINVAL, "tspawn_args with 9 arguments");
  FAILS(tspawn_args(0, 0, 1, (const long *)bad), EFAULT,
        "tspawn_args from a bad array");
  FAILS(yield(999999), ESRCH, "yield to a missing thread");
  FAILS(mkrun(999999), ESRCH, "mkrun of a thread not in desch");
  FAILS(desch((int *)bad), EFAULT, "desch with a bad guard");
  int w = 0;
  FAILS(futex_wait((int *)((char *)&w + 1), 0), EINVAL, "futex_wait misaligned");
  FAILS(futex_wake(&w, -1), EINVAL, "futex_wake of -1 waiters");
}

int main(void) {
  errno = 1234;
  EXPECT_GE(getpid(), 1, "getpid works");
  EXPECT_EQ(errno, 1234, "and a successful call leaves errno alone");
  EXPECT_EQ(strcmp(strerror(ENOENT), "No such file or directory"), 0,
            "strerror(ENOENT)");
  EXPECT_EQ(strcmp(strerror(-5), "Unknown error"), 0, "strerror(-5)");
  files();
  processes();
  threads();
  register long a0 __asm__("a0") = 0;
  register long a7 __asm__("a7") = 999;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  EXPECT_EQ(a0, -ENOSYS, "system call 999: -ENOSYS");
  test_done();
}
