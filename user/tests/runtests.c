// runtests: the in-guest test driver.
//
//   runtests                 every program in / whose name starts with t_,
//                            in name order
//   runtests NAME...         just these, in this order
//   runtests -after NAME     the t_ programs whose names sort after NAME (the
//                            host runner continues with this after a reboot)
//
// Each test runs in a child (fork, exec, wait). Before it the driver prints
// "# start NAME"; after it "ok N - NAME (T ticks)" if it exited 0, left no
// process running, gave back every page, thread and process slot, open
// file, inode cache entry, disk inode and disk block it used (kstat), and
// left the names in / as they were; else "not ok N - NAME (status S)",
// "not ok N - NAME (leaked ...)", "(left P processes running)" or "not ok N
// - NAME (changed the files in /)". Processes a test leaves running (clones
// or children orphaned when it exited) are killed before the counts are
// compared. Then a leak check over the whole run, a
// summary, and the machine powers off: QEMU exits 0 if everything passed, 1
// if not. The host runner (tools/runtests.py) reads these lines.
#include "user.h"
#include "weft/fs.h"

#define MAXTESTS 128
#define NAMELEN (DIRSIZ + 1)

static char names[MAXTESTS][NAMELEN];
static int ntests;

// How long to let freeing finish before a shortfall counts as a leak (in
// seconds); see settle() below.
#define SETTLE_SECONDS 2

static int hz = 100;  // timer ticks per second, from "tick=N"

static void add(const char *name) {
  if (ntests == MAXTESTS) {
    fprintf(2, "runtests: more than %d tests; %s left out\n", MAXTESTS, name);
    return;
  }
  strncpy(names[ntests], name, NAMELEN - 1);
  names[ntests][NAMELEN - 1] = '\0';
  ntests++;
}

// Every t_* program in /, sorted, keeping only names after `after` (if any).
static int scan_root(const char *after) {
  int fd = open("/", O_RDONLY);
  if (fd < 0) {
    fprintf(2, "runtests: cannot open /\n");
    return -1;
  }
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    char name[NAMELEN];
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = '\0';
    if (strncmp(name, "t_", 2) != 0)
      continue;
    if (after && strcmp(name, after) <= 0)
      continue;
    add(name);
  }
  close(fd);
  // Insertion sort: a few dozen names.
  for (int i = 1; i < ntests; i++) {
    char tmp[NAMELEN];
    memmove(tmp, names[i], NAMELEN);
    int j = i;
    for (; j > 0 && strcmp(names[j - 1], tmp) > 0; j--)
      memmove(names[j], names[j - 1], NAMELEN);
    memmove(names[j], tmp, NAMELEN);
  }
  return 0;
}

// The names in / before a test, to find what a test left behind (or
// removed): tests run one after another in the same file system, so a stray
// file can make a later test fail.
#define MAXNAMES 256
static char root_before[MAXNAMES][NAMELEN];
static int nroot_before;

// Reads the names in / into names[]; returns the count, -1 on error.
static int list_root(char names[][NAMELEN], int max) {
  int fd = open("/", O_RDONLY);
  if (fd < 0)
    return -1;
  struct dirent de;
  int n = 0;
  while (n < max && read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    memmove(names[n], de.name, DIRSIZ);
    names[n][DIRSIZ] = '\0';
    n++;
  }
  close(fd);
  return n;
}

static int find_name(char names[][NAMELEN], int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return 1;
  return 0;
}

// Removes path and, if it is a directory, everything under it. Depth is
// bounded by the path length.
static void remove_tree(char *path, int len) {
  struct stat st;
  if (stat(path, &st) < 0)
    return;
  if (st.type == T_DIR) {
    int fd = open(path, O_RDONLY);
    struct dirent de;
    while (fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de)) {
      if (de.inum == 0 || (de.name[0] == '.' && (de.name[1] == 0 ||
                                                 (de.name[1] == '.' && de.name[2] == 0))))
        continue;
      if (len + 1 + DIRSIZ + 1 > 128)
        break;
      path[len] = '/';
      memmove(path + len + 1, de.name, DIRSIZ);
      path[len + 1 + DIRSIZ] = 0;
      remove_tree(path, len + 1 + (int)strlen(path + len + 1));
      path[len] = 0;
    }
    if (fd >= 0)
      close(fd);
  }
  unlink(path);
}

// Removes what a failed test left in / (it may have stopped before its own
// clean-up), so that the disk counts compare like with like; a disk inode
// or block still missing after that is a real leak.
static void remove_leftovers(void) {
  static char now[MAXNAMES][NAMELEN];
  int n = list_root(now, MAXNAMES);
  for (int i = 0; i < n; i++) {
    if (find_name(root_before, nroot_before, now[i]))
      continue;
    char path[128] = "/";
    strcpy(path + 1, now[i]);
    remove_tree(path, (int)strlen(path));
  }
}

// Compares / with root_before; prints what changed. Returns the number of
// names added or removed.
static int root_changes(const char *test) {
  static char now[MAXNAMES][NAMELEN];
  int n = list_root(now, MAXNAMES);
  int changes = 0;
  for (int i = 0; i < n; i++) {
    if (!find_name(root_before, nroot_before, now[i])) {
      printf("# %s left /%s behind\n", test, now[i]);
      changes++;
    }
  }
  for (int i = 0; i < nroot_before; i++) {
    if (!find_name(now, n, root_before[i])) {
      printf("# %s removed /%s\n", test, root_before[i]);
      changes++;
    }
  }
  return changes;
}

// Freeing what a process held can finish shortly after wait() returns: a
// thread's kernel stack goes once its hart has switched away, and orphans
// are reaped by init in its own time. So a shortfall is counted as a leak
// only if it is still there after a while.
static int same_counts(const struct kstat *a, const struct kstat *b) {
  return a->free_pages >= b->free_pages && a->free_threads >= b->free_threads &&
         a->free_procs >= b->free_procs && a->open_files <= b->open_files &&
         a->cached_inodes <= b->cached_inodes && a->free_inodes >= b->free_inodes &&
         a->free_blocks >= b->free_blocks && a->promised_pages <= b->promised_pages;
}

static void settle(const struct kstat *before, struct kstat *now) {
  kstat(now);
  for (int i = 0; i < SETTLE_SECONDS * hz && !same_counts(now, before); i++) {
    sleep(1);
    kstat(now);
  }
}

// What is missing, as "leaked 3 pages, 1 open files"; empty if nothing.
static void describe_leak(const struct kstat *b, const struct kstat *a, char *out, int cap) {
  struct {
    const char *what;
    int lost;
  } items[] = {
      {"pages", b->free_pages - a->free_pages},
      {"thread slots", b->free_threads - a->free_threads},
      {"process slots", b->free_procs - a->free_procs},
      {"open files", a->open_files - b->open_files},
      {"cached inodes", a->cached_inodes - b->cached_inodes},
      {"disk inodes", b->free_inodes - a->free_inodes},
      {"disk blocks", b->free_blocks - a->free_blocks},
      {"promised pages", a->promised_pages - b->promised_pages},
  };
  int len = 0;
  out[0] = 0;
  for (unsigned i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
    if (items[i].lost <= 0 || len > cap - 40)
      continue;
    char num[16];
    int v = items[i].lost, k = 0;
    char rev[16];
    do {
      rev[k++] = (char)('0' + v % 10);
      v /= 10;
    } while (v);
    int m = 0;
    while (k)
      num[m++] = rev[--k];
    num[m] = 0;
    const char *parts[] = {len ? ", " : "leaked ", num, " ", items[i].what};
    for (int j = 0; j < 4; j++) {
      strcpy(out + len, parts[j]);
      len += (int)strlen(parts[j]);
    }
  }
}

#define MAXPI 400
static struct procinfo pi[MAXPI];

// Kills every process left running that was not there before the test
// (orphans are adopted by init, pid 1), waits until init has reaped them,
// and returns how many there were.
static int kill_leftovers(const int *before, int nbefore) {
  int killed = 0;
  for (int round = 0; round < 5 * hz; round++) {
    int n = procinfo(pi, MAXPI);
    int left = 0;
    for (int i = 0; i < n; i++) {
      if (pi[i].ppid != 1 || pi[i].tid != pi[i].pid)
        continue;
      int old = 0;
      for (int j = 0; j < nbefore; j++)
        old |= before[j] == pi[i].pid;
      if (old)
        continue;
      left++;
      if (round == 0)
        killed++;
      kill(pi[i].pid);
    }
    if (!left)
      break;
    sleep(1);
  }
  return killed;
}

// Runs one test; returns 1 if it passed.
static int run_one(int n, const char *name) {
  printf("# start %s\n", name);
  nroot_before = list_root(root_before, MAXNAMES);
  static int procs_before[MAXPI];
  int nprocs = 0;
  int m = procinfo(pi, MAXPI);
  for (int i = 0; i < m; i++)
    procs_before[nprocs++] = pi[i].pid;
  struct kstat before, after;
  kstat(&before);
  int t0 = uptime();
  int pid = fork();
  if (pid < 0) {
    printf("not ok %d - %s (fork failed)\n", n, name);
    return 0;
  }
  if (pid == 0) {
    char *argv[] = {(char *)name, NULL};
    exec(name, argv);
    fprintf(2, "runtests: cannot exec %s\n", name);
    exit(127);
  }
  int status = -12345;
  int w = wait(&status);
  int ticks = uptime() - t0;
  if (w != pid) {
    printf("not ok %d - %s (wait returned %d)\n", n, name, w);
    return 0;
  }
  int leftovers = kill_leftovers(procs_before, nprocs);
  if (status != 0) {
    root_changes(name);
    remove_leftovers();
  }
  settle(&before, &after);
  char leak[160];
  describe_leak(&before, &after, leak, sizeof(leak));
  if (status != 0) {
    printf("not ok %d - %s (status %d%s%s)\n", n, name, status, leak[0] ? "; " : "", leak);
    return 0;
  }
  if (leak[0]) {
    printf("not ok %d - %s (%s)\n", n, name, leak);
    return 0;
  }
  if (leftovers) {
    printf("not ok %d - %s (left %d processes running)\n", n, name, leftovers);
    return 0;
  }
  if (root_changes(name)) {
    printf("not ok %d - %s (changed the files in /)\n", n, name);
    return 0;
  }
  printf("ok %d - %s (%d ticks)\n", n, name, ticks);
  return 1;
}

int main(int argc, char **argv) {
  const char *after = NULL;
  if (argc == 3 && strcmp(argv[1], "-after") == 0) {
    after = argv[2];
  } else {
    for (int i = 1; i < argc; i++)
      add(argv[i]);
  }
  if (argc == 1 || after) {
    if (scan_root(after) < 0)
      halt(1);
  }

  char args[128];
  int len = bootargs(args, sizeof(args));
  for (int i = 0; len > 0 && i < len; i++) {
    if ((i == 0 || args[i - 1] == ' ') && strncmp(args + i, "tick=", 5) == 0 &&
        atoi(args + i + 5) > 0)
      hz = atoi(args + i + 5);
  }
  printf("# runtests: %d tests, %d free pages, boot args \"%s\"\n", ntests,
         freepages(), len >= 0 ? args : "?");

  struct kstat start;
  kstat(&start);
  int passed = 0, failed = 0, n = 0;
  for (int i = 0; i < ntests; i++) {
    if (run_one(++n, names[i]))
      passed++;
    else
      failed++;
  }

  struct kstat end;
  settle(&start, &end);
  char leak[160];
  describe_leak(&start, &end, leak, sizeof(leak));
  n++;
  if (!leak[0]) {
    printf("ok %d - leak check (%d free pages before, %d after)\n", n,
           start.free_pages, end.free_pages);
    passed++;
  } else {
    printf("not ok %d - leak check (%s)\n", n, leak);
    failed++;
  }
  printf("1..%d\n", n);
  printf("# runtests: %d passed, %d failed\n", passed, failed);
  halt(failed ? 1 : 0);
  return 0;
}
