// t_pipe: pipes carry data intact and in order, in any chunk sizes, across
// processes; a reader sees EOF only when every write end is closed; a
// writer whose reader is gone gets -1; several writers' data all arrives;
// the ends are one-way; a pipe's memory is freed when both ends close.
#include "test.h"

#define BIG (1 << 20)  // bytes in the large transfers

static char buf[65536];

// Writes BIG bytes of stream `seed` to fd in chunks of pseudo-random sizes
// between 1 and maxchunk. Returns the bytes written.
static long send_stream(int fd, unsigned seed, int maxchunk) {
  unsigned r = seed;
  long pos = 0;
  while (pos < BIG) {
    int n = 1 + test_rand(&r) % maxchunk;
    if (n > BIG - pos)
      n = BIG - pos;
    test_fill(buf, n, seed, pos);
    if (write(fd, buf, n) != n)
      break;
    pos += n;
  }
  return pos;
}

// Reads fd to EOF in chunks of pseudo-random sizes and checks the stream.
// Returns the byte count, or -1 - offset of the first wrong byte.
static long receive_stream(int fd, unsigned seed, int maxchunk) {
  unsigned r = seed ^ 0x5555;
  long pos = 0;
  for (;;) {
    int want = 1 + test_rand(&r) % maxchunk;
    int n = read(fd, buf, want);
    if (n <= 0)
      return n < 0 ? -1 - pos : pos;
    int bad = test_check(buf, n, seed, pos);
    if (bad >= 0)
      return -1 - (pos + bad);
    pos += n;
  }
}

static void test_transfer(const char *what, int writer_child, int wmax,
                          int rmax, unsigned seed) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int t0 = uptime();
  int pid = fork();
  if (pid == 0) {
    if (writer_child) {
      close(p[0]);
      exit(send_stream(p[1], seed, wmax) == BIG ? 0 : 1);
    }
    close(p[1]);
    exit(receive_stream(p[0], seed, rmax) == BIG ? 0 : 1);
  }
  long got = 0, sent = 0;
  if (writer_child) {
    close(p[1]);
    got = receive_stream(p[0], seed, rmax);
    close(p[0]);
  } else {
    close(p[0]);
    sent = send_stream(p[1], seed, wmax);
    close(p[1]);
  }
  int status = -1;
  wait(&status);
  if (writer_child) {
    EXPECT_EQ(got, BIG, "%s: 1 MiB arrives intact", what);
    EXPECT_EQ(status, 0, "%s: the writer wrote it all", what);
  } else {
    EXPECT_EQ(sent, BIG, "%s: 1 MiB written", what);
    EXPECT_EQ(status, 0, "%s: the reader got it intact", what);
  }
  test_note("%s: %d ticks", what, uptime() - t0);
}

static void test_basics(void) {
  int p[2] = {-1, -1};
  ASSERT_EQ(pipe(p), 0, "pipe");
  EXPECT_TRUE(p[0] >= 3 && p[1] >= 3 && p[0] != p[1], "two new descriptors (%d, %d)",
              p[0], p[1]);
  EXPECT_EQ(write(p[1], "hello", 5), 5, "write 5 bytes");
  char b[16] = {0};
  EXPECT_EQ(read(p[0], b, sizeof(b)), 5, "a read returns what is there, not more");
  EXPECT_EQ(memcmp(b, "hello", 5), 0, "the bytes");
  EXPECT_EQ(write(p[1], b, 0), 0, "a zero-byte write returns 0");
  EXPECT_EQ(write(p[0], "x", 1), -1, "writing the read end fails");
  EXPECT_EQ(read(p[1], b, 1), -1, "reading the write end fails");
  // Three writes, read back in other pieces.
  write(p[1], "abc", 3);
  write(p[1], "defg", 4);
  write(p[1], "h", 1);
  char c[8];
  int n1 = read(p[0], c, 2);
  int n2 = read(p[0], c + 2, 6);
  EXPECT_TRUE(n1 == 2 && n2 == 6 && memcmp(c, "abcdefgh", 8) == 0,
              "data keeps its order across writes and reads");
  close(p[0]);
  close(p[1]);
}

static void test_eof(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int w2 = dup(p[1]);
  ASSERT_GE(w2, 0, "dup the write end");
  close(p[1]);
  EXPECT_EQ(write(w2, "z", 1), 1, "the other write end still works");
  char c = 0;
  EXPECT_EQ(read(p[0], &c, 1), 1, "the reader gets the byte, not EOF");
  EXPECT_EQ(c, 'z', "the right byte");
  EXPECT_EQ(write(w2, "y", 1), 1, "one more byte");
  close(w2);
  EXPECT_EQ(read(p[0], &c, 1), 1, "data written before the close still arrives");
  EXPECT_EQ(read(p[0], &c, 1), 0, "then EOF: every write end is closed");
  EXPECT_EQ(read(p[0], &c, 1), 0, "EOF again");
  close(p[0]);

  // A reader blocked in another process wakes up with EOF.
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(p[1]);
    char x;
    exit(read(p[0], &x, 1) == 0 ? 0 : 1);
  }
  close(p[0]);
  close(p[1]);
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "a blocked reader sees EOF when the last writer closes");
}

static void test_no_reader(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  close(p[0]);
  EXPECT_EQ(write(p[1], "x", 1), -1, "write with the read end closed fails");
  close(p[1]);

  // A writer blocked on a full pipe gets -1 (or a short count) when the
  // reader goes away, and -1 from then on.
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(p[0]);
    static char big[BIG];
    int r = write(p[1], big, BIG);
    int r2 = write(p[1], big, 1);
    exit(r < BIG && r2 == -1 ? 0 : 1);
  }
  close(p[1]);
  char b[100];
  EXPECT_EQ(read(p[0], b, sizeof(b)), sizeof(b), "read a little of what the child writes");
  close(p[0]);
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "the blocked writer's write fails when the reader closes");
}

// W writers each write byte value w+1 COUNT times, in various chunk sizes,
// into one pipe; the reader counts what arrives.
static void test_many_writers(void) {
  enum { W = 5, COUNT = 30000 };
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  for (int w = 0; w < W; w++) {
    int pid = fork();
    if (pid == 0) {
      close(p[0]);
      char chunk[700];
      memset(chunk, w + 1, sizeof(chunk));
      unsigned r = w + 1;
      int left = COUNT;
      while (left > 0) {
        int n = 1 + test_rand(&r) % sizeof(chunk);
        if (n > left)
          n = left;
        if (write(p[1], chunk, n) != n)
          exit(1);
        left -= n;
      }
      exit(0);
    }
  }
  close(p[1]);
  long counts[256] = {0};
  int n;
  long total = 0;
  while ((n = read(p[0], buf, 1000)) > 0) {
    for (int i = 0; i < n; i++)
      counts[(unsigned char)buf[i]]++;
    total += n;
  }
  close(p[0]);
  int good = 0;
  for (int w = 0; w < W; w++)
    good += counts[w + 1] == COUNT;
  int statuses = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      statuses++;
  }
  EXPECT_EQ(total, (long)W * COUNT, "%d writers: every byte arrives", W);
  EXPECT_EQ(good, W, "each writer's bytes arrive, %d of each", COUNT);
  EXPECT_EQ(statuses, W, "every writer's writes succeeded");
}

static void test_pipe_memory(void) {
  int free0 = freepages();
  for (int i = 0; i < 100; i++) {
    int p[2];
    if (pipe(p) < 0)
      break;
    write(p[1], "data", 4);
    close(p[0]);
    close(p[1]);
  }
  EXPECT_EQ(freepages(), free0, "100 pipes made and closed use no memory afterwards");

  // Many open pipes at once, up to the descriptor limit.
  int fds[NOFILE];
  int n = 0;
  while (n + 2 <= NOFILE) {
    int p[2];
    if (pipe(p) < 0)
      break;
    fds[n++] = p[0];
    fds[n++] = p[1];
  }
  int p[2];
  EXPECT_EQ(pipe(p), -1, "pipe fails when the descriptors run out (%d open)", n);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  EXPECT_EQ(freepages(), free0, "closing them frees their memory");
}

int main(void) {
  test_basics();
  test_eof();
  test_no_reader();
  test_transfer("child writes, parent reads, chunks up to 4 KiB", 1, 4096, 4096, 11);
  test_transfer("parent writes, child reads, chunks up to 64 KiB", 0, 65536, 65536, 12);
  test_transfer("small writes, large reads", 1, 100, 65536, 13);
  test_transfer("large writes, small reads", 0, 65536, 300, 14);
  test_many_writers();
  test_pipe_memory();
  test_done();
}
