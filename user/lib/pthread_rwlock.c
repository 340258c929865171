// Read-write locks and spin locks (pthread.h).
//
// A read-write lock is a small state (readers inside, a writer inside,
// writers waiting) under a futex mutex, and two futex words that sleepers
// wait on: one for readers, one for writers. Writers come first: a reader
// does not enter while a writer waits, so a stream of readers cannot keep
// a writer out. When the lock comes free, a waiting writer is woken if
// there is one, else every waiting reader.
#include "pthread.h"

#include "sync_impl.h"
#include "user.h"

int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr) {
  (void)attr;
  memset(rw, 0, sizeof(*rw));
  return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rw) {
  weft_fmutex_lock(&rw->lock);
  int busy = rw->readers || rw->writer || rw->writers_waiting;
  weft_fmutex_unlock(&rw->lock);
  return busy ? EBUSY : 0;
}

// Sleeps on *seq until it moves on from the value read under the lock;
// returns with the lock held again.
static void sleep_on(pthread_rwlock_t *rw, int *seq) {
  int s = *seq;
  weft_fmutex_unlock(&rw->lock);
  futex_wait(seq, s);
  weft_fmutex_lock(&rw->lock);
}

static int rdlock(pthread_rwlock_t *rw, int try) {
  weft_fmutex_lock(&rw->lock);
  while (rw->writer || rw->writers_waiting) {
    if (try) {
      weft_fmutex_unlock(&rw->lock);
      return EBUSY;
    }
    sleep_on(rw, &rw->read_seq);
  }
  int err = rw->readers == 0x7fffffff ? EAGAIN : 0;
  if (!err)
    rw->readers++;
  weft_fmutex_unlock(&rw->lock);
  return err;
}

static int wrlock(pthread_rwlock_t *rw, int try) {
  weft_fmutex_lock(&rw->lock);
  if (try && (rw->writer || rw->readers)) {
    weft_fmutex_unlock(&rw->lock);
    return EBUSY;
  }
  rw->writers_waiting++;
  while (rw->writer || rw->readers)
    sleep_on(rw, &rw->write_seq);
  rw->writers_waiting--;
  rw->writer = 1;
  weft_fmutex_unlock(&rw->lock);
  return 0;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rw) { return rdlock(rw, 0); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw) { return rdlock(rw, 1); }
int pthread_rwlock_wrlock(pthread_rwlock_t *rw) { return wrlock(rw, 0); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *rw) { return wrlock(rw, 1); }

int pthread_rwlock_unlock(pthread_rwlock_t *rw) {
  weft_fmutex_lock(&rw->lock);
  if (rw->writer) {
    rw->writer = 0;
  } else if (rw->readers > 0) {
    rw->readers--;
  } else {
    weft_fmutex_unlock(&rw->lock);
    return EPERM;
  }
  if (rw->readers == 0 && rw->writers_waiting) {
    rw->write_seq = (int)((unsigned)rw->write_seq + 1);  // wraps, as a futex word may
    futex_wake(&rw->write_seq, 1);
  } else if (!rw->writer && !rw->writers_waiting) {
    rw->read_seq = (int)((unsigned)rw->read_seq + 1);
    futex_wake(&rw->read_seq, NTHR);
  }
  weft_fmutex_unlock(&rw->lock);
  return 0;
}

// ---------------------------------------------------------------------------
// Spin locks: for very short sections between threads that run on
// different harts; a holder that is preempted keeps the others spinning
// until it runs again.

int pthread_spin_init(pthread_spinlock_t *s, int pshared) {
  (void)pshared;
  *s = 0;
  return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *s) {
  return __atomic_load_n(s, __ATOMIC_RELAXED) ? EBUSY : 0;
}

int pthread_spin_lock(pthread_spinlock_t *s) {
  while (__atomic_exchange_n(s, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(s, __ATOMIC_RELAXED))
      ;
  return 0;
}

int pthread_spin_trylock(pthread_spinlock_t *s) {
  return __atomic_exchange_n(s, 1, __ATOMIC_ACQUIRE) ? EBUSY : 0;
}

int pthread_spin_unlock(pthread_spinlock_t *s) {
  __atomic_store_n(s, 0, __ATOMIC_RELEASE);
  return 0;
}
