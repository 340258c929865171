// Lock ranks: the one written lock order of the kernel, checked at every
// acquire of every lock, spin and sleep.
//
// A thread may take a lock only while every lock it holds has a lower rank
// (an earlier line below). Sleep locks come first: a thread must never
// sleep while holding a spin lock, so no spin lock can be held when a sleep
// lock is taken. Two locks of one class may be held at once only where the
// class says so (nestable), and then the class documents the order between
// its members (an inode's parent before the inode, for example); that
// order is not checked here.
//
// The checks cost a few instructions per acquire (the spin-lock ones are
// inline in Spinlock::acquire) and run in every build:
// a wrong order panics at once, naming both locks, instead of deadlocking
// some day on some other machine.
#pragma once

#include "lib/types.h"

enum class LockRank : u8 {
  // ---- sleep locks (held by a thread, possibly across sleeps)
  Rename = 1,   // g_rename_lock: one rename at a time, so that the
                // ancestry a rename checks cannot change under it (rename.cpp)
  Inode,        // Inode::lock; nestable: a directory before an entry in it
  LogBuf,       // the log's private buffer (commit, recovery)
  Buf,          // Buf::lock; nestable: an indirect block before the blocks
                // it names, a bitmap block before the block it allocates
  ConsoleOut,   // one console write() is not interleaved with another
  AsMap,        // AddressSpace::map_lock_: changes to the set of mapped pages;
                // last, as a copy to user memory (under inode and buffer
                // locks) may have to break a copy-on-write page
  // ---- spin locks (held by a hart with interrupts off)
  Wait,         // g_wait_lock: every parent/children link, wait/join
  Desch,        // Process::desch_lock: desch/mkrun
  Ids,          // the id tables and the free thread/process slots
  Proc,         // Process::lock
  Futex,        // a futex hash bucket
  Pipe,         // Pipe::lock
  ConsoleIn,    // the console's input line
  Log,          // the log's counters
  Bcache,       // the buffer cache's list
  Disk,         // the virtio queue
  FdTable,      // a process's fd table
  Ftable,       // the open-file table's free slots (file_alloc)
  Cwd,          // Process::cwd_lock
  Itable,       // the inode cache (idup of the cwd)
  SleepState,   // the spin lock inside every SleepLock
  Ticks,        // the sleep(ticks) queue and the clock's list of timeouts
  AsPages,      // AddressSpace::lock_: page-table entries, sz
  AsTable,      // the address-space slots
  Thread,       // Thread::lock
  Runq,         // the run queue
  Kalloc,       // the page allocator
  Print,        // kprintf
  Count
};

constexpr u32 kFirstSpinRank = static_cast<u32>(LockRank::Wait);
constexpr bool is_sleep_rank(LockRank r) { return static_cast<u32>(r) < kFirstSpinRank; }

const char* rank_name(LockRank r);

// The bit of rank r in a mask of ranks, and the bits of every rank at or
// above r.
constexpr u64 rank_bit(LockRank r) { return 1ull << static_cast<u32>(r); }
constexpr u64 ranks_at_or_above(LockRank r) { return ~0ull << static_cast<u32>(r); }

// Called by Spinlock and SleepLock. The *_ok forms only answer; the others
// panic on a violation (before spinning or sleeping) and record the lock.
// Spinlock keeps its hart's mask of held ranks itself (spinlock.h).
bool spin_order_ok(LockRank r);
bool sleep_order_ok(LockRank r);
[[noreturn]] void spin_order_panic(LockRank r, const char* name);
void sleep_acquire_check(LockRank r, const char* name);
void sleep_acquired(LockRank r);
void sleep_released(LockRank r);
// No spin lock held on this hart (required before sleeping or long work).
bool holding_no_spinlock();
