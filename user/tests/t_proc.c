// t_proc: fork, exit, wait, getpid, sleep and uptime.
//
// Exit statuses travel intact to the parent; wait reaps exactly one child
// per call and returns -1 when there are none, or when the status pointer
// is bad (and then reaps nothing); zombies stay in the table until waited
// for; orphans are re-parented to init, which reaps them; fork gives the
// child a copy of memory and shared open files.
#include "test.h"

static int init_pid;

static void test_fork_basics(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int parent = getpid();
  int pid = fork();
  if (pid == 0) {
    int me = getpid();
    write(p[1], &me, sizeof(me));
    exit(0);
  }
  ASSERT_GT(pid, 0, "fork returns the child's pid to the parent");
  int child_says = -1;
  EXPECT_EQ(read(p[0], &child_says, sizeof(child_says)), sizeof(child_says),
            "read the child's getpid");
  EXPECT_EQ(child_says, pid, "the child's getpid equals fork's return value");
  EXPECT_NE(child_says, parent, "the child has its own pid");
  EXPECT_EQ(getpid(), parent, "the parent's pid is unchanged");
  int status = -7;
  EXPECT_EQ(wait(&status), pid, "wait returns the child's pid");
  EXPECT_EQ(status, 0, "status 0");
  close(p[0]);
  close(p[1]);
}

static void test_exit_statuses(void) {
  static const int values[] = {0, 1, 2, 42, 127, 255, 256, -1, -42, 123456};
  int n = sizeof(values) / sizeof(values[0]);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0)
      exit(values[i]);
    int status = -99999;
    int w = wait(&status);
    if (w != pid || status != values[i]) {
      test_note("exit(%d): wait returned %d (child %d), status %d", values[i],
                w, pid, status);
      bad++;
    }
  }
  EXPECT_EQ(bad, 0, "%d exit statuses arrive unchanged (0, 255, 256, -1 ...)",
            n);

  int pid = fork();
  if (pid == 0)
    exit(3);
  EXPECT_EQ(wait(0), pid, "wait(NULL) reaps a child and ignores its status");
  EXPECT_EQ(wait(0), -1, "wait with no children left returns -1");
}

static void test_many_children(void) {
  enum { N = 12 };
  int pids[N];
  for (int i = 0; i < N; i++) {
    pids[i] = fork();
    if (pids[i] == 0)
      exit(100 + i);
  }
  int seen[N] = {0};
  int bad = 0;
  for (int i = 0; i < N; i++) {
    int status = -1;
    int w = wait(&status);
    int j = 0;
    while (j < N && pids[j] != w)
      j++;
    if (j == N || seen[j] || status != 100 + j)
      bad++;
    else
      seen[j] = 1;
  }
  EXPECT_EQ(bad, 0, "%d children: each wait reaps one of them with its status",
            N);
  EXPECT_EQ(wait(0), -1, "then there are no children");
}

// wait() with a status pointer the kernel cannot write must fail and leave
// the child to be reaped by a later wait.
static void test_wait_bad_pointer(void) {
  static const unsigned long bad[] = {
      0x80000000ul, 0xffffffc000000000ul, 0xfffffffffffffff0ul, 0x1000,
      0x40000000ul};
  int nbad = sizeof(bad) / sizeof(bad[0]);
  int pid = fork();
  if (pid == 0)
    exit(77);
  for (int i = 0; i < nbad; i++) {
    // 0x1000 is the first page of text: readable, not writable.
    EXPECT_EQ(wait((int *)bad[i]), -1, "wait(%p) fails", (void *)bad[i]);
  }
  int status = 0;
  EXPECT_EQ(wait(&status), pid, "the child is still there to be reaped");
  EXPECT_EQ(status, 77, "with its status");
  EXPECT_EQ(wait(&status), -1, "and only once");
}

static int global_value = 1;

static void test_fork_copies_memory(void) {
  static char heap_check[64];
  char *heap = sbrk(PGSIZE);
  ASSERT_NE(heap, (char *)-1, "sbrk a page");
  memset(heap, 'p', PGSIZE);
  memset(heap_check, 'g', sizeof(heap_check));
  int local = 5;
  int pid = fork();
  if (pid == 0) {
    int ok = global_value == 1 && local == 5 && heap[PGSIZE - 1] == 'p' &&
             heap_check[63] == 'g';
    global_value = 2;
    local = 6;
    memset(heap, 'c', PGSIZE);
    memset(heap_check, 'c', sizeof(heap_check));
    exit(ok ? 0 : 1);
  }
  int status = -1;
  EXPECT_EQ(wait(&status), pid, "wait");
  EXPECT_EQ(status, 0, "the child sees the parent's data, stack and heap");
  EXPECT_TRUE(global_value == 1 && local == 5 && heap[0] == 'p' &&
                  heap[PGSIZE - 1] == 'p' && heap_check[0] == 'g',
              "the child's writes do not reach the parent");
  sbrk(-PGSIZE);
}

static void test_fork_shares_files(void) {
  int fd = open("t_proc.shared", O_CREATE | O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0, "create a file");
  int pid = fork();
  if (pid == 0)
    exit(write(fd, "child,", 6) == 6 ? 0 : 1);
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "the child writes through the inherited fd");
  EXPECT_EQ(write(fd, "parent", 6), 6, "the parent writes after it");
  close(fd);
  char buf[32] = {0};
  fd = open("t_proc.shared", O_RDONLY);
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 12, "the file has both writes");
  EXPECT_EQ(strcmp(buf, "child,parent"), 0,
            "in order: parent and child share the file offset");
  close(fd);
  unlink("t_proc.shared");
}

static void test_zombie(void) {
  int pid = fork();
  if (pid == 0)
    exit(9);
  ASSERT_GT(pid, 0, "fork");
  EXPECT_TRUE(test_await_proc(pid, PI_ZOMBIE, 30),
              "an exited child stays in the table as a zombie");
  struct procinfo pi;
  EXPECT_EQ(test_find_proc(pid, &pi), 1, "still there");
  EXPECT_EQ(pi.ppid, getpid(), "its parent is still us");
  int status = 0;
  EXPECT_EQ(wait(&status), pid, "wait reaps the zombie");
  EXPECT_EQ(status, 9, "with its status");
  EXPECT_EQ(test_find_proc(pid, 0), 0, "and it is gone from the table");
}

// A child forks a grandchild and exits; the grandchild must become init's,
// and init must reap it when it exits.
static void test_orphan(void) {
  int hold[2], report[2];
  ASSERT_EQ(pipe(hold), 0, "pipe");
  ASSERT_EQ(pipe(report), 0, "pipe");
  int child = fork();
  if (child == 0) {
    int grandchild = fork();
    if (grandchild == 0) {
      close(hold[1]);
      char c;
      read(hold[0], &c, 1);  // until the test closes its end
      exit(0);
    }
    write(report[1], &grandchild, sizeof(grandchild));
    exit(grandchild > 0 ? 0 : 1);
  }
  close(hold[0]);
  close(report[1]);
  int grandchild = -1;
  EXPECT_EQ(read(report[0], &grandchild, sizeof(grandchild)),
            sizeof(grandchild), "the child reports its child's pid");
  close(report[0]);
  int status = -1;
  EXPECT_EQ(wait(&status), child, "reap the child");
  EXPECT_EQ(status, 0, "it forked a grandchild");
  ASSERT_GT(grandchild, 0, "grandchild pid");
  struct procinfo pi;
  EXPECT_EQ(test_find_proc(grandchild, &pi), 1, "the orphan is alive");
  EXPECT_EQ(pi.ppid, init_pid, "its parent is now init (pid %d)", init_pid);
  EXPECT_EQ(wait(0), -1, "the orphan is not our child");
  close(hold[1]);  // the orphan reads EOF and exits
  EXPECT_TRUE(test_await_proc(grandchild, 0, 30),
              "init reaps the orphan when it exits");
}

// A child forks children that exit at once, and exits itself without
// waiting for them: the zombies it leaves go to init, which must reap them.
static void test_zombie_orphans(void) {
  enum { N = 10 };
  int report[2];
  ASSERT_EQ(pipe(report), 0, "pipe");
  int child = fork();
  if (child == 0) {
    close(report[0]);
    for (int i = 0; i < N; i++) {
      int pid = fork();
      if (pid == 0)
        exit(i);
      write(report[1], &pid, sizeof(pid));
    }
    exit(0);  // without waiting
  }
  close(report[1]);
  int pids[N], n = 0;
  while (n < N && read(report[0], &pids[n], sizeof(int)) == sizeof(int))
    n++;
  close(report[0]);
  int status = -1;
  EXPECT_EQ(wait(&status), child, "reap the child that did not wait");
  EXPECT_EQ(n, N, "it made %d children", N);
  int gone = 0;
  for (int i = 0; i < n; i++)
    gone += pids[i] > 0 && test_await_proc(pids[i], 0, 30);
  EXPECT_EQ(gone, N, "init reaps the %d zombies it left behind", N);
  EXPECT_EQ(wait(0), -1, "none of them became our child");
}

// Each process waits for its child and exits with the child's status + 1.
static void test_fork_chain(void) {
  enum { DEPTH = 20 };
  int level = 0;
  int top = getpid();
  while (level < DEPTH) {
    int pid = fork();
    if (pid < 0)
      exit(200);
    if (pid > 0)
      break;
    level++;
  }
  if (level == DEPTH)
    exit(0);
  int status = -1;
  int w = wait(&status);
  if (getpid() != top)
    exit(w > 0 ? status + 1 : 300);
  EXPECT_EQ(status, DEPTH - 1,
            "a chain of %d processes, each waiting for its child", DEPTH);
}

static void test_sleep_uptime(void) {
  int t0 = uptime();
  EXPECT_GE(t0, 0, "uptime");
  EXPECT_EQ(sleep(0), 0, "sleep(0) returns at once");
  EXPECT_EQ(sleep(-1), -1, "sleep(-1) fails");
  int t1 = uptime();
  EXPECT_EQ(sleep(3), 0, "sleep(3)");
  int t2 = uptime();
  EXPECT_GE(t2 - t1, 3, "sleep(3) lasts at least 3 ticks");
  EXPECT_GE(t2, t0, "uptime does not go backwards");
}

int main(void) {
  init_pid = test_pid_of("init");
  EXPECT_GT(init_pid, 0, "init is in the process table");
  test_fork_basics();
  test_exit_statuses();
  test_many_children();
  test_wait_bad_pointer();
  test_fork_copies_memory();
  test_fork_shares_files();
  test_zombie();
  test_orphan();
  test_zombie_orphans();
  test_fork_chain();
  test_sleep_uptime();
  test_done();
}
