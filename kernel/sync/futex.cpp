// Sleepers wait in a hash bucket's list. futex_wait checks the word and
// joins the list under the bucket lock, and a waker takes the same lock, so
// a wake-up between the check and the sleep cannot be lost.
#include "sync/futex.h"

#include "lib/list.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

namespace {
struct Waiter {
  ListNode node;
  AddressSpace* as;
  u64 uaddr;
  Thread* thread;
  bool woken;  // guarded by the bucket lock
};

struct Bucket {
  Spinlock lock{"futex"};
  IntrusiveList<Waiter, &Waiter::node> waiters;  // guarded by lock
};

constexpr int NBUCKETS = 64;
Bucket g_buckets[NBUCKETS];

Bucket& bucket_of(AddressSpace* as, u64 uaddr) {
  u64 h = (uaddr >> 2) ^ (reinterpret_cast<u64>(as) >> 6);
  h ^= h >> 17;
  return g_buckets[h % NBUCKETS];
}

// Wake up to n waiters on (as, uaddr); caller holds b.lock.
int wake_locked(Bucket& b, AddressSpace* as, u64 uaddr, int n) {
  int woken = 0;
  for (Waiter* w = b.waiters.front(); w && woken < n;) {
    Waiter* next = b.waiters.next(w);
    if (w->as == as && w->uaddr == uaddr) {
      b.waiters.remove(w);
      w->woken = true;
      wake_thread(w->thread, w);
      woken++;
    }
    w = next;
  }
  return woken;
}
}  // namespace

Result<void> futex_wait(u64 uaddr, int expected) {
  if (uaddr & 3) return Error::Invalid;
  Process* p = myproc();
  Bucket& b = bucket_of(p->as, uaddr);
  SpinGuard g(b.lock);
  int value = TRY(read_user(UserIn<int>{uaddr}));
  if (value != expected) return {};
  Waiter w{{}, p->as, uaddr, current(), false};
  b.waiters.push_back(&w);
  while (!w.woken) {
    if (killed(p)) {
      b.waiters.remove(&w);
      return Error::Interrupted;
    }
    sleep_killable(&w, b.lock);
  }
  return {};
}

Result<int> futex_wake(u64 uaddr, int n) {
  if (uaddr & 3 || n < 0) return Error::Invalid;
  AddressSpace* as = myproc()->as;
  Bucket& b = bucket_of(as, uaddr);
  SpinGuard g(b.lock);
  return wake_locked(b, as, uaddr, n);
}

Result<void> futex_store_and_wake_all(u64 uaddr, u32 v) {
  AddressSpace* as = myproc()->as;
  Bucket& b = bucket_of(as, uaddr);
  SpinGuard g(b.lock);
  CHECK(store_user_u32(uaddr, v));
  wake_locked(b, as, uaddr, NTHR);
  return {};
}
