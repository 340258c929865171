// t_fs: files. Create, write, read back, size, truncate, unlink; open
// modes; separate offsets for separate opens, a shared one for dup; files
// that cross block boundaries and reach into the indirect block; an
// unlinked file stays readable while open, and its blocks come back at the
// last close; device nodes; names of exactly DIRSIZ characters.
#include "test.h"
#include "weft/fs.h"

static char buf[3 * BSIZE + 100];
static char rbuf[3 * BSIZE + 100];

static long file_size(const char *name) {
  struct stat st;
  if (stat(name, &st) < 0)
    return -1;
  return (long)st.size;
}

static void test_create_read_write(void) {
  int fd = open("t_fs.a", O_CREATE | O_RDWR);
  ASSERT_GE(fd, 3, "create t_fs.a");
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0, "fstat");
  EXPECT_EQ(st.type, T_FILE, "it is a file");
  EXPECT_EQ(st.size, 0, "of size 0");
  EXPECT_EQ(st.nlink, 1, "with one link");
  EXPECT_EQ(write(fd, "hello, world", 12), 12, "write 12 bytes");
  EXPECT_EQ(fstat(fd, &st) == 0 ? (long)st.size : -1, 12, "size 12");
  char b[32] = {0};
  EXPECT_EQ(read(fd, b, sizeof(b)), 0, "reading at the end returns 0");
  close(fd);

  fd = open("t_fs.a", O_RDONLY);
  ASSERT_GE(fd, 0, "open it again");
  EXPECT_EQ(read(fd, b, 5), 5, "read 5");
  EXPECT_EQ(read(fd, b + 5, sizeof(b)), 7, "read the other 7");
  EXPECT_EQ(strcmp(b, "hello, world"), 0, "the contents");
  EXPECT_EQ(read(fd, b, sizeof(b)), 0, "then EOF");
  close(fd);

  // Overwrite the start without truncating: the rest stays.
  fd = open("t_fs.a", O_WRONLY);
  EXPECT_EQ(write(fd, "HELLO", 5), 5, "overwrite 5 bytes");
  close(fd);
  fd = open("t_fs.a", O_RDONLY);
  memset(b, 0, sizeof(b));
  read(fd, b, sizeof(b));
  close(fd);
  EXPECT_EQ(strcmp(b, "HELLO, world"), 0, "overwriting keeps the rest");

  // O_CREATE on an existing file opens it, contents intact.
  fd = open("t_fs.a", O_CREATE | O_RDWR);
  EXPECT_GE(fd, 0, "O_CREATE of an existing file opens it");
  close(fd);
  EXPECT_EQ(file_size("t_fs.a"), 12, "without truncating it");
  fd = open("t_fs.a", O_RDWR | O_TRUNC);
  EXPECT_GE(fd, 0, "O_TRUNC opens it");
  close(fd);
  EXPECT_EQ(file_size("t_fs.a"), 0, "and truncates it to 0");

  EXPECT_EQ(unlink("t_fs.a"), 0, "unlink");
  EXPECT_EQ(open("t_fs.a", O_RDONLY), -1, "it is gone");
  EXPECT_EQ(unlink("t_fs.a"), -1, "unlinking it again fails");
  EXPECT_EQ(open("t_fs.missing", O_RDONLY), -1, "open without O_CREATE of a missing file fails");
}

static void test_modes_offsets(void) {
  int fd = open("t_fs.m", O_CREATE | O_WRONLY);
  ASSERT_GE(fd, 0, "create write-only");
  char c;
  EXPECT_EQ(read(fd, &c, 1), -1, "a write-only fd cannot read");
  EXPECT_EQ(write(fd, "0123456789", 10), 10, "but can write");
  close(fd);
  fd = open("t_fs.m", O_RDONLY);
  EXPECT_EQ(write(fd, "x", 1), -1, "a read-only fd cannot write");

  int fd2 = open("t_fs.m", O_RDONLY);
  char a[4] = {0}, b[4] = {0};
  read(fd, a, 3);
  read(fd2, b, 3);
  EXPECT_TRUE(memcmp(a, "012", 3) == 0 && memcmp(b, "012", 3) == 0,
              "two opens have their own offsets");
  int d = dup(fd);
  EXPECT_EQ(d, fd2 + 1, "dup gives the lowest free fd");
  read(d, a, 3);
  read(fd, b, 3);
  EXPECT_TRUE(memcmp(a, "345", 3) == 0 && memcmp(b, "678", 3) == 0,
              "a dup shares the offset");
  close(fd);
  EXPECT_EQ(read(d, a, 3), 1, "the dup works after the original is closed");
  close(d);
  close(fd2);

  fd = open("t_fs.m", O_RDWR);
  EXPECT_EQ(write(fd, "ab", 2), 2, "O_RDWR writes");
  EXPECT_EQ(read(fd, a, 2), 2, "and reads, at the same offset");
  EXPECT_EQ(memcmp(a, "23", 2), 0, "after the written bytes");
  close(fd);
  unlink("t_fs.m");
}

// Write `total` bytes in pieces of `piece`, read back in pieces of `rpiece`.
static int roundtrip(const char *name, int total, int piece, int rpiece, unsigned seed) {
  int fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
  if (fd < 0)
    return 0;
  int pos = 0;
  while (pos < total) {
    int n = total - pos < piece ? total - pos : piece;
    test_fill(buf, n, seed, pos);
    if (write(fd, buf, n) != n)
      break;
    pos += n;
  }
  close(fd);
  if (pos != total || file_size(name) != total)
    return 0;
  fd = open(name, O_RDONLY);
  pos = 0;
  int n;
  while ((n = read(fd, rbuf, rpiece)) > 0) {
    if (test_check(rbuf, n, seed, pos) >= 0)
      break;
    pos += n;
  }
  close(fd);
  return pos == total;
}

static void test_sizes(void) {
  static const struct {
    int total, piece, rpiece;
  } cases[] = {
      {1, 1, 1},
      {BSIZE - 1, 100, 1000},
      {BSIZE, BSIZE, BSIZE},
      {BSIZE + 1, 7, BSIZE + 100},
      {3 * BSIZE + 17, 3 * BSIZE + 17, 513},
      {NDIRECT * BSIZE, BSIZE, BSIZE},              // every direct block
      {NDIRECT * BSIZE + 1, 1000, 3 * BSIZE},       // first byte via the indirect block
      {(NDIRECT + 20) * BSIZE + 5, 3 * BSIZE, 777}, // well into the indirect block
  };
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    EXPECT_TRUE(roundtrip("t_fs.s", cases[i].total, cases[i].piece,
                          cases[i].rpiece, 100 + i),
                "%d bytes written %d at a time read back %d at a time",
                cases[i].total, cases[i].piece, cases[i].rpiece);
  }
  // Many one-byte writes.
  int fd = open("t_fs.s", O_CREATE | O_RDWR | O_TRUNC);
  int ok = 0;
  for (int i = 0; i < 2000; i++) {
    char c = (char)('a' + i % 26);
    ok += write(fd, &c, 1) == 1;
  }
  close(fd);
  fd = open("t_fs.s", O_RDONLY);
  int n = read(fd, rbuf, sizeof(rbuf));
  close(fd);
  int same = n == 2000;
  for (int i = 0; same && i < 2000; i++)
    same = rbuf[i] == (char)('a' + i % 26);
  EXPECT_TRUE(ok == 2000 && same, "2000 one-byte writes read back in one read");
  unlink("t_fs.s");
}

static int free_blocks(void) {
  struct kstat k;
  return kstat(&k) == 0 ? k.free_blocks : -1;
}

static void test_unlink_open(void) {
  int fd = open("t_fs.u", O_CREATE | O_RDWR);
  write(fd, "still here", 10);
  // Two more blocks, so that the count below is not a coincidence of one.
  EXPECT_EQ(write(fd, buf, 2 * BSIZE), 2 * BSIZE, "write 2 more blocks");
  close(fd);
  int before = free_blocks();
  fd = open("t_fs.u", O_RDONLY);
  EXPECT_EQ(unlink("t_fs.u"), 0, "unlink a file that is open");
  EXPECT_EQ(free_blocks(), before, "its blocks stay while it is open");
  EXPECT_EQ(open("t_fs.u", O_RDONLY), -1, "its name is gone");
  char b[16] = {0};
  EXPECT_EQ(read(fd, b, 10), 10, "the open fd still reads it");
  EXPECT_EQ(strcmp(b, "still here"), 0, "intact");
  struct stat st;
  EXPECT_EQ(fstat(fd, &st) == 0 ? st.nlink : -1, 0, "with 0 links");
  close(fd);
  EXPECT_EQ(free_blocks(), before + 3, "the last close frees its 3 blocks");

  // A new file with the old name is a different, empty file.
  fd = open("t_fs.u", O_CREATE | O_RDWR);
  EXPECT_EQ(read(fd, b, sizeof(b)), 0, "a new file of the same name is empty");
  close(fd);
  unlink("t_fs.u");
}

static void test_names(void) {
  const char *exact = "t_fs.abcdefghi";  // DIRSIZ (14) characters
  EXPECT_EQ((int)strlen(exact), DIRSIZ, "the name has DIRSIZ characters");
  int fd = open(exact, O_CREATE | O_RDWR);
  EXPECT_GE(fd, 0, "create a file whose name has DIRSIZ characters");
  write(fd, "x", 1);
  close(fd);
  EXPECT_EQ(file_size(exact), 1, "it can be found by that name");
  // It is listed in the directory under its full name.
  int dfd = open(".", O_RDONLY);
  struct dirent de;
  int found = 0;
  while (read(dfd, &de, sizeof(de)) == sizeof(de))
    if (de.inum && memcmp(de.name, exact, DIRSIZ) == 0)
      found++;
  close(dfd);
  EXPECT_EQ(found, 1, "the directory lists it once, with all 14 characters");
  EXPECT_EQ(unlink(exact), 0, "unlink it");

  fd = open("t_fs.x", O_CREATE | O_RDWR);
  close(fd);
  EXPECT_EQ(file_size("./t_fs.x"), 0, "a path through . finds it");
  EXPECT_EQ(file_size("/t_fs.x"), 0, "an absolute path finds it");
  EXPECT_EQ(file_size("//t_fs.x"), 0, "repeated slashes are fine");
  unlink("t_fs.x");
}

static void test_device(void) {
  EXPECT_EQ(mknod("t_fs.dev", CONSOLE, 0), 0, "mknod a console node");
  struct stat st;
  int fd = open("t_fs.dev", O_WRONLY);
  EXPECT_GE(fd, 0, "open it");
  EXPECT_EQ(fstat(fd, &st), 0, "fstat it");
  EXPECT_EQ(st.type, T_DEVICE, "it is a device");
  EXPECT_EQ(write(fd, "# (written through t_fs.dev)\n", 29), 29,
            "writing it writes to the console");
  close(fd);
  EXPECT_EQ(mknod("t_fs.dev", CONSOLE, 0), -1, "mknod of an existing name fails");
  EXPECT_EQ(unlink("t_fs.dev"), 0, "unlink it");
  // Nodes whose major number has no driver: whether mknod accepts them or
  // not, they must not be usable (and must not crash the kernel).
  static const short majors[] = {NDEV, NDEV + 5, -1, 0x7fff, (short)0x8000, 0};
  for (unsigned i = 0; i < sizeof(majors) / sizeof(majors[0]); i++) {
    int made = mknod("t_fs.bad", majors[i], 0) == 0;
    int fd = made ? open("t_fs.bad", O_RDWR) : -1;
    char c = 0;
    int r = fd >= 0 ? read(fd, &c, 1) : -1;
    int w = fd >= 0 ? write(fd, &c, 1) : -1;
    EXPECT_TRUE(fd < 0 || (r == -1 && w == -1),
                "a node with major %d (no driver) cannot be opened or used", majors[i]);
    if (fd >= 0)
      close(fd);
    if (made)
      test_unlink("t_fs.bad");
  }
}

int main(void) {
  test_create_read_write();
  test_modes_offsets();
  test_sizes();
  test_unlink_open();
  test_names();
  test_device();
  test_done();
}
