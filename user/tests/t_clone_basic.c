// t_clone_basic: clone() makes a new process that shares the address space.
//
// - It returns a new pid; in the clone getpid() is that pid, gettid() ==
//   getpid(), and it is a child of the caller (procinfo ppid).
// - Memory is shared both ways (globals, heap, the parent's stack), and a
//   64-bit argument arrives whole.
// - Entry state: ra == 0xffffffff and sp == stack + PGSIZE (frame address).
// - join returns the clone's pid and stores the stack it was given.
// - Stack checks (-1, and no process made): misaligned, a page that is only
//   partly below the break, wholly past the break, NULL, page 0, a kernel
//   address, and an address that wraps around. A page wholly inside (also
//   the last whole page below a break that is not page-aligned) works.
// - The file table is a copy: the clone inherits the fds open at clone time
//   (it can write to a pipe the parent reads); its close() does not close
//   the parent's fd; an fd it opens afterwards does not exist in the parent;
//   an fd the parent opens after the clone does not exist in the clone.
// - Returning from the function ends the clone (a fault at 0xffffffff),
//   which join reaps; exit() in a clone ends only the clone.
// - 8 clones at once all share one counter; join returns each pid and each
//   stack exactly once, then -1.
// - clone and join belong to the process: a clone made by a non-first
//   thread is joined by the first one, and the other way round.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;  // 16 page-aligned pages

struct seen {
  int pid, tid, ppid_ok;
  long arg;
  unsigned long ra, fp;
  int global_seen, stack_seen;
};
static struct seen seen;
static int g_to_clone, g_from_clone;
static int *g_main_stack_ptr, *g_heap_ptr;

static __attribute__((noinline)) void probe(void *arg) {
  seen.ra = (unsigned long)__builtin_return_address(0);
  seen.fp = (unsigned long)__builtin_frame_address(0);
  seen.arg = (long)arg;
  seen.pid = getpid();
  seen.tid = gettid();
  seen.global_seen = LOAD(&g_to_clone);
  seen.stack_seen = LOAD(g_main_stack_ptr);
  STORE(&g_from_clone, 0xc10e);
  STORE(g_heap_ptr, 0x4ea9);
  STORE(g_main_stack_ptr, 0x57ac);
  exit(0);
}

static void test_basic(void) {
  volatile int on_stack = 0x1234;
  g_main_stack_ptr = (int *)&on_stack;
  g_heap_ptr = malloc(sizeof(int));
  *g_heap_ptr = 0;
  g_to_clone = 0x7e57;
  long arg = (long)0xfedcba9876543210UL;
  char *stk = stacks + PGSIZE;
  int pid = clone(probe, (void *)arg, stk);
  ASSERT_GT(pid, 0, "clone returns a pid");
  EXPECT_NE(pid, getpid(), "a new pid");
  void *got = 0;
  EXPECT_EQ(join(&got), pid, "join returns the clone's pid");
  EXPECT_EQ(got, stk, "join stores the stack the clone was given");
  EXPECT_EQ(seen.pid, pid, "getpid() in the clone is its pid");
  EXPECT_EQ(seen.tid, pid, "gettid() in the clone is its pid");
  EXPECT_EQ(seen.arg, arg, "the argument arrives with all 64 bits");
  EXPECT_EQ(seen.ra, FAKE_RA, "ra == 0xffffffff at entry");
  EXPECT_EQ(seen.fp, (unsigned long)stk + PGSIZE, "sp == stack + PGSIZE");
  EXPECT_EQ(seen.global_seen, 0x7e57, "the clone sees a global set before");
  EXPECT_EQ(seen.stack_seen, 0x1234, "the clone reads the parent's stack");
  EXPECT_EQ(LOAD(&g_from_clone), 0xc10e, "the parent sees the clone's write");
  EXPECT_EQ(LOAD(g_heap_ptr), 0x4ea9, "heap memory is shared");
  EXPECT_EQ(on_stack, 0x57ac, "the parent's stack is shared");
  EXPECT_EQ(join(&got), -1, "no more clones: join returns -1");
  free(g_heap_ptr);
}

// The clone's parent as procinfo shows it, seen from the parent.
static int hold_word, hold_ready;
static void holder(void *arg) {
  (void)arg;
  thr_bump(&hold_ready);
  while (LOAD(&hold_word) == 0)
    futex_wait(&hold_word, 0);
  exit(0);
}

static void test_parentage(void) {
  int pid = clone(holder, 0, stacks);
  ASSERT_GT(pid, 0, "clone");
  thr_wait_change(&hold_ready, 0);
  struct procinfo pi = {0};
  EXPECT_EQ(test_find_proc(pid, &pi), 1, "the clone is in the table");
  EXPECT_EQ(pi.ppid, getpid(), "as our child");
  EXPECT_EQ(pi.tid, pid, "its one thread has tid == pid");
  EXPECT_EQ(thr_count(pid), 1, "one thread");
  EXPECT_EQ(thr_count(getpid()), 1, "and we still have one thread");
  thr_bump(&hold_word);
  void *got;
  EXPECT_EQ(join(&got), pid, "join it");
}

static int never_ran;
static void never(void *arg) {
  (void)arg;
  STORE(&never_ran, 1);
  exit(0);
}

static void test_stack_checks(void) {
  int procs = test_count_procs();
  // A break that is not page-aligned: the page it falls in is partly ours.
  char *page = thr_pages(2);
  ASSERT_TRUE(page != 0, "sbrk 2 pages");
  sbrk(-(PGSIZE / 2));  // the break is now in the middle of the 2nd page
  char *brk = sbrk(0);
  EXPECT_EQ(brk, page + PGSIZE + PGSIZE / 2, "break in mid-page");
  EXPECT_EQ(clone(never, 0, stacks + 8), -1, "misaligned stack: -1");
  EXPECT_EQ(clone(never, 0, stacks + PGSIZE / 2), -1, "half-page-aligned: -1");
  EXPECT_EQ(clone(never, 0, page + PGSIZE), -1,
            "a page that is only partly below the break: -1");
  EXPECT_EQ(clone(never, 0, page + 2 * PGSIZE), -1,
            "a page wholly past the break: -1");
  EXPECT_EQ(clone(never, 0, page + 64 * PGSIZE), -1, "far past the break: -1");
  EXPECT_EQ(clone(never, 0, 0), -1, "NULL: -1");
  EXPECT_EQ(clone(never, 0, (void *)0x80000000UL), -1,
            "kernel address 0x80000000: -1");
  EXPECT_EQ(clone(never, 0, (void *)0x80200000UL), -1,
            "kernel address 0x80200000: -1");
  EXPECT_EQ(clone(never, 0, (void *)-4096L), -1,
            "0xfffffffffffff000 (wraps around): -1");
  EXPECT_EQ(test_count_procs(), procs, "no process was made");
  void *got;
  EXPECT_EQ(join(&got), -1, "nothing to join");
  EXPECT_EQ(LOAD(&never_ran), 0, "the function never ran");

  // The last whole page below that break is fine.
  int pid = clone(never, 0, page);
  EXPECT_GT(pid, 0, "the last whole page below the break: ok");
  if (pid > 0) {
    EXPECT_EQ(join(&got), pid, "join it");
    EXPECT_EQ(got, page, "its stack");
  }
  EXPECT_EQ(LOAD(&never_ran), 1, "that one ran");
  sbrk(-(PGSIZE + PGSIZE / 2));
}

// File table copy semantics. The two sides take turns through `step`.
static int p[2];
static int step, cfd_opened, parent_fd, c_stat_parent_fd, c_close_cfd;
static int c_close_ret, c_write_ret;

static void fd_clone(void *arg) {
  (void)arg;
  // Inherited: write to the pipe. A new fd here (a dup of the console gets
  // a number the parent does not use), then close our copies of the pipe.
  c_write_ret = write(p[1], "hi", 2);
  STORE(&cfd_opened, dup(0));
  c_close_ret = close(p[1]) | close(p[0]);
  thr_bump(&step);  // 1
  thr_wait_atleast(&step, 2);
  c_close_cfd = close(LOAD(&cfd_opened));
  thr_bump(&step);  // 3
  thr_wait_atleast(&step, 4);
  struct stat st;
  c_stat_parent_fd = fstat(LOAD(&parent_fd), &st);
  exit(0);
}

static void test_fd_copy(void) {
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = clone(fd_clone, 0, stacks);
  ASSERT_GT(pid, 0, "clone");
  thr_wait_atleast(&step, 1);
  EXPECT_EQ(c_write_ret, 2, "the clone writes to an inherited fd");
  EXPECT_EQ(c_close_ret, 0, "the clone closes its copies of the pipe fds");
  char buf[4] = {0};
  EXPECT_EQ(read(p[0], buf, 2), 2, "the parent's read end still works");
  EXPECT_TRUE(buf[0] == 'h' && buf[1] == 'i', "and reads what the clone wrote");
  EXPECT_EQ(write(p[1], "yo", 2), 2, "the parent's write end still works");
  EXPECT_EQ(read(p[0], buf, 2), 2, "round trip in the parent");
  int cfd = LOAD(&cfd_opened);
  EXPECT_GT(cfd, p[1], "the clone opened fd %d", cfd);
  struct stat st;
  EXPECT_EQ(fstat(cfd, &st), -1, "fd %d opened in the clone is not ours", cfd);
  EXPECT_EQ(write(cfd, "x", 1), -1, "writing to it fails here");
  thr_bump(&step);  // 2
  thr_wait_atleast(&step, 3);
  EXPECT_EQ(c_close_cfd, 0, "the clone closes its fd %d", cfd);
  // Now the parent opens one; the clone must not see it.
  int pfd = dup(1);
  EXPECT_GE(pfd, 0, "the parent dups fd 1 as fd %d", pfd);
  STORE(&parent_fd, pfd);
  thr_bump(&step);  // 4
  void *got;
  EXPECT_EQ(join(&got), pid, "join");
  EXPECT_EQ(c_stat_parent_fd, -1,
            "fd %d, opened by the parent after clone, is not in the clone",
            pfd);
  EXPECT_EQ(fstat(pfd, &st), 0, "but is in the parent");
  close(pfd);
  close(p[0]);
  close(p[1]);
}

// Returning from the function; exit() in a clone.
static int ret_flag;
static void returns(void *arg) {
  (void)arg;
  STORE(&ret_flag, 1);
}

static int exit_flag;
static void exits(void *arg) {
  STORE(&exit_flag, (int)(long)arg);
  exit(3);
}

static void test_return_and_exit(void) {
  int pid = clone(returns, 0, stacks);
  ASSERT_GT(pid, 0, "clone a function that returns");
  void *got = 0;
  EXPECT_EQ(join(&got), pid, "it ends (fault at 0xffffffff) and join reaps it");
  EXPECT_EQ(got, stacks, "with its stack");
  EXPECT_EQ(LOAD(&ret_flag), 1, "it ran");
  pid = clone(exits, (void *)5L, stacks);
  ASSERT_GT(pid, 0, "clone a function that calls exit(3)");
  EXPECT_EQ(join(&got), pid, "exit ends the clone; join reaps it");
  EXPECT_EQ(LOAD(&exit_flag), 5, "it ran");
  EXPECT_EQ(wait(0), -1, "wait does not see it (there is nothing left)");
}

// 8 clones at once.
#define NC 8
static int counter;
static int go;
static void bump(void *arg) {
  (void)arg;
  thr_wait_change(&go, 0);
  for (int i = 0; i < 1000; i++)
    ADD(&counter, 1);
  exit(0);
}

static void test_many(void) {
  int pids[NC];
  for (int i = 0; i < NC; i++)
    pids[i] = clone(bump, 0, stacks + i * PGSIZE);
  int ok = 1;
  for (int i = 0; i < NC; i++)
    ok &= pids[i] > 0;
  ASSERT_TRUE(ok, "%d clones", NC);
  thr_bump(&go);
  int seen_pid[NC] = {0}, seen_stk[NC] = {0}, bad = 0;
  for (int k = 0; k < NC; k++) {
    void *got = 0;
    int r = join(&got);
    int i;
    for (i = 0; i < NC && pids[i] != r; i++)
      ;
    if (i == NC || seen_pid[i]++) {
      bad = 1;
      continue;
    }
    long s = ((char *)got - stacks) / PGSIZE;
    if ((char *)got < stacks || s >= NC || (char *)got != stacks + s * PGSIZE ||
        seen_stk[s]++ || s != i)
      bad = 1;
  }
  EXPECT_FALSE(bad, "join returns each pid once, each with its own stack");
  void *got;
  EXPECT_EQ(join(&got), -1, "then -1");
  EXPECT_EQ(LOAD(&counter), NC * 1000, "one shared counter: %d", NC * 1000);
}

// clone and join are per process: a clone made by one thread can be joined
// by another.
static int ct_pid, ct_join, ct_done, ct_ran;
static void ct_child(void *arg) {
  (void)arg;
  STORE(&ct_ran, 1);
  exit(0);
}
static void ct_cloner(void *arg) {
  (void)arg;
  ct_pid = clone(ct_child, 0, stacks + 9 * PGSIZE);
  texit(&ct_done, 1);
}
static void ct_joiner(void *arg) {
  void *got = 0;
  ct_join = join(&got);
  if (got != arg)
    ct_join = -2;
  texit(&ct_done, 2);
}

static void test_across_threads(void) {
  int t = thr_spawn(stacks + 10 * PGSIZE, ct_cloner, 0);
  ASSERT_GT(t, 0, "spawn a thread that clones");
  thr_wait_change(&ct_done, 0);
  EXPECT_GT(ct_pid, 0, "a non-first thread clones");
  struct procinfo pi = {0};
  EXPECT_TRUE(test_find_proc(ct_pid, &pi) == 1 && pi.ppid == getpid(),
              "the clone is the process's child");
  void *got = 0;
  EXPECT_EQ(join(&got), ct_pid, "the first thread joins it");
  EXPECT_EQ(got, stacks + 9 * PGSIZE, "with its stack");
  EXPECT_EQ(LOAD(&ct_ran), 1, "it ran");

  STORE(&ct_done, 0);
  int c = clone(ct_child, 0, stacks + 9 * PGSIZE);
  ASSERT_GT(c, 0, "the first thread clones");
  t = thr_spawn(stacks + 10 * PGSIZE, ct_joiner, stacks + 9 * PGSIZE);
  ASSERT_GT(t, 0, "spawn a thread that joins");
  thr_wait_change(&ct_done, 0);
  EXPECT_EQ(ct_join, c, "a non-first thread joins it, with its stack");
}

int main(void) {
  stacks = thr_pages(16);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_basic();
  test_parentage();
  test_stack_checks();
  test_fd_copy();
  test_return_and_exit();
  test_many();
  test_across_threads();
  test_done();
}
