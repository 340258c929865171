// t_utils: the utilities print the reason of a failure and do their job:
// cat of a missing file says "No such file or directory"; cp copies (also
// into a directory) and fails cleanly; ls -l shows type, links and size;
// kill -9 ends a process and other signals are refused; sleep waits about
// as long as asked.
// timeout: 60
#include "test.h"

static char out[1024];
static int other_pid, other_st;  // another child that run() reaped

// Runs argv with fds 1 and 2 into one pipe; returns the exit status and
// leaves the output in out.
static int run(char **argv) {
  int p[2];
  if (pipe(p) < 0)
    return -1000;
  int pid = fork();
  if (pid == 0) {
    close(1);
    dup(p[1]);
    close(2);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    exec(argv[0], argv);
    exit(127);
  }
  if (pid < 0) {  // (an injected failure; waiting would block on the sleeper below)
    close(p[0]);
    close(p[1]);
    return -1;
  }
  close(p[1]);
  int n = 0, r;
  while (n < (int)sizeof(out) - 1 && (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
    n += r;
  out[n] = 0;
  close(p[0]);
  int st = -1, w;
  while ((w = wait(&st)) != pid && w > 0) {
    other_pid = w;
    other_st = st;
  }
  return st;
}

static int has(const char *s) {
  size_t n = strlen(s);
  for (const char *p = out; *p; p++)
    if (strncmp(p, s, n) == 0)
      return 1;
  return 0;
}

// kill -9 ends the sleeping child pid; other signals and gone pids are refused.
static void check_kill(int pid) {
  char spid[16];
  test_format(spid, sizeof(spid), "%d", pid);
  char *kill9[] = {"kill", "-9", spid, 0};
  if (!EXPECT_EQ(run(kill9), 0, "kill -9 pid"))
    kill(pid);  // (kill could not run, say under injected failures)
  int kst = 0;
  if (other_pid == pid)
    kst = other_st;  // run() reaped it while it waited for kill
  else
    EXPECT_EQ(wait(&kst), pid, "the child ended");
  EXPECT_EQ(kst, -1, "killed (status -1)");
  char *kill3[] = {"kill", "-3", spid, 0};
  EXPECT_EQ(run(kill3), 1, "kill -3 is refused");
  char *killgone[] = {"kill", spid, 0};
  EXPECT_EQ(run(killgone), 1, "kill of a reaped pid exits 1");
  EXPECT_TRUE(has("No such process"), "and says why: %s", out);
}

int main(void) {
  char *cat[] = {"cat", "u.nofile", 0};
  EXPECT_EQ(run(cat), 1, "cat of a missing file exits 1");
  EXPECT_TRUE(has("cat: u.nofile: No such file or directory"), "and says why: %s", out);

  int fd = open("u.src", O_CREATE | O_WRONLY);
  ASSERT_GE(fd, 0, "create u.src");
  for (int i = 0; i < 3000; i++)
    write(fd, "0123456789", 10);
  close(fd);
  char *cp[] = {"cp", "u.src", "u.dst", 0};
  EXPECT_EQ(run(cp), 0, "cp u.src u.dst");
  struct stat st;
  EXPECT_EQ(stat("u.dst", &st), 0, "u.dst exists");
  EXPECT_EQ(st.size, 30000UL, "with all 30000 bytes");
  fd = open("u.dst", O_RDONLY);
  char buf[10];
  int same = 1;
  for (int i = 0; i < 3000; i++)
    same &= read(fd, buf, 10) == 10 && memcmp(buf, "0123456789", 10) == 0;
  close(fd);
  EXPECT_TRUE(same, "the same bytes");
  ASSERT_EQ(mkdir("u.dir"), 0, "mkdir u.dir");
  char *cpdir[] = {"cp", "u.src", "u.dir", 0};
  EXPECT_EQ(run(cpdir), 0, "cp into a directory");
  EXPECT_EQ(stat("u.dir/u.src", &st), 0, "makes u.dir/u.src");
  char *cpbad[] = {"cp", "u.nofile", "u.x", 0};
  EXPECT_EQ(run(cpbad), 1, "cp of a missing file exits 1");
  EXPECT_TRUE(has("No such file or directory"), "and says why: %s", out);

  char *ls[] = {"ls", "-l", "u.dst", 0};
  EXPECT_EQ(run(ls), 0, "ls -l u.dst");
  EXPECT_TRUE(has("-   1     30000 u.dst"), "shows type, links and size: %s", out);

  int pid = fork();
  if (pid == 0) {
    for (;;)
      sleep(100);
  }
  if (EXPECT_GT(pid, 0, "fork a child to kill"))
    check_kill(pid);

  char *slp[] = {"sleep", "0.2", 0};
  unsigned long t0 = rdtime();
  EXPECT_EQ(run(slp), 0, "sleep 0.2");
  EXPECT_GE(rdtime() - t0, 2000000UL, "waited at least 0.2 s");
  char *slpbad[] = {"sleep", "x", 0};
  EXPECT_EQ(run(slpbad), 1, "sleep x is refused");

  test_unlink("u.dir/u.src");
  test_unlink("u.dir");
  test_unlink("u.src");
  test_unlink("u.dst");
  test_unlink("u.x");
  test_done();
}
