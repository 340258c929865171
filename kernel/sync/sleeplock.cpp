#include "sync/sleeplock.h"

#include "proc.h"

// sleep() releases lk_ while the thread waits and holds it again on return,
// so the guard still owns it when it goes out of scope.
void SleepLock::acquire() {
  SpinGuard g(lk_);
  while (locked_) sleep(this, lk_);
  locked_ = true;
  holder_ = current()->tid;
}

void SleepLock::release() {
  SpinGuard g(lk_);
  locked_ = false;
  holder_ = 0;
  wakeup(this);
}

bool SleepLock::holding() {
  SpinGuard g(lk_);
  return locked_ && holder_ == current()->tid;
}
