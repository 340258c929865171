// AddressSpace: one user page table with its size, shared by every thread of
// a process and by every clone of it. The kernel half of the table (RAM and
// devices, see memlayout.h) is the same in every address space, so traps and
// system calls never switch tables.
//
// Two locks, so that no hart ever keeps its interrupts off for work whose
// size a user chooses:
// - map_lock_ (a sleep lock) serialises the changes to which pages are
//   mapped: sbrk, fork's copy, exec's loading, teardown. The long work
//   (zeroing, copying, freeing pages) runs under it with interrupts on.
// - lock_ (a spin lock) guards the page-table entries and sz_, and is held
//   only for a bounded step: one entry, one page copy, a batch of entries.
// A page is freed only by its mapper, under map_lock_, after its entry has
// been invalidated under lock_ and every hart has flushed it.
//
// fork shares pages copy-on-write: a writable page is mapped read-only with
// PTE_COW in both spaces and gets one more reference (kalloc.h). The first
// write to it, by user code (a store page fault) or by the kernel (uaccess),
// calls break_cow: the last holder just makes its entry writable again,
// any other takes a copy. Breaking runs under map_lock_, so it never
// overlaps a fork of the same space, and flushes every hart that runs the
// space before returning, so no thread keeps reading the old page.
//
// "Every hart has flushed" (shootdown()) comes in two designs, chosen at
// boot: an SBI remote fence to the harts that run the space (the default),
// or a bucket brigade ("shootdown=brigade", sync/brigade.h): the thread
// that unmapped travels through those harts' schedulers, flushing on each.
// docs/design.md, TLB shootdown, compares them.
#pragma once

#include <atomic>

#include "lib/result.h"
#include "lib/types.h"
#include "sync/sleeplock.h"
#include "sync/spinlock.h"

class AddressSpace {
 public:
  // A new space with only the kernel half mapped, reference count 1;
  // nullptr if out of memory or slots.
  static AddressSpace* create();

  void get();  // take a reference
  // Drop one; the last frees every user page and table (long work: the
  // caller holds no spin lock).
  void put();

  // fork: a copy of the user half sharing every page copy-on-write, or
  // nullptr. Holds no spin lock on entry (it flushes other harts).
  AddressSpace* copy();

  // A write to the copy-on-write page at va: give this space its own
  // writable page. Fault if va is not a copy-on-write (or already
  // writable) user page. No spin lock held. The copy comes out of the page
  // that fork promised for it (kalloc.h).
  Result<void> break_cow(u64 va);

  // sbrk: move the heap top by n bytes; returns the old top. Shrinking
  // frees pages only after every hart that may cache them has flushed.
  Result<u64> resize(i64 n);

  // exec, on a space no thread runs yet: map fresh zeroed pages over
  // [va, va+len) (pages already mapped are kept), raise sz to cover them.
  Result<void> map_zeroed(u64 va, u64 len, u64 perm);
  void make_guard(u64 va);      // page at va: no user access (stack guard)
  u64 user_pa(u64 va);          // physical address behind va, 0 if unmapped

  // For uaccess: the physical address of user page va if it allows the
  // access, else 0; *cow (if given) is set when a write was refused only
  // because the page is copy-on-write. Caller holds lock_.
  u64 user_pa_locked(u64 va, bool write, bool* cow = nullptr);

  u64 size();
  u64 satp() const;
  u32 id() const { return slot_; }  // unique among live spaces

  // A bucket brigade's trip for this space: its translations are flushed on
  // every hart (every_hart) or on the harts that run it, and the thread
  // comes home. The ids of the harts where the thread ran (home, each stop,
  // home) go to stops[0..max); returns how many there were. Caller holds no
  // spin lock. The shootdown's trip, and the `brigade` system call's.
  int travel(bool every_hart, int* stops, int max);

  Spinlock lock_{"as-pages", LockRank::AsPages};  // page-table entries, sz_

 private:
  friend void vm_switch_to(AddressSpace* as);
  friend AddressSpace* as_slot_alloc();
  friend void vm_init();

  // The entry for va, or nullptr if a table level is missing. A missing
  // level is filled from *spare (then set to nullptr) if spare is non-null
  // and holds a page. Caller holds lock_.
  u64* walk(u64 va, void** spare);
  // Point va at the page with the given pte bits, allocating table pages
  // outside lock_. Caller holds map_lock_ (or nobody else knows the space).
  Result<void> install(u64 va, u64 pte);
  // copy(): n entries for the pages from va on, within one leaf table.
  Result<void> install_batch(u64 va, const u64* ptes, int n);
  void unmap_and_free(u64 from, u64 to);  // caller holds map_lock_
  void shootdown();                       // flush stale translations everywhere
  static void flush_stop(void* trip);     // travel()'s step on each hart

  SleepLock map_lock_{"as-map", LockRank::AsMap};
  u64* root_ = nullptr;     // the slot's root table, allocated at boot
  u64 sz_ = 0;              // guarded by lock_: user memory ends here
  u32 slot_ = 0;            // index in the table; ASID is slot_ + 1
  std::atomic<int> refs_{0};
  // Bumped when the slot is reused or pages are unmapped. A hart whose
  // recorded generation differs flushes this ASID before using the table.
  std::atomic<u32> generation_{0};
  // Harts whose satp points here; set and cleared by vm_switch_to. A slot
  // is not reused while any hart still points at it.
  std::atomic<u64> active_harts_{0};
};

enum class Shootdown { Ipi, Brigade };
extern Shootdown g_shootdown;  // set at boot ("shootdown=brigade"), then constant

void vm_init();                       // build the kernel table, paging on
void vm_init_hart();                  // this hart: kernel table
void vm_switch_to(AddressSpace* as);  // as == nullptr: the kernel table
