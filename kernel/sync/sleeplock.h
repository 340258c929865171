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
  // The same, but gives up (false) if the calling thread must end: for a
  // lock that a user may hold for as long as it likes (the console).
  bool acquire_killable();
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

// A guard that may fail to take the lock: test it before use.
class [[nodiscard]] KillableSleepGuard {
 public:
  explicit KillableSleepGuard(SleepLock& l) : lock_(l), held_(l.acquire_killable()) {}
  ~KillableSleepGuard() {
    if (held_) lock_.release();
  }
  explicit operator bool() const { return held_; }
  KillableSleepGuard(const KillableSleepGuard&) = delete;
  KillableSleepGuard& operator=(const KillableSleepGuard&) = delete;

 private:
  SleepLock& lock_;
  bool held_;
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
