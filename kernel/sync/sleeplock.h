// Sleep locks: held across disk I/O and other waits. The holder may sleep,
// waiters sleep instead of spinning. Taken only through SleepGuard or the
// acquire/release pair of an object that documents it (ilock/iunlock,
// bread/brelse).
#pragma once

#include "sync/spinlock.h"
#include "sync/waitqueue.h"

class SleepLock {
 public:
  constexpr SleepLock(const char* name, LockRank rank)
      : name_(name), rank_(rank), lk_(name, LockRank::SleepState), waiters_(lk_) {}
  void acquire();
  void release();
  bool holding();  // held by the calling thread?
  LockRank rank() const { return rank_; }

 private:
  const char* name_;
  LockRank rank_;
  Spinlock lk_;        // guards the fields below
  WaitQueue waiters_;  // threads waiting for the lock
  bool locked_ = false;
  int holder_ = 0;     // tid of the holder
};

class [[nodiscard]] SleepGuard {
 public:
  explicit SleepGuard(SleepLock& l) : lock_(l) { lock_.acquire(); }
  ~SleepGuard() { lock_.release(); }
  SleepGuard(const SleepGuard&) = delete;
  SleepGuard& operator=(const SleepGuard&) = delete;

 private:
  SleepLock& lock_;
};
