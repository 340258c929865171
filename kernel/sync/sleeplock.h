// Sleep locks: held across disk I/O and other waits. The holder may sleep,
// waiters sleep instead of spinning. Taken only through SleepGuard or the
// acquire/release pair of an object that documents it (ilock/iunlock).
#pragma once

#include "sync/spinlock.h"

class SleepLock {
 public:
  constexpr explicit SleepLock(const char* name) : lk_(name) {}
  void acquire();
  void release();
  bool holding();  // held by the calling thread?

 private:
  Spinlock lk_;      // guards the two fields below
  bool locked_ = false;
  int holder_ = 0;   // tid of the holder
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
