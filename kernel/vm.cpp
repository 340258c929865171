#include "vm.h"

#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "arch/riscv64/sbi.h"
#include "inject.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "sync/brigade.h"

Shootdown g_shootdown = Shootdown::Ipi;

namespace {
// The kernel half is two 1 GiB leaf entries of the root table: RAM at its
// own address (index 2) and the device window (index 256). Global, so that
// TLB entries for them survive ASID switches. User space is what the root
// entries below index 2 map.
constexpr u64 KERNEL_RAM_INDEX = 2;
constexpr u64 KERNEL_DEV_INDEX = 256;
constexpr u64 USER_ROOT_ENTRIES = KERNEL_RAM_INDEX;
static_assert(USER_TOP <= USER_ROOT_ENTRIES << 30);
constexpr int NSPACES = 2 * NPROC;  // exec briefly holds two per process
// Page-table entries changed per hold of lock_ when unmapping: bounds the
// time with interrupts off, whatever the size of the range.
constexpr int kBatch = 64;
constexpr u64 kLeafSpan = 512 * PGSIZE;  // what one leaf table maps

alignas(4096) u64 g_kernel_root[512];

struct {
  Spinlock lock{"as-table", LockRank::AsTable};
  bool used[NSPACES] = {};  // guarded by lock
} g_table;
AddressSpace g_spaces[NSPACES];

void copy_kernel_half(u64* root) {
  root[KERNEL_RAM_INDEX] = g_kernel_root[KERNEL_RAM_INDEX];
  root[KERNEL_DEV_INDEX] = g_kernel_root[KERNEL_DEV_INDEX];
}

// Drops the mapping's reference to the page of a user entry. A shared
// copy-on-write page that someone else still holds had a page promised for
// its copy (kalloc.h): that promise is off. Returns the promises to drop.
u64 drop_user_page(u64 pte) {
  bool freed = kfree(reinterpret_cast<void*>(pte_to_pa(pte)));
  return (pte & PTE_COW) && !freed ? 1 : 0;
}

// Free a user half that is no longer reachable from any root: every page it
// maps and every table page. Interrupts stay on; nobody else can see it.
void free_user_half(const u64 (&top)[USER_ROOT_ENTRIES]) {
  u64 promises = 0;
  for (u64 pte1 : top) {
    if (!(pte1 & PTE_V)) continue;
    u64* l1 = reinterpret_cast<u64*>(pte_to_pa(pte1));
    for (int j = 0; j < 512; j++) {
      if (!(l1[j] & PTE_V)) continue;
      u64* l0 = reinterpret_cast<u64*>(pte_to_pa(l1[j]));
      for (int k = 0; k < 512; k++)
        if (l0[k] & PTE_V) promises += drop_user_page(l0[k]);
      kfree(l0);
    }
    kfree(l1);
  }
  if (promises) kuncommit(promises);
}

constexpr u64 kUserData = PTE_R | PTE_W | PTE_U | PTE_V | PTE_A | PTE_D;

// A trip of travel(): the space to flush and the log of the harts visited.
struct Trip {
  AddressSpace* as;
  int* stops;
  int max, n;
};
const std::atomic<u64> g_every_hart{~0ull};  // a route through every hart
}  // namespace

void vm_init() {
  constexpr u64 leaf = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G;
  g_kernel_root[KERNEL_RAM_INDEX] = pa_to_pte(RAMBASE) | leaf | PTE_X;
  g_kernel_root[KERNEL_DEV_INDEX] = pa_to_pte(0) | leaf;
  // Every slot's root table for good (NSPACES pages): a hart may still point
  // at a dead space's root, so a root is never freed.
  for (AddressSpace& as : g_spaces) {
    as.root_ = static_cast<u64*>(kzalloc());
    if (!as.root_) panic("vm_init: no memory for root tables");
    copy_kernel_half(as.root_);
  }
  vm_init_hart();
}

void vm_init_hart() {
  CSR_WRITE(satp, make_satp(reinterpret_cast<u64>(g_kernel_root), 0));
  sfence_vma_all();
}

// A slot nobody uses and no hart's satp points at any more (a hart leaves
// a dead space's table lazily, at its next switch). Its root table's user
// half is empty between uses.
AddressSpace* as_slot_alloc() {
  if (inject_failure(AllocSite::Space)) return nullptr;
  int slot = -1;
  {
    SpinGuard g(g_table.lock);
    for (int i = 0; i < NSPACES && slot < 0; i++)
      if (!g_table.used[i] && g_spaces[i].active_harts_.load() == 0) {
        g_table.used[i] = true;
        slot = i;
      }
  }
  if (slot < 0) return nullptr;
  AddressSpace* as = &g_spaces[slot];
  as->slot_ = slot;
  {
    SpinGuard g(as->lock_);
    as->sz_ = 0;
  }
  as->generation_.fetch_add(1);
  as->refs_.store(1);
  return as;
}

AddressSpace* AddressSpace::create() { return as_slot_alloc(); }

void AddressSpace::get() { refs_.fetch_add(1); }

void AddressSpace::put() {
  if (refs_.fetch_sub(1) != 1) return;
  if (!holding_no_spinlock()) panic("AddressSpace::put with a spin lock held");
  // Last reference: no thread runs here any more, so no user access can go
  // through a stale translation, and every hart that ran the space flushes
  // this ASID before it runs the slot's next space (a new generation). What
  // is left is the hardware of the harts whose satp still points at the
  // root: each leaves it lazily, at its next switch, and may meanwhile hold
  // cached walks into the tables we are about to free. So detach the user
  // half from the root (a few entries), flush those harts (they are in
  // their schedulers, between two threads: a brigade's trip to them is
  // short, and usually there are none), then free the detached pages with
  // interrupts on.
  u64 top[USER_ROOT_ENTRIES];
  {
    SpinGuard g(lock_);
    for (u64 i = 0; i < USER_ROOT_ENTRIES; i++) {
      top[i] = root_[i];
      root_[i] = 0;
    }
    sz_ = 0;
  }
  if (active_harts_.load()) shootdown();
  free_user_half(top);
  SpinGuard g(g_table.lock);
  g_table.used[slot_] = false;
}

u64* AddressSpace::walk(u64 va, void** spare) {
  u64* table = root_;
  for (int level = 2; level > 0; level--) {
    u64& pte = table[vpn(va, level)];
    if (!(pte & PTE_V)) {
      if (!spare || !*spare) return nullptr;
      pte = pa_to_pte(reinterpret_cast<u64>(*spare)) | PTE_V;
      *spare = nullptr;
    }
    table = reinterpret_cast<u64*>(pte_to_pa(pte));
  }
  return &table[vpn(va, 0)];
}

Result<void> AddressSpace::install(u64 va, u64 pte_bits) {
  void* spare = nullptr;
  for (;;) {
    u64* pte;
    {
      SpinGuard g(lock_);
      pte = walk(va, &spare);
      if (pte) *pte = pte_bits;
    }
    if (pte) break;
    // A table level is missing: get a zeroed page with interrupts on, and
    // try again (at most once per level).
    spare = kzalloc();
    if (!spare) return Error::NoMemory;
  }
  if (spare) kfree(spare);
  return {};
}

void AddressSpace::unmap_and_free(u64 from, u64 to) {
  u64 lo = pg_round_up(from), hi = pg_round_up(to);
  if (lo >= hi) return;
  // Invalidate first, flush every hart that may hold the translations, and
  // only then free: a thread on another hart must not write into a page
  // after it has been handed to someone else. Invalid entries keep their
  // page number until the second pass frees the page.
  for (u64 va = lo; va < hi;) {
    SpinGuard g(lock_);
    for (int i = 0; i < kBatch && va < hi; i++, va += PGSIZE) {
      u64* pte = walk(va, nullptr);
      if (pte) *pte &= ~PTE_V;
    }
  }
  shootdown();
  for (u64 va = lo; va < hi;) {
    u64 ptes[kBatch];
    int n = 0;
    {
      SpinGuard g(lock_);
      for (int i = 0; i < kBatch && va < hi; i++, va += PGSIZE) {
        u64* pte = walk(va, nullptr);
        if (!pte || *pte == 0) continue;
        ptes[n++] = *pte;
        *pte = 0;
      }
    }
    u64 promises = 0;
    for (int i = 0; i < n; i++) promises += drop_user_page(ptes[i]);
    if (promises) kuncommit(promises);
  }
}

// Never called with a spin lock held: the remote fence waits for the other
// harts to answer.
void AddressSpace::shootdown() {
  // A hart that switches to this space later sees the new generation and
  // flushes; the harts running it now are flushed here. The order (bump,
  // then read the mask) pairs with vm_switch_to's (set bit, then read the
  // generation), so no hart slips between the two. The brigade reads the
  // mask again before each hop: a hart that left the space meanwhile will
  // flush if it comes back (its generation is old), so it is skipped. At
  // boot (the self tests) there is no thread to travel, nor another hart.
  generation_.fetch_add(1);
  if (g_shootdown == Shootdown::Brigade && current()) {
    travel(false, nullptr, 0);
    return;
  }
  u64 asid = slot_ + 1;
  push_off();
  Cpu* c = mycpu();
  sfence_vma_asid(asid);
  u64 me = 1ull << c->hartid;
  c->asid_gen[slot_] = generation_.load();  // our own hart: just flushed
  pop_off();
  u64 others = active_harts_.load() & ~me;
  if (others) sbi_remote_sfence_vma_asid(others, 0, 0, asid);
}

int AddressSpace::travel(bool every_hart, int* stops, int max) {
  Trip trip{this, stops, max, 0};
  brigade(every_hart ? g_every_hart : active_harts_, flush_stop, &trip);
  return trip.n;
}

// On each hart of the trip, interrupts off. The flush is needed even when
// the hart already ran this space: vm_switch_to flushes only on a change of
// space with an old generation. The generation is read before the flush,
// so a bump after it still makes the hart flush again.
void AddressSpace::flush_stop(void* arg) {
  Trip* trip = static_cast<Trip*>(arg);
  AddressSpace* as = trip->as;
  Cpu* c = mycpu();
  u32 gen = as->generation_.load();
  sfence_vma_asid(as->slot_ + 1);
  c->asid_gen[as->slot_] = gen;
  if (trip->n < trip->max) trip->stops[trip->n] = c->hartid;
  trip->n++;
}

void vm_switch_to(AddressSpace* as) {
  Cpu* c = mycpu();
  if (c->as == as) return;
  u64 bit = 1ull << c->hartid;
  if (c->as) c->as->active_harts_.fetch_and(~bit);
  if (as) {
    as->active_harts_.fetch_or(bit);
    CSR_WRITE(satp, as->satp());
    u32 gen = as->generation_.load();
    if (c->asid_gen[as->slot_] != gen) {
      sfence_vma_asid(as->slot_ + 1);
      c->asid_gen[as->slot_] = gen;
    }
  } else {
    CSR_WRITE(satp, make_satp(reinterpret_cast<u64>(g_kernel_root), 0));
  }
  c->as = as;
}

u64 AddressSpace::user_pa_locked(u64 va, bool write, bool* cow) {
  if (va >= USER_TOP) return 0;
  u64* pte = walk(va, nullptr);
  if (!pte) return 0;
  u64 need = PTE_V | PTE_U | (write ? PTE_W : PTE_R);
  if ((*pte & need) != need) {
    if (cow && write && (*pte & (PTE_V | PTE_U | PTE_COW)) == (PTE_V | PTE_U | PTE_COW))
      *cow = true;
    return 0;
  }
  return pte_to_pa(*pte) | (va & (PGSIZE - 1));
}

u64 AddressSpace::user_pa(u64 va) {
  if (va >= USER_TOP) return 0;
  SpinGuard g(lock_);
  u64* pte = walk(va, nullptr);
  if (!pte || !(*pte & PTE_V)) return 0;
  return pte_to_pa(*pte) | (va & (PGSIZE - 1));
}

u64 AddressSpace::size() {
  SpinGuard g(lock_);
  return sz_;
}

u64 AddressSpace::satp() const {
  return make_satp(reinterpret_cast<u64>(root_), slot_ + 1);
}

Result<void> AddressSpace::map_zeroed(u64 va, u64 len, u64 perm) {
  if (va < USER_BASE || va + len < va || va + len > USER_TOP)
    return Error::Invalid;
  SleepGuard m(map_lock_);
  for (u64 a = pg_round_down(va); a < va + len; a += PGSIZE) {
    bool mapped;
    {
      SpinGuard g(lock_);
      u64* pte = walk(a, nullptr);
      mapped = pte && (*pte & PTE_V);
      if (mapped) *pte |= perm;  // two segments sharing a page get both permissions
    }
    if (mapped) continue;
    // On failure the pages mapped so far stay: the caller puts the space.
    void* page = kzalloc();
    if (!page) return Error::NoMemory;
    auto r = install(a, pa_to_pte(reinterpret_cast<u64>(page)) | perm | PTE_U | PTE_V |
                            PTE_A | PTE_D);
    if (!r) {
      kfree(page);
      return r.error();
    }
  }
  SpinGuard g(lock_);
  if (pg_round_up(va + len) > sz_) sz_ = pg_round_up(va + len);
  return {};
}

void AddressSpace::make_guard(u64 va) {
  SpinGuard g(lock_);
  u64* pte = walk(va, nullptr);
  if (pte) *pte &= ~PTE_U;
}

// Nothing is copied: each page gets one more reference and the child the
// same entry; writable pages lose PTE_W in both and get PTE_COW. Under
// map_lock_ nothing can unmap or break a page meanwhile. Other threads of
// the parent may still write through a stale writable TLB entry until the
// flush at the end: such a write lands in the shared page as if it came
// just before the fork, and no copy of the page can be taken before the
// flush, as breaking needs map_lock_. Entries go over in batches of one
// leaf table's neighbours, one walk per batch on each side.
AddressSpace* AddressSpace::copy() {
  AddressSpace* child = create();
  if (!child) return nullptr;
  SleepGuard m(map_lock_);
  u64 sz = size();
  bool shared_writable = false, ok = true;
  for (u64 va = USER_BASE; va < sz && ok;) {
    u64 base = va, ptes[kBatch];
    int n = 0;
    {
      SpinGuard g(lock_);
      u64* e = walk(va, nullptr);
      if (!e) {  // no leaf table here: skip its 2 MiB
        va = (va | (kLeafSpan - 1)) + 1;
        continue;
      }
      int span = 0;  // the entries of this batch: to the leaf table's end
      do {
        va += PGSIZE;
        span++;
      } while (span < kBatch && va < sz && (va & (kLeafSpan - 1)) != 0);
      // One page promised for each writable user page shared (kalloc.h);
      // if memory cannot cover them, the fork fails here.
      u64 writable = 0;
      for (int i = 0; i < span; i++)
        writable += (e[i] & (PTE_V | PTE_U)) == (PTE_V | PTE_U) && (e[i] & (PTE_W | PTE_COW));
      if (!kcommit(writable)) {
        ok = false;
        break;
      }
      // The references are taken under lock_, so that break_cow, which
      // checks the count under lock_, sees them as soon as it sees PTE_COW.
      for (; n < span; n++) {
        u64 pte = e[n];
        if ((pte & (PTE_V | PTE_U | PTE_W)) == (PTE_V | PTE_U | PTE_W)) {
          pte = (pte & ~PTE_W) | PTE_COW;
          e[n] = pte;
          shared_writable = true;
        }
        if (pte & PTE_V) kref(reinterpret_cast<void*>(pte_to_pa(pte)));
        ptes[n] = pte;
      }
    }
    ok = child->install_batch(base, ptes, n).ok();
  }
  if (shared_writable) shootdown();
  if (!ok) {
    child->put();  // drops the references it got; ours were never taken
    return nullptr;
  }
  SpinGuard g(child->lock_);
  child->sz_ = sz;
  return child;
}

// n entries for consecutive pages from va, all in one leaf table. On
// failure the references of entries not installed are dropped here.
Result<void> AddressSpace::install_batch(u64 va, const u64* ptes, int n) {
  void* spare = nullptr;
  for (;;) {
    {
      SpinGuard g(lock_);
      u64* e = walk(va, &spare);
      if (e) {
        for (int i = 0; i < n; i++) e[i] = ptes[i];
        break;
      }
    }
    spare = kzalloc();  // a missing table level, with interrupts on
    if (!spare) {
      u64 promises = 0;
      for (int i = 0; i < n; i++)
        if (ptes[i] & PTE_V) promises += drop_user_page(ptes[i]);
      if (promises) kuncommit(promises);
      return Error::NoMemory;
    }
  }
  if (spare) kfree(spare);
  return {};
}

Result<void> AddressSpace::break_cow(u64 va) {
  va = pg_round_down(va);
  if (va >= USER_TOP) return Error::Fault;
  SleepGuard m(map_lock_);
  void* fresh = nullptr;  // the copy, allocated with no spin lock held
  void* old = nullptr;    // the shared page, once we no longer map it
  int tries = 0;
  for (;;) {
    bool need_page = false;
    {
      SpinGuard g(lock_);
      u64* pte = walk(va, nullptr);
      u64 e = pte ? *pte : 0;
      constexpr u64 kUser = PTE_V | PTE_U;
      if ((e & kUser) != kUser || !(e & (PTE_W | PTE_COW))) {
        if (fresh) kfree(fresh);
        return Error::Fault;
      }
      if (e & PTE_COW) {
        void* shared = reinterpret_cast<void*>(pte_to_pa(e));
        u64 bits = ((e & 0x3ff) | PTE_W | PTE_D) & ~PTE_COW;
        // A count of 1 cannot grow meanwhile: only a fork of this space,
        // which needs map_lock_, adds references to its pages.
        if (kref_count(shared) == 1) {
          *pte = pa_to_pte(reinterpret_cast<u64>(shared)) | bits;
        } else if (fresh) {
          memcpy(fresh, shared, PGSIZE);  // one page: a bounded step
          *pte = pa_to_pte(reinterpret_cast<u64>(fresh)) | bits;
          fresh = nullptr;
          old = shared;
        } else {
          need_page = true;
        }
      }
      // else another thread broke it first.
    }
    if (!need_page) break;
    // The fork that shared the page promised a page for this copy. If the
    // other holder let go meanwhile (and its promise with it), the count
    // is 1 when we look again and no copy is needed.
    fresh = kalloc_reserved();
    if (!fresh && ++tries > 1) return Error::NoMemory;
  }
  if (fresh) kfree(fresh);
  if (old) {
    // Other harts may still read the shared page through this space:
    // flush them before anyone can see what we write into the copy.
    shootdown();
    if (!kfree(old)) kuncommit(1);  // the promise is kept
  } else {
    sfence_vma_page(va);
  }
  return {};
}

Result<u64> AddressSpace::resize(i64 n) {
  SleepGuard m(map_lock_);
  u64 old = size();
  i64 want = static_cast<i64>(old) + n;
  if (want < static_cast<i64>(USER_BASE)) return Error::Invalid;
  if (want > static_cast<i64>(USER_TOP)) return Error::NoMemory;
  u64 target = static_cast<u64>(want);
  if (n > 0) {
    // Other threads may touch a new page as soon as it is installed; sz
    // moves once all of them are there.
    for (u64 va = pg_round_up(old); va < target; va += PGSIZE) {
      void* page = kzalloc();
      Result<void> r = Error::NoMemory;
      if (page) r = install(va, pa_to_pte(reinterpret_cast<u64>(page)) | kUserData);
      if (!r) {
        if (page) kfree(page);
        unmap_and_free(old, va);
        return Error::NoMemory;
      }
    }
  }
  {
    SpinGuard g(lock_);
    sz_ = target;
  }
  if (n < 0) unmap_and_free(target, old);
  return old;
}
