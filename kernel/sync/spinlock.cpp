#include "sync/spinlock.h"

#include "inject.h"
#include "lib/kprintf.h"
#include "proc.h"

void push_off() {
  bool was_on = intr_enabled();
  intr_off();
  Cpu* c = mycpu();
  if (c->noff == 0) c->intena = was_on;
  c->noff++;
}

void pop_off() {
  Cpu* c = mycpu();
  if (intr_enabled()) panic("pop_off: interrupts on");
  if (c->noff < 1) panic("pop_off: unbalanced");
  c->noff--;
  if (c->noff == 0 && c->intena) intr_on();
}

void Spinlock::acquire() {
  push_off();
  if (holding()) panic("acquire: %s already held by this hart", name_);
  // Checked before spinning, so that a wrong order is reported instead of
  // deadlocking some day.
  spin_acquired_check(rank_, name_);
  // amoswap.w.aq: the acquire ordering keeps the critical section's loads and
  // stores after the lock is taken.
  u32 spins = 0;
  while (locked_.exchange(1, std::memory_order_acquire) != 0) {
    while (locked_.load(std::memory_order_relaxed) != 0) icount_spin_pause(&spins);
  }
  owner_ = mycpu();
}

void Spinlock::release() {
  if (!holding()) panic("release: %s not held", name_);
  spin_released(rank_);
  owner_ = nullptr;
  locked_.store(0, std::memory_order_release);
  pop_off();
  if (g_chaos_on) chaos_point(ChaosPoint::SpinRelease);
}

bool Spinlock::holding() const {
  return locked_.load(std::memory_order_relaxed) != 0 && owner_ == mycpu();
}
