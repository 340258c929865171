// t_lib_list: runs `testthreads 20 10000` (20 threads each insert 10000
// preallocated nodes into one locked list; the program checks the count and
// that every node is there once) and expects it to pass.
#include "test.h"

int main(void) {
  char *argv[] = {"testthreads", "20", "10000", 0};
  int pid = fork();
  ASSERT_GE(pid, 0, "fork");
  if (pid == 0) {
    exec("testthreads", argv);
    exec("/testthreads", argv);
    printf("# exec testthreads failed\n");
    exit(127);
  }
  EXPECT_EQ(test_wait_pid(pid), 0, "testthreads 20 10000 passes");
  test_done();
}
