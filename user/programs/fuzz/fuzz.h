// fuzz: what its files share: raw system calls and random numbers, the
// state of an address space, the registry, the argument kinds, the palette.
#pragma once
#include "user.h"
#include "weft/fs.h"
#include "weft/syscall.h"

typedef unsigned long u64;

#define NSLOTS 12                 // stacks for threads and clones per address space
#define STACK (2 * PGSIZE)        // each; a clone runs on its top page
#define SINK (16 * PGSIZE)        // heap buffer that the kernel may write into
#define ARENA_MAX (256 * PGSIZE)  // past this the arena is shrunk back
#define NFW 8                     // shared futex words
#define MAXPROCS 8
#define KADDR1 0x80000000L                  // kernel RAM
#define KADDR2 (long)0xffffffc000000000UL   // the device window
#define UTOP 0x7ffff000L                    // user space, never mapped here
#define INTMIN (-0x7fffffffL - 1)

// ---------------------------------------------------------------------------
// Raw system calls, stackless threads, random numbers (util.c).

long sc(long n, long a0, long a1, long a2, long a3, long a4, long a5);
#define SC1(n, a) sc((n), (long)(a), 0, 0, 0, 0, 0)
#define SC3(n, a, b, c) sc((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
void fz_park(void *word);   // a thread without a stack that waits for ever
void fz_blip(void *unused); // one that ends at once
u64 mix(u64 x);
u64 rnd(u64 *s);
#define R(c, n) ((long)(rnd(&(c)->rng) % (u64)(n)))
#define PICK(c, ...) ((const long[]){__VA_ARGS__}[R(c, sizeof((const long[]){__VA_ARGS__}) / sizeof(long))])

// ---------------------------------------------------------------------------
// State. What the root sets before it forks is the same in every worker; the
// rest belongs to one address space: a worker's threads and clones share it.
// (Defined in worker.c.)

#define NOPS_MAX 48
struct ctx {                // one per thread
  u64 rng;
  int kind;                 // K_MAIN (a worker's first thread), K_THREAD, K_CLONE, K_CHILD
  int slot;                 // its stack slot, -1 for K_MAIN
  long budget;              // calls left, -1 for no limit
  int pid, tid;             // what getpid and gettid must return
  long word;                // the futex word chosen last (A_EXPECT)
  volatile u64 since;       // rdtime when the running call began, 0 if none
  int calls, spawned;       // counts not yet reported to the root
  unsigned short n[NOPS_MAX], ok[NOPS_MAX];
};
enum { K_MAIN, K_THREAD, K_CLONE, K_CHILD };

extern u64 g_seed;
extern int g_regr, g_regw, g_w;
extern long g_guard, g_edge, g_text;  // guard page, 'a's running into it, code
extern char g_top[16];                // "/fzPID": the run's files are all below

struct slot { int busy; struct ctx c; };
extern struct slot g_slot[NSLOTS];
extern char g_stack[NSLOTS][STACK];
extern struct ctx g_main;
extern long g_zpage;                  // a heap page of zeros that nobody writes
extern char *g_sink;
extern long g_sink_end;               // where the arena starts
extern volatile long g_brk;           // the break as last seen
extern int g_fw[NFW];
extern char g_pattern[8192];          // letters, to write to files
extern char g_long[300];              // no NUL within MAXPATH
extern char g_mut[160];               // a path that threads rewrite under the kernel
extern int g_mutlen;
extern char g_path[24][40];           // paths in the run's tree

// ---------------------------------------------------------------------------
// The registry: records on a pipe to the root (util.c writes them, main.c
// reads them).
enum { R_BORN = 1, R_OP, R_THREADS, R_BAD };
#define BAD_MEMORY 0xff  // an R_BAD that is not an operation's (check_memory)

void report(int type, u64 v);
void born(int pid);
void flush(struct ctx *c);

// ---------------------------------------------------------------------------
// Arguments (args.c): the kinds, and the generators the operations use.
enum { A_ANY, A_FD, A_IN, A_OUT, A_OUTN, A_LEN, A_PATH, A_FLAGS, A_MAJOR,
       A_INT, A_TICKS, A_TID, A_WORD, A_GUARD, A_EXPECT, A_COUNT };

long arena(struct ctx *c);
long path(struct ctx *c, int *bad);
long arg(struct ctx *c, int kind, int *bad, int *zero);

// ---------------------------------------------------------------------------
// The palette (palette.c): one row per operation.
struct op {
  const char *name;
  long num;               // system call number
  int weight;
  unsigned char kind[3];  // kinds of a0..a2 (a3..a5 get junk)
  int flags;
  long (*fn)(struct ctx *, const struct op *);  // or NULL: generic()
};
#define F_BAD1 1    // a bad pointer (and a non-zero length) gives -1
#define F_BADLE0 2  // ... gives no positive count (read at the end of a file gives 0)
#define F_USER 4    // no system call: not counted
#define F_HOG 8     // sbrk about all free memory

extern const struct op palette[];
extern const int g_nops;  // its rows
extern int g_total;       // the sum of the weights
long generic(struct ctx *c, const struct op *o);
void check_memory(void);

// ---------------------------------------------------------------------------
// Threads and workers (worker.c).

int claim_slot(struct ctx *c);
struct ctx *new_ctx(struct ctx *c, int s, int kind, long budget);
void thread_main(void *arg);
void clone_main(void *arg);
void __attribute__((noreturn)) worker(int j, int w, int nthreads);
