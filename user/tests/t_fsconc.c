// t_fsconc: several processes create, write, link and unlink files in one
// directory at the same time. Each one's own files end up exactly as it
// left them; for names they all fight over, exactly one mkdir, one link and
// one unlink of the same name succeeds; processes creating and unlinking
// one name over and over lose no inode; afterwards the directory can be
// emptied and removed.
#include "test.h"
#include "weft/fs.h"

#define W 4        // worker processes
#define FILES 24   // private files per worker
#define ROUNDS 3

static void name_of(char *buf, int w, int i) {
  test_format(buf, 32, "t_fsconc.d/w%d_%d", w, i);
}

// Worker w: each round creates its files with (w, i, round) as contents,
// and unlinks every file with an odd index; at the end checks what is
// left. In between, it creates and unlinks shared names that all workers
// use. Exit 0 if all was as expected.
static int worker(int w) {
  char name[32], text[32], got[32];
  int errors = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < FILES; i++) {
      name_of(name, w, i);
      int fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
      if (fd < 0) {
        errors++;
        continue;
      }
      int n = test_format(text, sizeof(text), "%d %d %d", w, i, round);
      if (write(fd, text, n) != n)
        errors++;
      close(fd);
      // A shared name: creating it must work whoever else has it.
      test_format(name, sizeof(name), "t_fsconc.d/s%d", i % 6);
      fd = open(name, O_CREATE | O_RDWR);
      if (fd < 0)
        errors++;
      else
        close(fd);
      if (i % 3 == 0)
        unlink(name);  // may fail: another worker may have removed it
    }
    for (int i = 1; i < FILES; i += 2) {
      name_of(name, w, i);
      if (unlink(name) != 0)
        errors++;
    }
  }
  for (int i = 0; i < FILES; i++) {
    name_of(name, w, i);
    int fd = open(name, O_RDONLY);
    if (i % 2) {
      if (fd >= 0)
        errors++;  // was unlinked
      continue;
    }
    if (fd < 0) {
      errors++;
      continue;
    }
    int want = test_format(text, sizeof(text), "%d %d %d", w, i, ROUNDS - 1);
    int n = read(fd, got, sizeof(got));
    if (n != want || memcmp(got, text, want) != 0)
      errors++;
    close(fd);
  }
  return errors;
}

static int count_entries(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  struct dirent de;
  int n = 0;
  while (read(fd, &de, sizeof(de)) == sizeof(de))
    if (de.inum)
      n++;
  close(fd);
  return n;
}

// All W processes race for the same single operation; returns how many
// succeeded. op is run by each child after a start signal.
static int race(int (*op)(void)) {
  int start[2];
  if (pipe(start) < 0)
    return -1;
  for (int w = 0; w < W; w++) {
    int pid = fork();
    if (pid == 0) {
      close(start[1]);
      char c;
      read(start[0], &c, 1);  // EOF: everyone starts at once
      exit(op() == 0 ? 0 : 1);
    }
  }
  close(start[0]);
  close(start[1]);
  int wins = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      wins++;
  }
  return wins;
}

// How many more inodes can be had: creates empty files in dir until that
// fails, then removes them. (The same number before and after the
// concurrent work means none was lost.)
static int free_inodes(const char *dir) {
  char name[32];
  int n = 0;
  for (; n <= NINODES; n++) {
    test_format(name, sizeof(name), "%s/i%d", dir, n);
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      break;
    close(fd);
  }
  for (int i = 0; i < n; i++) {
    test_format(name, sizeof(name), "%s/i%d", dir, i);
    unlink(name);
  }
  return n;
}

// W processes create (O_CREATE, without O_TRUNC), close and unlink one name
// over and over: every create either opens the file someone else made or
// makes a new one, every unlink removes whichever is there.
#define CHURN 800
static int churn(int w) {
  int errors = 0;
  for (int i = 0; i < CHURN; i++) {
    int fd = open("t_fsconc.d/x", O_CREATE | O_RDWR);
    if (fd < 0)
      errors++;
    else
      close(fd);
    if (i % 3 == w % 3)
      unlink("t_fsconc.d/x");  // may find nothing: that is fine
  }
  return errors;
}

static int op_mkdir(void) { return mkdir("t_fsconc.d/same"); }
static int op_link(void) { return link("t_fsconc.d/target", "t_fsconc.d/same-link"); }
static int op_unlink(void) { return unlink("t_fsconc.d/target"); }
static int op_create_excl(void) {
  // O_CREATE of the same new name: all succeed, and it is one file.
  int fd = open("t_fsconc.d/created", O_CREATE | O_RDWR);
  if (fd < 0)
    return -1;
  char c = 'c';
  int r = write(fd, &c, 1) == 1 ? 0 : -1;
  close(fd);
  return r;
}

int main(void) {
  ASSERT_EQ(mkdir("t_fsconc.d"), 0, "mkdir t_fsconc.d");
  int inodes0 = free_inodes("t_fsconc.d");
  EXPECT_GT(inodes0, 100, "count the free inodes (%d)", inodes0);
  int pids[W];
  for (int w = 0; w < W; w++) {
    pids[w] = fork();
    if (pids[w] == 0)
      exit(worker(w));
  }
  int clean = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    int pid = wait(&status);
    if (pid > 0 && status == 0)
      clean++;
    else
      test_note("worker (pid %d) found %d errors", pid, status);
  }
  EXPECT_EQ(clean, W, "%d workers creating and unlinking at once: each one's "
            "files are as it left them", W);
  // Each worker left FILES/2 files; the shared names may or may not exist.
  int shared = 0;
  char name[32];
  for (int i = 0; i < 6; i++) {
    test_format(name, sizeof(name), "t_fsconc.d/s%d", i);
    if (unlink(name) == 0)
      shared++;
  }
  EXPECT_EQ(count_entries("t_fsconc.d"), 2 + W * FILES / 2,
            "the directory lists exactly the surviving files");

  EXPECT_EQ(race(op_mkdir), 1, "%d processes mkdir the same name: one succeeds", W);
  int fd = open("t_fsconc.d/target", O_CREATE | O_RDWR);
  close(fd);
  EXPECT_EQ(race(op_link), 1, "%d processes link the same new name: one succeeds", W);
  struct stat st;
  EXPECT_EQ(stat("t_fsconc.d/target", &st) == 0 ? st.nlink : -1, 2,
            "the target has 2 links");
  EXPECT_EQ(race(op_unlink), 1, "%d processes unlink the same name: one succeeds", W);
  EXPECT_EQ(stat("t_fsconc.d/same-link", &st) == 0 ? st.nlink : -1, 1,
            "the other name has 1 link left");
  EXPECT_EQ(race(op_create_excl), W, "%d processes O_CREATE the same name: all succeed", W);
  EXPECT_EQ(stat("t_fsconc.d/created", &st) == 0 ? (long)st.size : -1, 1,
            "it is one file: the 4 one-byte writes went to the same offset "
            "of separate opens");

  for (int w = 0; w < W; w++) {
    if (fork() == 0)
      exit(churn(w));
  }
  int churned = 0;
  for (int w = 0; w < W; w++) {
    int status = -1;
    if (wait(&status) > 0 && status == 0)
      churned++;
  }
  EXPECT_EQ(churned, W, "%d processes create, close and unlink one name %d "
            "times each; every create succeeds", W, CHURN);
  unlink("t_fsconc.d/x");

  // Clean up everything; the directory must then be removable.
  int removed = 0;
  for (int w = 0; w < W; w++) {
    for (int i = 0; i < FILES; i += 2) {
      name_of(name, w, i);
      removed += unlink(name) == 0;
    }
  }
  EXPECT_EQ(removed, W * FILES / 2, "remove the surviving files");
  EXPECT_EQ(unlink("t_fsconc.d/same"), 0, "remove the raced directory");
  EXPECT_EQ(unlink("t_fsconc.d/same-link"), 0, "remove the raced link");
  EXPECT_EQ(unlink("t_fsconc.d/created"), 0, "remove the raced file");
  EXPECT_EQ(count_entries("t_fsconc.d"), 2, "the directory is empty");
  int inodes1 = free_inodes("t_fsconc.d");
  EXPECT_EQ(inodes1, inodes0, "as many inodes are free as before: none leaked");
  EXPECT_EQ(unlink("t_fsconc.d"), 0, "and can be removed");
  (void)shared;
  test_done();
}
