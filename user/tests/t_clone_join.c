// t_clone_join: join() and wait() each see only their own kind of child.
//
// - No children at all: join and wait return -1 at once.
// - Only forked children: join returns -1 at once (also while the forked
//   child is still running, so it does not block) and does not reap a
//   forked zombie; wait then reaps it with its status.
// - Only clones: wait returns -1 at once (also while the clone is running)
//   and does not reap a clone zombie; join then reaps it.
// - Both kinds, both exited: wait returns the forked child, join the clone.
// - join blocks until a running clone exits.
// - A bad out-pointer (NULL, kernel address, read-only text or data, past
//   the break) makes join return -1 and reap nothing: the clone is still a
//   zombie, and a join with a good pointer then reaps it.
// - A clone's own clone is the clone's child: the first clone joins it; the
//   top process's join does not see it.
// timeout: 60
#include "t_thr_util.h"

static char *stacks;

static void quit(void *arg) { exit((int)(long)arg); }

static int hold, held;
static void wait_hold(void *arg) {
  (void)arg;
  thr_bump(&held);
  while (LOAD(&hold) == 0)
    futex_wait(&hold, 0);
  exit(0);
}

static void test_nothing(void) {
  void *got = (void *)1;
  int st = 5;
  EXPECT_EQ(join(&got), -1, "join with no children: -1");
  EXPECT_EQ(got, (void *)1, "and it stores nothing");
  EXPECT_EQ(wait(&st), -1, "wait with no children: -1");
}

static void test_only_forked(void) {
  int pid = fork();
  if (pid == 0)
    exit(17);
  ASSERT_GT(pid, 0, "fork");
  EXPECT_TRUE(test_await_proc(pid, PI_ZOMBIE, 10), "the forked child exits");
  void *got = (void *)1;
  EXPECT_EQ(join(&got), -1, "join with only a forked (zombie) child: -1");
  EXPECT_EQ(got, (void *)1, "nothing stored");
  EXPECT_EQ(test_find_proc(pid, 0), 1, "the zombie is still there");
  int st = 0;
  EXPECT_EQ(wait(&st), pid, "wait reaps it");
  EXPECT_EQ(st, 17, "with its status");

  // A running forked child: join must not block on it.
  int pp[2];
  ASSERT_EQ(pipe(pp), 0, "pipe");
  pid = fork();
  if (pid == 0) {
    char c;
    close(pp[1]);
    read(pp[0], &c, 1);
    exit(18);
  }
  ASSERT_GT(pid, 0, "fork");
  close(pp[0]);
  EXPECT_EQ(join(&got), -1, "join with only a running forked child: -1 at once");
  close(pp[1]);  // lets it finish
  EXPECT_EQ(wait(&st), pid, "wait reaps it");
  EXPECT_EQ(st, 18, "status 18");
}

static void test_only_clones(void) {
  int c = clone(quit, (void *)4L, stacks);
  ASSERT_GT(c, 0, "clone");
  EXPECT_TRUE(test_await_proc(c, PI_ZOMBIE, 10), "the clone exits");
  int st = 1234;
  EXPECT_EQ(wait(&st), -1, "wait with only a clone (zombie): -1");
  EXPECT_EQ(st, 1234, "nothing stored");
  EXPECT_EQ(test_find_proc(c, 0), 1, "the clone zombie is still there");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "join reaps it");
  EXPECT_EQ(got, stacks, "with its stack");

  // A running clone: wait must not block on it.
  c = clone(wait_hold, 0, stacks);
  ASSERT_GT(c, 0, "clone");
  thr_wait_change(&held, 0);
  EXPECT_EQ(wait(&st), -1, "wait with only a running clone: -1 at once");
  thr_bump(&hold);
  EXPECT_EQ(join(&got), c, "join reaps it");
}

static void test_both(void) {
  int f = fork();
  if (f == 0)
    exit(9);
  ASSERT_GT(f, 0, "fork");
  int c = clone(quit, 0, stacks + PGSIZE);
  ASSERT_GT(c, 0, "clone");
  EXPECT_TRUE(test_await_proc(f, PI_ZOMBIE, 10) &&
                  test_await_proc(c, PI_ZOMBIE, 10),
              "both exit");
  int st = 0;
  EXPECT_EQ(wait(&st), f, "wait returns the forked child");
  EXPECT_EQ(st, 9, "status 9");
  EXPECT_EQ(wait(&st), -1, "then wait returns -1 (the clone is not its)");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "join returns the clone");
  EXPECT_EQ(got, stacks + PGSIZE, "with its stack");
  EXPECT_EQ(join(&got), -1, "then join returns -1");
}

// join sleeps until a clone exits.
static int late_go;
static void late(void *arg) {
  (void)arg;
  // Exit only once the parent is asleep in join.
  while (LOAD(&late_go) == 0)
    futex_wait(&late_go, 0);
  exit(0);
}

static int watcher_done;
static void watcher(void *arg) {
  // A thread of the parent: waits until the main thread sleeps (in join),
  // then lets the clone exit.
  int main_tid = (int)(long)arg;
  while (thr_state(main_tid) != PI_SLEEPING)
    sleep(1);
  thr_bump(&late_go);
  texit(&watcher_done, 1);
}

static void test_join_blocks(void) {
  int c = clone(late, 0, stacks + 2 * PGSIZE);
  ASSERT_GT(c, 0, "clone");
  int w = thr_spawn(stacks + 3 * PGSIZE, watcher, (void *)(long)gettid());
  ASSERT_GT(w, 0, "spawn a watcher thread");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "join sleeps until the clone exits, then reaps it");
  EXPECT_EQ(LOAD(&late_go), 1, "it did exit only after we slept");
  EXPECT_EQ(got, stacks + 2 * PGSIZE, "stack");
  thr_wait_change(&watcher_done, 0);
}

static const long ro_data = 1;

static void test_bad_pointer(void) {
  int c = clone(quit, 0, stacks + 4 * PGSIZE);
  ASSERT_GT(c, 0, "clone");
  ASSERT_TRUE(test_await_proc(c, PI_ZOMBIE, 10), "it exits");
  char *brk = sbrk(0);
  void **bad[] = {0, (void **)0x80000000UL, (void **)0x80200000UL,
                  (void **)(void *)test_bad_pointer, (void **)(void *)&ro_data,
                  (void **)(brk + 2 * PGSIZE)};
  const char *what[] = {"NULL", "0x80000000", "kernel text", "program text",
                        "read-only data", "past the break"};
  for (int i = 0; i < 6; i++) {
    EXPECT_EQ(join(bad[i]), -1, "join(%s): -1", what[i]);
    struct procinfo pi = {0};
    EXPECT_TRUE(test_find_proc(c, &pi) == 1 && pi.state == PI_ZOMBIE,
                "the clone was not reaped");
  }
  EXPECT_EQ(ro_data, 1, "read-only data unchanged");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "a good pointer then reaps it");
  EXPECT_EQ(got, stacks + 4 * PGSIZE, "and gets its stack");
  EXPECT_EQ(test_find_proc(c, 0), 0, "it is gone");
}

// A clone of a clone.
static int inner_pid, inner_join;
static void *inner_stack;
static void inner(void *arg) {
  (void)arg;
  exit(0);
}
static void outer(void *arg) {
  (void)arg;
  inner_pid = clone(inner, 0, stacks + 6 * PGSIZE);
  inner_join = join(&inner_stack);
  exit(0);
}

static void test_grandchild(void) {
  int c = clone(outer, 0, stacks + 5 * PGSIZE);
  ASSERT_GT(c, 0, "clone");
  void *got = 0;
  EXPECT_EQ(join(&got), c, "join the outer clone");
  EXPECT_GT(inner_pid, 0, "the outer clone cloned");
  EXPECT_EQ(inner_join, inner_pid, "and joined its own clone");
  EXPECT_EQ(inner_stack, stacks + 6 * PGSIZE, "with its stack");
  EXPECT_EQ(join(&got), -1, "nothing left for us");
}

int main(void) {
  stacks = thr_pages(8);
  ASSERT_TRUE(stacks != 0, "stack pages");
  test_nothing();
  test_only_forked();
  test_only_clones();
  test_both();
  test_join_blocks();
  test_bad_pointer();
  test_grandchild();
  test_done();
}
