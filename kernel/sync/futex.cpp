// Sleepers wait in a hash bucket's wait queue, keyed by (address space,
// user address). futex_wait checks the word and joins the queue under the
// bucket lock, and a waker takes the same lock, so a wake-up between the
// check and the sleep cannot be lost.
#include "sync/futex.h"

#include "proc.h"
#include "uaccess.h"
#include "vm.h"

namespace {
struct Bucket {
  Spinlock lock{"futex", LockRank::Futex};
  WaitQueue waiters{lock};
};

constexpr int NBUCKETS = 64;
Bucket g_buckets[NBUCKETS];

// The address space's slot number and the user address (below 2^32) make a
// key that names one word of one address space. A space's slot is not
// reused while any of its threads waits here (they hold a reference).
u64 key_of(AddressSpace* as, u64 uaddr) { return u64{as->id()} << 32 | uaddr; }

Bucket& bucket_of(u64 key) {
  u64 h = (key >> 2) ^ (key >> 32) * 0x9e3779b1;
  h ^= h >> 17;
  return g_buckets[h % NBUCKETS];
}

bool valid_addr(u64 uaddr) { return (uaddr & 3) == 0 && uaddr < (1ull << 32); }
}  // namespace

Result<void> futex_wait(u64 uaddr, int expected) {
  return futex_wait_until(uaddr, expected, 0);
}

Result<void> futex_wait_until(u64 uaddr, int expected, u64 deadline) {
  if (!valid_addr(uaddr)) return Error::Invalid;
  u64 key = key_of(myproc()->as, uaddr);
  Bucket& b = bucket_of(key);
  Timeout to{{}, current(), deadline};
  bool timed = false;  // `to` is on the clock's list
  Result<void> r;
  {
    SpinGuard g(b.lock);
    auto value = read_user(UserIn<int>{uaddr});
    if (!value) {
      r = value.error();
    } else if (value.value() == expected) {
      // The clock's list only when about to sleep (the ticks lock ranks
      // after the bucket's).
      if (deadline) {
        timeout_add(&to);
        timed = true;
      }
      // Only a futex_wake takes the waiter off the queue; otherwise it is
      // being killed or its deadline has passed.
      if (!b.waiters.wait_killable_until(key, deadline))
        r = must_end(current()) ? Error::Interrupted : Error::TimedOut;
    }
  }
  if (timed) timeout_remove(&to);
  return r;
}

Result<int> futex_wake(u64 uaddr, int n) {
  if (!valid_addr(uaddr) || n < 0) return Error::Invalid;
  u64 key = key_of(myproc()->as, uaddr);
  Bucket& b = bucket_of(key);
  SpinGuard g(b.lock);
  return b.waiters.wake_key(key, n);
}

Result<void> futex_store_and_wake_all(u64 uaddr, u32 v) {
  if (!valid_addr(uaddr)) return Error::Invalid;
  u64 key = key_of(myproc()->as, uaddr);
  Bucket& b = bucket_of(key);
  for (;;) {
    {
      SpinGuard g(b.lock);
      auto r = store_user_u32(uaddr, v);
      if (r) {
        b.waiters.wake_key(key, WaitQueue::kAll);
        return {};
      }
      if (r.error() != Error::Retry) return r.error();
    }
    // Copy-on-write since a fork: break it without the bucket lock.
    CHECK(user_prepare_write(uaddr, sizeof(u32)));
  }
}
