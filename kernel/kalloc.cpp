// Physical page allocator: a free list threaded through the free pages
// themselves, under one spin lock. When the tests run (the "test" boot
// argument), freed pages are filled with junk (0x5a) so that a use after
// free shows up quickly; elsewhere the fill is skipped, as it was a sixth
// of a fork's cost. The reference counts are an array at the start of the
// managed memory, one per page.
#include "kalloc.h"

#include <atomic>

#include "arch/riscv64/riscv.h"
#include "boot.h"
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
  u64 committed = 0;         // guarded by lock: pages promised (kcommit)
  u64 start = 0, end = 0;    // set once at boot
  std::atomic<u32>* refs = nullptr;  // per page from start; atomic, no lock
} g_mem;

std::atomic<u32>& refs_of(void* page) {
  u64 pa = reinterpret_cast<u64>(page);
  if ((pa & (PGSIZE - 1)) || pa < g_mem.start || pa >= g_mem.end)
    panic("kalloc: bad page %p", page);
  return g_mem.refs[(pa - g_mem.start) / PGSIZE];
}
}  // namespace

void kalloc_init(u64 start, u64 end) {
  // The count array takes the first pages of the range (4 bytes per page).
  start = pg_round_up(start);
  end = pg_round_down(end);
  g_mem.refs = reinterpret_cast<std::atomic<u32>*>(start);
  u64 npages = (end - start) / PGSIZE;
  g_mem.start = start + pg_round_up(npages * sizeof(u32));
  g_mem.end = end;
  memset(g_mem.refs, 0, npages * sizeof(u32));
  // No junk fill here: touching all of RAM would cost most of the boot time.
  SpinGuard g(g_mem.lock);
  for (u64 pa = g_mem.end - PGSIZE; pa >= g_mem.start; pa -= PGSIZE) {
    FreePage* p = reinterpret_cast<FreePage*>(pa);
    p->next = g_mem.head;
    g_mem.head = p;
    g_mem.nfree++;
  }
}

namespace {
void* take_page(bool reserved) {
  FreePage* p = nullptr;
  {
    SpinGuard g(g_mem.lock);
    if (reserved || g_mem.nfree > g_mem.committed) {
      p = g_mem.head;
      if (p) {
        g_mem.head = p->next;
        g_mem.nfree--;
      }
    }
  }
  if (p) refs_of(p).store(1);
  return p;
}
}  // namespace

void* kalloc() {
  if (inject_failure(AllocSite::Page)) return nullptr;
  return take_page(false);
}

void* kalloc_reserved() { return take_page(true); }

bool kcommit(u64 n) {
  SpinGuard g(g_mem.lock);
  if (g_mem.nfree < g_mem.committed + n) return false;
  g_mem.committed += n;
  return true;
}

void kuncommit(u64 n) {
  SpinGuard g(g_mem.lock);
  if (n > g_mem.committed) panic("kuncommit: %lu of %lu promised pages", n, g_mem.committed);
  g_mem.committed -= n;
}

u64 committed_page_count() {
  SpinGuard g(g_mem.lock);
  return g_mem.committed;
}

void* kzalloc() {
  void* p = kalloc();
  if (p) memset(p, 0, PGSIZE);
  return p;
}

void kref(void* page) {
  if (refs_of(page).fetch_add(1) == 0) panic("kref: free page %p", page);
}

u32 kref_count(void* page) { return refs_of(page).load(); }

bool kfree(void* page) {
  u32 was = refs_of(page).fetch_sub(1);
  if (was == 0) panic("kfree: page %p is already free", page);
  if (was > 1) return false;  // someone else still maps it
  if (g_test_mode) memset(page, 0x5a, PGSIZE);
  FreePage* p = static_cast<FreePage*>(page);
  SpinGuard g(g_mem.lock);
  p->next = g_mem.head;
  g_mem.head = p;
  g_mem.nfree++;
  return true;
}

u64 free_page_count() {
  SpinGuard g(g_mem.lock);
  return g_mem.nfree;
}
