// Spin locks. A holder runs with interrupts off on its hart, so an interrupt
// handler can never spin on a lock its own hart holds. Taken only through
// SpinGuard (or, where a lock is handed across a context switch, by the
// scheduler's documented protocol). Every lock has a rank (sync/lockrank.h),
// checked at every acquire.
//
// acquire and release are inline: every system call takes several locks,
// and a call per acquire, per release and per bookkeeping step once cost
// about a hundred instructions a pair (a third of a pipe round trip). The
// uncommon paths (waiting for the lock, a broken rule) stay out of line.
#pragma once

#include <atomic>

#include "arch/riscv64/riscv.h"
#include "inject.h"
#include "lib/types.h"
#include "sync/lockrank.h"

struct Cpu;

// What spin locks record per hart. It is the first member of the hart's
// Cpu (proc.h checks), so tp points at it and this header need not know Cpu.
struct HartLocks {
  int noff = 0;          // push_off() depth
  bool intena = false;   // interrupts on before the first push_off()
  u64 spin_held = 0;     // ranks of the spin locks held (lockrank.cpp)
};
inline HartLocks* hart_locks() { return reinterpret_cast<HartLocks*>(read_tp()); }

// Interrupt disabling that nests: the first push remembers whether
// interrupts were on, the last pop restores that.
inline void push_off() {
  bool was_on = intr_save_off();
  HartLocks* h = hart_locks();
  if (h->noff == 0) h->intena = was_on;
  h->noff++;
}

[[noreturn]] void pop_off_panic();

inline void pop_off() {
  HartLocks* h = hart_locks();
  if (intr_enabled() || h->noff < 1) [[unlikely]]
    pop_off_panic();
  if (--h->noff == 0 && h->intena) intr_on();
}

class Spinlock {
 public:
  constexpr Spinlock(const char* name, LockRank rank) : name_(name), rank_(rank) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;

  void acquire() {
    push_off();
    HartLocks* h = hart_locks();
    // Checked before spinning, so that a wrong order is reported instead
    // of deadlocking some day. One test serves two rules: a lock this hart
    // already holds has its rank's bit set, too.
    if (h->spin_held & ranks_at_or_above(rank_)) [[unlikely]]
      refuse();
    h->spin_held |= rank_bit(rank_);
    // amoswap.w.aq: the acquire ordering keeps the critical section's
    // loads and stores after the lock is taken.
    if (locked_.exchange(1, std::memory_order_acquire) != 0) [[unlikely]]
      spin();
    owner_ = reinterpret_cast<Cpu*>(h);
  }

  void release() {
    HartLocks* h = hart_locks();
    // owner_ is set only by a holder, to itself, and cleared before the
    // lock is let go: equal to this hart means this hart holds it.
    if (owner_ != reinterpret_cast<Cpu*>(h)) [[unlikely]]
      release_panic();
    h->spin_held &= ~rank_bit(rank_);
    owner_ = nullptr;
    locked_.store(0, std::memory_order_release);
    pop_off();
    if (g_chaos_on) [[unlikely]]
      chaos_point(ChaosPoint::SpinRelease);
  }

  // Held by this hart? (interrupts must be off)
  bool holding() const {
    return locked_.load(std::memory_order_relaxed) != 0 &&
           owner_ == reinterpret_cast<Cpu*>(read_tp());
  }
  const char* name() const { return name_; }
  LockRank rank() const { return rank_; }

 private:
  void spin();                           // wait until the lock is free, take it
  [[noreturn]] void refuse() const;      // already held, or out of order
  [[noreturn]] void release_panic() const;

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
