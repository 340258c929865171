// t_dir: directories and links. mkdir, chdir, relative and absolute paths,
// "." and "..", unlink of a non-empty directory fails, link counts seen
// through fstat, links to directories are refused, a directory big enough
// to need several blocks, and directory contents as read() shows them.
#include "test.h"
#include "weft/fs.h"

static int nlink_of(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -1;
  return st.nlink;
}

static unsigned ino_of(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return 0;
  return st.ino;
}

static int type_of(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -1;
  return st.type;
}

// Live entries of a directory, "." and ".." included; -1 if not readable.
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

static int make_file(const char *path, const char *text) {
  int fd = open(path, O_CREATE | O_RDWR);
  if (fd < 0)
    return -1;
  int n = strlen(text);
  int w = write(fd, text, n);
  close(fd);
  return w == n ? 0 : -1;
}

static int read_file(const char *path, char *out, int max) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int n = read(fd, out, max - 1);
  close(fd);
  out[n > 0 ? n : 0] = 0;
  return n;
}

static int empty_links;  // links of an empty directory

static void test_mkdir_chdir(void) {
  EXPECT_EQ(mkdir("t_dir.d"), 0, "mkdir t_dir.d");
  EXPECT_EQ(type_of("t_dir.d"), T_DIR, "it is a directory");
  EXPECT_EQ(count_entries("t_dir.d"), 2, "holding only . and ..");
  EXPECT_EQ(mkdir("t_dir.d"), -1, "mkdir of an existing name fails");
  EXPECT_EQ(mkdir("t_dir.missing/x"), -1, "mkdir under a missing directory fails");
  EXPECT_EQ(ino_of("t_dir.d/."), ino_of("t_dir.d"), ". is the directory itself");
  EXPECT_EQ(ino_of("t_dir.d/.."), ino_of("/"), ".. is its parent");
  EXPECT_EQ(ino_of("/.."), ino_of("/"), "the root's .. is the root");

  EXPECT_EQ(mkdir("t_dir.d/a"), 0, "mkdir t_dir.d/a");
  // Whether a directory's own "." counts as a link differs between Unix (2)
  // and xv6 (1); each subdirectory's ".." adds one either way.
  empty_links = nlink_of("t_dir.d/a");
  EXPECT_TRUE(empty_links == 1 || empty_links == 2,
              "an empty directory has 1 or 2 links (%d)", empty_links);
  EXPECT_EQ(mkdir("/t_dir.d/a/b"), 0, "mkdir /t_dir.d/a/b (absolute)");
  EXPECT_EQ(nlink_of("t_dir.d/a"), empty_links + 1, "a subdirectory's .. adds a link");
  EXPECT_EQ(make_file("t_dir.d/a/b/f", "deep"), 0, "create a file 3 levels down");

  EXPECT_EQ(chdir("t_dir.d/a"), 0, "chdir t_dir.d/a");
  char text[16];
  EXPECT_EQ(read_file("b/f", text, sizeof(text)), 4, "a relative path from there");
  EXPECT_EQ(strcmp(text, "deep"), 0, "finds the file");
  EXPECT_EQ(read_file("../a/./b/../b/f", text, sizeof(text)), 4,
            "a path through .. and . finds it too");
  EXPECT_EQ(make_file("here", "h"), 0, "create a file in the new cwd");
  EXPECT_EQ(chdir(".."), 0, "chdir ..");
  EXPECT_EQ(read_file("a/here", text, sizeof(text)), 1, "the file was made in a/");
  EXPECT_EQ(chdir("a/b/f"), -1, "chdir to a file fails");
  EXPECT_EQ(chdir("/"), 0, "chdir /");
  EXPECT_EQ(type_of("t_dir.d/a/here"), T_FILE, "absolute and relative agree");

  // The cwd is per process: a child's chdir does not move the parent.
  int pid = fork();
  if (pid == 0)
    exit(chdir("t_dir.d/a/b") == 0 && make_file("child", "c") == 0 ? 0 : 1);
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "a child chdirs and creates a file");
  EXPECT_EQ(type_of("t_dir.d/a/b/child"), T_FILE, "in its own cwd");
  EXPECT_EQ(type_of("child"), -1, "not in the parent's");
  // A child inherits the cwd.
  chdir("t_dir.d");
  pid = fork();
  if (pid == 0)
    exit(type_of("a/b/child") == T_FILE ? 0 : 1);
  wait(&status);
  chdir("/");
  EXPECT_EQ(status, 0, "a child starts in its parent's cwd");
}

static void test_unlink_dirs(void) {
  EXPECT_EQ(unlink("t_dir.d/a/b"), -1, "unlink of a non-empty directory fails");
  EXPECT_EQ(type_of("t_dir.d/a/b/f"), T_FILE, "and leaves it whole");
  EXPECT_EQ(unlink("t_dir.d/a/b/."), -1, "unlink of . fails");
  EXPECT_EQ(unlink("t_dir.d/a/b/.."), -1, "unlink of .. fails");
  EXPECT_EQ(unlink("t_dir.d/a/b/f"), 0, "unlink the files in it");
  EXPECT_EQ(unlink("t_dir.d/a/b/child"), 0, "and the other one");
  EXPECT_EQ(count_entries("t_dir.d/a/b"), 2, "the directory is empty");
  EXPECT_EQ(nlink_of("t_dir.d/a"), empty_links + 1, "a still has the link from b's ..");
  EXPECT_EQ(unlink("t_dir.d/a/b"), 0, "an empty directory can be unlinked");
  EXPECT_EQ(type_of("t_dir.d/a/b"), -1, "it is gone");
  EXPECT_EQ(nlink_of("t_dir.d/a"), empty_links, "its parent lost the link from ..");
  EXPECT_EQ(unlink("t_dir.d/a/here"), 0, "unlink a/here");
  EXPECT_EQ(unlink("t_dir.d/a"), 0, "unlink a");
  EXPECT_EQ(unlink("t_dir.d"), 0, "unlink t_dir.d");
}

static void test_links(void) {
  EXPECT_EQ(make_file("t_dir.l1", "linked"), 0, "create t_dir.l1");
  EXPECT_EQ(nlink_of("t_dir.l1"), 1, "one link");
  EXPECT_EQ(link("t_dir.l1", "t_dir.l2"), 0, "link t_dir.l2 to it");
  EXPECT_EQ(nlink_of("t_dir.l1"), 2, "two links");
  EXPECT_EQ(ino_of("t_dir.l1"), ino_of("t_dir.l2"), "both names are the same inode");
  EXPECT_EQ(link("t_dir.l1", "t_dir.l2"), -1, "link to an existing name fails");
  EXPECT_EQ(nlink_of("t_dir.l1"), 2, "and changes no count");
  EXPECT_EQ(link("t_dir.nope", "t_dir.l3"), -1, "link of a missing file fails");
  EXPECT_EQ(link("t_dir.l1", "t_dir.nodir/l3"), -1, "link into a missing directory fails");
  EXPECT_EQ(nlink_of("t_dir.l1"), 2, "still two links after the failures");

  EXPECT_EQ(mkdir("t_dir.ld"), 0, "mkdir t_dir.ld");
  EXPECT_EQ(link("t_dir.ld", "t_dir.ld2"), -1, "a link to a directory is refused");
  EXPECT_EQ(link("t_dir.l1", "t_dir.ld/inside"), 0, "a link from inside a directory");
  EXPECT_EQ(nlink_of("t_dir.l1"), 3, "three links");

  int fd = open("t_dir.l2", O_WRONLY);
  write(fd, "LINKED", 6);
  close(fd);
  char text[16];
  read_file("t_dir.ld/inside", text, sizeof(text));
  EXPECT_EQ(strcmp(text, "LINKED"), 0, "a write through one name shows through another");

  EXPECT_EQ(unlink("t_dir.l1"), 0, "unlink the first name");
  EXPECT_EQ(nlink_of("t_dir.l2"), 2, "two links left");
  EXPECT_EQ(unlink("t_dir.l2"), 0, "unlink the second");
  EXPECT_EQ(nlink_of("t_dir.ld/inside"), 1, "one link left");
  read_file("t_dir.ld/inside", text, sizeof(text));
  EXPECT_EQ(strcmp(text, "LINKED"), 0, "the contents live on under the last name");
  EXPECT_EQ(unlink("t_dir.ld"), -1, "the directory holding it is not empty");
  EXPECT_EQ(unlink("t_dir.ld/inside"), 0, "unlink the last name");
  EXPECT_EQ(unlink("t_dir.ld"), 0, "now the directory goes");
}

// More entries than one block of a directory holds (BSIZE / 16 = 256),
// made with links so that no inodes are used up.
static void test_big_directory(void) {
  enum { N = BSIZE / sizeof(struct dirent) + 40 };
  EXPECT_EQ(mkdir("t_dir.big"), 0, "mkdir t_dir.big");
  EXPECT_EQ(make_file("t_dir.big/f", "x"), 0, "create one file");
  char name[32];
  int made = 0;
  for (int i = 0; i < N; i++) {
    test_format(name, sizeof(name), "t_dir.big/l%d", i);
    made += link("t_dir.big/f", name) == 0;
  }
  EXPECT_EQ(made, N, "%d links in one directory", N);
  EXPECT_EQ(nlink_of("t_dir.big/f"), N + 1, "the file has %d links", N + 1);
  EXPECT_EQ(count_entries("t_dir.big"), N + 3, "the directory lists them all");
  struct stat st;
  stat("t_dir.big", &st);
  EXPECT_GT((long)st.size, BSIZE, "the directory spans more than one block");
  test_format(name, sizeof(name), "t_dir.big/l%d", N - 1);
  EXPECT_EQ(type_of(name), T_FILE, "the last entry can be looked up");
  int gone = 0;
  for (int i = 0; i < N; i++) {
    test_format(name, sizeof(name), "t_dir.big/l%d", i);
    gone += unlink(name) == 0;
  }
  EXPECT_EQ(gone, N, "unlink them all");
  EXPECT_EQ(nlink_of("t_dir.big/f"), 1, "one link left");
  EXPECT_EQ(unlink("t_dir.big/f"), 0, "unlink the file");
  EXPECT_EQ(count_entries("t_dir.big"), 2, "the directory is empty again");
  EXPECT_EQ(unlink("t_dir.big"), 0, "and can be removed");
}

static void test_dir_fds(void) {
  mkdir("t_dir.o");
  int fd = open("t_dir.o", O_RDONLY);
  EXPECT_GE(fd, 0, "a directory opens read-only");
  EXPECT_EQ(write(fd, "x", 1), -1, "but cannot be written");
  struct stat st;
  EXPECT_EQ(fstat(fd, &st) == 0 ? st.type : -1, T_DIR, "fstat says T_DIR");
  close(fd);
  EXPECT_EQ(open("t_dir.o", O_RDWR), -1, "a directory cannot be opened read-write");
  EXPECT_EQ(open("t_dir.o", O_WRONLY), -1, "nor write-only");
  EXPECT_EQ(open("t_dir.o", O_CREATE | O_RDWR), -1, "nor with O_CREATE");
  EXPECT_EQ(unlink("t_dir.o"), 0, "unlink it");
  EXPECT_EQ(open("t_dir.o", O_RDONLY), -1, "it is gone");
}

int main(void) {
  test_mkdir_chdir();
  test_unlink_dirs();
  test_links();
  test_big_directory();
  test_dir_fds();
  test_done();
}
