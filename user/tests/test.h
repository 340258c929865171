// test.h: the in-guest test library. Header-only, for C and C++ programs.
//
// A test program prints TAP lines and exits 0 if every check passed:
//
//   #include "test.h"
//   int main(void) {
//     int fd = open("x", O_CREATE | O_RDWR);
//     EXPECT_GE(fd, 0, "create x");
//     EXPECT_EQ(write(fd, "hi", 2), 2, "write %d bytes", 2);
//     test_done();
//   }
//
// prints "ok 1 - create x", "ok 2 - write 2 bytes", then the plan "1..2",
// and exits 0. A failed check prints "not ok N - what" followed by "#" lines
// that give the file, the line, both expressions and both values. ASSERT_*
// is the same as EXPECT_* but ends the test at once (exit 1) when it fails:
// use it when nothing after it can make sense.
//
// The "what" of every check is a printf-style format; each TAP line is built
// in a buffer and written with one write(), so that a line is never split
// by other output on the console.
//
// Only the test's main process should report checks: the numbering lives in
// that process's memory. A child process reports to its parent through its
// exit status (see test_child_status) or a pipe, and the parent checks it.
#pragma once

#include "user.h"

#define TEST_UNUSED __attribute__((unused))

// Counters of the main test process.
static int test_count_ TEST_UNUSED;
static int test_failures_ TEST_UNUSED;

// ---------------------------------------------------------------------------
// A small formatter into a buffer: %d %i %u %x %X %p %s %c %%, with the l, ll
// and z length modifiers. The user library only prints to file descriptors,
// and a TAP line must be made in one piece.

struct test_buf_ {
  char *p;
  int len, cap;
};

static TEST_UNUSED void test_putc_(struct test_buf_ *b, char c) {
  if (b->len < b->cap - 1)
    b->p[b->len++] = c;
}

static TEST_UNUSED void test_puts_(struct test_buf_ *b, const char *s) {
  if (!s)
    s = "(null)";
  while (*s)
    test_putc_(b, *s++);
}

static TEST_UNUSED void test_putu_(struct test_buf_ *b, unsigned long v,
                                   unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  while (n > 0)
    test_putc_(b, tmp[--n]);
}

static TEST_UNUSED int test_vformat(char *out, int cap, const char *fmt,
                                    va_list ap) {
  struct test_buf_ b = {out, 0, cap};
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      test_putc_(&b, *fmt);
      continue;
    }
    fmt++;
    int longs = 0;
    while (*fmt == 'l' || *fmt == 'z') {
      longs++;
      fmt++;
    }
    switch (*fmt) {
    case 'd':
    case 'i': {
      long v = longs ? va_arg(ap, long) : va_arg(ap, int);
      if (v < 0) {
        test_putc_(&b, '-');
        test_putu_(&b, -(unsigned long)v, 10, 0);
      } else {
        test_putu_(&b, (unsigned long)v, 10, 0);
      }
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      unsigned long v =
          longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
      test_putu_(&b, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
      break;
    }
    case 'p':
      test_puts_(&b, "0x");
      test_putu_(&b, (unsigned long)va_arg(ap, void *), 16, 0);
      break;
    case 's':
      test_puts_(&b, va_arg(ap, const char *));
      break;
    case 'c':
      test_putc_(&b, (char)va_arg(ap, int));
      break;
    case '\0':
      fmt--;  // a lone '%' at the end
      break;
    default:
      test_putc_(&b, '%');
      test_putc_(&b, *fmt);
    }
  }
  b.p[b.len] = '\0';
  return b.len;
}

static TEST_UNUSED int test_format(char *out, int cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = test_vformat(out, cap, fmt, ap);
  va_end(ap);
  return n;
}

// ---------------------------------------------------------------------------
// TAP output.

// Prints "ok N - what" or "not ok N - what" and counts it. Returns ok.
static TEST_UNUSED int test_vreport(int ok, const char *fmt, va_list ap) {
  char line[256];
  test_count_++;
  if (!ok)
    test_failures_++;
  int n = test_format(line, sizeof(line) - 64, "%sok %d - ", ok ? "" : "not ",
                      test_count_);
  n += test_vformat(line + n, sizeof(line) - n - 1, fmt, ap);
  line[n++] = '\n';
  write(1, line, n);
  return ok;
}

static TEST_UNUSED int test_report(int ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  test_vreport(ok, fmt, ap);
  va_end(ap);
  return ok;
}

// "# text": a TAP comment (diagnostics, progress, measured values).
static TEST_UNUSED void test_note(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = test_format(line, 8, "# ");
  n += test_vformat(line + n, sizeof(line) - n - 1, fmt, ap);
  va_end(ap);
  line[n++] = '\n';
  write(1, line, n);
}

// Prints the plan and a summary, then exits: 0 if every check passed, 1 if
// any failed or if there was no check at all (a test that checks nothing
// cannot fail, which is a defect of the test).
static TEST_UNUSED __attribute__((noreturn)) void test_done(void) {
  printf("1..%d\n", test_count_);
  if (test_count_ == 0)
    printf("# no checks were made\n");
  else if (test_failures_)
    printf("# %d of %d checks failed\n", test_failures_, test_count_);
  exit(test_failures_ || test_count_ == 0 ? 1 : 0);
}

// ---------------------------------------------------------------------------
// Checks. Values are compared as signed 64-bit integers (pointers too).

enum { TEST_EQ_, TEST_NE_, TEST_LT_, TEST_LE_, TEST_GT_, TEST_GE_ };

static TEST_UNUSED int test_cmp_(long a, long b, int op, const char *ea,
                                 const char *eb, const char *file, int line,
                                 const char *fmt, ...) {
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
  int ok = 0;
  switch (op) {
  case TEST_EQ_: ok = a == b; break;
  case TEST_NE_: ok = a != b; break;
  case TEST_LT_: ok = a < b; break;
  case TEST_LE_: ok = a <= b; break;
  case TEST_GT_: ok = a > b; break;
  case TEST_GE_: ok = a >= b; break;
  }
  va_list ap;
  va_start(ap, fmt);
  test_vreport(ok, fmt, ap);
  va_end(ap);
  if (!ok) {
    printf("#   at %s:%d: expected %s %s %s\n", file, line, ea, ops[op], eb);
    printf("#     left:  %ld (0x%lx)\n", a, (unsigned long)a);
    printf("#     right: %ld (0x%lx)\n", b, (unsigned long)b);
  }
  return ok;
}

static TEST_UNUSED int test_true_(int ok, const char *expr, const char *file,
                                  int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  test_vreport(ok, fmt, ap);
  va_end(ap);
  if (!ok)
    printf("#   at %s:%d: expected %s to be true\n", file, line, expr);
  return ok;
}

static TEST_UNUSED __attribute__((noreturn)) void test_bail_(const char *file,
                                                            int line) {
  printf("# bail out: a required check failed at %s:%d\n", file, line);
  test_done();
}

#define TEST_CMP_(a, b, op, ...)                                              \
  test_cmp_((long)(a), (long)(b), op, #a, #b, __FILE__, __LINE__, __VA_ARGS__)

// Each returns 1 if the check passed, 0 if not; the "what" is a format.
#define EXPECT_TRUE(c, ...)                                                   \
  test_true_(!!(c), #c, __FILE__, __LINE__, __VA_ARGS__)
#define EXPECT_FALSE(c, ...)                                                  \
  test_true_(!(c), "!(" #c ")", __FILE__, __LINE__, __VA_ARGS__)
#define EXPECT_EQ(a, b, ...) TEST_CMP_(a, b, TEST_EQ_, __VA_ARGS__)
#define EXPECT_NE(a, b, ...) TEST_CMP_(a, b, TEST_NE_, __VA_ARGS__)
#define EXPECT_LT(a, b, ...) TEST_CMP_(a, b, TEST_LT_, __VA_ARGS__)
#define EXPECT_LE(a, b, ...) TEST_CMP_(a, b, TEST_LE_, __VA_ARGS__)
#define EXPECT_GT(a, b, ...) TEST_CMP_(a, b, TEST_GT_, __VA_ARGS__)
#define EXPECT_GE(a, b, ...) TEST_CMP_(a, b, TEST_GE_, __VA_ARGS__)

// As EXPECT_*, but a failure ends the test (exit 1) after the report.
#define TEST_ASSERT_(check)                                                   \
  do {                                                                        \
    if (!(check))                                                             \
      test_bail_(__FILE__, __LINE__);                                         \
  } while (0)
#define ASSERT_TRUE(c, ...) TEST_ASSERT_(EXPECT_TRUE(c, __VA_ARGS__))
#define ASSERT_FALSE(c, ...) TEST_ASSERT_(EXPECT_FALSE(c, __VA_ARGS__))
#define ASSERT_EQ(a, b, ...) TEST_ASSERT_(EXPECT_EQ(a, b, __VA_ARGS__))
#define ASSERT_NE(a, b, ...) TEST_ASSERT_(EXPECT_NE(a, b, __VA_ARGS__))
#define ASSERT_LT(a, b, ...) TEST_ASSERT_(EXPECT_LT(a, b, __VA_ARGS__))
#define ASSERT_LE(a, b, ...) TEST_ASSERT_(EXPECT_LE(a, b, __VA_ARGS__))
#define ASSERT_GT(a, b, ...) TEST_ASSERT_(EXPECT_GT(a, b, __VA_ARGS__))
#define ASSERT_GE(a, b, ...) TEST_ASSERT_(EXPECT_GE(a, b, __VA_ARGS__))

// ---------------------------------------------------------------------------
// Helpers that many tests need.

// Runs fn(arg) in a child process, which exits with fn's return value; waits
// for that child and returns its exit status. Returns TEST_NOFORK if fork
// failed and TEST_NOWAIT if the wait did not return this child.
#define TEST_NOFORK (-1000)
#define TEST_NOWAIT (-1001)
static TEST_UNUSED int test_child_status(int (*fn)(void *), void *arg) {
  int pid = fork();
  if (pid < 0)
    return TEST_NOFORK;
  if (pid == 0)
    exit(fn(arg));
  int status = TEST_NOWAIT;
  if (wait(&status) != pid)
    return TEST_NOWAIT;
  return status;
}

// Waits for the child pid (reaping any other children on the way, which
// counts as a failure of the caller's bookkeeping: returns TEST_NOWAIT).
static TEST_UNUSED int test_wait_pid(int pid) {
  int status = 0;
  int w = wait(&status);
  return w == pid ? status : TEST_NOWAIT;
}

// Timer ticks per second, from "tick=N" on the kernel command line (100 if
// it is not there). Tests bound their waits in seconds, not ticks, so that
// they behave the same at every tick frequency.
// unlink for a test's clean-up: under injected allocation failures
// (docs/testing.md) an unlink can fail for want of an inode cache entry or
// a block, and a file left behind counts as a leak; so try again, until
// the name is gone.
static TEST_UNUSED int test_unlink(const char *path) {
  for (int k = 0; k < 20; k++) {
    if (unlink(path) == 0)
      return 0;
    if (errno == ENOENT || errno == ENOTEMPTY)
      return -1;
  }
  return -1;
}

static TEST_UNUSED int test_hz(void) {
  char args[256];
  if (bootargs(args, sizeof(args)) < 0)
    return 100;
  for (char *s = args; *s; s++) {
    if ((s == args || s[-1] == ' ') && strncmp(s, "tick=", 5) == 0) {
      int hz = atoi(s + 5);
      return hz > 0 ? hz : 100;
    }
  }
  return 100;
}

// The free page count, once it has come back to at least `want`: freeing
// memory of an exited process may finish a little after wait() returns (an
// exited thread's kernel stack is released once its hart has switched away,
// and orphans are reaped by init). Gives up after about `seconds` and
// returns what it has then; a permanent shortfall is a leak.
static TEST_UNUSED int test_settled_freepages(int want, int seconds) {
  int n = freepages();
  int ticks = seconds * test_hz();
  for (int i = 0; i < ticks && n < want; i++) {
    sleep(1);
    n = freepages();
  }
  return n;
}

// xorshift32: a deterministic pseudo-random stream for test data.
static TEST_UNUSED unsigned test_rand(unsigned *state) {
  unsigned x = *state ? *state : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

// Fills buf with the bytes of the stream that begins at position `pos` of
// the data named by `seed`: the byte at position p depends only on (seed, p),
// so that a reader can check any slice it reads without knowing how the
// writer cut the data into pieces.
static TEST_UNUSED unsigned char test_byte_at(unsigned seed, unsigned long p) {
  unsigned x = seed * 2654435761u + (unsigned)(p >> 2) * 40503u + 1;
  x ^= x >> 15;
  x *= 0x2c1b3c6du;
  x ^= x >> 12;
  return (unsigned char)(x >> ((p & 3) * 8));
}

static TEST_UNUSED void test_fill(void *buf, int n, unsigned seed,
                                  unsigned long pos) {
  unsigned char *b = (unsigned char *)buf;
  for (int i = 0; i < n; i++)
    b[i] = test_byte_at(seed, pos + i);
}

// Index of the first byte of buf that differs from the stream, or -1.
static TEST_UNUSED int test_check(const void *buf, int n, unsigned seed,
                                  unsigned long pos) {
  const unsigned char *b = (const unsigned char *)buf;
  for (int i = 0; i < n; i++)
    if (b[i] != test_byte_at(seed, pos + i))
      return i;
  return -1;
}

// Decimal text of v into buf (at least 12 bytes); returns buf.
static TEST_UNUSED char *test_itoa(int v, char *buf) {
  test_format(buf, 12, "%d", v);
  return buf;
}

// ---------------------------------------------------------------------------
// The process table as procinfo() shows it (one record per thread, plus one
// per zombie process).

#define TEST_MAXPI (NPROC + NTHR)
static struct procinfo test_pi_[TEST_MAXPI] TEST_UNUSED;

// The first record of process pid into *out; 1 if found, 0 if there is no
// such process, -1 if procinfo failed.
static TEST_UNUSED int test_find_proc(int pid, struct procinfo *out) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  if (n < 0)
    return -1;
  for (int i = 0; i < n; i++) {
    if (test_pi_[i].pid == pid) {
      if (out)
        *out = test_pi_[i];
      return 1;
    }
  }
  return 0;
}

// The pid of the process named `name` (the first one), or -1.
static TEST_UNUSED int test_pid_of(const char *name) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  for (int i = 0; i < n; i++)
    if (strncmp(test_pi_[i].name, name, PI_NAMELEN) == 0)
      return test_pi_[i].pid;
  return -1;
}

// The number of processes (live or zombie) in the table, or -1.
static TEST_UNUSED int test_count_procs(void) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  if (n < 0)
    return -1;
  int procs = 0;
  for (int i = 0; i < n; i++)
    if (i == 0 || test_pi_[i].pid != test_pi_[i - 1].pid)
      procs++;
  return procs;
}

// Waits (sleeping a tick at a time, for at most `seconds`) until process pid
// is gone from the table (state 0) or is in `state`. Returns 1 if that
// happened, 0 if not. The bound only keeps a broken kernel from hanging the
// test; with a working one the wait ends as soon as the state is reached.
static TEST_UNUSED int test_await_proc(int pid, int state, int seconds) {
  int ticks = seconds * test_hz();
  for (int i = 0;; i++) {
    struct procinfo pi;
    int r = test_find_proc(pid, &pi);
    if (r == 0 && state == 0)
      return 1;
    if (r == 1 && state != 0 && pi.state == state)
      return 1;
    if (r < 0 || i >= ticks)
      return 0;
    sleep(1);
  }
}
