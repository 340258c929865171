// orphan: the guest half of the orphan test (tools/orphantest.py).
//
//   orphan [KIB]
//
// Makes two orphans and keeps them: a file of KIB KiB (default 2048) that is
// unlinked while this process holds it open, and a directory that is
// removed while it is this process's cwd. Then it prints
//   READY file INUM BYTES dir INUM
// and sleeps until the machine is killed. The kernel frees both inodes at
// the next boot (kernel/fs/inode.cpp, free_orphans). Every unlink has been
// committed when it returns, so once READY is printed the disk holds both
// orphans. A failed call prints `ERR what: why` and exits 1.
#include "user.h"

#define FILE_NAME "/orphan.f"
#define DIR_NAME "/orphan.d"

static char chunk[64 * 1024];

static void fail(const char *what) {
  printf("ERR %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  long kib = argc > 1 ? atoi(argv[1]) : 2048;
  if (argc > 2 || kib <= 0) {
    fprintf(2, "usage: orphan [KIB]\n");
    return 1;
  }
  for (unsigned i = 0; i < sizeof(chunk); i++)
    chunk[i] = (char)('a' + i % 26);

  int fd = open(FILE_NAME, O_CREATE | O_RDWR);
  if (fd < 0)
    fail("create " FILE_NAME);
  long left = kib * 1024;
  while (left > 0) {
    int n = left < (long)sizeof(chunk) ? (int)left : (int)sizeof(chunk);
    if (write(fd, chunk, n) != n)
      fail("write " FILE_NAME);
    left -= n;
  }
  if (unlink(FILE_NAME) < 0)
    fail("unlink " FILE_NAME);
  struct stat fst;
  if (fstat(fd, &fst) < 0)
    fail("fstat the unlinked file");
  if (fst.nlink != 0) {
    printf("ERR the unlinked file has %d links\n", fst.nlink);
    return 1;
  }

  // The directory is removed by its absolute path from inside it: weft's
  // unlink allows removing an empty directory that is some process's cwd.
  struct stat dst;
  if (mkdir(DIR_NAME) < 0)
    fail("mkdir " DIR_NAME);
  if (chdir(DIR_NAME) < 0)
    fail("chdir " DIR_NAME);
  if (stat(DIR_NAME, &dst) < 0)
    fail("stat " DIR_NAME);
  if (unlink(DIR_NAME) < 0)
    fail("unlink " DIR_NAME " (the cwd)");

  printf("READY file %u %lu dir %u\n", fst.ino, fst.size, dst.ino);
  for (;;)
    sleep(1000);
}
