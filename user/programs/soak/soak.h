// soak: what its files share: the worker's identity, the small tools of
// util.c, the workers of a round and the kstat counts they check.
#pragma once
#include "pthread.h"
#include "semaphore.h"
#include "user.h"
#include "weft/fs.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define FAILED (-2)  // exit status of a worker that found a mismatch

extern const char *who;      // the worker this process runs
extern unsigned seed;        // its random state, shown in a FAIL
extern unsigned long until;  // rdtime() at which the mix stops
extern int hz;

// ---------------------------------------------------------------------------
// Small tools (util.c).

// Formats into out (%d %u %x %s, 'l' for long); the library only prints.
char *fmt(char *out, int cap, const char *f, ...);

// FAIL reports a mismatch, naming this source file and line, and ends the
// worker's process; CHECK fails unless c holds.
#define FAIL(...) fail_(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(c, ...) ((c) ? (void)0 : FAIL(__VA_ARGS__))
void __attribute__((noreturn)) fail_(const char *file, int line, const char *f, ...);

unsigned rnd_r(unsigned *s, unsigned n);
unsigned rnd(unsigned n);
char pat(unsigned key, unsigned pos);
void stamp(char *p, int n, unsigned tag);
int stamped(char *p, int n, unsigned tag);
int more(void);
void put_file(const char *path, const char *text);
int read_all(int fd, char *buf, int cap);
int get_file(const char *path, char *buf, int cap);
void expect_file(const char *path, const char *want);
void move_fd(int fd, int target);
int start(char **argv, int in, int out);
void reap(const int *pids, int *status, int n);
int reap1(int pid);
void *triple(void *arg);
extern char iobuf[8192];
unsigned write_pat(int fd, unsigned key, unsigned size);
void check_pat(const char *name, unsigned key, unsigned size, int nlink);

// ---------------------------------------------------------------------------
// The workers: each runs in its own directory until `until` and returns how
// many operations it did. fs.c, proc.c, thread.c; the exhaustion phase is
// exhaust.c.

int w_fs(void);
int w_race(void);
int w_sh(void);
int w_exec(void);
int w_kill(void);
int w_pthr(void);
int w_clone(void);
int w_sbrk(void);
int w_exhaust(void);

// The counts of struct kstat, in its order, and their names (exhaust.c).
enum { K_PAGES, K_THREADS, K_PROCS, K_FILES, K_CINODES, K_DINODES, K_BLOCKS, K_PROMISED, NK };
extern const char *knames[NK];
extern int verbose;  // -v: say what the exhaustion phase is doing
