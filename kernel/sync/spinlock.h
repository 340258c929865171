// Spin locks. A holder runs with interrupts off on its hart, so an interrupt
// handler can never spin on a lock its own hart holds. Taken only through
// SpinGuard (or, where a lock is handed across a context switch, by the
// scheduler's documented protocol). Every lock has a rank (sync/lockrank.h),
// checked at every acquire.
#pragma once

#include <atomic>

#include "lib/types.h"
#include "sync/lockrank.h"

struct Cpu;

class Spinlock {
 public:
  constexpr Spinlock(const char* name, LockRank rank) : name_(name), rank_(rank) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;

  void acquire();
  void release();
  bool holding() const;  // held by this hart? (interrupts must be off)
  const char* name() const { return name_; }
  LockRank rank() const { return rank_; }

 private:
  std::atomic<u32> locked_{0};
  Cpu* owner_ = nullptr;
  const char* name_;
  LockRank rank_;
};

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
