// t_fsrace: no inode is lost when processes create, close and unlink one
// name at the same time.
//
// The race this guards against: the close that drops the last reference to
// an unlinked inode frees it (type 0 in the inode block) and only then lets
// go of its cache entry. An ialloc in another process that ran in between
// used to find that inode free and share the entry still held by the
// freeing close; the new file's last iput then saw two references and kept
// the inode, and the freeing close dropped the last one: the inode stayed
// allocated with no name, and the disk had one inode fewer. Four processes
// creating and unlinking "x" hit that window within a few hundred rounds,
// even on one hart with a fast timer.
#include "test.h"
#include "weft/fs.h"

#define DIR "t_fsrace.d"
#define W 4        // processes
#define ITERS 300  // create + close per process and round; every third unlinks
#define ROUNDS 6

// How many inodes can still be had: create empty files until that fails,
// then remove them again.
static int free_inodes(void) {
  char name[32];
  int n = 0;
  for (; n <= NINODES; n++) {
    test_format(name, sizeof(name), DIR "/i%d", n);
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      break;
    close(fd);
  }
  for (int i = 0; i < n; i++) {
    test_format(name, sizeof(name), DIR "/i%d", i);
    unlink(name);
  }
  return n;
}

// Exit status: how many creates failed (each must open or make the file).
static int churn(int w) {
  int errors = 0;
  for (int i = 0; i < ITERS; i++) {
    int fd = open(DIR "/x", O_CREATE | O_RDWR);
    if (fd < 0)
      errors++;
    else
      close(fd);
    if (i % 3 == w % 3)
      unlink(DIR "/x");  // may find nothing: another process got there first
  }
  return errors;
}

int main(void) {
  ASSERT_EQ(mkdir(DIR), 0, "mkdir " DIR);
  int before = free_inodes();
  EXPECT_GT(before, 100, "count the free inodes (%d)", before);
  for (int round = 0; round < ROUNDS; round++) {
    for (int w = 0; w < W; w++) {
      int pid = fork();
      if (pid == 0)
        exit(churn(w));
      ASSERT_GT(pid, 0, "fork worker %d", w);
    }
    int clean = 0;
    for (int w = 0; w < W; w++) {
      int status = -1;
      if (wait(&status) > 0 && status == 0)
        clean++;
    }
    EXPECT_EQ(clean, W, "round %d: %d processes create, close and unlink one "
              "name %d times each; every create succeeds", round, W, ITERS);
    unlink(DIR "/x");
    int after = free_inodes();
    EXPECT_EQ(after, before, "round %d: as many inodes free as before", round);
  }
  EXPECT_EQ(unlink(DIR), 0, "remove " DIR);
  test_done();
}
