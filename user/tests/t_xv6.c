// t_xv6: a program written as xv6-riscv programs are (user/programs/
// xv6demo.c: xv6's header paths and types, a function of its own named
// rdtime, a bare %l) builds against the compatibility headers and runs:
// it exits 0 and prints exactly what xv6's printf would.
// timeout: 30
#include "test.h"

int main(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    char *argv[] = {"xv6demo", 0};
    exec("xv6demo", argv);
    exit(99);
  }
  ASSERT_GT(pid, 0, "fork");
  close(p[1]);
  static char out[512];
  int n = 0, r;
  while (n < (int)sizeof(out) - 1 && (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
    n += r;
  out[n] = 0;
  close(p[0]);
  int st = -1;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 0, "xv6demo exits 0");
  const char *want =
      "xv6demo: 1099511627776 -7 ff 0x0000000000001000 str c%\n"
      "xv6demo: NOFILE 16 MAXARG 32 DIRSIZ 14 found 1 elapsed>0 1\n";
  EXPECT_EQ(strcmp(out, want), 0, "and prints what xv6 would:\n%s", out);
  test_unlink("xv6demo.tmp");  // if its own unlink failed (injected failures)
  test_done();
}
