// Formatted output.
//
// The text of one call is collected in a buffer on the stack and handed to
// the kernel with as few writes as possible: one, unless it is longer than
// the buffer. Several processes printing to the console at once then mix
// whole lines rather than single characters.
//
// Threads that share memory (pthreads, clones) also take a print lock
// around the writes of one call, so that a call longer than the buffer is
// not cut up by another thread's output (nor is a shorter one: the kernel
// does not promise to keep a long write() in one piece). There is one lock
// per file descriptor, except that 0, 1 and 2 share one (they are usually
// all the console): a thread blocked writing to a full pipe does not hold up
// a thread printing elsewhere.
#include "sync_impl.h"
#include "user.h"

#define OUTBUF 256

struct out {
  int fd;
  int len;     // bytes waiting in buf
  int total;   // bytes produced so far, the return value
  int locked;  // our tid once the print lock is taken (first flush), else 0
  char buf[OUTBUF];
};

// A print lock: the tid of the thread that holds it (0 if nobody), and a
// count of releases that shows the lock is moving.
//
// It is not a plain futex lock because a holder may vanish: a thread that
// faults in the middle of a printf ends without letting go. So a waiter
// spins briefly, then yields its hart to the holder. yield(tid) fails when
// the holder is not a live thread of this process: it has ended, or it is a
// clone's (another process sharing this memory), and the two cannot be told
// apart. Then the lock is taken over only once it has not moved for
// PRINT_STEAL_AFTER; a live holder is only ever inside the write() calls
// of one printf. After a while a waiter sleeps a tick at a time.
//
// fork does not take these locks (a printf blocked on a full pipe could then
// hold up fork indefinitely, and they guard no data); it clears them in the
// child instead (weft_print_fork_child), where no thread can be printing.
#define PRINT_SPINS 100
#define PRINT_YIELDS 200
#define PRINT_STEAL_AFTER 5000000UL  // time CSR units: 0.5 s

struct print_lock {
  int owner;
  unsigned releases;
};

static struct print_lock print_locks[NOFILE];  // [0]: fds 0, 1, 2 and strays

static struct print_lock *lock_of(int fd) {
  return fd > 2 && fd < NOFILE ? &print_locks[fd] : &print_locks[0];
}

// Returns the caller's tid, which print_unlock needs back.
static int print_lock(struct print_lock *pl) {
  int me = gettid();
  int last = 0;  // the holder the deadline is for
  unsigned last_releases = 0;
  unsigned long deadline = 0;
  for (int i = 0;; i++) {
    int holder = 0;
    if (__atomic_compare_exchange_n(&pl->owner, &holder, me, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
      return me;
    if (i < PRINT_SPINS)
      continue;
    // The deadline runs from when the lock last moved.
    unsigned releases = __atomic_load_n(&pl->releases, __ATOMIC_RELAXED);
    if (holder != last || releases != last_releases) {
      last = holder;
      last_releases = releases;
      deadline = rdtime() + PRINT_STEAL_AFTER;
    }
    if (yield(holder) < 0) {
      if (rdtime() > deadline &&
          __atomic_compare_exchange_n(&pl->owner, &holder, me, 0, __ATOMIC_ACQUIRE,
                                      __ATOMIC_RELAXED))
        return me;
      yield(-1);  // let the holder (a clone, perhaps) run
    }
    if (i >= PRINT_SPINS + PRINT_YIELDS)
      sleep(1);
  }
}

static void print_unlock(struct print_lock *pl, int me) {
  __atomic_fetch_add(&pl->releases, 1, __ATOMIC_RELAXED);
  // A compare-and-swap rather than a store: were the lock ever taken over
  // from us, this must not free the new holder's.
  __atomic_compare_exchange_n(&pl->owner, &me, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

// fork's child has one thread, the one that called fork, which is not
// inside printf; so every lock that looks held was held by a thread the
// child does not have.
void weft_print_fork_child(void) {
  for (int i = 0; i < NOFILE; i++)
    __atomic_store_n(&print_locks[i].owner, 0, __ATOMIC_RELAXED);
}

static void flush(struct out *o) {
  if (o->len > 0) {
    if (!o->locked)
      o->locked = print_lock(lock_of(o->fd));
    write(o->fd, o->buf, o->len);
  }
  o->len = 0;
}

static void put(struct out *o, char c) {
  if (o->len == OUTBUF)
    flush(o);
  o->buf[o->len++] = c;
  o->total++;
}

static void put_repeat(struct out *o, char c, int n) {
  for (; n > 0; n--)
    put(o, c);
}

// How one conversion is to be laid out.
struct spec {
  int width;
  int left;  // '-': pad on the right
  int zero;  // '0': pad numbers with zeros after the sign
};

// Emits s (len bytes) padded to the field width. Zero padding goes between
// the sign (or 0x prefix) and the digits, which is why the prefix is separate.
static void put_field(struct out *o, const struct spec *sp, const char *prefix,
                      const char *s, int len) {
  int plen = (int)strlen(prefix);
  int pad = sp->width - plen - len;
  if (pad < 0)
    pad = 0;
  if (!sp->left && !sp->zero)
    put_repeat(o, ' ', pad);
  while (*prefix)
    put(o, *prefix++);
  if (!sp->left && sp->zero)
    put_repeat(o, '0', pad);
  for (int i = 0; i < len; i++)
    put(o, s[i]);
  if (sp->left)
    put_repeat(o, ' ', pad);
}

static void put_number(struct out *o, const struct spec *sp, unsigned long v,
                       int base, int negative, const char *prefix, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];  // 2^64 has 20 decimal digits, 16 hex digits
  int i = sizeof(tmp);
  do {
    tmp[--i] = digits[v % base];
    v /= base;
  } while (v != 0);
  put_field(o, sp, negative ? "-" : prefix, tmp + i, sizeof(tmp) - i);
}

int vfprintf(int fd, const char *fmt, va_list ap) {
  struct out o;
  o.fd = fd;
  o.len = 0;
  o.total = 0;
  o.locked = 0;

  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    struct spec sp = {0, 0, 0};
    for (p++; *p == '-' || *p == '0'; p++) {
      if (*p == '-')
        sp.left = 1;
      else
        sp.zero = 1;
    }
    if (*p == '*') {
      sp.width = va_arg(ap, int);
      if (sp.width < 0) {
        sp.left = 1;
        sp.width = -sp.width;
      }
      p++;
    }
    for (; *p >= '0' && *p <= '9'; p++)
      sp.width = sp.width * 10 + (*p - '0');
    if (sp.left)
      sp.zero = 0;
    // On riscv64, long, long long and size_t are all 64 bits wide, so one
    // flag covers every length modifier.
    int is_long = 0;
    for (; *p == 'l' || *p == 'z'; p++)
      is_long = 1;
    // A bare %l, as older xv6 programs write it: a 64-bit unsigned
    // number. What follows it is ordinary text.
    if (is_long && p[-1] == 'l' && (*p == '\0' || !strchr("diuxX", *p))) {
      put_number(&o, &sp, va_arg(ap, unsigned long), 10, 0, "", 0);
      p--;
      continue;
    }

    switch (*p) {
    case 'd':
    case 'i': {
      long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
      // Negate as unsigned so that the most negative value survives.
      unsigned long mag = v < 0 ? -(unsigned long)v : (unsigned long)v;
      put_number(&o, &sp, mag, 10, v < 0, "", 0);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      unsigned long v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
      put_number(&o, &sp, v, *p == 'u' ? 10 : 16, 0, "", *p == 'X');
      break;
    }
    case 'p': {
      // Every pointer at full width (16 digits), so that columns of
      // addresses line up; a field width given with %p is ignored.
      unsigned long v = (unsigned long)va_arg(ap, void *);
      struct spec ps = {18, 0, 1};
      put_number(&o, &ps, v, 16, 0, "0x", 0);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (s == NULL)
        s = "(null)";
      sp.zero = 0;
      put_field(&o, &sp, "", s, (int)strlen(s));
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      sp.zero = 0;
      put_field(&o, &sp, "", &c, 1);
      break;
    }
    case '%':
      put(&o, '%');
      break;
    case '\0':
      // A lone '%' at the end: print it rather than read past the string.
      put(&o, '%');
      p--;
      break;
    default:
      // Unknown conversion: show it as written, which makes the mistake
      // visible in the output.
      put(&o, '%');
      put(&o, *p);
      break;
    }
  }
  flush(&o);
  if (o.locked)
    print_unlock(lock_of(fd), o.locked);
  return o.total;
}

int fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(1, fmt, ap);
  va_end(ap);
  return n;
}
