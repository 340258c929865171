// The OSTEP-style thread library: threads as clones, a spin lock, a ticket
// lock and condition variables; plus the futex mutex and waiter queue that
// the pthread library shares (sync_impl.h). docs/threadlib.md explains the
// guarantees.
#include "thread.h"

#include "sync_impl.h"
#include "tls.h"
#include "user.h"

// ---------------------------------------------------------------------------
// Threads as clones.
//
// clone needs a page-aligned page inside the address space. malloc has no
// aligned variant, so thread_create takes two pages and uses the aligned
// page inside them. join hands back the aligned address; this table maps it
// to the block malloc gave, so thread_join can free that. A clone is a
// process, so there are never more than NPROC of them: the table has that
// many rows. The rows also carry the start routine for the trampoline.

struct clone_rec {
  void *stack;  // the page given to clone; NULL: row free
  void *block;  // what malloc returned, for free; also holds the
                // thread-local block (tls.h) after the stack page
  void (*start)(void *);
  void *arg;
  void *tp;
};

static struct clone_rec clone_recs[NPROC];  // guarded by clone_recs_lock
static int clone_recs_lock;                 // futex mutex word

// Every clone starts here, so that returning from the start routine ends the
// thread with exit(0) instead of a fault at the fake return address. The row
// stays put until thread_join, which comes after the clone has exited.
static void clone_trampoline(void *a) {
  struct clone_rec *r = (struct clone_rec *)a;
  tls_enter(r->tp);
  r->start(r->arg);
  exit(0);
}

int thread_create(void (*start)(void *), void *arg) {
  size_t tls = tls_block_size();
  char *block = malloc(2 * PGSIZE + tls);
  if (block == NULL)
    return -1;
  char *stack = (char *)(((uintptr_t)block + PGSIZE - 1) & ~(uintptr_t)(PGSIZE - 1));
  char *tls_top = stack + PGSIZE + tls;
  void *tp = tls_carve(&tls_top);

  struct clone_rec *r = NULL;
  weft_fmutex_lock(&clone_recs_lock);
  for (int i = 0; i < NPROC; i++) {
    if (clone_recs[i].stack == NULL) {
      r = &clone_recs[i];
      r->stack = stack;
      r->block = block;
      r->start = start;
      r->arg = arg;
      r->tp = tp;
      break;
    }
  }
  weft_fmutex_unlock(&clone_recs_lock);
  if (r == NULL) {
    free(block);
    return -1;
  }

  int pid = clone(clone_trampoline, r, stack);
  if (pid < 0) {
    weft_fmutex_lock(&clone_recs_lock);
    r->stack = NULL;
    weft_fmutex_unlock(&clone_recs_lock);
    free(block);
  }
  return pid;
}

int thread_join(void) {
  void *stack = NULL;
  int pid = join(&stack);
  if (pid < 0)
    return -1;
  void *block = NULL;
  weft_fmutex_lock(&clone_recs_lock);
  for (int i = 0; i < NPROC; i++) {
    if (clone_recs[i].stack == stack && stack != NULL) {
      block = clone_recs[i].block;
      clone_recs[i].stack = NULL;
      break;
    }
  }
  weft_fmutex_unlock(&clone_recs_lock);
  // A clone made by calling clone directly has no row; its stack is the
  // caller's business.
  free(block);
  return pid;
}

// fork (fork.c) holds the table lock across the system call. The child has
// no clones (they are the parent's children), so its rows are cleared; the
// stacks are not freed, since the child's one thread may be a clone
// running on one of them.
void weft_clone_fork_prepare(void) {
  weft_fmutex_lock(&clone_recs_lock);
}

void weft_clone_fork_parent(void) {
  weft_fmutex_unlock(&clone_recs_lock);
}

void weft_clone_fork_child(void) {
  memset(clone_recs, 0, sizeof(clone_recs));
  weft_fmutex_unlock(&clone_recs_lock);
}

// ---------------------------------------------------------------------------
// Spin lock.

void lock_init(lock_t *lk) {
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELAXED);
}

void lock_acquire(lock_t *lk) {
  // The swap (amoswap.w.aq) takes the lock; acquire ordering keeps the
  // critical section's loads and stores after it. While the lock is held,
  // wait with plain loads, which leave the cache line shared, and swap again
  // only once it looks free (test-and-test-and-set).
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
    while (__atomic_load_n(&lk->locked, __ATOMIC_RELAXED) != 0)
      ;
  }
}

void lock_release(lock_t *lk) {
  // Release ordering: everything the critical section wrote is visible to
  // the next holder before it sees the lock free.
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

// ---------------------------------------------------------------------------
// Ticket lock.

// A waiter whose ticket is at most TICKET_SPIN_DEPTH away from the one
// being served spins, for at most TICKET_SPINS rounds, before it sleeps.
// Spinning pays when the threads ahead run on other harts and pass the lock
// on within microseconds; once the turn has not come for this long, they
// probably are not running. A waiter further back sleeps at once: with many
// more threads than harts it would only keep a hart from the holder.
#define TICKET_SPINS 10000
#define TICKET_SPIN_DEPTH 4

void ticket_lock_init(ticket_lock_t *lk) {
  lk->next = 0;
  lk->turn = 0;
  lk->sleepers = 0;
  for (int i = 0; i < TICKET_CALL_SLOTS; i++)
    lk->call[i] = 0;
}

void ticket_lock_acquire(ticket_lock_t *lk) {
  unsigned my = __atomic_fetch_add(&lk->next, 1, __ATOMIC_RELAXED);
  unsigned *call = &lk->call[my % TICKET_CALL_SLOTS];
  unsigned seen = 0;
  int spins = 0;
  for (;;) {
    // Read the call word before turn: see below.
    unsigned called = __atomic_load_n(call, __ATOMIC_SEQ_CST);
    unsigned turn = __atomic_load_n(&lk->turn, __ATOMIC_ACQUIRE);
    if (turn == my)
      return;
    if (called != seen) {  // woken as next in line: spin afresh
      seen = called;
      spins = 0;
    }
    if (my - turn <= TICKET_SPIN_DEPTH && spins++ < TICKET_SPINS)
      continue;
    // Sleep until a release changes our call word. The release that serves
    // my stores turn, then stores 2my+1 in *call, then reads sleepers, and
    // wakes *call's sleepers if it is not 0. Here we count ourselves in
    // sleepers, then read turn again, then sleep only while *call still
    // holds the value read above (which was read before turn, so it cannot
    // be 2my+1 yet). All sequentially consistent: either this read of turn
    // sees the release (and we do not sleep), or the release sees us in
    // sleepers and wakes us, or *call has changed before futex_wait looks
    // and it returns at once. Tickets that share a call word wake together;
    // those not called go back to sleep.
    __atomic_fetch_add(&lk->sleepers, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&lk->turn, __ATOMIC_SEQ_CST) != my)
      futex_wait((int *)call, (int)called);
    __atomic_fetch_sub(&lk->sleepers, 1, __ATOMIC_SEQ_CST);
  }
}

void ticket_lock_release(ticket_lock_t *lk) {
  // Only the holder writes turn, so a plain read of it is exact.
  unsigned turn = lk->turn + 1;
  __atomic_store_n(&lk->turn, turn, __ATOMIC_SEQ_CST);
  // Serve ticket turn, and tell ticket turn + 1 that it is next in line.
  unsigned *served = &lk->call[turn % TICKET_CALL_SLOTS];
  unsigned *next = &lk->call[(turn + 1) % TICKET_CALL_SLOTS];
  __atomic_store_n(served, 2 * turn + 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(next, 2 * (turn + 1), __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&lk->sleepers, __ATOMIC_SEQ_CST) != 0) {
    futex_wake((int *)served, NTHR);
    futex_wake((int *)next, NTHR);
  }
}

// ---------------------------------------------------------------------------
// Futex mutex (used inside the library: cond_t queues, pthread_mutex_t).

void weft_fmutex_lock(int *w) {
  int c = 0;
  if (__atomic_compare_exchange_n(w, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return;
  // Contended. Mark the word 2 ("there may be sleepers") before sleeping, so
  // that the holder's unlock knows to wake someone. A thread that takes the
  // lock on this path leaves it at 2, because other sleepers may remain; at
  // worst that costs one futex_wake that finds nobody.
  if (c != 2)
    c = __atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE);
  while (c != 0) {
    // Sleeps only if the word is still 2: an unlock in between makes it 0
    // and futex_wait returns at once.
    futex_wait(w, 2);
    c = __atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE);
  }
}

int weft_fmutex_trylock(int *w) {
  int c = 0;
  return __atomic_compare_exchange_n(w, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void weft_fmutex_unlock(int *w) {
  // The futex_wake may come after another thread has taken the lock, or
  // even freed the memory; futex_wake does not touch the word, and every
  // futex_wait in this library re-checks its condition when it wakes.
  if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) == 2)
    futex_wake(w, 1);
}

// ---------------------------------------------------------------------------
// Waiter queues.

void weft_waitq_add(struct weft_waitq *q, struct weft_waiter *w) {
  w->next = NULL;
  w->woken = 0;
  weft_fmutex_lock(&q->lock);
  if (q->tail != NULL)
    q->tail->next = w;
  else
    q->head = w;
  q->tail = w;
  weft_fmutex_unlock(&q->lock);
}

void weft_waiter_sleep(struct weft_waiter *w) {
  while (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&w->woken, 0);
}

int weft_waiter_sleep_until(struct weft_waitq *q, struct weft_waiter *w,
                            unsigned long deadline) {
  int saved = errno;
  int err = 0;
  while (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) == 0) {
    if (futex_wait_until(&w->woken, 0, deadline) == 0 || errno != ETIMEDOUT)
      continue;
    // Timed out: leave the queue, unless a waker has already taken w off
    // it (then its wake-up is on the way and this wait is not timed out).
    weft_fmutex_lock(&q->lock);
    struct weft_waiter *prev = NULL, *cur = q->head;
    while (cur != NULL && cur != w) {
      prev = cur;
      cur = cur->next;
    }
    if (cur == w) {
      if (prev)
        prev->next = w->next;
      else
        q->head = w->next;
      if (q->tail == w)
        q->tail = prev;
      err = ETIMEDOUT;
    }
    weft_fmutex_unlock(&q->lock);
    if (err)
      break;
    weft_waiter_sleep(w);
  }
  errno = saved;
  return err;
}

int weft_waitq_wake(struct weft_waitq *q, int n) {
  weft_fmutex_lock(&q->lock);
  struct weft_waiter *first = q->head;
  int k = 0;
  struct weft_waiter *w = first;
  while (w != NULL && (n < 0 || k < n)) {
    w = w->next;
    k++;
  }
  q->head = w;
  if (w == NULL)
    q->tail = NULL;
  weft_fmutex_unlock(&q->lock);

  // The k taken nodes are off the queue and nobody else will touch them;
  // each stays valid until its thread sees woken = 1. So read next first,
  // then set woken, then wake (the wake may reach a stack slot that has been
  // reused by then, which at worst is a spurious wake-up of a loop that
  // re-checks its word).
  w = first;
  for (int i = 0; i < k; i++) {
    struct weft_waiter *next = w->next;
    __atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
    futex_wake(&w->woken, 1);
    w = next;
  }
  return k;
}

int weft_waitq_empty(struct weft_waitq *q) {
  weft_fmutex_lock(&q->lock);
  int empty = q->head == NULL;
  weft_fmutex_unlock(&q->lock);
  return empty;
}

// ---------------------------------------------------------------------------
// Condition variables.

void cv_init(cond_t *cv) {
  cv->q.lock = 0;
  cv->q.head = NULL;
  cv->q.tail = NULL;
}

// The waiter is on the queue before the lock is released, so a signal from
// any thread that takes the lock after this point finds it there: no lost
// wake-up.
void cv_wait(cond_t *cv, lock_t *lk) {
  struct weft_waiter w;
  weft_waitq_add(&cv->q, &w);
  lock_release(lk);
  weft_waiter_sleep(&w);
  lock_acquire(lk);
}

void cv_wait_ticket(cond_t *cv, ticket_lock_t *lk) {
  struct weft_waiter w;
  weft_waitq_add(&cv->q, &w);
  ticket_lock_release(lk);
  weft_waiter_sleep(&w);
  ticket_lock_acquire(lk);
}

void cv_signal(cond_t *cv) {
  weft_waitq_wake(&cv->q, 1);
}

void cv_broadcast(cond_t *cv) {
  weft_waitq_wake(&cv->q, -1);
}
