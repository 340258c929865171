#include "selftest.h"

#include "arch/riscv64/riscv.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/list.h"
#include "lib/string.h"
#include "memlayout.h"
#include "vm.h"

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
  AddressSpace* copy = as->copy();
  check(copy && copy->user_pa(va) && copy->user_pa(va) != pa1, "copy gets its own frames");
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
  Spinlock l{"test"};
  check(!l.holding(), "a new lock is not held");
  {
    SpinGuard g(l);
    check(l.holding(), "the guard holds the lock");
    check(!intr_enabled(), "interrupts are off while holding a spin lock");
  }
  check(!l.holding(), "the guard releases it");

  // The run-time lock order: with a thread-ranked lock held, a process-
  // ranked one is out of order and the run queue's rank is in order.
  Spinlock thread_like{"test-thread", kRankThread};
  check(lock_order_ok(kRankWait) && lock_order_ok(kRankRunq), "every rank is in order with nothing held");
  {
    SpinGuard g(thread_like);
    check(!lock_order_ok(kRankProc), "a lower rank after a higher one is refused");
    check(!lock_order_ok(kRankThread), "the same rank twice is refused");
    check(lock_order_ok(kRankRunq), "a higher rank is allowed");
    check(lock_order_ok(kRankNone), "unranked locks are not checked");
  }
  check(lock_order_ok(kRankProc), "releasing the lock clears its rank");
}
}  // namespace

void run_selftests() {
  kprintf("# kernel self tests\n");
  test_kalloc();
  test_address_space();
  test_list();
  test_locks();
  kprintf("# kernel self tests: %d run, %d failed\n", g_n, g_failed);
  if (g_failed) panic("kernel self tests failed");
}
