// t_bigfile: a file of exactly MAXFILE blocks (64 MiB: the direct blocks,
// the whole indirect block and part of the double-indirect block) can be
// written and read back intact; a write past that size fails with EFBIG and
// leaves the file as it was; unlinking it gives back every block (the data
// and the index blocks), as kstat's count of free disk blocks shows.
// timeout: 900
#include "test.h"
#include "weft/fs.h"

#define MAXBYTES ((long)MAXFILE * BSIZE)
#define CHUNK (16 * BSIZE)

static char buf[CHUNK];

static int free_blocks(void) {
  struct kstat k;
  return kstat(&k) == 0 ? k.free_blocks : -1;
}

int main(void) {
  int free0 = free_blocks();
  int fd = open("t_bigfile.f", O_CREATE | O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0, "create t_bigfile.f");
  int t0 = uptime();
  long pos = 0;
  while (pos < MAXBYTES) {
    int n = MAXBYTES - pos < CHUNK ? (int)(MAXBYTES - pos) : CHUNK;
    test_fill(buf, n, 77, pos);
    int w = write(fd, buf, n);
    if (w != n) {
      test_note("write at %ld returned %d", pos, w);
      break;
    }
    pos += n;
  }
  int t1 = uptime();
  EXPECT_EQ(pos, MAXBYTES, "write MAXFILE (%d) blocks, %ld bytes", MAXFILE, MAXBYTES);
  test_note("%ld KiB written in %d ticks", pos >> 10, t1 - t0);
  errno = 0;
  EXPECT_EQ(write(fd, "x", 1), -1, "one more byte does not fit");
  EXPECT_EQ(errno, EFBIG, "errno EFBIG");
  EXPECT_EQ(write(fd, buf, CHUNK), -1, "nor does another chunk");
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0, "fstat");
  EXPECT_EQ((long)st.size, MAXBYTES, "the size is exactly MAXFILE blocks");
  // The data, the indirect block, the double-indirect block and the
  // indirect blocks it names.
  int index = 1 + 1 + (MAXFILE - NDIRECT - NINDIRECT + NINDIRECT - 1) / NINDIRECT;
  EXPECT_EQ(free0 - free_blocks(), MAXFILE + index, "it took %d data and %d index blocks",
            MAXFILE, index);
  close(fd);

  // Read it all back; then, at 10 bytes before the end, a write of 20.
  fd = open("t_bigfile.f", O_RDWR);
  ASSERT_GE(fd, 0, "open it again");
  pos = 0;
  long bad = -1;
  while (pos < MAXBYTES - 10) {
    long want = MAXBYTES - 10 - pos < CHUNK ? MAXBYTES - 10 - pos : CHUNK;
    int n = read(fd, buf, (int)want);
    if (n <= 0)
      break;
    int off = test_check(buf, n, 77, pos);
    if (off >= 0 && bad < 0)
      bad = pos + off;
    pos += n;
  }
  test_note("read back in %d ticks", uptime() - t1);
  EXPECT_EQ(pos, MAXBYTES - 10, "read back all but the last 10 bytes");
  EXPECT_EQ(bad, -1, "every byte is as written");
  static char twenty[20];
  memset(twenty, 'Z', sizeof(twenty));
  EXPECT_NE(write(fd, twenty, 20), 20, "a write across the limit does not succeed in full");
  EXPECT_EQ(fstat(fd, &st) == 0 ? (long)st.size : -1, MAXBYTES,
            "the file did not grow past MAXFILE blocks");
  close(fd);
  EXPECT_EQ(unlink("t_bigfile.f"), 0, "unlink it");
  EXPECT_EQ(free_blocks(), free0, "every block is free again");

  // And can be used again (a quarter of the size, to keep the test quick).
  fd = open("t_bigfile.g", O_CREATE | O_RDWR);
  pos = 0;
  while (pos < MAXBYTES / 4 && write(fd, buf, CHUNK) == CHUNK)
    pos += CHUNK;
  close(fd);
  EXPECT_GE(pos, MAXBYTES / 4, "the freed blocks can be written again");
  unlink("t_bigfile.g");
  EXPECT_EQ(free_blocks(), free0, "and are free after that file, too");
  test_done();
}
