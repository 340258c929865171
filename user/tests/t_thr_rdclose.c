// t_thr_rdclose: system calls on an fd racing close() of that fd in
// another thread of the same process.
//
// - A thread blocked reading a pipe while another thread closes that fd:
//   close returns 0; the reader gets the data written next, or -1 (if the
//   kernel ends it); never garbage, never a hang (closing the write end ends
//   it at the latest).
// - Stress: two readers read a file through one fd number while a third
//   thread closes and reopens it in a loop, and a fourth dups and closes
//   copies of it. Every read returns -1, 0, or bytes that are all the
//   file's content; nothing crashes; afterwards the fd table is sane and
//   every page comes back.
// - The same for writes racing close on a pipe: each write returns -1 or a
//   byte count, the reader gets only what was written.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

// ---- 1. blocked reader vs close.
static int p1[2];
static int r1_ret = -100, r1_done, r1_started;
static char r1_buf[8];
static void blocked_reader(void *a) {
  (void)a;
  thr_bump(&r1_started);
  r1_ret = read(p1[0], r1_buf, sizeof(r1_buf));
  texit(&r1_done, 1);
}

static void test_blocked_read_close(void) {
  ASSERT_EQ(pipe(p1), 0, "pipe");
  int rfd = p1[0];
  int t = thr_spawn(stacks, blocked_reader, 0);
  ASSERT_GT(t, 0, "spawn a reader");
  thr_wait_change(&r1_started, 0);
  EXPECT_TRUE(thr_await_state(t, PI_SLEEPING, 10), "it blocks in read");
  EXPECT_EQ(close(rfd), 0, "close its fd from another thread: 0");
  struct stat st;
  EXPECT_EQ(fstat(rfd, &st), -1, "the fd is closed");
  sleep(2);
  EXPECT_EQ(LOAD(&r1_done), 0, "the reader is still blocked (or ended)");
  int w = write(p1[1], "ping", 4);
  EXPECT_TRUE(w == 4 || w == -1, "write to the pipe: %d", w);
  close(p1[1]);
  thr_wait_change(&r1_done, 0);
  if (w == 4)
    EXPECT_TRUE(r1_ret == -1 || (r1_ret == 4 && memcmp(r1_buf, "ping", 4) == 0),
                "the reader got the data or -1 (got %d)", r1_ret);
  else
    EXPECT_TRUE(r1_ret == -1 || r1_ret == 0,
                "no reader left: the reader got EOF or -1 (got %d)", r1_ret);
}

// ---- 2. read vs close/reopen stress.
#define FSIZE 3000
static int target_fd;
static int stop2;
static int reads_data, reads_err, reads_eof, reads_bad;
static int reopen_fail, closes;
static int done2[4];

static void reader(void *a) {
  long i = (long)a;
  char buf[96];
  while (!LOAD(&stop2)) {
    int r = read(LOAD(&target_fd), buf, sizeof(buf));
    if (r < 0) {
      ADD(&reads_err, 1);
    } else if (r == 0) {
      ADD(&reads_eof, 1);
    } else {
      int ok = r <= (int)sizeof(buf);
      for (int k = 0; ok && k < r; k++)
        ok = buf[k] == 'x';
      ADD(ok ? &reads_data : &reads_bad, 1);
    }
  }
  texit(&done2[i], 1);
}

static void reopener(void *a) {
  (void)a;
  for (int k = 0; k < 400; k++) {
    int fd = LOAD(&target_fd);
    if (close(fd) == 0)
      ADD(&closes, 1);
    int nfd = open("t_thr_rc.dat", O_RDONLY);
    if (nfd < 0)
      ADD(&reopen_fail, 1);
    else
      STORE(&target_fd, nfd);
    if (k % 16 == 0)
      yield(-1);
  }
  STORE(&stop2, 1);
  texit(&done2[2], 1);
}

static void duper(void *a) {
  (void)a;
  while (!LOAD(&stop2)) {
    int d = dup(LOAD(&target_fd));
    if (d >= 0) {
      char c;
      read(d, &c, 1);
      close(d);
    }
  }
  texit(&done2[3], 1);
}

static void test_read_close_stress(void) {
  int fd = open("t_thr_rc.dat", O_CREATE | O_RDWR);
  ASSERT_GE(fd, 0, "create a file");
  char buf[FSIZE];
  memset(buf, 'x', sizeof(buf));
  ASSERT_EQ(write(fd, buf, FSIZE), FSIZE, "fill it with 'x'");
  close(fd);
  target_fd = open("t_thr_rc.dat", O_RDONLY);
  ASSERT_GE(target_fd, 0, "open it");
  int before = freepages();
  void (*fns[4])(void *) = {reader, reader, reopener, duper};
  int ok = 1;
  for (long i = 0; i < 4; i++)
    ok &= thr_spawn(stacks + (1 + i) * PGSIZE, fns[i], (void *)i) > 0;
  ASSERT_TRUE(ok, "spawn 2 readers, a closer/reopener and a duper");
  for (int i = 0; i < 4; i++)
    thr_wait_change(&done2[i], 0);
  test_note("reads: %d with data, %d EOF, %d -1; %d closes", reads_data,
            reads_eof, reads_err, closes);
  EXPECT_EQ(reads_bad, 0, "no read returned anything but the file's bytes");
  EXPECT_GT(reads_data, 0, "some reads returned data");
  EXPECT_EQ(reopen_fail, 0, "every reopen worked");
  EXPECT_EQ(closes, 400, "every close of the current fd returned 0");
  // The table is sane: exactly one fd left open on the file, and fd 3 up
  // to it are usable again.
  EXPECT_EQ(close(target_fd), 0, "close the last one");
  int fds[8], n = 0, good = 1;
  for (; n < 8; n++)
    if ((fds[n] = dup(1)) < 3)
      good = 0;
  for (int i = 0; i < n; i++)
    close(fds[i]);
  EXPECT_TRUE(good, "the fd table works afterwards");
  EXPECT_GE(test_settled_freepages(before, 5), before,
            "the free pages came back");
  unlink("t_thr_rc.dat");
}

// ---- 3. write vs close on a pipe.
static int p3[2];
static int wfd3;
static int stop3, w_err, w_ok, w_bytes, done3[3], r_bytes, r_bad;
static void writer(void *a) {
  (void)a;
  while (!LOAD(&stop3)) {
    int r = write(LOAD(&wfd3), "abcdefgh", 8);
    if (r < 0)
      ADD(&w_err, 1);
    else {
      ADD(&w_ok, 1);
      ADD(&w_bytes, r);
    }
  }
  texit(&done3[0], 1);
}
static void pipe_reader(void *a) {
  (void)a;
  char buf[64];
  int r, pos = 0;
  while ((r = read(p3[0], buf, sizeof(buf))) > 0) {
    for (int k = 0; k < r; k++, pos++)
      if (buf[k] != "abcdefgh"[pos % 8])
        ADD(&r_bad, 1);
    ADD(&r_bytes, r);
  }
  texit(&done3[1], 1);
}
static void wcloser(void *a) {
  (void)a;
  for (int k = 0; k < 300; k++) {
    int old = LOAD(&wfd3);
    int d = dup(old);  // the new fd for the writer
    STORE(&wfd3, d);
    close(old);
    if (k % 8 == 0)
      yield(-1);
  }
  STORE(&stop3, 1);
  texit(&done3[2], 1);
}

static void test_write_close(void) {
  ASSERT_EQ(pipe(p3), 0, "pipe");
  wfd3 = p3[1];
  int ok = thr_spawn(stacks + 5 * PGSIZE, pipe_reader, 0) > 0;
  ok &= thr_spawn(stacks + 6 * PGSIZE, writer, 0) > 0;
  ok &= thr_spawn(stacks + 7 * PGSIZE, wcloser, 0) > 0;
  ASSERT_TRUE(ok, "spawn a pipe reader, a writer and a dup/closer");
  thr_wait_change(&done3[0], 0);
  thr_wait_change(&done3[2], 0);
  close(LOAD(&wfd3));  // the last write end: the reader sees EOF
  thr_wait_change(&done3[1], 0);
  test_note("writes: %d ok (%d bytes), %d -1", w_ok, w_bytes, w_err);
  EXPECT_EQ(r_bad, 0, "the reader got only whole, ordered writes");
  EXPECT_EQ(r_bytes, w_bytes, "and exactly the bytes written");
  EXPECT_EQ(w_bytes % 8, 0, "every write was whole");
  close(p3[0]);
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_blocked_read_close();
  test_read_close_stress();
  test_write_close();
  test_done();
}
