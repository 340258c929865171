// t_rename: rename(old, new) with the POSIX rules. Files and directories,
// within and across directories, onto existing names (the old target goes
// when its last name and fd do), every refusal with its error number, a
// moved directory's ".." and its parents' link counts, and threads on
// several harts racing renames that together would make a cycle: the tree
// stays whole. The mv utility on top.
// timeout: 180
#include "pthread.h"
#include "test.h"

#define FAILS(call, err, what)                                         \
  do {                                                                 \
    errno = 0;                                                         \
    int r_ = (call);                                                   \
    int e_ = errno;                                                    \
    EXPECT_EQ(r_, -1, "%s fails", what);                               \
    EXPECT_EQ(e_, err, "%s: errno %d (%s)", what, err, strerror(e_)); \
  } while (0)

static void put(const char *path, const char *text) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0, "create %s", path);
  ASSERT_EQ(write(fd, text, strlen(text)), (int)strlen(text), "write %s", path);
  close(fd);
}

// The contents of path (up to 63 bytes) in buf, "" if it cannot be read.
static const char *get(const char *path, char *buf) {
  buf[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return buf;
  int n = read(fd, buf, 63);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
  return buf;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int nlink_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.nlink : -1;
}

static int ino_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (int)st.ino : -1;
}

static int free_inodes(void) {
  struct kstat k;
  return kstat(&k) == 0 ? k.free_inodes : -1;
}

static void files(void) {
  char buf[64];
  ASSERT_EQ(mkdir("t_rn"), 0, "mkdir t_rn");
  ASSERT_EQ(mkdir("t_rn/d"), 0, "mkdir t_rn/d");
  put("t_rn/a", "alpha");
  int ino = ino_of("t_rn/a");
  EXPECT_EQ(rename("t_rn/a", "t_rn/b"), 0, "rename a file in its directory");
  EXPECT_FALSE(exists("t_rn/a"), "the old name is gone");
  EXPECT_EQ(strcmp(get("t_rn/b", buf), "alpha"), 0, "the new name has the contents");
  EXPECT_EQ(ino_of("t_rn/b"), ino, "and is the same inode");
  EXPECT_EQ(nlink_of("t_rn/b"), 1, "with one link");

  EXPECT_EQ(rename("t_rn/b", "t_rn/d/c"), 0, "rename a file into another directory");
  EXPECT_FALSE(exists("t_rn/b"), "it left the old directory");
  EXPECT_EQ(strcmp(get("t_rn/d/c", buf), "alpha"), 0, "and is in the new one");
  EXPECT_EQ(rename("t_rn/d/c", "t_rn/b"), 0, "and back up");

  // Onto an existing file: the target's inode is freed with its last name.
  put("t_rn/x", "the old x");
  int before = free_inodes();
  EXPECT_EQ(rename("t_rn/b", "t_rn/x"), 0, "rename onto an existing file");
  EXPECT_EQ(strcmp(get("t_rn/x", buf), "alpha"), 0, "the target now has the source's contents");
  EXPECT_FALSE(exists("t_rn/b"), "the source name is gone");
  EXPECT_EQ(free_inodes(), before + 1, "the replaced file's inode is free");

  // Onto a file that is still open: it lives on until the fd closes.
  put("t_rn/y", "still open");
  int fd = open("t_rn/y", O_RDONLY);
  ASSERT_GE(fd, 0, "open t_rn/y");
  put("t_rn/z", "zulu");
  before = free_inodes();
  EXPECT_EQ(rename("t_rn/z", "t_rn/y"), 0, "rename onto an open file");
  EXPECT_EQ(free_inodes(), before, "its inode stays while it is open");
  int n = read(fd, buf, 63);
  buf[n > 0 ? n : 0] = 0;
  EXPECT_EQ(strcmp(buf, "still open"), 0, "the open fd still reads the old file");
  struct stat st;
  EXPECT_EQ(fstat(fd, &st) == 0 ? st.nlink : -1, 0, "which has no links left");
  close(fd);
  EXPECT_EQ(free_inodes(), before + 1, "and is freed by the last close");
  EXPECT_EQ(strcmp(get("t_rn/y", buf), "zulu"), 0, "the name has the new file");

  // Onto another name of the same inode: nothing happens.
  ASSERT_EQ(link("t_rn/y", "t_rn/y2"), 0, "link y2 to y");
  EXPECT_EQ(rename("t_rn/y", "t_rn/y2"), 0, "rename onto a hard link of itself");
  EXPECT_TRUE(exists("t_rn/y") && exists("t_rn/y2"), "both names stay");
  EXPECT_EQ(nlink_of("t_rn/y"), 2, "with two links");
  EXPECT_EQ(rename("t_rn/y", "t_rn/y"), 0, "rename to itself");
  EXPECT_EQ(strcmp(get("t_rn/y", buf), "zulu"), 0, "leaves it alone");
  EXPECT_EQ(unlink("t_rn/y2"), 0, "unlink y2");
}

static void directories(void) {
  char buf[64];
  // t_rn/p/q/f, moved to t_rn/d/q: ".." follows and the counts move.
  ASSERT_EQ(mkdir("t_rn/p"), 0, "mkdir t_rn/p");
  ASSERT_EQ(mkdir("t_rn/p/q"), 0, "mkdir t_rn/p/q");
  put("t_rn/p/q/f", "in q");
  put("t_rn/d/mark", "this is d");
  EXPECT_EQ(nlink_of("t_rn/p"), 2, "p has one subdirectory");
  EXPECT_EQ(nlink_of("t_rn/d"), 1, "d has none");
  EXPECT_EQ(rename("t_rn/p/q", "t_rn/d/q"), 0, "rename a directory into another");
  EXPECT_EQ(nlink_of("t_rn/p"), 1, "its old parent lost a link");
  EXPECT_EQ(nlink_of("t_rn/d"), 2, "its new parent gained one");
  EXPECT_EQ(strcmp(get("t_rn/d/q/f", buf), "in q"), 0, "its contents came along");
  EXPECT_EQ(strcmp(get("t_rn/d/q/../mark", buf), "this is d"), 0, "its .. is the new parent");
  EXPECT_EQ(ino_of("t_rn/d/q/.."), ino_of("t_rn/d"), "same inode as d");
  ASSERT_EQ(chdir("t_rn/d/q"), 0, "chdir into the moved directory");
  EXPECT_EQ(strcmp(get("../mark", buf), "this is d"), 0, "from inside, .. is d");
  ASSERT_EQ(chdir("../../.."), 0, "chdir back up");
  EXPECT_TRUE(exists("t_rn/d/q/f") && exists("t_rn"), "back where we were");

  // Renaming a directory within its parent changes no count.
  EXPECT_EQ(rename("t_rn/d/q", "t_rn/d/r"), 0, "rename a directory in place");
  EXPECT_EQ(nlink_of("t_rn/d"), 2, "its parent's count stays");

  // A directory onto an empty directory replaces it; onto a full one not.
  ASSERT_EQ(mkdir("t_rn/p/e"), 0, "mkdir t_rn/p/e");
  int before = free_inodes();
  EXPECT_EQ(rename("t_rn/d/r", "t_rn/p/e"), 0, "rename a directory onto an empty one");
  EXPECT_EQ(free_inodes(), before + 1, "the empty directory is freed");
  EXPECT_EQ(nlink_of("t_rn/p"), 2, "p counts one subdirectory (e replaced)");
  EXPECT_EQ(nlink_of("t_rn/d"), 1, "d counts none");
  EXPECT_EQ(strcmp(get("t_rn/p/e/f", buf), "in q"), 0, "the contents are under the new name");
  EXPECT_EQ(ino_of("t_rn/p/e/.."), ino_of("t_rn/p"), "and .. is p");
  ASSERT_EQ(mkdir("t_rn/d/full"), 0, "mkdir t_rn/d/full");
  put("t_rn/d/full/g", "g");
  FAILS(rename("t_rn/p/e", "t_rn/d/full"), ENOTEMPTY, "a directory onto a non-empty one");
  FAILS(rename("t_rn/d/mark", "t_rn/d/full"), EISDIR, "a file onto a directory");
  FAILS(rename("t_rn/p/e", "t_rn/d/mark"), ENOTDIR, "a directory onto a file");
  EXPECT_TRUE(exists("t_rn/p/e/f") && exists("t_rn/d/full/g") && exists("t_rn/d/mark"),
              "the refusals changed nothing");

  // Into its own subtree: refused, however deep.
  ASSERT_EQ(mkdir("t_rn/p/e/s"), 0, "mkdir t_rn/p/e/s");
  FAILS(rename("t_rn/p", "t_rn/p/e/s/p"), EINVAL, "a directory into its own subtree");
  FAILS(rename("t_rn/p", "t_rn/p/x"), EINVAL, "a directory into itself");
  FAILS(rename("t_rn/p/e", "t_rn/p/e/s/x"), EINVAL, "one level down into itself");
  // Onto its own ancestor: that directory holds it, so it is not empty.
  FAILS(rename("t_rn/p/e/s", "t_rn/p"), ENOTEMPTY, "a directory onto its grandparent");
  FAILS(rename("t_rn/p/e/f", "t_rn/p"), EISDIR, "a file onto its grandparent");
  FAILS(rename("t_rn/p/e/s", "t_rn/p/e"), ENOTEMPTY, "a directory onto its parent");
  EXPECT_TRUE(exists("t_rn/p/e/s") && exists("t_rn/p/e/f"), "the tree is unchanged");
  EXPECT_EQ(rename("t_rn/p/e/s", "t_rn/s"), 0, "up to the grandparent's parent is fine");
  EXPECT_EQ(ino_of("t_rn/s/.."), ino_of("t_rn"), "and .. follows");

  // Names that are not names.
  FAILS(rename("t_rn/.", "t_rn/dot"), EINVAL, "rename of .");
  FAILS(rename("t_rn/d/..", "t_rn/dd"), EINVAL, "rename of ..");
  FAILS(rename("t_rn/d/mark", "t_rn/d/."), EINVAL, "rename onto .");
  FAILS(rename("t_rn/d/mark", "t_rn/.."), EINVAL, "rename onto ..");
  FAILS(rename("/", "t_rn/root"), EBUSY, "rename of /");
  FAILS(rename("t_rn/missing", "t_rn/m2"), ENOENT, "rename of a missing name");
  FAILS(rename("t_rn/d/mark", "t_rn/nodir/m"), ENOENT, "rename into a missing directory");
  FAILS(rename("t_rn/d/mark", "t_rn/d/mark/m"), ENOTDIR, "rename below a file");
  FAILS(rename("t_rn/d/mark", "t_rn/abcdefghijklmnop"), ENAMETOOLONG, "a 16-byte name");
  FAILS(rename((char *)0x7ffff000ul, "t_rn/m"), EFAULT, "a bad pointer");
  EXPECT_TRUE(exists("t_rn/d/mark"), "mark is still there");

  // A removed directory takes no entries.
  ASSERT_EQ(mkdir("t_rn/gone"), 0, "mkdir t_rn/gone");
  ASSERT_EQ(chdir("t_rn/gone"), 0, "chdir into it");
  ASSERT_EQ(unlink("../gone"), 0, "remove it while it is the cwd");
  FAILS(rename("/t_rn/d/mark", "m"), ENOENT, "rename into the removed cwd");
  ASSERT_EQ(chdir("/"), 0, "chdir /");
  EXPECT_TRUE(exists("t_rn/d/mark"), "mark is still there");
}

// ------------------------------------------------------------ the race

#define ROUNDS 300
static int g_ok[4];

// Thread i moves directory X into Y and back, while thread i^1 moves Y into
// X and back: if both first moves ever succeeded, X and Y would contain
// each other, cut off from the root.
static void *mover(void *arg) {
  int i = (int)(long)arg;
  char x[32], y[32], in[32];
  const char *names = "abcd";
  int me = i, other = i ^ 1;
  test_format(x, sizeof(x), "t_rn/r/%c", names[me]);
  test_format(y, sizeof(y), "t_rn/r/%c/%c", names[other], names[me]);
  test_format(in, sizeof(in), "%s", y);
  for (int k = 0; k < ROUNDS; k++) {
    if (rename(x, in) == 0) {
      g_ok[i]++;
      // Only this thread moves X, so it can always come back.
      if (rename(in, x) != 0) g_ok[i] = -100000;
    }
    if (k % 16 == 0) yield(-1);
  }
  return 0;
}

// Files swapped between two directories by two more threads meanwhile.
static void *shuffler(void *arg) {
  int i = (int)(long)arg;
  char a[32], b[32];
  test_format(a, sizeof(a), "t_rn/r/f%d", i);
  test_format(b, sizeof(b), "t_rn/r2/f%d", i);
  int bad = 0;
  for (int k = 0; k < ROUNDS; k++) {
    if (rename(k % 2 ? b : a, k % 2 ? a : b) != 0) bad++;
  }
  return (void *)(long)bad;
}

static void race(void) {
  ASSERT_EQ(mkdir("t_rn/r"), 0, "mkdir t_rn/r");
  ASSERT_EQ(mkdir("t_rn/r2"), 0, "mkdir t_rn/r2");
  const char *dirs[] = {"t_rn/r/a", "t_rn/r/b", "t_rn/r/c", "t_rn/r/d"};
  for (int i = 0; i < 4; i++) ASSERT_EQ(mkdir(dirs[i]), 0, "mkdir %s", dirs[i]);
  put("t_rn/r/f0", "0");
  put("t_rn/r/f1", "1");
  pthread_t t[6];
  for (int i = 0; i < 4; i++) ASSERT_EQ(pthread_create(&t[i], 0, mover, (void *)(long)i), 0, "mover %d", i);
  for (int i = 0; i < 2; i++)
    ASSERT_EQ(pthread_create(&t[4 + i], 0, shuffler, (void *)(long)i), 0, "shuffler %d", i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
  for (int i = 0; i < 2; i++) {
    void *bad;
    pthread_join(t[4 + i], &bad);
    EXPECT_EQ((long)bad, 0L, "shuffler %d: every file rename worked", i);
  }
  for (int i = 0; i < 4; i++) {
    EXPECT_GT(g_ok[i], 0, "mover %d: moved its directory (%d times)", i, g_ok[i]);
    EXPECT_TRUE(exists(dirs[i]), "%s is back in place", dirs[i]);
  }
  EXPECT_EQ(nlink_of("t_rn/r"), 5, "t_rn/r counts its four subdirectories");
  for (int i = 0; i < 4; i++) {
    char dd[32];
    test_format(dd, sizeof(dd), "%s/..", dirs[i]);
    EXPECT_EQ(ino_of(dd), ino_of("t_rn/r"), "%s/.. is t_rn/r", dirs[i]);
    EXPECT_EQ(nlink_of(dirs[i]), 1, "%s has no subdirectory left", dirs[i]);
    EXPECT_EQ(unlink(dirs[i]), 0, "remove %s", dirs[i]);
  }
  EXPECT_TRUE(exists("t_rn/r/f0") && exists("t_rn/r/f1"), "the shuffled files are home");
  EXPECT_EQ(unlink("t_rn/r/f0") | unlink("t_rn/r/f1"), 0, "remove them");
  EXPECT_EQ(unlink("t_rn/r2") | unlink("t_rn/r"), 0, "remove t_rn/r and t_rn/r2");
}

static int run_mv(const char *from, const char *to) {
  int pid = fork();
  if (pid == 0) {
    char *argv[] = {"mv", (char *)from, (char *)to, 0};
    exec("mv", argv);
    exit(99);
  }
  int st = -1;
  wait(&st);
  return st;
}

static void mv(void) {
  char buf[64];
  EXPECT_EQ(run_mv("t_rn/d/mark", "t_rn/m"), 0, "mv a file to a new name");
  EXPECT_EQ(strcmp(get("t_rn/m", buf), "this is d"), 0, "it moved");
  EXPECT_EQ(run_mv("t_rn/m", "t_rn/d"), 0, "mv a file into a directory");
  EXPECT_EQ(strcmp(get("t_rn/d/m", buf), "this is d"), 0, "it is in the directory");
  EXPECT_EQ(run_mv("t_rn/s", "t_rn/d"), 0, "mv a directory into a directory");
  EXPECT_EQ(ino_of("t_rn/d/s/.."), ino_of("t_rn/d"), "its .. follows");
  EXPECT_NE(run_mv("t_rn/d", "t_rn/d/s"), 0, "mv a directory into itself fails");
  EXPECT_NE(run_mv("t_rn/none", "t_rn/x2"), 0, "mv of a missing file fails");
}

static void cleanup(void) {
  const char *files[] = {"t_rn/x", "t_rn/y", "t_rn/d/m", "t_rn/d/full/g", "t_rn/p/e/f"};
  const char *dirs[] = {"t_rn/d/s", "t_rn/d/full", "t_rn/d", "t_rn/p/e", "t_rn/p", "t_rn"};
  for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    EXPECT_EQ(unlink(files[i]), 0, "unlink %s", files[i]);
  for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
    EXPECT_EQ(unlink(dirs[i]), 0, "rmdir %s", dirs[i]);
}

int main(void) {
  int inodes = free_inodes();
  files();
  directories();
  race();
  mv();
  cleanup();
  EXPECT_EQ(free_inodes(), inodes, "every inode is free again");
  test_done();
}
