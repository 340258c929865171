#include "selftest.h"

#include "arch/riscv64/riscv.h"
#include "boot.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/list.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "vm.h"

void ids_selftest(void (*check)(bool, const char*));

namespace {
int g_n = 0, g_failed = 0;

void check(bool ok, const char* what) {
  g_n++;
  if (!ok) g_failed++;
  kprintf("%sok %d - kernel: %s\n", ok ? "" : "not ", g_n, what);
}

void test_kalloc() {
  u64 before = free_page_count();
  void* pages[64];
  bool distinct = true;
  for (auto& p : pages) p = kalloc();
  for (int i = 0; i < 64; i++)
    for (int j = i + 1; j < 64; j++)
      if (!pages[i] || pages[i] == pages[j]) distinct = false;
  check(distinct, "kalloc hands out 64 distinct pages");
  check(free_page_count() == before - 64, "free count drops by 64");
  for (auto p : pages) kfree(p);
  check(free_page_count() == before, "kfree returns them");
  u64* z = static_cast<u64*>(kzalloc());
  bool zero = true;
  for (u64 i = 0; i < PGSIZE / 8; i++) zero &= z[i] == 0;
  kfree(z);
  check(zero, "kzalloc zeroes the page");
}

void test_address_space() {
  u64 before = free_page_count();
  AddressSpace* as = AddressSpace::create();
  check(as != nullptr, "create an address space");
  // Two pages that straddle a page-table boundary (2 MiB) and get data.
  u64 va = 0x200000 - PGSIZE;
  check(as->map_zeroed(va, 2 * PGSIZE, PTE_R | PTE_W).ok(), "map across a 2 MiB boundary");
  u64 pa1 = as->user_pa(va), pa2 = as->user_pa(va + PGSIZE);
  check(pa1 && pa2 && pa1 != pa2, "both pages are mapped to distinct frames");
  check(as->user_pa(va + 2 * PGSIZE) == 0, "the page after is not mapped");
  check(as->user_pa(va + 10) == pa1 + 10, "offsets carry through the walk");
  {
    SpinGuard g(as->lock_);
    check(as->user_pa_locked(va, true) != 0, "user page is writable");
    check(as->user_pa_locked(USER_TOP, false) == 0, "kernel addresses are not user pages");
  }
  // fork's copy shares the frames copy-on-write; a write breaks the sharing.
  AddressSpace* copy = as->copy();
  check(copy && copy->user_pa(va) == pa1, "copy shares the frames");
  void* frame1 = reinterpret_cast<void*>(pg_round_down(pa1));
  check(kref_count(frame1) == 2, "a shared frame has two references");
  bool cow = false;
  if (copy) {
    SpinGuard g(copy->lock_);
    check(copy->user_pa_locked(va, true, &cow) == 0 && cow, "shared: writes must break it");
  }
  check(copy && copy->break_cow(va).ok() && copy->user_pa(va) != pa1 &&
            kref_count(frame1) == 1, "the copy breaks it: a frame of its own");
  check(as->break_cow(va).ok() && as->user_pa(va) == pa1, "the last holder keeps its frame");
  {
    SpinGuard g(as->lock_);
    check(as->user_pa_locked(va, true) == pa1, "and may write it again");
  }
  check(!as->break_cow(va + 2 * PGSIZE).ok(), "breaking an unmapped page fails");
  if (copy) copy->put();
  as->put();
  check(free_page_count() == before, "freeing the spaces returns every page");
}

struct Item {
  int v;
  ListNode node;
};

void test_list() {
  IntrusiveList<Item, &Item::node> list;
  Item a{1, {}}, b{2, {}}, c{3, {}};
  check(list.empty(), "a new list is empty");
  list.push_back(&a);
  list.push_back(&b);
  list.push_back(&c);
  list.remove(&b);
  check(!b.node.linked(), "a removed node is unlinked");
  Item* x = list.pop_front();
  Item* y = list.pop_front();
  check(x == &a && y == &c && list.empty(), "FIFO order after a removal");
}

void test_locks() {
  Spinlock l{"test", LockRank::Futex};
  check(!l.holding(), "a new lock is not held");
  {
    SpinGuard g(l);
    check(l.holding(), "the guard holds the lock");
    check(!intr_enabled(), "interrupts are off while holding a spin lock");
  }
  check(!l.holding(), "the guard releases it");

  // The run-time lock order: with a thread-ranked lock held, a process-
  // ranked one is out of order and the run queue's rank is in order.
  Spinlock thread_like{"test-thread", LockRank::Thread};
  check(spin_order_ok(LockRank::Wait) && spin_order_ok(LockRank::Runq),
        "every rank is in order with nothing held");
  {
    SpinGuard g(thread_like);
    check(!spin_order_ok(LockRank::Proc), "a lower rank after a higher one is refused");
    check(!spin_order_ok(LockRank::Thread), "the same rank twice is refused");
    check(spin_order_ok(LockRank::Runq), "a higher rank is allowed");
    check(!sleep_order_ok(LockRank::Inode), "no sleep lock while a spin lock is held");
  }
  check(spin_order_ok(LockRank::Proc), "releasing the lock clears its rank");

  // Sleep locks are charged to the running thread; a stand-in thread lets
  // the boot hart play one.
  static Thread fake;
  push_off();
  mycpu()->thread = &fake;
  pop_off();
  sleep_acquired(LockRank::Inode);
  check(sleep_order_ok(LockRank::Inode), "inode locks nest (parent, then child)");
  check(sleep_order_ok(LockRank::Buf), "a buffer after an inode is in order");
  sleep_acquired(LockRank::Buf);
  check(!sleep_order_ok(LockRank::Inode), "an inode after a buffer is refused");
  check(sleep_order_ok(LockRank::AsMap), "an address space after a buffer is in order");
  check(sleep_order_ok(LockRank::ConsoleOut), "the console after a buffer is in order");
  check(spin_order_ok(LockRank::Wait), "any spin lock after sleep locks is in order");
  sleep_released(LockRank::Buf);
  sleep_released(LockRank::Inode);
  check(sleep_order_ok(LockRank::Inode), "released sleep locks no longer count");
  push_off();
  mycpu()->thread = nullptr;
  pop_off();
}

void check_fn(bool ok, const char* what) { check(ok, what); }
}  // namespace

void run_selftests() {
  kprintf("# kernel self tests\n");
  test_kalloc();
  test_address_space();
  test_list();
  test_locks();
  ids_selftest(check_fn);
  kprintf("# kernel self tests: %d run, %d failed\n", g_n, g_failed);
  if (g_failed) panic("kernel self tests failed");
  if (g_test_lock_order_panic) {
    // Proof that the check is on: taking the process lock's rank while
    // holding the thread lock's must panic before it can deadlock.
    kprintf("# taking two locks in the wrong order (expect a panic)\n");
    Spinlock thread_like{"test-thread", LockRank::Thread};
    Spinlock proc_like{"test-proc", LockRank::Proc};
    SpinGuard a(thread_like);
    SpinGuard b(proc_like);
    kprintf("# no panic: the lock-order check is off\n");
  }
}
