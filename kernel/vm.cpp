#include "vm.h"

#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "arch/riscv64/sbi.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"

namespace {
// The kernel half is two 1 GiB leaf entries of the root table: RAM at its
// own address (index 2) and the device window (index 256). Global, so that
// TLB entries for them survive ASID switches.
constexpr u64 KERNEL_RAM_INDEX = 2;
constexpr u64 KERNEL_DEV_INDEX = 256;
constexpr int NSPACES = 2 * NPROC;  // exec briefly holds two per process

alignas(4096) u64 g_kernel_root[512];

struct {
  Spinlock lock{"as-table"};
  bool used[NSPACES] = {};  // guarded by lock
} g_table;
AddressSpace g_spaces[NSPACES];

void copy_kernel_half(u64* root) {
  root[KERNEL_RAM_INDEX] = g_kernel_root[KERNEL_RAM_INDEX];
  root[KERNEL_DEV_INDEX] = g_kernel_root[KERNEL_DEV_INDEX];
}
}  // namespace

void vm_init() {
  constexpr u64 leaf = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G;
  g_kernel_root[KERNEL_RAM_INDEX] = pa_to_pte(RAMBASE) | leaf | PTE_X;
  g_kernel_root[KERNEL_DEV_INDEX] = pa_to_pte(0) | leaf;
  vm_init_hart();
}

void vm_init_hart() {
  CSR_WRITE(satp, make_satp(reinterpret_cast<u64>(g_kernel_root), 0));
  sfence_vma_all();
}

int mycpu_hartid();

AddressSpace* as_slot_alloc() {
  int slot = -1;
  {
    SpinGuard g(g_table.lock);
    for (int i = 0; i < NSPACES && slot < 0; i++)
      if (!g_table.used[i]) {
        g_table.used[i] = true;
        slot = i;
      }
  }
  if (slot < 0) return nullptr;
  AddressSpace* as = &g_spaces[slot];
  as->slot_ = slot;
  as->sz_ = 0;
  as->active_harts_.store(0);
  as->generation_.fetch_add(1);
  as->refs_.store(1);
  return as;
}

AddressSpace* AddressSpace::create() {
  u64* root = static_cast<u64*>(kzalloc());
  if (!root) return nullptr;
  AddressSpace* as = as_slot_alloc();
  if (!as) {
    kfree(root);
    return nullptr;
  }
  copy_kernel_half(root);
  as->root_ = root;
  return as;
}

void AddressSpace::get() { refs_.fetch_add(1); }

void AddressSpace::put() {
  if (refs_.fetch_sub(1) != 1) return;
  // Last reference: no thread runs here any more. A hart's satp may still
  // point here for a moment while its scheduler passes from a thread of
  // this space to the next thread or to idle (both switch tables, with
  // interrupts off); wait for that before the table pages are reused.
  u64 me = 1ull << mycpu_hartid();
  if (active_harts_.load() & me) panic("AddressSpace::put: freeing the table in use");
  while (active_harts_.load() != 0) {
  }
  // Free every mapped user page and the user half's table pages. Walking
  // the tables (rather than [USER_BASE, sz)) frees what a failed exec or
  // fork mapped beyond sz, too.
  for (u64 i = 0; i < KERNEL_RAM_INDEX; i++) {
    if (!(root_[i] & PTE_V)) continue;
    u64* l1 = reinterpret_cast<u64*>(pte_to_pa(root_[i]));
    for (int j = 0; j < 512; j++) {
      if (!(l1[j] & PTE_V)) continue;
      u64* l0 = reinterpret_cast<u64*>(pte_to_pa(l1[j]));
      for (int k = 0; k < 512; k++)
        if (l0[k] & PTE_V) kfree(reinterpret_cast<void*>(pte_to_pa(l0[k])));
      kfree(l0);
    }
    kfree(l1);
  }
  kfree(root_);
  root_ = nullptr;
  SpinGuard g(g_table.lock);
  g_table.used[slot_] = false;
}

u64* AddressSpace::walk(u64 va, bool alloc) {
  u64* table = root_;
  for (int level = 2; level > 0; level--) {
    u64& pte = table[vpn(va, level)];
    if (!(pte & PTE_V)) {
      if (!alloc) return nullptr;
      void* page = kzalloc();
      if (!page) return nullptr;
      pte = pa_to_pte(reinterpret_cast<u64>(page)) | PTE_V;
    }
    table = reinterpret_cast<u64*>(pte_to_pa(pte));
  }
  return &table[vpn(va, 0)];
}

void AddressSpace::unmap_range(u64 from, u64 to, bool free_pages) {
  for (u64 va = pg_round_up(from); va < pg_round_up(to); va += PGSIZE) {
    u64* pte = walk(va, false);
    if (!pte || !(*pte & PTE_V)) continue;
    if (free_pages) kfree(reinterpret_cast<void*>(pte_to_pa(*pte)));
    *pte = 0;
  }
}

void AddressSpace::shootdown() {
  // A hart that switches to this space later sees the new generation and
  // flushes; the harts running it now are flushed here. The order (bump,
  // then read the mask) pairs with vm_switch_to's (set bit, then read the
  // generation), so no hart slips between the two.
  generation_.fetch_add(1);
  u64 asid = slot_ + 1;
  sfence_vma_asid(asid);
  u64 me = 1ull << mycpu()->hartid;
  u64 others = active_harts_.load() & ~me;
  if (others) sbi_remote_sfence_vma_asid(others, 0, 0, asid);
  // Our own hart's record: we just flushed.
  mycpu()->asid_gen[slot_] = generation_.load();
}

int mycpu_hartid() {
  push_off();
  int id = mycpu()->hartid;
  pop_off();
  return id;
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

u64 AddressSpace::user_pa_locked(u64 va, bool write) {
  if (va >= USER_TOP) return 0;
  u64* pte = walk(va, false);
  if (!pte) return 0;
  u64 need = PTE_V | PTE_U | (write ? PTE_W : PTE_R);
  if ((*pte & need) != need) return 0;
  return pte_to_pa(*pte) | (va & (PGSIZE - 1));
}

u64 AddressSpace::user_pa(u64 va) {
  SpinGuard g(lock_);
  u64* pte = walk(va, false);
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
  SpinGuard g(lock_);
  for (u64 a = pg_round_down(va); a < va + len; a += PGSIZE) {
    u64* pte = walk(a, true);
    if (!pte) return Error::NoMemory;  // the caller puts the whole space
    if (*pte & PTE_V) {
      *pte |= perm;  // two segments sharing a page get both permissions
      continue;
    }
    void* page = kzalloc();
    if (!page) return Error::NoMemory;
    *pte = pa_to_pte(reinterpret_cast<u64>(page)) | perm | PTE_U | PTE_V |
           PTE_A | PTE_D;
  }
  if (pg_round_up(va + len) > sz_) sz_ = pg_round_up(va + len);
  return {};
}

void AddressSpace::make_guard(u64 va) {
  SpinGuard g(lock_);
  u64* pte = walk(va, false);
  if (pte) *pte &= ~PTE_U;
}

AddressSpace* AddressSpace::copy() {
  AddressSpace* child = create();
  if (!child) return nullptr;
  SpinGuard g(lock_);
  for (u64 va = USER_BASE; va < sz_; va += PGSIZE) {
    u64* pte = walk(va, false);
    if (!pte || !(*pte & PTE_V)) continue;
    u64* cpte = child->walk(va, true);
    void* page = kalloc();
    if (!cpte || !page) {
      if (page) kfree(page);
      child->sz_ = va;
      // Freeing takes the child's lock, never ours: no lock-order issue.
      child->put();
      return nullptr;
    }
    memcpy(page, reinterpret_cast<void*>(pte_to_pa(*pte)), PGSIZE);
    *cpte = pa_to_pte(reinterpret_cast<u64>(page)) | (*pte & 0x3ff);
  }
  child->sz_ = sz_;
  return child;
}

Result<u64> AddressSpace::resize(i64 n) {
  SpinGuard g(lock_);
  u64 old = sz_;
  i64 want = static_cast<i64>(old) + n;
  if (want < static_cast<i64>(USER_BASE) || want > static_cast<i64>(USER_TOP))
    return Error::Invalid;
  u64 target = static_cast<u64>(want);
  if (n > 0) {
    for (u64 va = pg_round_up(old); va < target; va += PGSIZE) {
      u64* pte = walk(va, true);
      void* page = pte ? kzalloc() : nullptr;
      if (!page) {
        unmap_range(old, va, true);  // nobody has seen these pages yet
        return Error::NoMemory;
      }
      *pte = pa_to_pte(reinterpret_cast<u64>(page)) | PTE_R | PTE_W | PTE_U |
             PTE_V | PTE_A | PTE_D;
    }
  } else if (n < 0 && pg_round_up(target) < pg_round_up(old)) {
    // Invalidate first, flush every hart that may hold the translations,
    // and only then free: a thread on another hart must not write into a
    // page after it has been handed to someone else. Invalid entries keep
    // their page number until the second pass frees the page.
    for (u64 va = pg_round_up(target); va < pg_round_up(old); va += PGSIZE) {
      u64* pte = walk(va, false);
      if (pte) *pte &= ~PTE_V;
    }
    shootdown();
    for (u64 va = pg_round_up(target); va < pg_round_up(old); va += PGSIZE) {
      u64* pte = walk(va, false);
      if (!pte || *pte == 0) continue;
      kfree(reinterpret_cast<void*>(pte_to_pa(*pte)));
      *pte = 0;
    }
  }
  sz_ = target;
  return old;
}
