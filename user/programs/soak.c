// soak: a continuous-hours-of-operation mix. Keeps every hart busy with
// all that weft does at once, in rounds, and checks after every round that
// the kernel got each resource back.
//
//   soak MINUTES     run for that many minutes
//   soak -s SECONDS  a short run, for quick checks
//   options: -r SECONDS  length of a round's mix (default 30)
//            -x N        an exhaustion phase every N rounds (default 3, 0 none)
//            -v          name each step of the exhaustion phase
//
// A round runs these workers at once, each a process in a private directory
// /soak.d/NAME, until the round's time is up (each finishes the iteration it
// is in):
//   fs1, fs2  files of random sizes written and read back in random pieces,
//             links, listings, nested mkdir/rmdir
//   race      three processes create, link, unlink, mkdir and rmdir the same
//             few names (anything may fail; nothing may leak)
//   sh        sh running a script (pipelines, subshells, redirections, '>>',
//             a background job) and reading commands from a pipe
//   exec      fork/exec storms (echo, wc, a missing program, a non-ELF), exit
//             statuses, a fork chain
//   kill      kill, exit and exec of processes whose threads are blocked in
//             every way or busy at a random moment; faults in threads
//   pthr      pthreads: bounded buffer (mutex, condition variables), a
//             semaphore ring, a pipe shared by threads, desch/mkrun, a
//             barrier, fork and wait from several threads, detached threads
//   clone     clones (thread_create): lock_t, ticket lock, cond_t and
//             semaphores between clones; clones that fork and exec
//   sbrk      pthreads growing, checking and shrinking the heap together; one
//             thread wiggling the break while the others move pipe data and
//             have the kernel copy into the pages that come and go
// Every few rounds an exhaustion phase follows, alone, and each resource is
// driven to its end, the count checked, and released: pages (three processes
// sbrk until it fails; then three others fork, exec, make threads and grow
// their heaps while the first give back and take again), processes, threads
// (tspawn, pthread_create, thread_create), the inode cache and the open-file
// table (then files are used while they are nearly full), disk inodes, disk
// blocks (then files are written while the disk is nearly full).
//
// Each workload checks its results (data read back, counts, exit statuses).
// A mismatch prints "soak: FAIL NAME ..." and ends the worker with status -2;
// any negative worker status (a fault, a kill) fails the round. After a round
// every child is reaped and kstat must show free pages, thread and process
// slots, open files, cached inodes, free disk inodes and free disk blocks as
// they were at the start (after a settle wait: an ended thread's slot and
// stack come back when its hart switches away, orphans are reaped by init).
// One line per round; at the end "soak: N rounds, M minutes: PASS" (exit 0)
// or "...: FAIL: what" (exit 1). A failing round ends the run.
#include "pthread.h"
#include "semaphore.h"
#include "user.h"
#include "weft/fs.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define FAILED (-2)  // exit status of a worker that found a mismatch

static const char *who = "soak";  // the worker this process runs
static unsigned seed;             // its random state, shown in a FAIL
static unsigned long until;       // rdtime() at which the mix stops
static int hz = 100;

// ---------------------------------------------------------------------------
// Small tools. The library prints only to descriptors, so messages and
// expected file contents are formatted here (%d %u %x %s, 'l' for long).

static int vfmt(char *out, int cap, const char *f, va_list ap) {
  int n = 0;
  for (; *f && n < cap - 1; f++) {
    if (*f != '%') {
      out[n++] = *f;
      continue;
    }
    int l = f[1] == 'l';
    f += 1 + l;
    char tmp[24], *s = tmp + sizeof(tmp);
    *--s = 0;
    if (*f == 's') {
      s = va_arg(ap, char *);
    } else {
      long v = l ? va_arg(ap, long) : *f == 'd' ? va_arg(ap, int) : (long)va_arg(ap, unsigned);
      unsigned long u = v < 0 && *f == 'd' ? -(unsigned long)v : (unsigned long)v;
      unsigned base = *f == 'x' ? 16 : 10;
      do *--s = "0123456789abcdef"[u % base]; while (u /= base);
      if (v < 0 && *f == 'd')
        *--s = '-';
    }
    while (*s && n < cap - 1)
      out[n++] = *s++;
  }
  out[n] = 0;
  return n;
}

static char *fmt(char *out, int cap, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  vfmt(out, cap, f, ap);
  va_end(ap);
  return out;
}

// Reports a mismatch in one write (the console keeps it whole) and ends this
// worker's process, every thread of it.
#define FAIL(...) fail_(__LINE__, __VA_ARGS__)
#define CHECK(c, ...) ((c) ? (void)0 : FAIL(__VA_ARGS__))
static void __attribute__((noreturn)) fail_(int line, const char *f, ...) {
  char msg[240];
  int n = strlen(fmt(msg, 80, "soak: FAIL %s (soak.c:%d, seed %u): ", who, line, seed));
  va_list ap;
  va_start(ap, f);
  n += vfmt(msg + n, sizeof(msg) - n - 1, f, ap);
  va_end(ap);
  msg[n++] = '\n';
  write(1, msg, n);
  exit(FAILED);
}

// xorshift32; each thread that needs randomness keeps its own state.
static unsigned rnd_r(unsigned *s, unsigned n) {
  unsigned x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x % n;
}
static unsigned rnd(unsigned n) { return rnd_r(&seed, n); }

// Test data: the byte at position pos of stream `key` depends on nothing
// else, so a reader can check whatever pieces it gets.
static char pat(unsigned key, unsigned pos) {
  unsigned x = key * 2654435761u + (pos >> 2) * 40503u + 1;
  x ^= x >> 15;
  x *= 0x2c1b3c6du;
  x ^= x >> 12;
  return (char)(x >> ((pos & 3) * 8));
}

static int more(void) { return rdtime() < until; }

static void put_file(const char *path, const char *text) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  CHECK(fd >= 0, "create %s", path);
  int n = strlen(text);
  CHECK(write(fd, text, n) == n, "write %s", path);
  close(fd);
}

// Reads fd to its end (at most cap - 1 bytes) and closes it; NUL-terminated.
static int read_all(int fd, char *buf, int cap) {
  int n = 0, r;
  while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
    n += r;
  close(fd);
  buf[n] = 0;
  return n;
}

// The whole file, NUL-terminated; -1 if it cannot be opened.
static int get_file(const char *path, char *buf, int cap) {
  int fd = open(path, O_RDONLY);
  return fd < 0 ? -1 : read_all(fd, buf, cap);
}

static void expect_file(const char *path, const char *want) {
  char got[256];
  CHECK(get_file(path, got, sizeof(got)) >= 0, "open %s", path);
  CHECK(strcmp(got, want) == 0, "%s holds \"%s\", want \"%s\"", path, got, want);
}

// Makes fd known as target (0 or 1), as sh does: dup returns the lowest free
// descriptor, which is target once it is closed.
static void move_fd(int fd, int target) {
  if (fd < 0 || fd == target)
    return;
  close(target);
  if (dup(fd) != target)
    exit(126);
  close(fd);
}

// Starts argv in a child with stdin from `in` and stdout to `out` (if >= 0).
static int start(char **argv, int in, int out) {
  int pid = fork();
  CHECK(pid >= 0, "fork for %s", argv[0]);
  if (pid == 0) {
    move_fd(in, 0);
    move_fd(out, 1);
    for (int fd = 3; fd < NOFILE; fd++)  // no stray pipe ends: EOF must come
      close(fd);
    exec(argv[0], argv);
    exit(127);
  }
  return pid;
}

// Waits for the n children in pids and stores their statuses in the same
// order (wait returns them in any order).
static void reap(const int *pids, int *status, int n) {
  for (int left = n; left > 0; left--) {
    int st, pid = wait(&st), i = 0;
    while (i < n && pids[i] != pid)
      i++;
    CHECK(i < n, "wait returned %d, not one of my %d children", pid, n);
    status[i] = st;
  }
}

static int reap1(int pid) {
  int st;
  reap(&pid, &st, 1);
  return st;
}

// ---------------------------------------------------------------------------
// fs: file-system churn in the worker's directory.

#define MAXF 8
static char iobuf[8192];

// Writes `size` bytes of stream `key` to fd in random pieces; returns how
// many were written (fewer if a write fell short: a full disk).
static unsigned write_pat(int fd, unsigned key, unsigned size) {
  unsigned pos = 0;
  while (pos < size) {
    int n = 1 + rnd(sizeof(iobuf)), w;
    n = n < (int)(size - pos) ? n : (int)(size - pos);
    for (int k = 0; k < n; k++)
      iobuf[k] = pat(key, pos + k);
    CHECK((w = write(fd, iobuf, n)) >= -1 && w <= n, "write of %d: %d", n, w);
    pos += w > 0 ? w : 0;
    if (w < n)
      break;  // the disk is full
  }
  return pos;
}

// Checks that `name` holds exactly `size` bytes of stream `key` (read in
// random pieces) and has `nlink` names.
static void check_pat(const char *name, unsigned key, unsigned size, int nlink) {
  struct stat st;
  int fd = open(name, O_RDONLY);
  CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.size == size && st.nlink == nlink,
        "%s: size %d, %d links, want %u %d", name, (int)st.size, st.nlink, size, nlink);
  unsigned pos = 0;
  for (int n; (n = read(fd, iobuf, 1 + rnd(sizeof(iobuf)))) > 0; pos += n)
    for (int k = 0; k < n; k++)
      CHECK(iobuf[k] == pat(key, pos + k), "%s: byte %u differs", name, pos + k);
  CHECK(pos == size, "%s: read %u bytes of %u", name, pos, size);
  close(fd);
}

static int w_fs(void) {
  int ops = 0;
  do {
    CHECK(mkdir("d") == 0 && mkdir("d/s") == 0 && mkdir("d/s/t") == 0, "mkdir d/s/t");
    int nf = 1 + rnd(MAXF);
    unsigned size[MAXF], key[MAXF];
    char name[24], other[24];
    for (int i = 0; i < nf; i++) {
      // Mostly small files, some past the direct blocks (48 KiB).
      size[i] = rnd(4) ? rnd(20000) : 40000 + rnd(160000);
      key[i] = seed;
      int fd = open(fmt(name, 24, "d/f%d", i), O_CREATE | O_RDWR);
      CHECK(fd >= 0 && write_pat(fd, key[i], size[i]) == size[i], "write %s", name);
      close(fd);
      ops++;
    }
    // Every other file gets a second name and loses its first.
    for (int i = 1; i < nf; i += 2) {
      fmt(name, 24, "d/f%d", i);
      CHECK(link(name, fmt(other, 24, "d/s/t/g%d", i)) == 0, "link %s", name);
      CHECK(unlink(name) == 0, "unlink %s", name);
    }
    for (int i = 0; i < nf; i++) {
      check_pat(fmt(name, 24, i % 2 ? "d/s/t/g%d" : "d/f%d", i), key[i], size[i], 1);
      ops++;
    }
    // The listing of d shows exactly the files still named there.
    int fd = open("d", O_RDONLY), seen = 0;
    struct dirent de;
    while (read(fd, &de, sizeof(de)) == sizeof(de))
      seen += de.inum != 0;
    close(fd);
    CHECK(seen == 3 + (nf + 1) / 2, "d lists %d entries, want %d", seen, 3 + (nf + 1) / 2);
    CHECK(unlink("d/s") == -1, "unlink of a non-empty directory works");
    for (int i = 0; i < nf; i++)
      CHECK(unlink(fmt(name, 24, i % 2 ? "d/s/t/g%d" : "d/f%d", i)) == 0, "unlink %s", name);
    CHECK(unlink("d/s/t") == 0 && unlink("d/s") == 0 && unlink("d") == 0, "rmdir d/s/t");
    ops++;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// race: three processes do random things to the same few names in one
// directory: create, write, read, link, unlink, mkdir, rmdir, create in a
// directory that may be going away, work in one as the current directory.
// Any call may fail; none may crash, and once everything is removed no
// inode or block may be missing (the round's kstat check).

static void racer(const char *home) {
  char a[8], b[8], d[8], f[16];
  struct stat st;
  int ops = 0;
  for (; more(); ops++) {
    int fd, n;
    fmt(a, 8, "n%d", rnd(6));
    fmt(b, 8, "n%d", rnd(6));
    fmt(d, 8, "d%d", rnd(3));
    fmt(f, 16, "%s/f%d", d, rnd(2));
    switch (rnd(9)) {
    case 0:
      if ((fd = open(a, O_CREATE | O_RDWR | (rnd(2) ? O_TRUNC : 0))) >= 0) {
        write_pat(fd, 1, rnd(9000));
        close(fd);
      }
      break;
    case 1:
      if ((fd = open(a, O_RDONLY)) >= 0) {
        CHECK(fstat(fd, &st) == 0 && (st.type == T_FILE || st.type == T_DIR), "fstat %s", a);
        while ((n = read(fd, iobuf, sizeof(iobuf))) > 0)
          ;
        CHECK(n == 0 || st.type == T_DIR, "read %s: %d", a, n);
        close(fd);
      }
      break;
    case 2: link(a, b); break;
    case 3: unlink(a); break;
    case 4: mkdir(d); break;
    case 5: unlink(d); break;
    case 6:
      if ((fd = open(f, O_CREATE | O_RDWR)) >= 0)
        close(fd);
      break;
    case 7: unlink(f); break;
    case 8:  // ".." of a removed directory is gone: come back by the full path
      if (chdir(d) == 0) {
        if ((fd = open("g", O_CREATE | O_RDWR)) >= 0)
          close(fd);
        unlink("g");
        CHECK(chdir(home) == 0, "chdir %s", home);
      }
    }
  }
  exit(ops);
}

static int w_race(void) {
  int ops = 0, pids[3], st[3];
  char name[16], home[32];
  fmt(home, 32, "/soak.d/%s", who);
  do {
    for (int i = 0; i < 3; i++) {
      if ((pids[i] = fork()) == 0) {
        seed = seed * 31 + i + 1;
        racer(home);
      }
      CHECK(pids[i] > 0, "fork");
    }
    reap(pids, st, 3);
    CHECK(st[0] >= 0 && st[1] >= 0 && st[2] >= 0, "racers: statuses %d %d %d", st[0], st[1], st[2]);
    for (int i = 0; i < 6; i++)
      unlink(fmt(name, 16, "n%d", i));
    for (int i = 0; i < 3; i++) {
      unlink(fmt(name, 16, "d%d/f0", i));
      unlink(fmt(name, 16, "d%d/f1", i));
      unlink(fmt(name, 16, "d%d/g", i));
      unlink(fmt(name, 16, "d%d", i));
    }
    ops += st[0] + st[1] + st[2];
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// sh: scripts and pipes through the shell.

// Counts as wc does: lines, words, bytes.
static void count(const char *s, int *l, int *w, int *b) {
  *l = *w = *b = 0;
  for (int inword = 0; s[*b]; (*b)++) {
    char c = s[*b];
    *l += c == '\n';
    int space = c == ' ' || c == '\n';
    *w += !space && !inword;
    inword = !space;
  }
}

static char text[2048], xtext[2048];

static int w_sh(void) {
  int ops = 0;
  char want[64], out[256];
  do {
    // The input: lines that start with x or y (grep ^x picks the first).
    text[0] = xtext[0] = 0;
    for (int i = 0, n = 5 + rnd(40); i < n; i++) {
      char line[40];
      fmt(line, 40, rnd(2) ? "x%u %u\n" : "y%u a b\n", rnd(100000), i);
      strcat(text, line);
      if (line[0] == 'x')
        strcat(xtext, line);
    }
    put_file("in", text);
    put_file("s", "echo alpha beta gamma | wc > o1\n"
                  "cat in | grep ^x | wc > o2\n"
                  "(echo one; echo two; echo three) | grep o | wc > o3\n"
                  "echo a >> o4; echo b >> o4\n"
                  "wc < in > o5\n"
                  "echo bg > o6 &\n"
                  "cat in | cat | cat > o7 ; wc o7 in > o8\n");
    char *argv[] = {"/sh", "s", 0};
    CHECK(reap1(start(argv, -1, -1)) == 0, "sh s: status not 0");
    int l, w, b, xl, xw, xb;
    count(text, &l, &w, &b);
    count(xtext, &xl, &xw, &xb);
    expect_file("o1", "1 3 17\n");
    expect_file("o2", fmt(want, 64, "%d %d %d\n", xl, xw, xb));
    expect_file("o3", "2 2 8\n");
    expect_file("o4", "a\nb\n");
    expect_file("o5", fmt(want, 64, "%d %d %d\n", l, w, b));
    expect_file("o8", fmt(out, 256, "%d %d %d o7\n%d %d %d in\n", l, w, b, l, w, b));
    // The background echo may finish after sh: poll for it (bounded).
    for (int t = 0; get_file("o6", out, sizeof(out)) != 3 && t < 10 * hz; t++)
      sleep(1);
    expect_file("o6", "bg\n");
    // Commands from a pipe, output into another.
    int cmd[2], res[2];
    CHECK(pipe(cmd) == 0 && pipe(res) == 0, "pipe");
    char *argv2[] = {"/sh", 0};
    int pid = start(argv2, cmd[0], res[1]);
    close(cmd[0]);
    close(res[1]);
    const char *cmds = "echo p q r s | wc\ncat in | wc\necho done\n";
    CHECK(write(cmd[1], cmds, strlen(cmds)) == (int)strlen(cmds), "write to sh");
    close(cmd[1]);
    read_all(res[0], out, sizeof(out));
    CHECK(reap1(pid) == 0, "sh from a pipe: status not 0");
    fmt(want, 64, "1 4 8\n%d %d %d\ndone\n", l, w, b);
    CHECK(strcmp(out, want) == 0, "sh from a pipe printed \"%s\"", out);
    for (int i = 1; i <= 8; i++)
      CHECK(unlink(fmt(want, 8, "o%d", i)) == 0, "unlink %s", want);
    CHECK(unlink("in") == 0 && unlink("s") == 0, "unlink in, s");
    ops++;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// exec: fork/exec storms and exit statuses.

static int w_exec(void) {
  int ops = 0;
  char a1[16], a2[16], name[16], want[64];
  do {
    // echo in 2..6 children at once, half to pipes, half to files.
    int n = 2 + rnd(5), pids[8], st[8], fds[8];
    for (int i = 0; i < n; i++) {
      int p[2] = {-1, -1};
      if (i % 2)
        CHECK(pipe(p) == 0, "pipe");
      else
        p[1] = open(fmt(name, 16, "e%d", i), O_CREATE | O_WRONLY | O_TRUNC);
      char *argv[] = {"/echo", fmt(a1, 16, "s%u", seed), fmt(a2, 16, "%d", i), 0};
      pids[i] = start(argv, -1, p[1]);
      close(p[1]);
      fds[i] = p[0];
    }
    reap(pids, st, n);
    for (int i = 0; i < n; i++) {
      CHECK(st[i] == 0, "echo %d: status %d", i, st[i]);
      fmt(want, 64, "s%u %d\n", seed, i);
      if (i % 2) {
        char got[64];
        read_all(fds[i], got, sizeof(got));
        CHECK(strcmp(got, want) == 0, "echo %d through a pipe: \"%s\"", i, got);
      } else {
        expect_file(fmt(name, 16, "e%d", i), want);
      }
      ops++;
    }
    // wc of a file; a missing program; a file that is not an ELF.
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    char *wc[] = {"/wc", "e0", 0};
    pids[0] = start(wc, -1, p[1]);
    close(p[1]);
    char *missing[] = {"/soak.nothere", 0};
    pids[1] = start(missing, -1, -1);
    char *notelf[] = {"/README.md", 0};
    pids[2] = start(notelf, -1, -1);
    reap(pids, st, 3);
    char got[64];
    read_all(p[0], got, sizeof(got));
    fmt(a1, 16, "s%u 0\n", seed);
    fmt(want, 64, "1 2 %d e0\n", (int)strlen(a1));
    CHECK(st[0] == 0 && strcmp(got, want) == 0, "wc e0: status %d, \"%s\"", st[0], got);
    CHECK(st[1] == 127 && st[2] == 127, "exec of junk: statuses %d %d", st[1], st[2]);
    for (int i = 0; i < n; i += 2)
      CHECK(unlink(fmt(name, 16, "e%d", i)) == 0, "unlink %s", name);
    // A storm of quick forks, each with its own status.
    for (int i = 0; i < 8; i++)
      if ((pids[i] = fork()) == 0)
        exit(i * 37 - 100);
    reap(pids, st, 8);
    for (int i = 0; i < 8; i++)
      CHECK(st[i] == i * 37 - 100, "quick child %d: status %d", i, st[i]);
    // A chain of forks 6 deep; each level adds one to its child's status.
    int depth = 0, pid;
    while (depth < 6 && (pid = fork()) == 0)
      depth++;
    if (depth > 0 || pid < 0) {  // a link of the chain (or its failed end)
      int s = depth == 6 ? 1 : pid < 0 ? 100 : reap1(pid) + 1;
      exit(s);
    }
    CHECK(reap1(pid) == 6, "fork chain 6 deep");
    ops += 12;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// kill: processes are killed while blocked in a pipe, with threads blocked in
// every way, and at a random moment of a busy life (fork, exec, pthreads,
// files, sbrk); a busy one ends itself with exit from a thread; exec from a
// thread ends the others; a fault ends one thread.

// A thread blocked for good in one of the places a thread can wait, or
// spinning; each must go when its process is killed, exits or execs.
static int blocker_word, bp[2], wp[2];
static void *blocker(void *how) {
  char buf[512];
  switch ((long)how) {
  case 0:  // futex_wait
    while (LOAD(&blocker_word) == 0)
      futex_wait(&blocker_word, 0);
    break;
  case 1:  // spinning, now and then yielding
    for (unsigned i = 0;; i++)
      if (i % 4096 == 0)
        yield(-1);
  case 2:  // reading a pipe nobody writes
    read(bp[0], buf, 1);
    break;
  case 3:  // writing a full pipe nobody reads
    for (memset(buf, 'w', sizeof(buf));;)
      write(wp[1], buf, sizeof(buf));
  case 4:  // a long sleep
    sleep(1000000);
    break;
  case 5:  // wait() for a child that waits for the end of bp
    if (fork() == 0) {
      close(bp[1]);
      exit(read(bp[0], buf, 1));
    }
    wait(0);
  }
  return 0;
}

// Starts one blocker of each kind in the calling process.
static void tangle(void) {
  pthread_t t;
  CHECK(pipe(bp) == 0 && pipe(wp) == 0, "pipe");
  for (long how = 0; how < 6; how++)
    CHECK(pthread_create(&t, 0, blocker, (void *)how) == 0, "pthread_create");
}

static void *execer(void *arg) {
  char *argv[] = {"/echo", "from", "a", "thread", 0};
  exec(argv[0], argv);
  return arg;
}

static void *triple(void *arg) { return (void *)((long)arg * 3 + 1); }

static int *volatile nowhere = (int *)8;  // in page 0, never mapped
static void *faulter(void *arg) {
  *nowhere = 1;
  return arg;
}

// A fault ends only the faulting thread: the process goes on (status 4)
// once the thread is gone, unless it was the last one (status -1). The
// kernel reports each fault on the console.
static void faults(void) {
  static struct procinfo pi[NPROC + NTHR];
  int pids[2], st[2];
  for (int i = 0; i < 2; i++) {
    if ((pids[i] = fork()) == 0) {
      pthread_t t;
      if (i == 1)
        faulter(0);
      pthread_create(&t, 0, faulter, 0);
      for (int tick = 0, n = 2; n > 1 && tick < 5 * hz; tick++) {
        sleep(1);
        n = procinfo(pi, NPROC + NTHR);
        for (int k = n - 1; k >= 0; k--)
          n -= pi[k].pid != getpid();  // our own threads are left
      }
      exit(4);
    }
  }
  reap(pids, st, 2);
  CHECK(st[0] == 4 && st[1] == -1, "faults: statuses %d %d, want 4 -1", st[0], st[1]);
}

static void *exiter(void *ticks) {
  sleep((long)ticks);
  exit(5);
}

// A child that does a bit of everything until it is killed (or exits).
static void __attribute__((noreturn)) busy(void) {
  pthread_t t;
  tangle();
  move_fd(open("kout", O_CREATE | O_WRONLY), 1);
  for (int i = 0;; i++) {
    int pid = fork();
    if (pid == 0) {
      char *argv[] = {"/wc", "/README.md", 0};
      if (i % 2)
        exec(argv[0], argv);
      exit(0);
    }
    if (pid > 0)
      wait(0);
    pthread_create(&t, 0, triple, 0);
    pthread_join(t, 0);
    int fd = open("kf", O_CREATE | O_RDWR);
    write(fd, iobuf, sizeof(iobuf));
    close(fd);
    unlink("kf");
    sbrk(3 * PGSIZE)[PGSIZE] = 1;
    sbrk(-3 * PGSIZE);
  }
}

static int w_kill(void) {
  int ops = 0, p[2], r[2], pids[2], st[2];
  char got[32];
  do {
    // One process blocked in a pipe read; one with threads blocked in every
    // way (killed once they are all on their way).
    CHECK(pipe(p) == 0 && pipe(r) == 0, "pipe");
    for (int i = 0; i < 2; i++) {
      if ((pids[i] = fork()) == 0) {
        if (i == 0)
          exit(read(p[0], got, 1));
        tangle();
        write(r[1], "r", 1);
        blocker(0);
      }
      CHECK(pids[i] > 0, "fork");
    }
    CHECK(read(r[0], got, 1) == 1, "threaded child ready");
    sleep(rnd(3));
    CHECK(kill(pids[0]) == 0 && kill(pids[1]) == 0, "kill");
    reap(pids, st, 2);
    CHECK(st[0] == -1 && st[1] == -1, "killed children: statuses %d %d", st[0], st[1]);
    for (int i = 0; i < 2; i++) {
      close(p[i]);
      close(r[i]);
    }
    // exec from a thread while the others are blocked in every way.
    CHECK(pipe(p) == 0, "pipe");
    if ((pids[0] = fork()) == 0) {
      pthread_t t;
      move_fd(p[1], 1);
      tangle();
      pthread_create(&t, 0, execer, 0);
      blocker(0);
    }
    close(p[1]);
    read_all(p[0], got, sizeof(got));
    st[0] = reap1(pids[0]);
    CHECK(st[0] == 0 && strcmp(got, "from a thread\n") == 0,
          "exec from a thread: status %d, printed \"%s\"", st[0], got);
    // A busy child killed after 0 to 50 ms.
    if ((pids[0] = fork()) == 0)
      busy();
    sleep(rnd(hz / 20 + 1));
    CHECK(kill(pids[0]) == 0 && reap1(pids[0]) == -1, "kill of a busy child");
    // The same, ended from inside: a thread calls exit(5) after 0 to 50 ms.
    if ((pids[0] = fork()) == 0) {
      pthread_t t;
      pthread_create(&t, 0, exiter, (void *)(long)rnd(hz / 20 + 1));
      busy();
    }
    CHECK((st[0] = reap1(pids[0])) == 5, "a busy child's exit(5) from a thread: status %d", st[0]);
    unlink("kf");
    unlink("kout");
    if (ops == 0)  // once a round: the kernel prints two lines
      faults();
    ops += 4;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// pthr: the POSIX thread library, and system calls made by several threads
// of one process at once.

#define ITEMS 600
static struct {
  pthread_mutex_t m;
  pthread_cond_t notfull, notempty;
  int ring[8], head, count, done;
  sem_t empty, full, lock;
  pthread_barrier_t bar;
  int counter, serial, bad, detached, pipefd[2], bytes[2];
  int turn, guard[2], tid[2], turns;
  int seen[ITEMS];
} P;

static void put_item(int v) { P.ring[(P.head + P.count++) % 8] = v; }
static int take_item(void) {
  int v = P.ring[P.head];
  P.head = (P.head + 1) % 8;
  P.count--;
  return v;
}

// Two producers put ITEMS numbers into a ring of 8 (a mutex and two
// condition variables, or three semaphores), two consumers take them out.
static void *cv_producer(void *arg) {
  for (long v = (long)arg; v < ITEMS; v += 2) {
    pthread_mutex_lock(&P.m);
    while (P.count == 8)
      pthread_cond_wait(&P.notfull, &P.m);
    put_item(v);
    pthread_cond_signal(&P.notempty);
    pthread_mutex_unlock(&P.m);
  }
  return 0;
}

static void *cv_consumer(void *arg) {
  for (;;) {
    pthread_mutex_lock(&P.m);
    while (P.count == 0 && !P.done)
      pthread_cond_wait(&P.notempty, &P.m);
    if (P.count == 0) {
      pthread_mutex_unlock(&P.m);
      return arg;
    }
    P.seen[take_item()]++;
    pthread_cond_signal(&P.notfull);
    pthread_mutex_unlock(&P.m);
  }
}

static void cv_done(void) {  // the producers are done: stop the consumers
  pthread_mutex_lock(&P.m);
  P.done = 1;
  pthread_cond_broadcast(&P.notempty);
  pthread_mutex_unlock(&P.m);
}

static void *sem_producer(void *arg) {
  for (long v = (long)arg; v < ITEMS; v += 2) {
    sem_wait(&P.empty);
    sem_wait(&P.lock);
    put_item(v);
    sem_post(&P.lock);
    sem_post(&P.full);
  }
  return 0;
}

static void *sem_consumer(void *arg) {
  for (int i = 0; i < ITEMS / 2; i++) {
    sem_wait(&P.full);
    sem_wait(&P.lock);
    int v = take_item();
    sem_post(&P.lock);
    sem_post(&P.empty);
    ADD(&P.seen[v], 1);
  }
  return arg;
}

// Two threads write 3000 bytes each (their number) into one pipe in random
// pieces, two read it until the end; every byte arrives once.
static void *pipe_writer(void *arg) {
  unsigned r = seed + (long)arg;
  char buf[300];
  memset(buf, (int)(long)arg, sizeof(buf));
  for (int left = 3000, n; left > 0; left -= n) {
    n = 1 + rnd_r(&r, 300);
    n = n < left ? n : left;
    CHECK(write(P.pipefd[1], buf, n) == n, "pipe write of %d", n);
  }
  return 0;
}

static void *pipe_reader(void *arg) {
  char buf[256];
  for (int n; (n = read(P.pipefd[0], buf, sizeof(buf))) > 0;)
    for (int i = 0; i < n; i++)
      ADD(&P.bytes[buf[i] & 1], 1);
  return arg;
}

static void pipe_done(void) { close(P.pipefd[1]); }

// Runs f(0), f(1), g(0), g(1) in four threads (two if g is 0); between()
// once the f's end.
static void run4(void *(*f)(void *), void *(*g)(void *), void (*between)(void)) {
  pthread_t t[4];
  int n = g ? 4 : 2;
  for (long i = 0; i < n; i++)
    CHECK(pthread_create(&t[i], 0, i < 2 ? f : g, (void *)(i % 2)) == 0, "pthread_create");
  for (int i = 0; i < n; i++) {
    if (i == 2 && between)
      between();
    CHECK(pthread_join(t[i], 0) == 0, "pthread_join");
  }
}

// Four threads: a barrier ten times over, then each forks three children
// and all of them wait() until there is no child left: every child is
// reaped once, by one of the threads, and a wait() with nothing left to
// reap returns -1 (it must not sleep for ever).
static void *phases(void *arg) {
  long me = (long)arg;
  for (int ph = 0; ph < 10; ph++) {
    pthread_mutex_lock(&P.m);
    P.counter++;
    pthread_mutex_unlock(&P.m);
    if (pthread_barrier_wait(&P.bar) == PTHREAD_BARRIER_SERIAL_THREAD)
      ADD(&P.serial, 1);
    if (LOAD(&P.counter) != 4 * (ph + 1))
      STORE(&P.bad, 1);
    pthread_barrier_wait(&P.bar);
  }
  for (int j = 0; j < 3; j++) {
    int pid = fork();
    if (pid == 0)  // the forking thread's id in the child is the pid
      exit(pthread_self() == (pthread_t)getpid() ? 10 * me + j : 99);
    CHECK(pid > 0, "fork in a thread");
  }
  pthread_barrier_wait(&P.bar);
  for (int st; wait(&st) > 0;)
    ADD(&P.seen[st], 1);
  return arg;
}

// Two threads take turns 300 times, each sleeping in desch until the other
// wakes it with mkrun. The guard makes the check of `turn` and the sleep
// one step as far as mkrun is concerned: no wake-up is lost.
static void *taker(void *arg) {
  long me = (long)arg;
  STORE(&P.tid[me], gettid());
  while (LOAD(&P.tid[!me]) == 0)
    yield(-1);
  for (int i = 0; i < 300; i++) {
    while (LOAD(&P.turn) != me) {
      STORE(&P.guard[me], 1);
      if (LOAD(&P.turn) != me)
        CHECK(desch(&P.guard[me]) == 0, "desch");
    }
    CHECK(P.turns++ % 2 == me, "turn %d taken by thread %d", P.turns - 1, (int)me);
    STORE(&P.turn, !me);
    STORE(&P.guard[!me], 0);
    mkrun(P.tid[!me]);  // -1 if it was not asleep: fine
  }
  return arg;
}

static void *detached(void *arg) {
  ADD(&P.detached, 1);
  futex_wake(&P.detached, 1);
  return arg;
}

static void check_seen(int n, const char *what) {
  for (int v = 0; v < ITEMS; v++)
    CHECK(P.seen[v] == (v < n), "%s: %d came %d times", what, v, P.seen[v]);
  memset(P.seen, 0, sizeof(P.seen));
}

static int w_pthr(void) {
  int ops = 0;
  do {
    memset(&P, 0, sizeof(P));
    run4(cv_producer, cv_consumer, cv_done);
    check_seen(ITEMS, "mutex and condition variables");
    CHECK(sem_init(&P.empty, 0, 8) == 0 && sem_init(&P.full, 0, 0) == 0 &&
          sem_init(&P.lock, 0, 1) == 0, "sem_init");
    run4(sem_producer, sem_consumer, 0);
    check_seen(ITEMS, "semaphores");
    CHECK(pipe(P.pipefd) == 0, "pipe");
    run4(pipe_writer, pipe_reader, pipe_done);
    run4(taker, 0, 0);
    CHECK(P.turns == 600, "desch/mkrun: %d turns of 600", P.turns);
    close(P.pipefd[0]);
    CHECK(P.bytes[0] == 3000 && P.bytes[1] == 3000, "pipe: %d and %d bytes of 3000",
          P.bytes[0], P.bytes[1]);
    pthread_t t[12];
    pthread_barrier_init(&P.bar, 0, 4);
    for (long i = 0; i < 4; i++)
      CHECK(pthread_create(&t[i], 0, phases, (void *)i) == 0, "pthread_create");
    for (long i = 0; i < 4; i++)
      CHECK(pthread_join(t[i], 0) == 0, "join phases");
    CHECK(!P.bad && P.serial == 10, "barrier: bad %d, serial threads %d of 10", P.bad, P.serial);
    for (int v = 0; v < 40; v++)
      CHECK(P.seen[v] == (v % 10 < 3), "children of threads: status %d seen %d times", v, P.seen[v]);
    pthread_attr_t da;
    pthread_attr_init(&da);
    pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
    for (long i = 0; i < 12; i++)
      CHECK(pthread_create(&t[i], i < 4 ? &da : 0, i < 4 ? detached : triple,
                           (void *)i) == 0, "pthread_create");
    for (long i = 4; i < 12; i++) {
      void *v;
      CHECK(pthread_join(t[i], &v) == 0 && v == (void *)(i * 3 + 1), "join value");
    }
    for (int d; (d = LOAD(&P.detached)) < 4;)
      futex_wait(&P.detached, d);
    ops += 6;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// clone: OSTEP threads (clones) with the OSTEP locks; clones that fork and
// exec.

static struct {
  lock_t lk;
  ticket_lock_t tk;
  cond_t cv;
  int spin_count, ticket_count;
  int slot, full, sum, taken;
  sem_t ping, pong;
  int ball, forked, pipefd[2];
} C;

static void counter(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    lock_acquire(&C.lk);
    C.spin_count++;
    lock_release(&C.lk);
    ticket_lock_acquire(&C.tk);
    C.ticket_count++;
    ticket_lock_release(&C.tk);
  }
}

static void slot_producer(void *arg) {
  for (int v = 1; v <= 200; v++) {
    lock_acquire(&C.lk);
    while (C.full)
      cv_wait(&C.cv, &C.lk);
    C.slot = v * (arg ? 1 : 1000);
    C.full = 1;
    cv_broadcast(&C.cv);
    lock_release(&C.lk);
  }
}

static void slot_consumer(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    lock_acquire(&C.lk);
    while (!C.full)
      cv_wait(&C.cv, &C.lk);
    C.sum += C.slot;
    C.taken++;
    C.full = 0;
    cv_broadcast(&C.cv);
    lock_release(&C.lk);
  }
}

static void pinger(void *arg) {
  for (int i = 0; i < 100; i++) {
    sem_wait(arg ? &C.pong : &C.ping);
    C.ball++;
    sem_post(arg ? &C.ping : &C.pong);
  }
}

// A clone that execs gets an address space of its own (so wait(), not
// join, reaps it); one that forks makes an ordinary child of its own.
static void clone_exec(void *arg) {
  char *argv[] = {"/echo", "clone", 0};
  move_fd(C.pipefd[1], 1);  // in its own copy of the descriptor table
  exec(argv[0], argv);
  exit((long)arg);
}

static void clone_fork(void *arg) {
  int pid = fork();
  if (pid == 0)
    exit(C.ball);  // a copy of what the clone saw
  STORE(&C.forked, pid > 0 ? reap1(pid) : -1);
  exit((long)arg);
}

// Starts n clones of f (arguments 0 and 1 alternating) and joins them all.
static void clones(void (*f)(void *), void (*g)(void *), int n) {
  int pid[6];
  for (long i = 0; i < n; i++)
    CHECK((pid[i] = thread_create(i < n / 2 || !g ? f : g, (void *)(i % 2))) > 0,
          "thread_create");
  for (int i = 0; i < n; i++) {
    int p = thread_join(), k = 0;
    while (k < n && pid[k] != p)
      k++;
    CHECK(k < n, "thread_join returned %d", p);
    pid[k] = 0;
  }
}

static int w_clone(void) {
  int ops = 0;
  do {
    memset(&C, 0, sizeof(C));
    clones(counter, 0, 4);
    CHECK(C.spin_count == 4000 && C.ticket_count == 4000, "counts %d %d, want 4000",
          C.spin_count, C.ticket_count);
    clones(slot_producer, slot_consumer, 4);
    CHECK(C.taken == 400 && C.sum == 201 * 100 * 1001, "slot: %d taken, sum %d", C.taken, C.sum);
    sem_init(&C.ping, 0, 1);
    sem_init(&C.pong, 0, 0);
    clones(pinger, 0, 2);
    CHECK(C.ball == 200, "ping-pong: %d", C.ball);
    clones(clone_fork, 0, 1);
    CHECK(C.forked == 200, "the child of a clone: status %d", C.forked);
    static char stack[PGSIZE] __attribute__((aligned(PGSIZE)));
    int pid, st = -5;
    char got[16];
    CHECK(pipe(C.pipefd) == 0 && (pid = clone(clone_exec, (void *)127, stack)) > 0, "clone");
    close(C.pipefd[1]);
    read_all(C.pipefd[0], got, sizeof(got));
    CHECK(wait(&st) == pid && st == 0 && strcmp(got, "clone\n") == 0,
          "a clone's exec: status %d, printed \"%s\"", st, got);
    CHECK(thread_join() == -1, "a clone is left over");
    ops += 3;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// sbrk: several threads move the break of one address space.

#define NS 4
static struct {
  pthread_barrier_t start, bar;  // start: the NS threads and the worker
  pthread_mutex_t pipe_lock;
  char *chunk[NS];
  int pages[NS];
  char *floor;  // the break while phase 2 runs (page-aligned)
  int wiggling, pipefd[2], racefd[2];
} S;

// Marks (and checks) the first and last word of n pages with tag + page.
static void stamp(char *p, int n, unsigned tag) {
  for (int i = 0; i < n; i++)
    *(unsigned *)(p + i * PGSIZE) = *(unsigned *)(p + i * PGSIZE + PGSIZE - 4) = tag + i;
}
static int stamped(char *p, int n, unsigned tag) {
  for (int i = 0; i < n; i++)
    if (*(unsigned *)(p + i * PGSIZE) != tag + i ||
        *(unsigned *)(p + i * PGSIZE + PGSIZE - 4) != tag + i)
      return 0;
  return 1;
}

static void *sbrk_thread(void *arg) {
  long me = (long)arg;
  unsigned r = seed + me;
  // Nobody may move the break while pthread_create still mallocs stacks.
  pthread_barrier_wait(&S.start);
  // Phase 1: grow together (each chunk is where sbrk says; fresh pages are
  // zero), everyone checks everyone's chunk, shrink together.
  S.pages[me] = 1 + rnd_r(&r, 24);
  char *p = sbrk(S.pages[me] * PGSIZE);
  CHECK(p != (char *)-1, "sbrk(+%d pages)", S.pages[me]);
  for (int i = 0; i < S.pages[me] * PGSIZE; i += 256)
    CHECK(p[i] == 0, "a grown page is not zero");
  stamp(p, S.pages[me], me << 16);
  S.chunk[me] = p;
  pthread_barrier_wait(&S.bar);
  if (me == 0) {  // a fork copies every chunk while the others read them
    int pid = fork();
    if (pid == 0) {
      for (int t = 0; t < NS; t++)
        if (!stamped(S.chunk[t], S.pages[t], t << 16))
          exit(1);
      exit(0);
    }
    CHECK(pid > 0 && reap1(pid) == 0, "the forked copy of the chunks differs");
  }
  for (int t = 0; t < NS; t++)
    CHECK(stamped(S.chunk[t], S.pages[t], t << 16), "chunk of thread %d differs", t);
  pthread_barrier_wait(&S.bar);
  CHECK(sbrk(-S.pages[me] * PGSIZE) != (char *)-1, "sbrk(-%d pages)", S.pages[me]);
  pthread_barrier_wait(&S.bar);
  // Phase 2: thread 0 moves the break up and down (each shrink must flush
  // the other harts' translations); the last thread has the kernel copy to
  // and from those pages as they come and go (any result but a crash is
  // fine; the middle of a page, where thread 0 has no stamps); the others
  // pass data through a pipe from and to buffers below the break, which
  // must not be disturbed.
  if (me == 0) {
    for (int k = 0; k < 40; k++) {
      int n = 1 + rnd_r(&r, 64);
      char *q = sbrk(n * PGSIZE);
      CHECK(q != (char *)-1, "wiggle: sbrk(+%d pages)", n);
      CHECK(q[0] == 0 && q[n * PGSIZE - 1] == 0, "wiggle: a grown page is not zero");
      stamp(q, n, k << 8);
      CHECK(stamped(q, n, k << 8), "wiggle: pages differ");
      CHECK(sbrk(-n * PGSIZE) == q + n * PGSIZE, "wiggle: sbrk(-%d pages)", n);
    }
    STORE(&S.wiggling, 0);
    return 0;
  }
  if (me == NS - 1) {
    int fd = open("/README.md", O_RDONLY), n;
    static char drain[2000];
    while (LOAD(&S.wiggling)) {
      char *at = S.floor + rnd_r(&r, 64) * PGSIZE + 8 + rnd_r(&r, 2000);
      CHECK((n = read(fd, at, 2000)) >= -1 && n <= 2000, "read into sbrk pages: %d", n);
      if (n == 0) {  // at the end: from the start again
        close(fd);
        fd = open("/README.md", O_RDONLY);
      }
      CHECK((n = write(S.racefd[1], at, 2000)) >= -1 && n <= 2000, "write: %d", n);
      CHECK(n <= 0 || read(S.racefd[0], drain, n) == n, "drain the pipe");
    }
    close(fd);
    return 0;
  }
  static char out[NS][600], in[NS][600];
  for (int k = 0; LOAD(&S.wiggling) || k < 4; k++) {
    int n = 1 + rnd_r(&r, 600);
    for (int i = 0; i < n; i++)
      out[me][i] = pat(me, i + k);
    pthread_mutex_lock(&S.pipe_lock);
    CHECK(write(S.pipefd[1], out[me], n) == n && read(S.pipefd[0], in[me], n) == n,
          "pipe write/read of %d bytes", n);
    pthread_mutex_unlock(&S.pipe_lock);
    CHECK(memcmp(in[me], out[me], n) == 0, "pipe data differs");
  }
  return 0;
}

static int w_sbrk(void) {
  int ops = 0;
  do {
    memset(&S, 0, sizeof(S));
    CHECK(pipe(S.pipefd) == 0 && pipe(S.racefd) == 0, "pipe");
    S.wiggling = 1;
    pthread_barrier_init(&S.start, 0, NS + 1);
    pthread_barrier_init(&S.bar, 0, NS);
    pthread_t t[NS];
    for (long i = 0; i < NS; i++)
      CHECK(pthread_create(&t[i], 0, sbrk_thread, (void *)i) == 0, "pthread_create");
    int pad = -(unsigned long)sbrk(0) & (PGSIZE - 1);  // whole pages above it
    char *top = S.floor = sbrk(pad) + pad;
    pthread_barrier_wait(&S.start);
    for (int i = 0; i < NS; i++)
      CHECK(pthread_join(t[i], 0) == 0, "pthread_join");
    CHECK(sbrk(0) == top, "the break moved by %ld", (long)(sbrk(0) - top));
    for (int i = 0; i < 2; i++) {
      close(S.pipefd[i]);
      close(S.racefd[i]);
    }
    ops++;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// Exhaustion: drive one resource to its end, check how far it went, give it
// all back. Runs alone, so the counts kstat gives beforehand are exact.

enum { K_PAGES, K_THREADS, K_PROCS, K_FILES, K_CINODES, K_DINODES, K_BLOCKS, NK };
static const char *knames[NK] = {"free pages",       "free threads",    "free procs",
                                 "open files",       "cached inodes",   "free disk inodes",
                                 "free disk blocks"};

static int kget(int field) {
  struct kstat st;
  CHECK(kstat(&st) == 0, "kstat");
  return ((int *)&st)[field];  // the fields are ints, in the order above
}

// Polls (a tick at a time, at most 10 s) until the count is want.
static void await_k(int field, int want) {
  int now = kget(field);
  for (int t = 0; now != want && t < 10 * hz; t++, now = kget(field))
    sleep(1);
  CHECK(now == want, "%s did not come back: %d, want %d", knames[field], now, want);
}

static int tdone, scrounged, fscrounged, scribbled;
static void tquick(void *w) { texit(w, 1); }
static void nop(void *arg) { (void)arg; }

// Tries, until `until`, everything that needs memory: -1 is fine while
// memory is short, but whatever works must work right.
static int scrounge(void) {
  int worked = 0;
  static char tstack[PGSIZE] __attribute__((aligned(16)));
  char buf[8];
  for (int i = 0; more(); i++) {
    int p[2], pid, st, n = 0;
    pthread_t t;
    void *v;
    char *q;
    switch (i % 5) {
    case 0:  // fork, exec and a pipe
      if (pipe(p) < 0)
        break;
      if ((pid = fork()) == 0) {
        char *argv[] = {"/echo", "ok", 0};
        move_fd(p[1], 1);
        exec(argv[0], argv);
        exit(127);
      }
      close(p[1]);
      n = read_all(p[0], buf, sizeof(buf));  // nothing if the fork failed
      st = pid > 0 ? reap1(pid) : 127;
      CHECK(st == 127 || (st == 0 && strcmp(buf, "ok\n") == 0),
            "short of memory, echo: status %d, %d bytes", st, n);
      worked += st == 0;
      break;
    case 1:
      if (pthread_create(&t, 0, triple, (void *)7) == 0 && ++worked)
        CHECK(pthread_join(t, &v) == 0 && v == (void *)22, "short of memory, pthread_join");
      break;
    case 2:
      if ((pid = thread_create(nop, 0)) > 0 && ++worked)
        CHECK(thread_join() == pid, "short of memory, thread_join");
      break;
    case 3:
      STORE(&tdone, 0);
      if (tspawn(tstack + PGSIZE, tquick, &tdone) > 0 && ++worked)
        while (!LOAD(&tdone))
          futex_wait(&tdone, 0);
      break;
    case 4:  // whole fresh pages (malloc leaves the break anywhere)
      n = -(unsigned long)sbrk(0) & (PGSIZE - 1);
      if ((q = sbrk(n + 8 * PGSIZE)) == (char *)-1)
        break;
      CHECK(q[n] == 0 && q[n + 8 * PGSIZE - 1] == 0, "short of memory, a grown page is not zero");
      stamp(q + n, 8, i);
      CHECK(stamped(q + n, 8, i) && sbrk(-n - 8 * PGSIZE) == q + n + 8 * PGSIZE,
            "short of memory, sbrk");
      worked++;
    }
  }
  return worked;
}

// Takes every page it can get, in shrinking steps, and says how many on
// rep; once go ends, gives back and takes again small amounts for 4 s;
// then checks that every page it holds is still its own.
static void __attribute__((noreturn)) hog(int i, int rep, int go) {
  char *base = sbrk(0), c;
  long got = 0;  // pages
  for (int step = 1024; step >= 1;) {
    if (sbrk(step * PGSIZE) == (char *)-1) {
      step /= 2;
      continue;
    }
    stamp(base + got * PGSIZE, step, (i << 24) + got);
    got += step;
  }
  write(rep, &got, sizeof(got));
  read(go, &c, 1);
  for (until = rdtime() + 40000000UL; more();) {
    int k = 1 + rnd(got < 96 ? got : 96);  // a fork needs some 30 pages
    CHECK(sbrk(-k * PGSIZE) != (char *)-1, "sbrk(-%d pages)", k);
    got -= k;
    sleep(1);
    for (; sbrk(PGSIZE) != (char *)-1; got++)
      stamp(base + got * PGSIZE, 1, (i << 24) + got);
  }
  exit(stamped(base, got, i << 24) ? 0 : 1);
}

// Three hogs take every page. While they hold them nothing more can fork
// and the file system still works; then, for 4 s, the hogs give back and
// take again while three others scrounge in what is left.
static int ex_pages(int unused) {
  (void)unused;
  int rep[2], go[2], pids[6], st[6], free0 = kget(K_PAGES);
  char c;
  CHECK(pipe(rep) == 0 && pipe(go) == 0, "pipe");
  for (int i = 0; i < 6; i++) {
    if ((pids[i] = fork()) == 0) {
      close(go[1]);  // go ends when the parent closes its end
      if (i < 3)
        hog(i, rep[1], go[0]);
      read(go[0], &c, 1);
      until = rdtime() + 40000000UL;
      exit(scrounge());
    }
    CHECK(pids[i] > 0, "fork");
  }
  close(rep[1]);
  close(go[0]);
  long total = 0, got;
  for (int i = 0; i < 3; i++) {
    CHECK(read(rep[0], &got, sizeof(got)) == sizeof(got), "hog %d reports", i);
    total += got;
  }
  close(rep[0]);
  int left = kget(K_PAGES);
  CHECK(left < 16 && total > free0 - free0 / 20,
        "3 processes got %ld of %d free pages, %d are left", total, free0, left);
  // Nothing more fits, but the file system works.
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0)
    reap1(pid);
  CHECK(pid < 0, "fork works with %d pages free", left);
  put_file("p", "still works");
  expect_file("p", "still works");
  CHECK(unlink("p") == 0, "unlink p");
  close(go[1]);  // the hogs wiggle, the others scrounge
  reap(pids, st, 6);
  for (int i = 0; i < 6; i++)
    CHECK(i < 3 ? st[i] == 0 : st[i] >= 0, "%s %d: status %d", i < 3 ? "hog" : "scrounger",
          i, st[i]);
  await_k(K_PAGES, free0);
  scrounged = st[3] + st[4] + st[5];
  return total;
}

// A thread that waits to be let go; ex_threads starts them until it fails.
static int release, started;
static void hold(void) {
  ADD(&started, 1);
  futex_wake(&started, 1);
  while (!LOAD(&release))
    futex_wait(&release, 0);
}
static void tholder(void *arg) {  // tspawn
  hold();
  texit(arg, 0);
}
static void cholder(void *arg) {  // thread_create: a clone
  (void)arg;
  hold();
}
static void *pholder(void *arg) {  // pthread_create
  hold();
  return arg;
}

// Forks children that wait until it fails: exactly the free process slots
// fit, and then a clone does not either.
static int ex_procs(int unused) {
  (void)unused;
  static int pids[NPROC], st[NPROC];
  int go[2], n = 0, pid;
  char c;
  CHECK(pipe(go) == 0, "pipe");
  int free0 = kget(K_PROCS);
  while (n < NPROC && (pid = fork()) >= 0) {
    if (pid == 0) {
      close(go[1]);
      read(go[0], &c, 1);
      exit(7);
    }
    pids[n++] = pid;
  }
  CHECK(n == free0, "fork failed after %d children with %d slots free", n, free0);
  CHECK(kget(K_PROCS) == 0 && thread_create(cholder, 0) == -1, "clone with no process slot");
  close(go[1]);
  reap(pids, st, n);
  close(go[0]);
  for (int i = 0; i < n; i++)
    CHECK(st[i] == 7, "child %d: status %d", i, st[i]);
  await_k(K_PROCS, free0);
  return n;
}

// Starts threads of one kind (0 tspawn, 1 pthread_create, 2 thread_create)
// until that fails: exactly the free thread slots fit (for clones, the free
// process slots if fewer). Then lets them all go; returns how many there
// were.
static int ex_threads(int kind) {
  static pthread_t pt[NTHR + 1];
  static char stacks[NTHR + 1][1024];
  int n = 0, free0 = kget(K_THREADS), procs0 = kget(K_PROCS);
  pthread_attr_t small;
  pthread_attr_init(&small);
  pthread_attr_setstacksize(&small, 2 * PTHREAD_STACK_MIN);
  STORE(&release, 0);
  STORE(&started, 0);
  for (; n <= NTHR; n++) {
    int ok = kind == 0   ? tspawn(stacks[n + 1], tholder, 0) > 0
             : kind == 1 ? pthread_create(&pt[n], &small, pholder, (void *)(long)n) == 0
                         : thread_create(cholder, 0) > 0;
    if (!ok)
      break;
  }
  int want = kind == 2 ? (free0 < procs0 ? free0 : procs0) : free0;
  CHECK(n == want, "%s failed after %d, want %d", kind == 0 ? "tspawn" : kind == 1 ?
        "pthread_create" : "thread_create", n, want);
  for (int s; (s = LOAD(&started)) < n;)
    futex_wait(&started, s);
  STORE(&release, 1);
  futex_wake(&release, NTHR);
  for (int i = 0; i < n; i++) {
    void *v;
    if (kind == 1)
      CHECK(pthread_join(pt[i], &v) == 0 && v == (void *)(long)i, "pthread_join");
    if (kind == 2)
      CHECK(thread_join() > 0, "thread_join");
  }
  await_k(K_THREADS, free0);
  return n;
}

// Makes, writes, reads, links and removes files while a table is nearly
// full, until `until`: any step may fail, but a file that could be opened
// must read back what was written. Leaves names behind for the caller.
static int fs_scrounge(int id) {
  char d[16], f[24], g[24], buf[32], got[32];
  int worked = 0, fd, n;
  fmt(d, 16, "c/s%d", id);
  fmt(f, 24, "c/s%d/f", id);
  fmt(g, 24, "c/g%d", id);
  for (int k = 0; more(); k++) {
    mkdir(d);
    if ((fd = open(f, O_CREATE | O_RDWR | O_TRUNC)) >= 0) {
      n = strlen(fmt(buf, 32, "%d %d", id, k));
      CHECK(write(fd, buf, n) == n, "write %s", f);
      close(fd);
    }
    if ((fd = open(f, O_RDONLY)) >= 0) {
      n = read(fd, got, sizeof(got) - 1);
      close(fd);
      got[n > 0 ? n : 0] = 0;
      CHECK(strcmp(got, buf) == 0, "%s holds \"%s\", want \"%s\"", f, got, buf);
      worked++;
    }
    link(f, g);
    unlink(f);
    unlink(g);
    unlink(d);
  }
  return worked;
}

// Children open files until open fails: six open distinct files until the
// inode cache (NINODE entries) is full, twelve open one file over and over
// until the open-file table (NFILE) is. Each count comes out exact (eleven
// descriptors per child are more than enough), and what needs an entry
// fails cleanly. Then, for 4 s, the children close and reopen files at
// random while two others use files in what is left. The children's exit
// empties the table again.
static int ex_files(int distinct) {
  char name[16], c;
  int rep[2], go[2], pids[14], st[14], dir, got = 0, kids = distinct ? 6 : 12;
  CHECK(mkdir("c") == 0 && (dir = open("c", O_RDONLY)) >= 0, "mkdir c");
  for (int i = 0; i < (distinct ? 6 * 11 : 1); i++)
    put_file(fmt(name, 16, "c/%d", i), "");
  CHECK(pipe(rep) == 0 && pipe(go) == 0, "pipe");
  int k = distinct ? K_CINODES : K_FILES, base = kget(k), max = distinct ? NINODE : NFILE;
  for (int i = 0; i < kids; i++) {
    if ((pids[i] = fork()) == 0) {
      int fds[11], n = 0;
      close(go[1]);
      close(rep[0]);
      close(dir);  // eleven descriptors free
#define NAME(j) fmt(name, 16, "c/%d", distinct ? i * 11 + (j) : 0)
      while (n < 11 && (fds[n] = open(NAME(n), O_RDONLY)) >= 0)
        n++;
      write(rep[1], &n, sizeof(n));
      read(go[0], &c, 1);
      for (until = rdtime() + 40000000UL; more() && n > 0;) {
        int j = rnd(n), m = 1 + rnd(n - j < 4 ? n - j : 4);
        for (int x = j; x < j + m; x++)
          close(fds[x]);
        sleep(1);
        for (int x = j; x < j + m; x++)
          fds[x] = open(NAME(x), O_RDONLY);
      }
      exit(0);
    }
    CHECK(pids[i] > 0, "fork");
  }
  close(rep[1]);
  close(go[0]);
  for (int i = 0, n; i < kids; i++, got += n)
    CHECK(read(rep[0], &n, sizeof(n)) == sizeof(n), "child %d reports", i);
  int now = kget(k), p[2];
  CHECK(got == max - base && now == max, "%d opened, %d in use of %d (%d before)",
        got, now, max, base);
  CHECK(open("/README.md", O_RDONLY) == -1, "open works with a full table");
  CHECK(distinct ? mkdir("c/d") == -1 : pipe(p) == -1, "%s works with a full table",
        distinct ? "mkdir" : "pipe");
  until = rdtime() + 40000000UL;
  for (int i = kids; i < kids + 2; i++)
    if ((pids[i] = fork()) == 0) {
      close(go[1]);  // the holders must see the end of it
      exit(fs_scrounge(i));
    }
  close(go[1]);
  reap(pids, st, kids + 2);
  for (int i = 0; i < kids + 2; i++)
    CHECK(st[i] >= 0 && (i >= kids || st[i] == 0), "child %d: status %d", i, st[i]);
  close(rep[0]);
  fscrounged += st[kids] + st[kids + 1];
  await_k(k, distinct ? base : base - 4);  // the pipes' four ends were counted
  for (int i = kids; i < kids + 2; i++) {
    unlink(fmt(name, 16, "c/s%d/f", i));
    unlink(fmt(name, 16, "c/g%d", i));
    unlink(fmt(name, 16, "c/s%d", i));
  }
  for (int i = 0; i < (distinct ? 6 * 11 : 1); i++)
    CHECK(unlink(fmt(name, 16, "c/%d", i)) == 0, "unlink %s", name);
  close(dir);
  CHECK(unlink("c") == 0, "rmdir c");
  return got;
}

static int ex_inodes(int unused) {
  (void)unused;
  char name[16];
  CHECK(mkdir("i") == 0, "mkdir i");
  int n = 0, free0 = kget(K_DINODES), fd;
  while (n <= NINODES && (fd = open(fmt(name, 16, "i/%d", n), O_CREATE | O_RDWR)) >= 0) {
    close(fd);
    n++;
  }
  CHECK(n == free0, "create failed after %d files, %d inodes were free", n, free0);
  CHECK(mkdir("i/d") == -1 && kget(K_DINODES) == 0, "no inode left, yet mkdir works");
  for (int i = 0; i < n; i++)
    CHECK(unlink(fmt(name, 16, "i/%d", i)) == 0, "unlink %s", name);
  CHECK(unlink("i") == 0, "rmdir i");
  await_k(K_DINODES, free0 + 1);
  return n;
}

static char chunk[16 * BSIZE];

// Writes, checks and removes files on a nearly full disk until `until`:
// writes end short at random points, and every byte a write said it wrote
// must read back. Returns how many files came out whole.
static int scribble(int id) {
  char name[16];
  int whole = 0;
  for (int k = 0; more(); k++) {
    unlink(fmt(name, 16, "b/w%d.%d", id, k % 4));  // four files at most
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      continue;  // no block for the directory, or no inode
    unsigned key = id * 100000 + k, want = rnd(120000), size = write_pat(fd, key, want);
    close(fd);
    check_pat(name, key, size, 1);
    whole += size == want;
  }
  for (int k = 0; k < 4; k++)
    unlink(fmt(name, 16, "b/w%d.%d", id, k));
  return whole;
}

// Fills the disk with files of `reps` chunks of 16 blocks, as many chunks
// as it takes for the free inodes to suffice (and for b to stay one block
// of entries); exactly the free blocks fit. Then two processes scribble for
// 4 s while the fill files go one by one.
static int ex_disk(int unused) {
  (void)unused;
  char name[16];
  CHECK(mkdir("b") == 0, "mkdir b");
  int free0 = kget(K_BLOCKS), inodes = kget(K_DINODES) - 8, nf = 0, used = 0;
  int files = inodes < 200 ? inodes : 200, per = (int)(sizeof(chunk) / BSIZE);
  CHECK(files > 0, "only %d free disk inodes", inodes + 8);
  int reps = (free0 + files * per - 1) / (files * per), full = 1;
  for (int i = 0; i < (int)sizeof(chunk); i++)
    chunk[i] = pat(0, i);
  while (full) {
    int fd = open(fmt(name, 16, "b/%d", nf++), O_CREATE | O_WRONLY);
    CHECK(fd >= 0, "create %s", name);
    int size = 0;
    for (int r = 0; r < reps && full; r++) {
      int w = write(fd, chunk, sizeof(chunk));
      size += w > 0 ? w : 0;
      full = w == sizeof(chunk);
    }
    close(fd);
    int blocks = (size + BSIZE - 1) / BSIZE;
    used += blocks + (blocks > NDIRECT);  // data blocks and the indirect block
  }
  int left = kget(K_BLOCKS);
  CHECK(left == 0 && used == free0, "disk full: %d blocks free, files hold %d of %d",
        left, used, free0);
  int fd = open("b/new", O_CREATE | O_RDWR);
  CHECK(fd >= 0 && write(fd, chunk, 1) == -1, "a write to a full disk works");
  close(fd);
  CHECK(unlink("b/new") == 0, "unlink b/new");
  int pids[2], st[2];
  until = rdtime() + 40000000UL;
  for (int i = 0; i < 2; i++)
    if ((pids[i] = fork()) == 0)
      exit(scribble(i));
  for (int i = nf - 1; i > 0 && more(); i--) {
    sleep(hz / 4);
    CHECK(unlink(fmt(name, 16, "b/%d", i)) == 0, "unlink %s", name);
    nf--;
  }
  reap(pids, st, 2);
  CHECK(st[0] >= 0 && st[1] >= 0, "scribblers: statuses %d %d", st[0], st[1]);
  CHECK(get_file("b/0", chunk, BSIZE) == BSIZE - 1, "read b/0");
  for (int i = 0; i < BSIZE - 1; i++)
    CHECK(chunk[i] == pat(0, i), "b/0: byte %d differs", i);
  for (int i = 0; i < nf; i++)
    CHECK(unlink(fmt(name, 16, "b/%d", i)) == 0, "unlink %s", name);
  CHECK(unlink("b") == 0, "rmdir b");
  await_k(K_BLOCKS, free0 + 1);
  scribbled = st[0] + st[1];
  return used;
}

static int verbose;  // -v: say what the exhaustion phase is doing

static int step(const char *what, int (*fn)(int), int arg) {
  if (verbose)
    printf("soak: exhaust: %s\n", what);
  return fn(arg);
}

static int w_exhaust(void) {
  int pages = step("pages", ex_pages, 0), procs = step("procs", ex_procs, 0);
  int t = step("tspawn", ex_threads, 0), p = step("pthread_create", ex_threads, 1);
  int c = step("thread_create", ex_threads, 2);
  int icache = step("inode cache", ex_files, 1), files = step("file table", ex_files, 0);
  int inodes = step("inodes", ex_inodes, 0), blocks = step("disk", ex_disk, 0);
  printf("soak: exhaustion: pages %d, processes %d, tspawn %d, pthread_create %d, "
         "thread_create %d, cached inodes %d, open files %d, disk inodes %d, disk blocks %d; "
         "done when short of them: %d with memory, %d with files, %d with disk: ok\n",
         pages, procs, t, p, c, icache, files, inodes, blocks, scrounged, fscrounged,
         scribbled);
  return 1;
}

// ---------------------------------------------------------------------------
// The rounds.

struct worker {
  const char *name;
  int (*fn)(void);
  int pid, status;
};
static struct worker mix[] = {
    {"fs1", w_fs, 0, 0},     {"fs2", w_fs, 0, 0},   {"sh", w_sh, 0, 0},
    {"exec", w_exec, 0, 0},  {"pthr", w_pthr, 0, 0}, {"clone", w_clone, 0, 0},
    {"sbrk", w_sbrk, 0, 0},  {"kill", w_kill, 0, 0},   {"race", w_race, 0, 0},
    {"exhaust", w_exhaust, 0, 0},
};
#define NMIX 9  // mix[NMIX] is the exhaustion phase

// Runs w in a child, in its own directory /soak.d/NAME; the child exits with
// the number of operations it did (or FAILED).
static void spawn(struct worker *w, unsigned s) {
  if ((w->pid = fork()) != 0)
    return;
  who = w->name;
  seed = s;
  char dir[32];
  fmt(dir, sizeof(dir), "/soak.d/%s", w->name);
  CHECK(mkdir(dir) == 0 && chdir(dir) == 0, "mkdir %s", dir);
  int ops = w->fn();
  CHECK(chdir("/soak.d") == 0 && unlink(w->name) == 0, "%s is not empty", dir);
  exit(ops < (1 << 30) ? ops : 1 << 30);
}

// Starts workers [from, to), waits for all of them; appends "name ops" to
// line. Returns 0 and describes the failure in why if one failed.
static int run_workers(int from, int to, unsigned round, char *line, char *why) {
  for (int i = from; i < to; i++) {
    spawn(&mix[i], round * 7919 + i);
    if (mix[i].pid < 0) {
      fmt(why, 80, "fork of %s failed", mix[i].name);
      return 0;
    }
  }
  int ok = 1;
  for (int i = from; i < to; i++) {
    int st, pid = wait(&st), k = from;
    while (k < to && mix[k].pid != pid)
      k++;
    if (k == to) {
      fmt(why, 80, "wait returned %d", pid);
      return 0;
    }
    mix[k].status = st;
  }
  for (int i = from; i < to; i++) {
    char part[32];
    strcat(line, fmt(part, sizeof(part), " %s %d", mix[i].name, mix[i].status));
    if (mix[i].status < 0 && ok) {
      fmt(why, 80, "%s ended with status %d", mix[i].name, mix[i].status);
      ok = 0;
    }
  }
  return ok;
}

// Waits (at most 5 s: see the top) until kstat shows base again; if it
// does not, says what differs in why.
static int settled(const struct kstat *base, struct kstat *now, char *why) {
  for (int t = 0; kstat(now) == 0 && memcmp(now, base, sizeof(*now)) != 0; t++) {
    if (t == 5 * hz) {
      strcpy(why, "kstat is not back at the baseline:");
      for (int k = 0; k < NK; k++) {
        int b = ((int *)base)[k], n = ((int *)now)[k], len = strlen(why);
        if (b != n)
          fmt(why + len, 60, " %s %d (want %d)", knames[k], n, b);
      }
      return 0;
    }
    sleep(1);
  }
  return 1;
}

static void usage(void) {
  fprintf(2, "usage: soak MINUTES | soak -s SECONDS; options -r ROUND_SECONDS -x EVERY -v\n");
  exit(2);
}

int main(int argc, char **argv) {
  long total = 0;
  int round_secs = 30, every = 3;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-')
      total = 60L * atoi(argv[i]);
    else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
      total = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "-r") == 0)
      round_secs = atoi(argv[++i]);
    else if (strcmp(argv[i], "-v") == 0)
      verbose = 1;
    else if (i + 1 < argc && strcmp(argv[i], "-x") == 0)
      every = atoi(argv[++i]);
    else
      usage();
  }
  if (total <= 0 || round_secs <= 0)
    usage();
  char args[128];
  if (bootargs(args, sizeof(args)) > 0)
    for (char *s = args; *s; s++)
      if ((s == args || s[-1] == ' ') && strncmp(s, "tick=", 5) == 0 && atoi(s + 5) > 0)
        hz = atoi(s + 5);
  if (mkdir("/soak.d") != 0) {
    printf("soak: cannot make /soak.d (left from an earlier run?)\n");
    exit(1);
  }
  struct kstat base, now;
  kstat(&base);
  printf("soak: %ld s in rounds of %d s, exhaustion every %d rounds; baseline: free pages %d, "
         "free threads %d, free procs %d, open files %d, cached inodes %d, free disk inodes %d, "
         "free disk blocks %d\n", total, round_secs, every, base.free_pages, base.free_threads,
         base.free_procs, base.open_files, base.cached_inodes, base.free_inodes, base.free_blocks);
  unsigned long t0 = rdtime(), end = t0 + total * 10000000UL;
  int round = 0, ok = 1;
  static char why[400], line[512];
  while (ok && (round == 0 || rdtime() + 5 * 10000000UL < end)) {
    round++;
    unsigned long r0 = rdtime();
    until = r0 + round_secs * 10000000UL;
    if (until > end)
      until = end;
    line[0] = 0;
    // The exhaustion phase starts from the baseline: its counts are exact.
    ok = run_workers(0, NMIX, round, line, why) && settled(&base, &now, why);
    if (ok && every > 0 && round % every == 0)
      ok = run_workers(NMIX, NMIX + 1, round, line, why) && settled(&base, &now, why);
    if (!ok)
      kstat(&now);  // as things are now, for the line below
    printf("soak: round %d, %d s, ops%s; free pages %d, threads %d, procs %d, open files %d, "
           "cached inodes %d, free disk inodes %d, blocks %d: %s%s\n", round,
           (int)((rdtime() - r0) / 10000000UL), line, now.free_pages, now.free_threads,
           now.free_procs, now.open_files, now.cached_inodes, now.free_inodes,
           now.free_blocks, ok ? "ok" : "FAIL: ", ok ? "" : why);
  }
  if (ok && unlink("/soak.d") != 0) {
    ok = 0;
    fmt(why, sizeof(why), "/soak.d is not empty");
  }
  int tenths = (rdtime() - t0) / 60000000UL;  // of a minute
  printf("soak: %d rounds, %d.%d minutes: %s%s\n", round, tenths / 10, tenths % 10,
         ok ? "PASS" : "FAIL: ", ok ? "" : why);
  exit(ok ? 0 : 1);
}
