// The user-space library: system calls, formatted output, strings, memory
// and the heap. One header for C and C++ programs alike.
//
// The names and signatures follow xv6 so that its programs port with little
// more than include changes; the string and heap functions use the standard
// C types (size_t) so that they agree with what the compiler expects of them.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"  // errno (thread-local), strerror, perror
#include "fcntl.h"
#include "stat.h"
#include "time.h"   // clock_gettime
#include "tls.h"    // thread-local storage for threads made by hand
#include "thread.h"  // the OSTEP thread library (pthread.h: POSIX style)
#include "weft/param.h"
#include "weft/kstat.h"
#include "weft/procinfo.h"

#define PGSIZE 4096

#ifdef __cplusplus
extern "C" {
#endif

// System calls (usys.S). Each returns -1 on error unless noted.
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(int *status);  // status may be NULL
int pipe(int fds[2]);
int read(int fd, void *buf, int n);
int write(int fd, const void *buf, int n);
int close(int fd);
int kill(int pid);
int exec(const char *path, char **argv);
int open(const char *path, int flags);
int mknod(const char *path, short major, short minor);
int unlink(const char *path);
int fstat(int fd, struct stat *st);
int link(const char *old, const char *new_);
// Moves the name old to new (replacing what new names, POSIX rules).
int rename(const char *old, const char *new_);
int fsync(int fd);
long trace(int op, unsigned long arg, void *buf, unsigned long len);  // weft/trace.h
int mkdir(const char *path);
int chdir(const char *path);
int dup(int fd);
int getpid(void);
char *sbrk(int n);  // returns the old break, (char *)-1 on failure
int sleep(int ticks);
int uptime(void);
int halt(int status);  // power off; QEMU exits with status
int freepages(void);
int procinfo(struct procinfo *buf, int max);  // returns the record count
int bootargs(char *buf, int n);               // returns the length
int kstat(struct kstat *st);                  // resource counts; 0 or -1
// One bucket-brigade trip through every hart (all != 0) or through those
// that run this address space; the hart ids where the caller ran (home,
// each stop, home again) go to stops. Returns their number.
int brigade(int *stops, int max, int all);

// Threads (docs/threads.md). OSTEP style: a clone is a new process sharing
// the caller's address space; join reaps an exited clone.
int clone(void (*fcn)(void *), void *arg, void *stack);
int join(void **stack);
// CMU/JHU style: threads inside one process.
int gettid(void);
int tspawn(void *stktop, void (*f)(void *), void *a);
// tspawn with 0 to MAXTHRARGS (8) arguments: f starts with args[0..nargs)
// in a0..a7, so f may be any function of up to eight long or pointer
// parameters (from C++, cast it to void (*)()). The array is copied when
// the thread is made. -1 with EINVAL for nargs outside 0..8, EFAULT if the
// array is not readable (with nargs 0 it is not read).
int tspawn_args(void *stktop, void (*f)(), int nargs, const long *args);
void texit(int *where, int what) __attribute__((noreturn));
int yield(int tid);  // tid < 0: anyone
int desch(int *guard);
int mkrun(int tid);
// Futex: sleep while *addr == expected; wake up to n sleepers.
int futex_wait(int *addr, int expected);
int futex_wake(int *addr, int n);
// futex_wait with a deadline, a value of the time CSR (rdtime, 10 MHz): -1
// with errno ETIMEDOUT once it has passed (seen at the next timer tick). A
// deadline of 0 means none.
int futex_wait_until(int *addr, int expected, unsigned long deadline);

// Formatted output (printf.c). %d %i %u %x %X %p %s %c %%, the l/ll/z
// length modifiers, a field width (or *), '-' to left-align and '0' to pad
// with zeros. Returns the number of characters produced.
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(int fd, const char *fmt, va_list ap);

// Strings and memory (string.c).
size_t strlen(const char *s);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int atoi(const char *s);
char *gets(char *buf, int max);  // one line from fd 0, newline kept
int stat(const char *path, struct stat *st);

// The heap (malloc.c). Safe to call from several threads at once.
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);

#ifdef __cplusplus
}
#endif

// The time CSR counts at 10 MHz; the kernel lets user mode read it directly,
// which makes it the cheap clock for benchmarks.
static inline unsigned long rdtime(void) {
  unsigned long t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t;
}
