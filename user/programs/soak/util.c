// soak: the small tools every worker uses: formatting, FAIL, random numbers,
// test data, files, starting and reaping children.
#include "soak.h"

// What these are: soak.h.
const char *who = "soak";
unsigned seed;
unsigned long until;
int hz = 100;

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

char *fmt(char *out, int cap, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  vfmt(out, cap, f, ap);
  va_end(ap);
  return out;
}

// Reports a mismatch in one write (the console keeps it whole) and ends this
// worker's process, every thread of it.
void __attribute__((noreturn)) fail_(const char *file, int line, const char *f, ...) {
  char msg[240];
  int n = strlen(fmt(msg, 120, "soak: FAIL %s (%s:%d, seed %u): ", who, file, line, seed));
  va_list ap;
  va_start(ap, f);
  n += vfmt(msg + n, sizeof(msg) - n - 1, f, ap);
  va_end(ap);
  msg[n++] = '\n';
  write(1, msg, n);
  exit(FAILED);
}

// xorshift32; each thread that needs randomness keeps its own state.
unsigned rnd_r(unsigned *s, unsigned n) {
  unsigned x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x % n;
}
unsigned rnd(unsigned n) { return rnd_r(&seed, n); }

// Test data: the byte at position pos of stream `key` depends on nothing
// else, so a reader can check whatever pieces it gets.
char pat(unsigned key, unsigned pos) {
  unsigned x = key * 2654435761u + (pos >> 2) * 40503u + 1;
  x ^= x >> 15;
  x *= 0x2c1b3c6du;
  x ^= x >> 12;
  return (char)(x >> ((pos & 3) * 8));
}

// Marks (and checks) the first and last word of n pages with tag + page.
void stamp(char *p, int n, unsigned tag) {
  for (int i = 0; i < n; i++)
    *(unsigned *)(p + i * PGSIZE) = *(unsigned *)(p + i * PGSIZE + PGSIZE - 4) = tag + i;
}
int stamped(char *p, int n, unsigned tag) {
  for (int i = 0; i < n; i++)
    if (*(unsigned *)(p + i * PGSIZE) != tag + i ||
        *(unsigned *)(p + i * PGSIZE + PGSIZE - 4) != tag + i)
      return 0;
  return 1;
}

int more(void) { return rdtime() < until; }

void put_file(const char *path, const char *text) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  CHECK(fd >= 0, "create %s", path);
  int n = strlen(text);
  CHECK(write(fd, text, n) == n, "write %s", path);
  close(fd);
}

// Reads fd to its end (at most cap - 1 bytes) and closes it; NUL-terminated.
int read_all(int fd, char *buf, int cap) {
  int n = 0, r;
  while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
    n += r;
  close(fd);
  buf[n] = 0;
  return n;
}

// The whole file, NUL-terminated; -1 if it cannot be opened.
int get_file(const char *path, char *buf, int cap) {
  int fd = open(path, O_RDONLY);
  return fd < 0 ? -1 : read_all(fd, buf, cap);
}

void expect_file(const char *path, const char *want) {
  char got[256];
  CHECK(get_file(path, got, sizeof(got)) >= 0, "open %s", path);
  CHECK(strcmp(got, want) == 0, "%s holds \"%s\", want \"%s\"", path, got, want);
}

// Makes fd known as target (0 or 1), as sh does: dup returns the lowest free
// descriptor, which is target once it is closed.
void move_fd(int fd, int target) {
  if (fd < 0 || fd == target)
    return;
  close(target);
  if (dup(fd) != target)
    exit(126);
  close(fd);
}

// Starts argv in a child with stdin from `in` and stdout to `out` (if >= 0).
int start(char **argv, int in, int out) {
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
void reap(const int *pids, int *status, int n) {
  for (int left = n; left > 0; left--) {
    int st, pid = wait(&st), i = 0;
    while (i < n && pids[i] != pid)
      i++;
    CHECK(i < n, "wait returned %d, not one of my %d children", pid, n);
    status[i] = st;
  }
}

int reap1(int pid) {
  int st;
  reap(&pid, &st, 1);
  return st;
}

// A thread whose result tells that it ran with its own argument.
void *triple(void *arg) { return (void *)((long)arg * 3 + 1); }

// ---------------------------------------------------------------------------
// Files of test data, written and read back in random pieces.

char iobuf[8192];

// Writes `size` bytes of stream `key` to fd in random pieces; returns how
// many were written (fewer if a write fell short: a full disk).
unsigned write_pat(int fd, unsigned key, unsigned size) {
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
void check_pat(const char *name, unsigned key, unsigned size, int nlink) {
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
