// The lock-order checks of lockrank.h.
//
// Spin locks are held by a hart: HartLocks::spin_held (sync/spinlock.h) has
// bit r set while the hart holds the lock of rank r (spin classes never
// nest); Spinlock::acquire and release keep it. Sleep locks are held by
// a thread, which may move between harts while it holds them:
// Thread::sleep_held counts them per rank (the nestable classes may count
// more than one), and Thread::sleep_ranks has the bit of every rank whose
// count is above 0, so that a check is one test, not a loop.
#include "sync/lockrank.h"

#include "lib/kprintf.h"
#include "proc.h"

namespace {
const char* const kNames[] = {
    "none",  "rename", "inode",  "logbuf", "buf",    "console-out", "as-map",
    "wait",  "desch",  "ids",     "proc",   "futex",  "pipe",
    "console-in", "log", "bcache", "disk",  "fdtable", "ftable",
    "cwd",   "itable", "sleeplock-state", "ticks", "as-pages", "as-table",
    "thread", "runq",  "kalloc",  "kprintf",
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<u32>(LockRank::Count));

constexpr u64 bit(LockRank r) { return rank_bit(r); }
constexpr bool nestable(LockRank r) { return r == LockRank::Inode || r == LockRank::Buf; }
constexpr u64 at_or_above(LockRank r) { return ranks_at_or_above(r); }

// The ranks of the sleep locks the thread holds, as a mask.
u64 sleep_mask(const Thread* t) { return t->sleep_ranks; }

const char* highest_name(u64 mask) {
  for (int r = static_cast<int>(LockRank::Count) - 1; r > 0; r--)
    if (mask & (1ull << r)) return kNames[r];
  return "none";
}
}  // namespace

const char* rank_name(LockRank r) { return kNames[static_cast<u32>(r)]; }

bool spin_order_ok(LockRank r) { return (hart_locks()->spin_held & at_or_above(r)) == 0; }

bool holding_no_spinlock() {
  push_off();
  bool none = hart_locks()->spin_held == 0;
  pop_off();
  return none;
}

void spin_order_panic(LockRank r, const char* name) {
  panic("lock order: taking %s (rank %s) while holding %s", name, rank_name(r),
        highest_name(hart_locks()->spin_held));
}

// Interrupts stay off while the hart's state is read: a preemption between
// reading tp and reading through it would read another hart's locks.
bool sleep_order_ok(LockRank r) {
  bool on = intr_save_off();
  Cpu* c = mycpu();
  bool ok = c->locks.spin_held == 0;
  if (ok && c->thread) {
    u64 above = nestable(r) ? at_or_above(r) & ~bit(r) : at_or_above(r);
    ok = (sleep_mask(c->thread) & above) == 0;
  }
  intr_restore(on);
  return ok;
}

void sleep_acquire_check(LockRank r, const char* name) {
  if (sleep_order_ok(r)) return;
  push_off();
  u64 held = hart_locks()->spin_held;
  if (mycpu()->thread) held |= sleep_mask(mycpu()->thread);
  pop_off();
  panic("lock order: taking sleep lock %s (rank %s) while holding %s", name, rank_name(r),
        highest_name(held));
}

// Boot code before the first thread (binit, self tests) takes sleep locks
// with no thread to charge them to; nothing can sleep then, so nothing is
// recorded.
void sleep_acquired(LockRank r) {
  if (Thread* t = current()) {
    t->sleep_held[static_cast<u32>(r)]++;
    t->sleep_ranks |= bit(r);
  }
}

void sleep_released(LockRank r) {
  if (Thread* t = current()) {
    u8& n = t->sleep_held[static_cast<u32>(r)];
    if (n == 0) panic("lock order: releasing an unheld %s", rank_name(r));
    if (--n == 0) t->sleep_ranks &= ~bit(r);
  }
}
