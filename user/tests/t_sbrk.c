// t_sbrk: the heap grows and shrinks with sbrk. Contents survive growth and
// partial shrinking, pages given back and taken again are zeroed, requests
// that cannot be met return -1 and change nothing, memory given back is
// really gone (touching it faults), the stack has a guard page, and user
// code cannot touch kernel memory. A fault ends only the faulting process,
// with status -1.
//
// This test does not use malloc, so that only it moves the break.
#include "test.h"

static int page_checksum_ok(char *base, int pages, unsigned seed) {
  for (int i = 0; i < pages; i++)
    if (test_check(base + i * PGSIZE, PGSIZE, seed, (unsigned long)i * PGSIZE) >= 0)
      return 0;
  return 1;
}

static int all_zero(const char *p, int n) {
  for (int i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

static void test_grow_shrink(void) {
  char *start = sbrk(0);
  EXPECT_EQ(sbrk(0), start, "sbrk(0) is the current break and moves nothing");
  // Align the break so that page arithmetic below is exact.
  sbrk(PGSIZE - (unsigned long)start % PGSIZE);
  char *base = sbrk(0);
  EXPECT_EQ((unsigned long)base % PGSIZE, 0, "the break is page-aligned now");

  char *p = sbrk(10 * PGSIZE);
  EXPECT_EQ(p, base, "sbrk returns the old break");
  EXPECT_EQ(sbrk(0), base + 10 * PGSIZE, "and the break moved by 10 pages");
  EXPECT_TRUE(all_zero(p, 10 * PGSIZE), "new heap memory is zeroed");
  test_fill(p, 10 * PGSIZE, 1, 0);

  char *q = sbrk(100 * PGSIZE);
  EXPECT_EQ(q, base + 10 * PGSIZE, "grow by 100 more pages");
  EXPECT_TRUE(page_checksum_ok(p, 10, 1), "the first 10 pages kept their contents");
  test_fill(p, 110 * PGSIZE, 1, 0);

  EXPECT_EQ(sbrk(-50 * PGSIZE), base + 110 * PGSIZE, "shrink by 50 pages");
  EXPECT_EQ(sbrk(0), base + 60 * PGSIZE, "the break is 50 pages lower");
  EXPECT_TRUE(page_checksum_ok(p, 60, 1), "the 60 pages kept keep their contents");

  EXPECT_EQ(sbrk(50 * PGSIZE), base + 60 * PGSIZE, "grow by 50 pages again");
  EXPECT_TRUE(all_zero(base + 60 * PGSIZE, 50 * PGSIZE),
              "pages given back and taken again are zeroed");
  EXPECT_TRUE(page_checksum_ok(p, 60, 1), "the 60 pages below are untouched");

  // Sizes that are not whole pages.
  char *b = sbrk(0);
  EXPECT_EQ(sbrk(1), b, "sbrk(1)");
  EXPECT_EQ(sbrk(0), b + 1, "moves the break by one byte");
  b[0] = 'x';
  EXPECT_EQ(sbrk(PGSIZE + 7), b + 1, "sbrk(PGSIZE + 7)");
  b[PGSIZE + 7] = 'y';
  EXPECT_EQ(b[0], 'x', "the byte before is kept");
  EXPECT_EQ(sbrk(-(PGSIZE + 8)), b + PGSIZE + 8, "shrink by PGSIZE + 8");
  EXPECT_EQ(sbrk(0), b, "back where it was");

  char *now = sbrk(0);
  EXPECT_EQ(sbrk(-(int)(now - base)), now, "shrink to the aligned start");
  EXPECT_EQ(sbrk(0), base, "the break is back at the start");
}

static int failed_sbrk(void *arg) {
  (void)arg;
  char *brk = sbrk(0);
  if (sbrk(1 << 30) != (char *)-1)
    return 1;
  return sbrk(0) == brk ? 0 : 2;
}

static void test_impossible(void) {
  char *brk = sbrk(0);
  int free0 = freepages();
  EXPECT_EQ(sbrk(0x7fffffff), (char *)-1, "sbrk(2 GiB - 1) fails");
  EXPECT_EQ(sbrk(1 << 30), (char *)-1, "sbrk(1 GiB), more than the RAM, fails");
  EXPECT_EQ(sbrk(0), brk, "the break did not move");
  // A failed sbrk gives back the memory it got on the way. Page-table pages
  // for the range it tried may stay until the process exits (one per 2 MiB,
  // plus the levels above).
  int lost = free0 - freepages();
  EXPECT_LE(lost, (1 << 30) / (2 << 20) + 2,
            "a failed sbrk keeps at most page-table pages (%d pages missing)", lost);
  EXPECT_EQ(sbrk(-(int)(unsigned long)brk - PGSIZE), (char *)-1,
            "shrinking below address 0 fails");
  EXPECT_EQ(sbrk((int)0x80000000u), (char *)-1, "sbrk(INT_MIN) fails");
  EXPECT_EQ(sbrk(0), brk, "the break did not move");

  free0 = freepages();
  EXPECT_EQ(test_child_status(failed_sbrk, 0), 0, "a child's sbrk(1 GiB) fails");
  EXPECT_GE(test_settled_freepages(free0, 2), free0,
            "and all it took is free again after it exits");
}

static void test_memory_returns(void) {
  int free0 = freepages();
  char *p = sbrk(256 * PGSIZE);
  ASSERT_NE(p, (char *)-1, "sbrk 1 MiB");
  for (int i = 0; i < 256; i++)
    p[i * PGSIZE] = 1;
  EXPECT_LE(freepages(), free0 - 256, "1 MiB of heap takes 256 pages");
  sbrk(-256 * PGSIZE);
  int lost = free0 - test_settled_freepages(free0, 2);
  EXPECT_LE(lost, 4, "shrinking gives them back (%d missing)", lost);

  // A child's heap is freed when it exits.
  int pid = fork();
  if (pid == 0) {
    char *c = sbrk(1024 * PGSIZE);
    if (c == (char *)-1)
      exit(1);
    for (int i = 0; i < 1024; i++)
      c[i * PGSIZE] = (char)i;
    exit(0);
  }
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "a child grows by 4 MiB");
  EXPECT_GE(test_settled_freepages(free0, 2), free0 - 4,
            "its pages come back when it exits");
}

static void test_fork_copies_heap(void) {
  char *p = sbrk(20 * PGSIZE);
  ASSERT_NE(p, (char *)-1, "sbrk 20 pages");
  test_fill(p, 20 * PGSIZE, 7, 0);
  int pid = fork();
  if (pid == 0) {
    int ok = page_checksum_ok(p, 20, 7);
    memset(p, 0, 20 * PGSIZE);
    char *more = sbrk(PGSIZE);  // the child's break is its own
    exit(ok && more == p + 20 * PGSIZE ? 0 : 1);
  }
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "the child has a copy of the 20-page heap");
  EXPECT_TRUE(page_checksum_ok(p, 20, 7), "the child's writes did not reach us");
  EXPECT_EQ(sbrk(0), p + 20 * PGSIZE, "nor did its sbrk");
  sbrk(-20 * PGSIZE);
}

// ---------------------------------------------------------------------------
// Faults: each runs in a child, which must die with status -1.

static int touch_freed(void *arg) {
  (void)arg;
  char *p = sbrk(0);
  sbrk(PGSIZE - (unsigned long)p % PGSIZE);
  p = sbrk(PGSIZE);
  p[0] = 1;
  sbrk(-PGSIZE);
  *(volatile char *)p = 2;  // the page is gone
  return 0;
}

static int touch_past_break(void *arg) {
  (void)arg;
  volatile char *p = sbrk(0);
  return p[16 * PGSIZE];
}

static int touch_address(void *arg) {
  volatile char *p = arg;
  return *p;
}

static int write_address(void *arg) {
  *(volatile char *)arg = 1;
  return 0;
}

static int recurse(int depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  if (depth > 1000000)  // never: the 16 KiB stack overflows long before
    return 0;
  return recurse(depth + 1) + frame[0];
}

static int overflow_stack(void *arg) {
  (void)arg;
  return recurse(0);
}

static int touch_guard(void *arg) {
  (void)arg;
  int local;
  unsigned long top = (unsigned long)&local & ~(unsigned long)(PGSIZE - 1);
  return *(volatile char *)(top - USTACK_PAGES * PGSIZE);
}

static int write_text(void *arg) {
  (void)arg;
  *(volatile int *)(void *)write_text = 0;  // text is read-only
  return 0;
}

static void test_faults(void) {
  EXPECT_EQ(test_child_status(touch_freed, 0), -1,
            "touching a page after sbrk gave it back faults");
  EXPECT_EQ(test_child_status(touch_past_break, 0), -1,
            "reading past the break faults");
  EXPECT_EQ(test_child_status(touch_address, 0), -1, "reading NULL faults");
  EXPECT_EQ(test_child_status(touch_address, (void *)0x80000000ul), -1,
            "reading kernel memory at 0x80000000 faults");
  EXPECT_EQ(test_child_status(touch_address, (void *)0x80200000ul), -1,
            "reading the kernel image faults");
  EXPECT_EQ(test_child_status(write_address, (void *)0x80200000ul), -1,
            "writing the kernel image faults");
  EXPECT_EQ(test_child_status(touch_address, (void *)0xffffffc000000000ul), -1,
            "reading 0xffffffc000000000 faults");
  EXPECT_EQ(test_child_status(write_address, (void *)0xffffffc000100000ul), -1,
            "writing the device window faults");
  EXPECT_EQ(test_child_status(touch_guard, 0), -1, "reading the stack guard page faults");
  EXPECT_EQ(test_child_status(overflow_stack, 0), -1, "a stack overflow faults");
  EXPECT_EQ(test_child_status(write_text, 0), -1, "writing to program text faults");
  // After all that, this process still works.
  char *p = sbrk(PGSIZE);
  EXPECT_NE(p, (char *)-1, "the parent goes on after its children's faults");
  if (p != (char *)-1) {
    p[PGSIZE - 1] = 1;
    sbrk(-PGSIZE);
  }
}

int main(void) {
  test_grow_shrink();
  test_impossible();
  test_memory_returns();
  test_fork_copies_heap();
  test_faults();
  test_done();
}
