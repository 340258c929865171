// t_fsync: the disk's write cache is flushed where durability needs it.
// A write that changes a file commits its log group with two flushes (the
// commit point, then the installed home blocks), so when write returns
// the data is durable; fsync of a file flushes once more and returns 0;
// fsync of a pipe or a device is EINVAL, of a closed fd EBADF. Threads
// writing and fsyncing at once all succeed and their data is all there.
// The counts come from kstat (disk_flushes). QEMU's virtio-blk always
// offers FLUSH; a disk that did not would make every count 0, and this
// test would say so.
// timeout: 60
#include "pthread.h"
#include "test.h"

static long flushes(void) {
  struct kstat st;
  if (kstat(&st) < 0)
    return -1;
  return st.disk_flushes;
}

#define NT 4
#define ROUNDS 20

static void *writer(void *arg) {
  long i = (long)arg;
  char name[16];
  test_format(name, sizeof(name), "fs.t%ld", i);
  int fd = open(name, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0)
    return (void *)1;
  long bad = 0;
  for (int r = 0; r < ROUNDS; r++) {
    char c = (char)('a' + i);
    bad += write(fd, &c, 1) != 1;
    bad += fsync(fd) != 0;
  }
  close(fd);
  return (void *)bad;
}

int main(void) {
  long f0 = flushes();
  ASSERT_GE(f0, 1L, "the disk has flushed already (boot wrote files): %ld", f0);

  int fd = open("fs.a", O_CREATE | O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0, "create fs.a");
  long f1 = flushes();
  EXPECT_GE(f1 - f0, 2L, "create: a commit, two flushes (%ld)", f1 - f0);
  EXPECT_EQ(write(fd, "hello", 5), 5, "write 5 bytes");
  long f2 = flushes();
  EXPECT_GE(f2 - f1, 2L, "write: a commit, two flushes (%ld)", f2 - f1);
  EXPECT_EQ(fsync(fd), 0, "fsync of a file");
  long f3 = flushes();
  EXPECT_EQ(f3 - f2, 1L, "fsync: one flush");
  int rd = open("fs.a", O_RDONLY);
  EXPECT_EQ(fsync(rd), 0, "fsync of a read-only fd");
  close(rd);
  int dir = open(".", O_RDONLY);
  EXPECT_EQ(fsync(dir), 0, "fsync of a directory");
  close(dir);
  close(fd);
  EXPECT_EQ(fsync(fd), -1, "fsync of a closed fd fails");
  EXPECT_EQ(errno, EBADF, "with EBADF");
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  EXPECT_EQ(fsync(p[0]), -1, "fsync of a pipe fails");
  EXPECT_EQ(errno, EINVAL, "with EINVAL");
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(fsync(1), -1, "fsync of the console fails");
  EXPECT_EQ(errno, EINVAL, "with EINVAL");

  // Reading changes nothing on the disk: no commit, no flush.
  long f4 = flushes();
  char buf[8];
  rd = open("fs.a", O_RDONLY);
  EXPECT_EQ(read(rd, buf, sizeof(buf)), 5, "read it back");
  close(rd);
  EXPECT_EQ(flushes(), f4, "reading flushed nothing");

  pthread_t t[NT];
  for (long i = 0; i < NT; i++)
    ASSERT_EQ(pthread_create(&t[i], 0, writer, (void *)i), 0, "start writer %ld", i);
  for (int i = 0; i < NT; i++) {
    void *bad;
    pthread_join(t[i], &bad);
    EXPECT_EQ((long)bad, 0L, "writer %d: every write and fsync succeeded", i);
  }
  for (int i = 0; i < NT; i++) {
    char name[16];
    test_format(name, sizeof(name), "fs.t%d", i);
    struct stat st;
    EXPECT_EQ(stat(name, &st), 0, "%s exists", name);
    EXPECT_EQ(st.size, (unsigned long)ROUNDS, "%s holds every byte", name);
    test_unlink(name);
  }
  test_unlink("fs.a");
  test_done();
}
