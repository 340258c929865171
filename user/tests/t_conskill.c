// t_conskill: kill ends a long console write, and a wait for the console.
//
// A console write holds the console's output lock for as long as its
// caller likes (one write() is never interleaved with another). A kill used
// not to stop it: a process killed in the middle of an 8 MiB write went on
// printing every byte (about a minute of output), and another process
// waiting to print could not be killed meanwhile either. Now the write
// stops between chunks and the waiter gives up its wait.
//
// Without the fix both are reaped only when the whole 8 MiB are out (about
// 20 s here); with it, a few ticks after the kill. The check allows 3 s, a
// margin of many times for a loaded host: it is about ending at all, not
// about speed.
// timeout: 90
#include "test.h"

#define BIG (8 * 1024 * 1024)

int main(void) {
  char *buf = sbrk(BIG);
  ASSERT_NE(buf, (char *)-1, "sbrk 8 MiB");
  for (int i = 0; i < BIG; i++)
    buf[i] = (i % 128 == 127) ? '\n' : '.';
  // Nothing is printed from here until the kills: the test's own output
  // would wait for the console like the bystander's.
  int w = fork();
  if (w == 0) {
    write(1, buf, BIG);
    exit(0);
  }
  // Half a second: the writer holds the console by then, even on a busy
  // host (2 ticks were too few at 1000 Hz once fork no longer copied the
  // 8 MiB: the bystander could get the console first).
  sleep(test_hz() / 2 + 1);
  int q = fork();
  if (q == 0) {  // it only wants to print one line, after the writer
    write(1, "# bystander\n", 12);
    exit(0);
  }
  sleep(test_hz() / 2 + 1);  // the bystander waits for the console by then
  unsigned long t0 = rdtime();
  // The bystander first: killed second, it could take the console the
  // writer gives up and print before its own kill lands (a woken thread
  // runs on the hart that woke it, at once).
  int kq = kill(q);
  int kw = kill(w);
  int st1 = 0, st2 = 0;
  int a = wait(&st1);
  int b = wait(&st2);
  unsigned long ms = (rdtime() - t0) / 10000;  // the time CSR runs at 10 MHz
  write(1, "\n", 1);
  EXPECT_GT(w, 0, "fork the writer");
  EXPECT_GT(q, 0, "fork a bystander");
  EXPECT_EQ(kw, 0, "kill the writer in the middle of its write");
  EXPECT_EQ(kq, 0, "kill the bystander waiting for the console");
  EXPECT_TRUE((a == w && b == q) || (a == q && b == w), "both are reaped");
  EXPECT_LT(ms, 3000UL, "within 3 s of the kill (took %lu ms)", ms);
  EXPECT_EQ(st1, -1, "killed: status -1");
  EXPECT_EQ(st2, -1, "killed: status -1");
  test_done();
}
