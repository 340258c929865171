// AddressSpace: one user page table with its size, shared by every thread of
// a process and by every clone of it. The kernel half of the table (RAM and
// devices, see memlayout.h) is the same in every address space, so traps and
// system calls never switch tables.
#pragma once

#include <atomic>

#include "lib/result.h"
#include "lib/types.h"
#include "sync/spinlock.h"

class AddressSpace {
 public:
  // A new space with only the kernel half mapped, reference count 1;
  // nullptr if out of memory or slots.
  static AddressSpace* create();

  void get();  // take a reference
  void put();  // drop one; the last frees every user page and the table

  AddressSpace* copy();  // fork: a full copy of the user half, or nullptr

  // sbrk: move the heap top by n bytes; returns the old top. Shrinking
  // frees pages only after every hart that may cache them has flushed.
  Result<u64> resize(i64 n);

  // exec, on a space no thread runs yet: map fresh zeroed pages over
  // [va, va+len) (pages already mapped are kept), raise sz to cover them.
  Result<void> map_zeroed(u64 va, u64 len, u64 perm);
  void make_guard(u64 va);      // page at va: no user access (stack guard)
  u64 user_pa(u64 va);          // physical address behind va, 0 if unmapped

  // For uaccess: the physical address of user page va if it allows the
  // access, else 0. Caller holds lock_.
  u64 user_pa_locked(u64 va, bool write);

  u64 size();
  u64 satp() const;

  Spinlock lock_{"as"};  // guards the page table entries and sz_

 private:
  friend void vm_switch_to(AddressSpace* as);
  friend AddressSpace* as_slot_alloc();

  u64* walk(u64 va, bool alloc);        // caller holds lock_
  void unmap_range(u64 from, u64 to, bool free_pages);  // caller holds lock_
  void shootdown();                     // flush stale translations everywhere

  u64* root_ = nullptr;     // constant while the space lives
  u64 sz_ = 0;              // guarded by lock_: user memory ends here
  u32 slot_ = 0;            // index in the table; ASID is slot_ + 1
  std::atomic<int> refs_{0};
  // Bumped when the slot is reused or pages are unmapped. A hart whose
  // recorded generation differs flushes this ASID before using the table.
  std::atomic<u32> generation_{0};
  // Harts whose satp points here; set and cleared by vm_switch_to.
  std::atomic<u64> active_harts_{0};
};

void vm_init();                       // build the kernel table, paging on
void vm_init_hart();                  // this hart: kernel table
void vm_switch_to(AddressSpace* as);  // as == nullptr: the kernel table
