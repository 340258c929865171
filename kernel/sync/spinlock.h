// Spin locks. A holder runs with interrupts off on its hart, so an interrupt
// handler can never spin on a lock its own hart holds. Taken only through
// SpinGuard (or, where a lock is handed across a context switch, by the
// scheduler's documented protocol).
#pragma once

#include <atomic>

#include "lib/types.h"

struct Cpu;

// The written lock order of proc.h, checked at run time: a hart may take a
// ranked lock only while every ranked lock it holds has a lower rank.
// Rank 0 (the default) is for the many leaf-ish locks that are not checked.
enum LockRank : u8 {
  kRankNone = 0,
  kRankWait = 1,    // g_wait_lock
  kRankProc = 2,    // Process::lock
  kRankThread = 3,  // Thread::lock
  kRankRunq = 4,    // the run queue
};

class Spinlock {
 public:
  constexpr explicit Spinlock(const char* name, LockRank rank = kRankNone)
      : name_(name), rank_(rank) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;

  void acquire();
  void release();
  bool holding() const;  // held by this hart? (interrupts must be off)
  const char* name() const { return name_; }

 private:
  std::atomic<u32> locked_{0};
  Cpu* owner_ = nullptr;
  const char* name_;
  LockRank rank_;
};

// Would taking a lock of this rank now keep the lock order? (Interrupts off.)
bool lock_order_ok(LockRank rank);

class [[nodiscard]] SpinGuard {
 public:
  explicit SpinGuard(Spinlock& l) : lock_(l) { lock_.acquire(); }
  ~SpinGuard() { lock_.release(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  Spinlock& lock_;
};

// Interrupt disabling that nests: the first push remembers whether
// interrupts were on, the last pop restores that.
void push_off();
void pop_off();
