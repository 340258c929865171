#include "sync/sleeplock.h"

#include "inject.h"
#include "proc.h"

void SleepLock::acquire() {
  sleep_acquire_check(rank_, name_);
  if (g_chaos_on) chaos_point(ChaosPoint::SleepLock);
  Thread* t = current();
  {
    SpinGuard g(lk_);
    while (locked_) waiters_.wait();
    locked_ = true;
    holder_ = t ? t->tid : -1;
  }
  sleep_acquired(rank_);
}

bool SleepLock::acquire_killable() {
  sleep_acquire_check(rank_, name_);
  if (g_chaos_on) chaos_point(ChaosPoint::SleepLock);
  {
    SpinGuard g(lk_);
    while (locked_) {
      if (!waiters_.wait_killable()) return false;
    }
    locked_ = true;
    holder_ = current()->tid;
  }
  sleep_acquired(rank_);
  return true;
}

// One waiter is enough: it takes the lock, and its release wakes the next.
void SleepLock::release() {
  sleep_released(rank_);
  SpinGuard g(lk_);
  locked_ = false;
  holder_ = 0;
  if (!waiters_.empty()) waiters_.wake(1);
}

bool SleepLock::holding() {
  SpinGuard g(lk_);
  Thread* t = current();
  return locked_ && holder_ == (t ? t->tid : -1);
}
