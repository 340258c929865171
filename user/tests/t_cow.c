// t_cow: fork shares memory copy-on-write, and nobody can tell.
//
// - A fork of a process with a 1 MiB heap takes far fewer pages than the
//   heap (the pages are shared until written).
// - After the fork, writes by either side are invisible to the other, and
//   the first side to write keeps a page the other still reads.
// - The kernel writes into shared pages too: read() from a pipe (under the
//   pipe's lock), wait()'s status (under the wait lock), procinfo's records
//   and texit's word (under a futex lock) all land, in the writer only.
// - A second thread of the parent, spinning on another hart on a word of a
//   page the fork just shared, sees the parent's next write to it (the
//   parent's copy replaces the page under it; its stale translation must
//   be flushed).
// - sbrk(-n) in the parent after the fork leaves the child's pages alone,
//   and every page comes back when both are done (the runner's kstat check).
// - fork promises a page for each writable page it shares: a write never
//   finds memory gone, and a fork whose copies cannot be promised fails.
// timeout: 60
#include "t_thr_util.h"

#define HEAP (1 << 20)

static char *heap;

static int free_pages(void) {
  struct kstat st;
  return kstat(&st) == 0 ? st.free_pages : -1;
}

// A child that checks the heap still holds pattern `seed`, writes its own,
// checks that, and tells the parent the result through its exit status.
static int heap_ok(int seed) {
  for (int i = 0; i < HEAP; i += 512)
    if (heap[i] != (char)(i / 512 + seed))
      return 0;
  return 1;
}
static void fill(int seed) {
  for (int i = 0; i < HEAP; i += 512)
    heap[i] = (char)(i / 512 + seed);
}

// A child's wait for its parent: until a byte comes on p or every write
// end is closed.
static void await_go(int p[2]) {
  char c;
  close(p[1]);
  read(p[0], &c, 1);
}

// Reaps the child pid and checks that it exited with 0 (its own checks).
static void expect_child_ok(int pid, const char *what) {
  int st = -1;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 0, "%s", what);
}

static void test_sharing(void) {
  int hold[2];
  ASSERT_EQ(pipe(hold), 0, "pipe");
  int before = free_pages();
  int pid = fork();
  if (pid == 0) {
    await_go(hold);  // until the parent has counted
    exit(heap_ok(1) ? 0 : 1);
  }
  ASSERT_GT(pid, 0, "fork");
  int used = before - free_pages();
  EXPECT_LT(used, 64, "fork of a 1 MiB heap took %d pages, not 256+", used);
  close(hold[0]);
  close(hold[1]);
  expect_child_ok(pid, "the child read the heap as it was");
}

static void test_isolation(void) {
  int go[2], back[2];
  ASSERT_EQ(pipe(go), 0, "pipe");
  ASSERT_EQ(pipe(back), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    char c;
    int ok = heap_ok(1);
    fill(2);  // the child writes first: it takes copies
    write(back[1], "w", 1);
    read(go[0], &c, 1);  // the parent has written pattern 3 meanwhile
    exit(ok && heap_ok(2) ? 0 : 1);
  }
  ASSERT_GT(pid, 0, "fork");
  char c = 0;
  EXPECT_EQ(read(back[0], &c, 1), 1, "the child wrote");
  EXPECT_TRUE(heap_ok(1), "the child's writes are not seen by the parent");
  fill(3);  // the last holder: no copy needed, and the child must not see it
  write(go[1], "g", 1);
  expect_child_ok(pid, "neither side saw the other's writes");
  EXPECT_TRUE(heap_ok(3), "the parent keeps its own");
  close(go[0]), close(go[1]), close(back[0]), close(back[1]);
}

// The kernel stores into pages that a fork has just shared.
static int *word;  // on the heap
static void texiter(void *a) {
  (void)a;
  texit(word, 7);
}

static void test_kernel_writes(void) {
  int p[2], hold[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  ASSERT_EQ(pipe(hold), 0, "pipe");
  heap[0] = 'x';
  heap[100] = 0;
  *word = 0;
  int keeper = fork();  // shares the heap until it exits
  if (keeper == 0) {
    await_go(hold);
    exit(heap[0] == 'x' && heap[100] == 0 && *word == 0 ? 0 : 1);
  }
  ASSERT_GT(keeper, 0, "fork");
  // read() into a shared page, under the pipe's lock.
  heap[100] = 0;
  EXPECT_EQ(write(p[1], "hello", 5), 5, "write to the pipe");
  EXPECT_EQ(read(p[0], heap + 96, 5), 5, "read into a shared page");
  EXPECT_EQ(heap[100], 'o', "the bytes arrived");

  // texit's word, under a futex lock.
  *word = 0;
  int kid = fork();  // the heap page holding `word` is shared again
  if (kid == 0)
    exit(*word == 0 ? 5 : 6);
  char *stack = thr_pages(1);
  ASSERT_TRUE(stack != 0, "a stack");
  ASSERT_GE(thr_spawn(stack, texiter, 0), 0, "tspawn");
  EXPECT_EQ(thr_wait_change(word, 0), 7, "texit's word arrived; the joiner woke");

  // wait()'s status, under the wait lock: another fork shares it first.
  int *status = (int *)(heap + 2048);
  *status = 0;
  int again = fork();
  if (again == 0)
    exit(9);
  int kid_ok = 0, again_ok = 0;
  for (int i = 0; i < 2; i++) {
    int w = wait(status);
    if (w == kid)
      kid_ok = *status == 5;  // it saw the word as it was at its fork
    else if (w == again)
      again_ok = *status == 9;
  }
  EXPECT_TRUE(kid_ok, "the texit's word stayed 0 in the child forked before it");
  EXPECT_TRUE(again_ok, "wait's status arrived in a shared page");

  // procinfo's records.
  struct procinfo *recs = (struct procinfo *)(heap + 4 * PGSIZE);
  int sibling = fork();
  if (sibling == 0)
    exit(0);
  int n = procinfo(recs, 64);
  EXPECT_GT(n, 0, "procinfo into a shared page");
  int found = 0;
  for (int i = 0; i < n && i < 64; i++)
    found |= recs[i].pid == getpid();
  EXPECT_TRUE(found, "procinfo lists us");
  EXPECT_EQ(wait(0), sibling, "wait");

  close(hold[0]);
  close(hold[1]);
  expect_child_ok(keeper, "the keeper saw none of it");
  close(p[0]), close(p[1]);
}

// A thread spinning on `flag` on another hart; the main thread forks and
// then sets it.
static int flag, seen, spinner_done;
static void spinner(void *a) {
  (void)a;
  STORE(&seen, 1);
  unsigned long until = rdtime() + 50000000UL;  // 5 s at 10 MHz
  while (LOAD(&flag) == 0 && rdtime() < until) {
  }
  STORE(&seen, LOAD(&flag) ? 2 : 3);
  texit(&spinner_done, 1);
}

static void test_threads(void) {
  int hold[2];
  ASSERT_EQ(pipe(hold), 0, "pipe");
  char *stack = thr_pages(1);
  ASSERT_TRUE(stack != 0, "a stack");
  ASSERT_GE(thr_spawn(stack, spinner, 0), 0, "tspawn");
  while (LOAD(&seen) == 0)
    yield(-1);
  int pid = fork();  // flag's page is now shared with the child
  if (pid == 0) {
    await_go(hold);
    exit(flag == 0 ? 0 : 1);
  }
  ASSERT_GT(pid, 0, "fork");
  STORE(&flag, 1);  // a copy for us, under the spinner's feet
  thr_wait_change(&spinner_done, 0);
  EXPECT_EQ(LOAD(&seen), 2, "the other thread saw the write after the fork");
  close(hold[0]);
  close(hold[1]);
  expect_child_ok(pid, "the child did not");
}

static void test_shrink(void) {
  int go[2];
  ASSERT_EQ(pipe(go), 0, "pipe");
  fill(4);
  int pid = fork();
  if (pid == 0) {
    await_go(go);  // the parent has shrunk its heap by now
    exit(heap_ok(4) ? 0 : 1);
  }
  ASSERT_GT(pid, 0, "fork");
  EXPECT_NE(sbrk(-HEAP), (char *)-1, "the parent gives its heap back");
  close(go[0]);
  close(go[1]);
  expect_child_ok(pid, "the child's pages stayed");
}

static int promised(void) {
  struct kstat st;
  return kstat(&st) == 0 ? st.promised_pages : -1;
}

// fork promises a page for every writable page it shares, so a write to a
// shared page never finds memory gone; when the promises cannot be covered,
// the fork fails instead. A sibling takes every page it can get; then the
// heap's 256 pages cannot be promised again, but a child forked before
// still writes all of them.
static void test_promises(void) {
  int go[2], ready[2], hold[2];
  ASSERT_EQ(pipe(go), 0, "pipe");
  ASSERT_EQ(pipe(ready), 0, "pipe");
  ASSERT_EQ(pipe(hold), 0, "pipe");
  fill(5);
  int before = promised();
  int child = fork();
  if (child == 0) {
    await_go(go);
    fill(6);  // 256 copies, with no page free but the promised ones
    exit(heap_ok(6) ? 0 : 1);
  }
  ASSERT_GT(child, 0, "fork");
  EXPECT_GE(promised() - before, HEAP / PGSIZE, "the fork promised a page per heap page");
  int hog = fork();
  if (hog == 0) {
    char c;
    close(hold[1]);
    while (sbrk(64 * PGSIZE) != (char *)-1) {
    }
    while (sbrk(PGSIZE) != (char *)-1) {
    }
    write(ready[1], "r", 1);
    read(hold[0], &c, 1);
    exit(0);
  }
  ASSERT_GT(hog, 0, "fork");
  char c = 0;
  EXPECT_EQ(read(ready[0], &c, 1), 1, "a sibling took every page it could");
  EXPECT_LE(free_pages() - promised(), 2, "%d pages free, %d promised", free_pages(), promised());
  int late = fork();
  if (late == 0)
    exit(0);
  if (late > 0)
    wait(0);
  EXPECT_EQ(late, -1, "no fork when its copies could not be promised");
  write(go[1], "g", 1);
  expect_child_ok(child, "the child forked before wrote every page it shared");
  close(hold[0]);
  close(hold[1]);
  EXPECT_EQ(wait(0), hog, "wait");
  EXPECT_TRUE(heap_ok(5), "the parent's heap is untouched");
  EXPECT_EQ(promised(), before, "every promise is off once the sharing ends");
  close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
}

int main(void) {
  heap = sbrk(HEAP);
  ASSERT_NE(heap, (char *)-1, "sbrk 1 MiB");
  word = (int *)(heap + 8 * PGSIZE);
  fill(1);
  test_sharing();
  test_isolation();
  test_kernel_writes();
  test_threads();
  test_promises();
  test_shrink();
  test_done();
}
