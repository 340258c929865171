// Wait queues: the one way a thread waits for something.
//
// A WaitQueue belongs to the object that is waited on (a pipe, a buffer, a
// process's children, a futex bucket ...) and is guarded by that object's
// spin lock, the same lock that guards the condition the waiter checks. A
// waiter checks its condition and joins the queue without letting go of that
// lock, and a waker changes the condition and wakes under the same lock, so
// a wake-up can never fall between the check and the sleep. A wake-up
// touches only this queue's waiters.
//
// The entry for a waiter (Waiter) lives on the waiting thread's kernel stack
// and carries a key: what exactly it waits for (a futex address, a disk
// request, a deadline, a tid), so one queue can serve many waits.
//
// Protocol:
//   SpinGuard g(obj.lock);
//   while (!condition) {
//     if (!obj.queue.wait_killable()) return Error::Interrupted;
//   }
// wait() returns true when a waker took this waiter off the queue, false when
// the thread returned for another reason: its process is being killed (or
// exec is ending it), for wait_killable only. Callers recheck their
// condition either way.
#pragma once

#include "lib/list.h"
#include "lib/types.h"
#include "sync/spinlock.h"

struct Thread;

struct Waiter {
  ListNode node;
  Thread* thread;
  u64 key;
};

class WaitQueue {
 public:
  constexpr explicit WaitQueue(Spinlock& guard) : guard_(guard) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Sleep until woken (the caller holds the guard lock; it is released
  // while asleep and held again on return). Disk I/O, sleep locks and the
  // log wait this way: what they wait for always comes.
  bool wait(u64 key = 0) { return sleep(key, false, 0); }
  // The same for waits that a kill must end: returns false at once, without
  // sleeping, if the thread must end, and a kill wakes it.
  bool wait_killable(u64 key = 0) { return sleep(key, true, 0); }
  // The same, and also returns false at the time CSR value `deadline`:
  // at once if it has passed, else when the clock wakes the thread, which
  // the caller has registered with timeout_add (proc.h) beforehand.
  bool wait_killable_until(u64 key, u64 deadline) { return sleep(key, true, deadline); }

  // Take up to n waiters off the queue, in arrival order, and make their
  // threads runnable; returns how many were taken. A waiter that a kill is
  // ending is left alone (it leaves by itself) and not counted, so a
  // futex_wake(1) is never spent on a thread that will not use it.
  int wake(int n) { return wake_if(n, [](u64) { return true; }); }
  int wake_all() { return wake(kAll); }
  // Only waiters whose key is `key`.
  int wake_key(u64 key, int n) {
    return wake_if(n, [key](u64 k) { return k == key; });
  }
  // Only waiters whose key satisfies pred.
  template <typename Pred>
  int wake_if(int n, Pred pred) {
    check_guard();
    int woken = 0;
    for (Waiter* w = waiters_.front(); w && woken < n;) {
      Waiter* next = waiters_.next(w);
      if (pred(w->key) && wake_waiter(w)) {
        waiters_.remove(w);
        woken++;
      }
      w = next;
    }
    return woken;
  }
  // The smallest key of any waiter (the ticks queue: the next deadline), or
  // `none` if nobody waits.
  u64 min_key(u64 none) {
    check_guard();
    u64 m = none;
    for (Waiter* w = waiters_.front(); w; w = waiters_.next(w))
      if (w->key < m) m = w->key;
    return m;
  }
  bool empty() const { return waiters_.empty(); }

  static constexpr int kAll = 0x7fffffff;

 private:
  bool sleep(u64 key, bool killable, u64 deadline);
  void check_guard() const;
  static bool wake_waiter(Waiter* w);

  Spinlock& guard_;
  IntrusiveList<Waiter, &Waiter::node> waiters_;  // guarded by guard_
};
