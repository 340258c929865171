// t_sysinfo: the information system calls that tests and ps rely on:
// getpid, uptime, bootargs, freepages and procinfo (names, parents, states,
// sizes, one record per process here). Written in C++ to keep test.h and
// user.h honest about working from C++ too.
#include "test.h"

namespace {

struct procinfo table[TEST_MAXPI];

// The record of pid in table[0..n), or nullptr.
const struct procinfo *find(int n, int pid) {
  for (int i = 0; i < n; i++)
    if (table[i].pid == pid)
      return &table[i];
  return nullptr;
}

void test_ids_and_time() {
  int me = getpid();
  EXPECT_GT(me, 1, "getpid is a positive pid, not init's");
  EXPECT_EQ(getpid(), me, "and stays the same");
  int t0 = uptime();
  EXPECT_GE(t0, 0, "uptime is not negative");
  sleep(2);
  EXPECT_GE(uptime() - t0, 2, "uptime advances while we sleep");

  char args[256];
  int len = bootargs(args, sizeof(args));
  EXPECT_GT(len, 0, "bootargs");
  EXPECT_EQ(static_cast<int>(strlen(args)), len, "returns the string's length");
  EXPECT_TRUE(strncmp(args, "tick=", 5) == 0, "the command line starts with tick=");
  int hz = test_hz();
  EXPECT_TRUE(hz >= 10 && hz <= 100000, "a sensible tick rate (%d Hz)", hz);
  bool test_word = false;
  for (int i = 0; i + 4 <= len; i++)
    if ((i == 0 || args[i - 1] == ' ') && strncmp(args + i, "test", 4) == 0 &&
        (args[i + 4] == 0 || args[i + 4] == ' '))
      test_word = true;
  // (The runner boots with "test"; run by hand, the word is not there.)
  test_note("booted %s test mode", test_word ? "in" : "without");
  char small[4];
  EXPECT_EQ(bootargs(small, sizeof(small)), -1, "bootargs into a too-small buffer fails");
}

void test_freepages() {
  int f0 = freepages();
  EXPECT_GT(f0, 1000, "freepages counts thousands of free pages (%d)", f0);
  EXPECT_LT(f0, 128 * 256, "but fewer than 128 MiB worth");
  char *p = sbrk(10 * PGSIZE);
  for (int i = 0; i < 10; i++)
    p[i * PGSIZE] = 1;
  int f1 = freepages();
  EXPECT_LE(f1, f0 - 10, "10 more heap pages: at least 10 fewer free pages");
  sbrk(-10 * PGSIZE);
  EXPECT_GE(freepages(), f1 + 10, "giving them back frees them");
}

void test_kstat() {
  struct kstat a = {};
  EXPECT_EQ(kstat(&a), 0, "kstat");
  EXPECT_TRUE(a.free_pages > 0 && a.free_pages <= freepages() + 64, "free pages (%d)", a.free_pages);
  EXPECT_TRUE(a.free_threads > 0 && a.free_threads < NTHR, "free thread slots (%d)", a.free_threads);
  EXPECT_TRUE(a.free_procs > 0 && a.free_procs < NPROC, "free process slots (%d)", a.free_procs);
  EXPECT_TRUE(a.open_files > 0 && a.open_files <= NFILE, "open files (%d)", a.open_files);
  EXPECT_TRUE(a.cached_inodes > 0 && a.cached_inodes <= NINODE, "cached inodes (%d)", a.cached_inodes);
  EXPECT_GT(a.free_inodes, 0, "free inodes on the disk (%d)", a.free_inodes);
  EXPECT_GT(a.free_blocks, 0, "free blocks on the disk (%d)", a.free_blocks);
  int fd = open("kstat.tmp", O_CREATE | O_RDWR);
  EXPECT_GE(fd, 0, "create a file");
  EXPECT_EQ(write(fd, "x", 1), 1, "write a block");
  struct kstat b = {};
  EXPECT_EQ(kstat(&b), 0, "kstat again");
  EXPECT_EQ(b.open_files, a.open_files + 1, "one more open file");
  EXPECT_EQ(b.free_inodes, a.free_inodes - 1, "one fewer free inode");
  EXPECT_EQ(b.free_blocks, a.free_blocks - 1, "one fewer free block");
  close(fd);
  unlink("kstat.tmp");
  struct kstat c = {};
  EXPECT_EQ(kstat(&c), 0, "kstat after unlink");
  EXPECT_TRUE(c.open_files == a.open_files && c.free_inodes == a.free_inodes &&
                  c.free_blocks == a.free_blocks,
              "all given back");
  EXPECT_EQ(kstat(nullptr), -1, "kstat(NULL): -1");
  EXPECT_EQ(kstat(reinterpret_cast<struct kstat *>(0x80000000UL)), -1, "kstat(kernel address): -1");
}

void test_procinfo() {
  int n = procinfo(table, TEST_MAXPI);
  ASSERT_GT(n, 0, "procinfo returns records (%d)", n);
  const struct procinfo *me = find(n, getpid());
  ASSERT_TRUE(me != nullptr, "our own process is in the table");
  EXPECT_EQ(strcmp(me->name, "t_sysinfo"), 0, "under our name");
  EXPECT_EQ(me->state, PI_RUNNING, "running");
  EXPECT_EQ(me->tid, me->pid, "our first thread's tid is our pid");
  EXPECT_GE(me->hart, 0, "on a hart");
  EXPECT_EQ(static_cast<long>(me->sz), reinterpret_cast<long>(sbrk(0)),
            "our size is our break");
  const struct procinfo *init = find(n, 1);
  ASSERT_TRUE(init != nullptr, "pid 1 exists");
  EXPECT_EQ(strcmp(init->name, "init"), 0, "and is init");
  EXPECT_EQ(init->ppid, 0, "init has no parent");
  const struct procinfo *parent = find(n, me->ppid);
  ASSERT_TRUE(parent != nullptr, "our parent is in the table");
  EXPECT_TRUE(strcmp(parent->name, "runtests") == 0 || strcmp(parent->name, "sh") == 0,
              "it is runtests (or sh, run by hand)");

  // A child asleep in a pipe read shows up as sleeping, with us as parent.
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);
    exit(0);
  }
  bool seen_sleeping = false;
  for (int i = 0; i < 30 * test_hz() && !seen_sleeping; i++) {
    n = procinfo(table, TEST_MAXPI);
    const struct procinfo *child = find(n, pid);
    seen_sleeping = child && child->state == PI_SLEEPING;
    if (!seen_sleeping)
      sleep(1);
  }
  EXPECT_TRUE(seen_sleeping, "a child blocked in read is shown sleeping");
  const struct procinfo *child = find(n, pid);
  EXPECT_TRUE(child && child->ppid == getpid(), "with us as its parent");
  write(p[1], "x", 1);
  int status = -1;
  wait(&status);
  close(p[0]);
  close(p[1]);
  n = procinfo(table, TEST_MAXPI);
  EXPECT_TRUE(find(n, pid) == nullptr, "a reaped child is gone from the table");

  // Too small a buffer: -1, not a partial table.
  EXPECT_EQ(procinfo(table, 1), -1, "procinfo with room for one record fails");
  EXPECT_EQ(procinfo(table, 0), -1, "and with room for none");
}

}  // namespace

int main() {
  test_ids_and_time();
  test_freepages();
  test_procinfo();
  test_kstat();
  test_done();
}
