// t_fswrite: several processes write at the same time. Files written by
// separate processes all come out intact; writers sharing one open file
// (and so one offset) never overwrite each other's records.
#include "test.h"

#define W 4
#define FILEBYTES (384 * 1024)

static char buf[16384];

static int writer(int w) {
  char name[16];
  test_format(name, sizeof(name), "t_fswrite.%d", w);
  int fd = open(name, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0)
    return 1;
  unsigned r = 1000 + w;
  long pos = 0;
  while (pos < FILEBYTES) {
    int n = 1 + test_rand(&r) % sizeof(buf);
    if (n > FILEBYTES - pos)
      n = FILEBYTES - pos;
    test_fill(buf, n, 500 + w, pos);
    if (write(fd, buf, n) != n)
      return 2;
    pos += n;
  }
  close(fd);
  return 0;
}

static long verify(int w) {
  char name[16];
  test_format(name, sizeof(name), "t_fswrite.%d", w);
  int fd = open(name, O_RDONLY);
  if (fd < 0)
    return -1;
  long pos = 0;
  int n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (test_check(buf, n, 500 + w, pos) >= 0)
      break;
    pos += n;
  }
  close(fd);
  return pos;
}

static void test_separate_files(void) {
  for (int w = 0; w < W; w++) {
    if (fork() == 0)
      exit(writer(w));
  }
  int ok = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      ok++;
  }
  EXPECT_EQ(ok, W, "%d processes each write %d KiB to a file of their own", W,
            FILEBYTES / 1024);
  int intact = 0;
  for (int w = 0; w < W; w++) {
    long n = verify(w);
    if (n == FILEBYTES)
      intact++;
    else
      test_note("t_fswrite.%d: intact for %ld bytes", w, n);
  }
  EXPECT_EQ(intact, W, "all %d files are intact", W);
  char name[16];
  for (int w = 0; w < W; w++) {
    test_format(name, sizeof(name), "t_fswrite.%d", w);
    unlink(name);
  }
}

// 16-byte records, each written with one write(): writer, sequence number,
// and fixed and derived words that show a torn or mixed record.
#define RECS 400
struct rec {
  unsigned char w;
  char pad;
  unsigned short seq;
  unsigned magic;
  unsigned check;
  unsigned tail;
};

static void test_shared_offset(void) {
  int fd = open("t_fswrite.sh", O_CREATE | O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0, "create t_fswrite.sh");
  for (int w = 0; w < W; w++) {
    if (fork() == 0) {
      for (int i = 0; i < RECS; i++) {
        struct rec r = {(unsigned char)w, 0, (unsigned short)i, 0x5eed1e55,
                        (unsigned)(w * 100000 + i), 0xa5a5a5a5};
        if (write(fd, &r, sizeof(r)) != sizeof(r))
          exit(1);
      }
      exit(0);
    }
  }
  int ok = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      ok++;
  }
  close(fd);
  EXPECT_EQ(ok, W, "%d processes append %d records each through one shared fd", W,
            RECS);
  struct stat st;
  EXPECT_EQ(stat("t_fswrite.sh", &st) == 0 ? (long)st.size : -1,
            (long)W * RECS * sizeof(struct rec),
            "the file holds exactly all records: no write overwrote another");
  static unsigned char seen[W][RECS];
  fd = open("t_fswrite.sh", O_RDONLY);
  struct rec r;
  int good = 0, broken = 0, dup = 0;
  while (read(fd, &r, sizeof(r)) == sizeof(r)) {
    if (r.magic != 0x5eed1e55 || r.tail != 0xa5a5a5a5 || r.w >= W ||
        r.seq >= RECS || r.check != (unsigned)(r.w * 100000 + r.seq)) {
      broken++;
      continue;
    }
    if (seen[(int)r.w][r.seq]++)
      dup++;
    else
      good++;
  }
  close(fd);
  EXPECT_EQ(broken, 0, "no record is torn");
  EXPECT_EQ(dup, 0, "no record appears twice");
  EXPECT_EQ(good, W * RECS, "every record is there");
  unlink("t_fswrite.sh");
}

int main(void) {
  test_separate_files();
  test_shared_offset();
  test_done();
}
