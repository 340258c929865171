#include "sync/waitqueue.h"

#include "lib/kprintf.h"
#include "proc.h"
#include "trace.h"

// The waiter joins the queue and marks itself Sleeping while it still holds
// the guard lock, so a waker (who needs the guard) finds it either not yet
// checking or already asleep. A kill does not hold the guard: it only makes
// a killable sleeper runnable (under the thread's lock, where the killed flag
// is checked below, so a kill cannot slip in between either), and the
// sleeper takes its own entry off the queue when it has the guard again.
//
// A deadline works like a kill that comes from the clock: the clock looks
// at sleep_deadline under the thread's lock, and the sleeper checks the
// time under the same lock before it sleeps, so a deadline that passes
// between the two is seen by one of them.
bool WaitQueue::sleep(u64 key, bool killable, u64 deadline) {
  check_guard();
  Thread* t = current();
  Waiter w{{}, t, key};
  t->lock.acquire();
  if ((killable && must_end(t)) || (deadline && read_time() >= deadline)) {
    t->lock.release();
    return false;
  }
  waiters_.push_back(&w);
  if (tracing()) [[unlikely]]
    trace_put(TR_SLEEP, trace_name(guard_.name()), static_cast<i64>(key), 0);
  t->state = ThreadState::Sleeping;
  t->sleep_killable = killable;
  t->sleep_deadline = deadline;
  guard_.release();
  sched();
  t->sleep_deadline = 0;
  t->lock.release();
  guard_.acquire();
  if (!w.node.linked()) return true;  // a waker took us off the queue
  waiters_.remove(&w);
  return false;
}

void WaitQueue::check_guard() const {
  if (!guard_.holding()) panic("wait queue used without holding %s", guard_.name());
}

// The waiter's thread cannot have left (it needs the guard, which the waker
// holds, to return), so w and its thread are still valid here. False for a
// killable sleeper whose thread must end: a kill has woken it or is about
// to, and it takes its own entry off the queue.
bool WaitQueue::wake_waiter(Waiter* w) {
  Thread* t = w->thread;
  SpinGuard g(t->lock);
  if (t->state != ThreadState::Sleeping) return false;
  if (t->sleep_killable && must_end(t)) return false;
  make_runnable_locked(t);
  return true;
}
