// Physical page allocator: a free list threaded through the free pages
// themselves, under one spin lock. Freed pages are filled with junk (0x5a)
// in debug spirit so that a use after free shows up quickly.
#include "kalloc.h"

#include "arch/riscv64/riscv.h"
#include "inject.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "sync/spinlock.h"

namespace {
struct FreePage {
  FreePage* next;
};

struct {
  Spinlock lock{"kalloc", LockRank::Kalloc};
  FreePage* head = nullptr;  // guarded by lock
  u64 nfree = 0;             // guarded by lock
  u64 start = 0, end = 0;    // set once at boot
} g_mem;
}  // namespace

void kalloc_init(u64 start, u64 end) {
  g_mem.start = pg_round_up(start);
  g_mem.end = pg_round_down(end);
  // No junk fill here: touching all of RAM would cost most of the boot time.
  SpinGuard g(g_mem.lock);
  for (u64 pa = g_mem.end - PGSIZE; pa >= g_mem.start; pa -= PGSIZE) {
    FreePage* p = reinterpret_cast<FreePage*>(pa);
    p->next = g_mem.head;
    g_mem.head = p;
    g_mem.nfree++;
  }
}

void* kalloc() {
  if (inject_failure(AllocSite::Page)) return nullptr;
  FreePage* p;
  {
    SpinGuard g(g_mem.lock);
    p = g_mem.head;
    if (p) {
      g_mem.head = p->next;
      g_mem.nfree--;
    }
  }
  return p;
}

void* kzalloc() {
  void* p = kalloc();
  if (p) memset(p, 0, PGSIZE);
  return p;
}

void kfree(void* page) {
  u64 pa = reinterpret_cast<u64>(page);
  if ((pa & (PGSIZE - 1)) || pa < g_mem.start || pa >= g_mem.end)
    panic("kfree: bad page %p", page);
  memset(page, 0x5a, PGSIZE);
  FreePage* p = static_cast<FreePage*>(page);
  SpinGuard g(g_mem.lock);
  p->next = g_mem.head;
  g_mem.head = p;
  g_mem.nfree++;
}

u64 free_page_count() {
  SpinGuard g(g_mem.lock);
  return g_mem.nfree;
}
