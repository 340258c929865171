// Counting semaphores on futex (semaphore.h), and the errno they set.
#include "semaphore.h"

#include "user.h"

int sem_init(sem_t *s, int pshared, unsigned value) {
  (void)pshared;
  if (value > SEM_VALUE_MAX) {
    errno = EINVAL;
    return -1;
  }
  s->value = (int)value;
  s->waiters = 0;
  return 0;
}

int sem_destroy(sem_t *s) {
  (void)s;
  return 0;
}

// Takes a unit if there is one: 1 if it did, 0 if the count was 0.
static int take(sem_t *s) {
  int v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
  while (v > 0) {
    // On failure the exchange reloads v, and we try again while it is > 0.
    if (__atomic_compare_exchange_n(&s->value, &v, v - 1, 1, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
      return 1;
  }
  return 0;
}

int sem_wait(sem_t *s) {
  while (!take(s)) {
    // Announce the sleeper, then sleep only while the count is still 0.
    // sem_post raises the count and then reads waiters; both sides use
    // sequentially consistent operations, so either the poster sees this
    // waiter (and wakes it) or futex_wait sees the new count (and returns).
    __atomic_fetch_add(&s->waiters, 1, __ATOMIC_SEQ_CST);
    futex_wait(&s->value, 0);
    __atomic_fetch_sub(&s->waiters, 1, __ATOMIC_SEQ_CST);
  }
  return 0;
}

int sem_trywait(sem_t *s) {
  if (take(s))
    return 0;
  errno = EAGAIN;
  return -1;
}

int sem_post(sem_t *s) {
  int v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
  do {
    if (v == SEM_VALUE_MAX) {
      errno = EOVERFLOW;
      return -1;
    }
  } while (!__atomic_compare_exchange_n(&s->value, &v, v + 1, 1, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED));
  if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST) > 0)
    futex_wake(&s->value, 1);
  return 0;
}

int sem_getvalue(sem_t *s, int *value) {
  *value = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
  return 0;
}
