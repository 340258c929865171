// t_dotdot: ".." (and ".") of a directory that has been removed.
//
// Regression test for a kernel panic. A process may sit in a directory that
// is unlinked under it (its cwd keeps the inode alive, with no links). The
// directory's ".." entry still names the parent's inode number, but once
// the parent is removed too that inode is free on disk (or already reused
// for something else): chdir("..") read it and the kernel panicked with
// "ilock: inode N is free". The fixed kernel treats a removed directory as
// empty: every lookup in it fails, "." and ".." included, and nothing can
// be created in it. Absolute paths and chdir("/") still work.
//
// Cases, each in a child process (reporting by exit code) so that a wrong
// answer is a failed check rather than the end of the test (a panic still
// ends the run, so the cases that panicked come last):
// - ordinary directories first (these passed on the unfixed kernel): ".."
//   of a live directory, "../.." walks, unlink of a non-empty directory, of
//   "." and of "..", unlink of an empty directory that is some process's
//   cwd;
// - in a removed cwd whose parent is also removed: chdir(".."),
//   open(".."), open("../x", O_CREATE), open("."), chdir("."), mkdir,
//   create: all -1; chdir("/") then works;
// - in a removed cwd whose parent still exists: "..", "." fail the same way;
// - a race: threads of two processes build and remove nested directories
//   (going into them) while other threads walk "..", "../.." and absolute
//   paths through them. Every call returns 0 or -1 (open: an fd or -1), the
//   kernel neither panics nor hangs, and afterwards the directories can all
//   be removed and exactly as many inodes are free as before.
//
// On the unfixed kernel "d" and "f" fail (open(".") and open("..") return
// fds, chdir("..") and chdir(".") succeed) and "a", "b", "c" and "e" each
// panic on their own.
//
// Each directory lives under /t_dotdot.PID. `t_dotdot CASE...` runs only the
// named cases (see main) and is meant for debugging one of them.
// timeout: 60
#include "t_thr_util.h"
#include "weft/fs.h"

static char top[32];  // /t_dotdot.PID

static char *path(char *buf, const char *rel) {
  test_format(buf, 64, "%s/%s", top, rel);
  return buf;
}

static unsigned ino_of(const char *p) {
  struct stat st;
  if (stat(p, &st) < 0)
    return 0;
  return st.ino;
}

// Runs fn in a child; returns its exit status.
static int in_child(int (*fn)(void)) {
  int pid = fork();
  if (pid == 0)
    exit(fn());
  if (pid < 0)
    return TEST_NOFORK;
  return test_wait_pid(pid);
}

// --- Ordinary directories.
static int live_dotdot(void) {
  char a[64], b[64], c[64];
  path(a, "l");
  path(b, "l/m");
  path(c, "l/m/n");
  if (mkdir(a) || mkdir(b) || mkdir(c))
    return 1;
  unsigned ia = ino_of(a), ib = ino_of(b), itop = ino_of(top);
  if (chdir(c) != 0)
    return 2;
  if (chdir("..") != 0 || ino_of(".") != ib)
    return 3;  // now in l/m
  if (ino_of("..") != ia || ino_of("../..") != itop || ino_of("../m/n/..") != ib)
    return 4;
  int fd = open("..", O_RDONLY);
  if (fd < 0)
    return 5;
  close(fd);
  if (chdir("../..") != 0 || ino_of(".") != itop)
    return 6;
  if (unlink("l") != -1 || unlink("l/m") != -1)
    return 7;  // not empty
  if (unlink("l/m/n/.") != -1 || unlink("l/m/n/..") != -1 || unlink("l/.") != -1)
    return 8;
  if (ino_of("l/m/n") == 0)
    return 9;  // still there after the refused unlinks
  if (chdir("l/m/n") != 0)
    return 10;
  // An empty directory that is our cwd can be removed; we stay in it.
  if (unlink("../n") != 0)
    return 11;
  if (chdir("/") != 0 || unlink(b) != 0 || unlink(a) != 0)
    return 12;
  if (ino_of(a) != 0)
    return 13;
  return 0;
}

// --- A removed cwd. `parent_too`: its parent is removed as well.
// Builds top/NAME/b, goes into b, removes b (and NAME).
static int enter_removed(const char *name, int parent_too) {
  char a[64], b[64];
  path(a, name);
  test_format(b, sizeof(b), "%s/b", a);
  if (mkdir(a) != 0 || mkdir(b) != 0)
    return 50;
  if (chdir(b) != 0)
    return 51;
  if (unlink(b) != 0)
    return 52;
  if (parent_too && unlink(a) != 0)
    return 53;
  return 0;
}

// Leaves the removed directory; the process's exit then frees it.
static int leave(const char *name, int parent_too) {
  char a[64];
  if (chdir("/") != 0)
    return 60;
  if (!parent_too && unlink(path(a, name)) != 0)
    return 61;
  return 0;
}

// A case that finds a wrong answer says what it was (a "#" line) and
// still leaves and cleans up; its exit code is the first wrong answer's.
static int first_bad;
static void bad(int code, const char *what, int got) {
  test_note("  wrong: %s returned %d", what, got);
  if (!first_bad)
    first_bad = code;
}
static void expect_fail(int code, const char *what, int got) {
  if (got >= 0) {
    bad(code, what, got);
    if (got > 2)
      close(got);  // an fd
  }
}

static int finish(const char *name, int parent_too) {
  int r = leave(name, parent_too);
  return first_bad ? first_bad : r;
}

static int case_a(void) {
  int r = enter_removed("a", 1);
  if (r)
    return r;
  expect_fail(1, "chdir(\"..\")", chdir(".."));
  return finish("a", 1);
}

static int case_b(void) {
  int r = enter_removed("b", 1);
  if (r)
    return r;
  expect_fail(1, "open(\"..\")", open("..", O_RDONLY));
  return finish("b", 1);
}

static int case_c(void) {
  int r = enter_removed("c", 1);
  if (r)
    return r;
  expect_fail(1, "open(\"../x\", O_CREATE|O_RDWR)", open("../x", O_CREATE | O_RDWR));
  expect_fail(2, "mkdir(\"../y\")", mkdir("../y"));
  return finish("c", 1);
}

// "." in a removed directory: the fixed kernel finds nothing in a removed
// directory, not even ".", so open(".") and chdir(".") fail; creating in it
// failed already (dirlink refuses a directory with no links).
static int case_d(void) {
  int r = enter_removed("d", 1);
  if (r)
    return r;
  expect_fail(1, "open(\"x\", O_CREATE|O_RDWR)", open("x", O_CREATE | O_RDWR));
  expect_fail(2, "mkdir(\"y\")", mkdir("y"));
  expect_fail(3, "open(\"x\")", open("x", O_RDONLY));
  expect_fail(4, "open(\".\")", open(".", O_RDONLY));
  expect_fail(5, "chdir(\".\")", chdir("."));
  return finish("d", 1);
}

// The parent is still there, but the removed directory's ".." must not
// lead to it either: lookups in a removed directory fail, whatever they
// name.
static int case_f(void) {
  int r = enter_removed("f", 0);
  if (r)
    return r;
  expect_fail(1, "open(\"..\")", open("..", O_RDONLY));
  expect_fail(2, "open(\".\")", open(".", O_RDONLY));
  expect_fail(3, "chdir(\"..\")", chdir(".."));
  return finish("f", 0);
}

// --- The race.
#define RW 2         // worker processes
#define RITER 120    // build/remove rounds of each builder thread
#define WALKERS 2    // walker threads per worker process
static char *stacks;
static int stop, done_words[1 + WALKERS], odd;

static void note_ret(int r) {
  if (r != 0 && r != -1)
    ADD(&odd, 1);
}
static void note_fd(int fd) {
  if (fd >= 0)
    close(fd);
  else if (fd != -1)
    ADD(&odd, 1);
}

// Both processes use the same names, so that one process's removal races
// the other's walk (and mkdir/unlink race each other: 0 or -1 is fine).
static void builder(void *arg) {
  long w = (long)arg;
  char x[64], y[64], z[64];
  path(x, "r/x");
  path(y, "r/x/y");
  path(z, "r/x/y/z");
  for (int i = 0; i < RITER; i++) {
    note_ret(mkdir(x));
    note_ret(mkdir(y));
    note_ret(mkdir(z));
    note_ret(chdir(i % 2 ? z : y));
    // Remove from inside, deepest first, then look around.
    note_ret(unlink(z));
    note_ret(unlink(y));
    note_ret(unlink(x));
    note_ret(chdir(".."));
    note_ret(chdir("../.."));
    note_fd(open("..", O_RDONLY));
    note_fd(open(".", O_RDONLY));
    if ((i + w) % 3 == 0)
      yield(-1);
  }
  STORE(&stop, 1);
  texit(&done_words[0], 1);
}

static void walker(void *arg) {
  long k = (long)arg;
  char abs1[64], abs2[64], y[64];
  path(abs1, "r/x/y/z/..");
  path(abs2, "r/x/y/z/../../..");
  path(y, "r/x/y");
  struct stat st;
  for (int i = 0; !LOAD(&stop); i++) {
    note_fd(open("..", O_RDONLY));
    note_fd(open("../..", O_RDONLY));
    note_ret(stat("../z", &st));
    note_fd(open(abs1, O_RDONLY));
    note_fd(open(abs2, O_RDONLY));
    note_ret(chdir(i % 2 ? ".." : "../.."));
    if (i % 4 == (int)k)
      note_ret(chdir(y));
  }
  texit(&done_words[1 + k], 1);
}

static int race_worker(void) {
  long w = getpid() & 1;
  char r[64];
  if (chdir(path(r, "r")) != 0)
    return 100;
  if (thr_spawn(stacks, builder, (void *)w) < 0)
    return 101;
  for (long k = 0; k < WALKERS; k++)
    if (thr_spawn(stacks + (1 + k) * PGSIZE, walker, (void *)k) < 0)
      return 102;
  for (int i = 0; i <= WALKERS; i++)
    thr_wait_change(&done_words[i], 0);
  return LOAD(&odd) ? 103 : 0;
}

// How many more inodes can be had (creates empty files until that fails,
// then removes them): the same count before and after means none leaked.
static int free_inodes(void) {
  char name[64], rel[16];
  int n = 0;
  for (; n <= NINODES; n++) {
    test_format(rel, sizeof(rel), "i%d", n);
    int fd = open(path(name, rel), O_CREATE | O_RDWR);
    if (fd < 0)
      break;
    close(fd);
  }
  for (int i = 0; i < n; i++) {
    test_format(rel, sizeof(rel), "i%d", i);
    unlink(path(name, rel));
  }
  return n;
}

static int case_e(void) {
  char r[64], p[64];
  int inodes0 = free_inodes();
  if (mkdir(path(r, "r")) != 0)
    return 1;
  unsigned long t0 = rdtime();
  int pids[RW], bad = 0;
  for (int i = 0; i < RW; i++) {
    pids[i] = fork();
    if (pids[i] == 0)
      exit(race_worker());
  }
  for (int i = 0; i < RW; i++) {
    int st = -1;
    if (pids[i] < 0 || wait(&st) < 0 || st != 0)
      bad++;
  }
  test_note("race: %d processes x %d rounds in %lu ms", RW, RITER,
            thr_ms_since(t0));
  // What the builders left (a round that lost a race leaves some), deepest
  // first; then the race's directory must be empty and removable.
  unlink(path(p, "r/x/y/z"));
  unlink(path(p, "r/x/y"));
  unlink(path(p, "r/x"));
  if (unlink(r) != 0)
    return 2;
  if (bad)
    return 3;
  int inodes1 = free_inodes();
  if (inodes1 != inodes0) {
    test_note("free inodes: %d before, %d after", inodes0, inodes1);
    return 4;
  }
  return 0;
}

struct tcase {
  const char *name;
  int (*fn)(void);
  const char *what;
};

// Order: what passes on every kernel first, then the cases that failed
// without panicking, then those that made the unfixed kernel panic.
static const struct tcase cases[] = {
    {"live", live_dotdot, "\"..\" of live directories, unlink of non-empty, \".\", \"..\" refused"},
    {"d", case_d, "removed cwd: create, mkdir, open(\".\"), chdir(\".\") all -1"},
    {"f", case_f, "removed cwd, live parent: open(\"..\"), open(\".\"), chdir(\"..\") -1"},
    {"a", case_a, "removed cwd and parent: chdir(\"..\") is -1"},
    {"b", case_b, "removed cwd and parent: open(\"..\") is -1"},
    {"c", case_c, "removed cwd and parent: create \"../x\", mkdir \"../y\" -1"},
    {"e", case_e, "race of removal and \"..\" walks: no panic, calls 0/-1, nothing leaked"},
};

int main(int argc, char **argv) {
  test_format(top, sizeof(top), "/t_dotdot.%d", getpid());
  ASSERT_EQ(mkdir(top), 0, "mkdir %s", top);
  stacks = thr_pages(1 + WALKERS);
  ASSERT_TRUE(stacks != 0, "stack pages");
  int n = sizeof(cases) / sizeof(cases[0]);
  for (int i = 0; i < n; i++) {
    int wanted = argc < 2;
    for (int j = 1; j < argc; j++)
      if (strcmp(argv[j], cases[i].name) == 0)
        wanted = 1;
    if (!wanted)
      continue;
    int st = in_child(cases[i].fn);
    EXPECT_EQ(st, 0, "%s: %s", cases[i].name, cases[i].what);
  }
  EXPECT_EQ(unlink(top), 0, "%s is empty at the end and removed", top);
  test_done();
}
