// The out-of-line parts of spin locks: waiting, and the panics.
#include "sync/spinlock.h"

#include "lib/kprintf.h"
#include "proc.h"
#include "trace.h"

void pop_off_panic() {
  if (intr_enabled()) panic("pop_off: interrupts on");
  panic("pop_off: unbalanced");
}

// Another hart holds the lock: spin on a plain load (no bus-locking swap
// per round) until it looks free, then try the swap again.
void Spinlock::spin() {
  u32 spins = 0;
  u64 start = 0;
  Cpu* holder = nullptr;
  if (tracing()) {
    start = read_time();
    holder = owner_;  // a hint: it may be changing hands right now
  }
  do {
    while (locked_.load(std::memory_order_relaxed) != 0) icount_spin_pause(&spins);
  } while (locked_.exchange(1, std::memory_order_acquire) != 0);
  // A wait the trace shows: longer than 20 us (200 ticks of the time CSR).
  if (start && read_time() - start > 200)
    trace_put(TR_LOCK_SPIN, trace_name(name_), static_cast<i64>(read_time() - start),
              holder ? holder->index : -1);
}

void Spinlock::refuse() const {
  if (holding()) panic("acquire: %s already held by this hart", name_);
  spin_order_panic(rank_, name_);
}

void Spinlock::release_panic() const { panic("release: %s not held", name_); }
