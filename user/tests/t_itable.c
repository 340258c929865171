// t_itable: open files cannot fill the in-memory inode cache. Children
// open as many distinct files as the system lets them, until the open-file
// table (NFILE) is full; meanwhile another process can still look paths up
// and make a directory, which needs inode cache entries but no open file.
// (With a cache smaller than NFILE, the opens failed first and so did every
// path lookup in the system: one user could stop everyone.)
// timeout: 60
#include "test.h"

#define KIDS 12
#define PER 11
#define NFILES (KIDS * PER)

static char name[16];
static char *fname(int i) {
  test_format(name, sizeof(name), "it.%d", i);
  return name;
}

int main(void) {
  int made = 0;
  for (int i = 0; i < NFILES; i++) {
    int fd = open(fname(i), O_CREATE | O_RDWR);
    if (fd >= 0) {
      close(fd);
      made++;
    }
  }
  ASSERT_EQ(made, NFILES, "made %d files", NFILES);
  int rep[2], go[2];
  ASSERT_EQ(pipe(rep), 0, "pipe");
  ASSERT_EQ(pipe(go), 0, "pipe");
  int pids[KIDS], opened = 0;
  for (int k = 0; k < KIDS; k++) {
    pids[k] = fork();
    if (pids[k] == 0) {
      close(rep[0]);
      close(go[1]);
      int n = 0;
      // Only the pipe ends and 0-2 are open: 11 more fit in NOFILE.
      while (n < PER && open(fname(k * PER + n), O_RDONLY) >= 0)
        n++;
      write(rep[1], &n, sizeof(n));
      char c;
      read(go[0], &c, 1);  // hold them until the parent is done
      exit(0);
    }
    ASSERT_GT(pids[k], 0, "fork");
  }
  close(rep[1]);
  close(go[0]);
  for (int k = 0, n; k < KIDS; k++)
    if (read(rep[0], &n, sizeof(n)) == sizeof(n))
      opened += n;
  struct kstat ks;
  kstat(&ks);
  test_note("children hold %d files; %d open in all, %d inodes cached", opened,
            ks.open_files, ks.cached_inodes);
  EXPECT_EQ(ks.open_files, NFILE, "the open-file table is full");
  EXPECT_EQ(open("README.md", O_RDONLY), -1, "so an open fails");
  EXPECT_EQ(errno, ENFILE, "with ENFILE");
  struct stat st;
  EXPECT_EQ(stat("/", &st), -1, "stat needs an open file too, and fails");
  EXPECT_EQ(mkdir("it.dir"), 0, "but a path lookup and mkdir still work");
  EXPECT_EQ(chdir("it.dir"), 0, "and chdir");
  EXPECT_EQ(chdir(".."), 0, "and back");
  close(go[1]);  // the children end and close everything
  for (int k = 0; k < KIDS; k++)
    wait(0);
  close(rep[0]);
  test_unlink("it.dir");
  for (int i = 0; i < NFILES; i++)
    test_unlink(fname(i));
  test_done();
}
