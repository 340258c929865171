// Mutexes (three types) and condition variables (pthread.h).
//
// Every mutex is the futex mutex of sync_impl.h on m->state. The
// error-checking and recursive types also record the owner (its
// thread-local block, tls_self(): no system call, and unchanged in a fork
// child, which may unlock what the forking thread held) and a depth. Only
// the owner writes its own name there, so a thread that reads its own name
// knows it holds the mutex, whatever other threads are doing.
#include "pthread.h"

#include "sync_impl.h"
#include "user.h"

int pthread_mutexattr_init(pthread_mutexattr_t *attr) {
  attr->type = PTHREAD_MUTEX_DEFAULT;
  return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *attr) {
  (void)attr;
  return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type) {
  if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_ERRORCHECK &&
      type != PTHREAD_MUTEX_RECURSIVE)
    return EINVAL;
  attr->type = type;
  return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *attr, int *type) {
  *type = attr->type;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr) {
  m->state = 0;
  m->type = attr ? attr->type : PTHREAD_MUTEX_DEFAULT;
  m->owner = 0;
  m->depth = 0;
  return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m) {
  return __atomic_load_n(&m->state, __ATOMIC_RELAXED) != 0 ? EBUSY : 0;
}

static int owned_by_me(pthread_mutex_t *m, unsigned long me) {
  return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == me;
}

static void take(pthread_mutex_t *m, unsigned long me) {
  __atomic_store_n(&m->owner, me, __ATOMIC_RELAXED);
  m->depth = 1;
}

int pthread_mutex_lock(pthread_mutex_t *m) {
  if (m->type == PTHREAD_MUTEX_NORMAL) {
    weft_fmutex_lock(&m->state);
    return 0;
  }
  unsigned long me = tls_self();
  if (owned_by_me(m, me)) {
    if (m->type == PTHREAD_MUTEX_ERRORCHECK)
      return EDEADLK;
    if (m->depth == 0x7fffffff)
      return EAGAIN;
    m->depth++;
    return 0;
  }
  weft_fmutex_lock(&m->state);
  take(m, me);
  return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m) {
  if (m->type == PTHREAD_MUTEX_NORMAL)
    return weft_fmutex_trylock(&m->state) ? 0 : EBUSY;
  unsigned long me = tls_self();
  if (owned_by_me(m, me)) {
    if (m->type == PTHREAD_MUTEX_ERRORCHECK || m->depth == 0x7fffffff)
      return EBUSY;
    m->depth++;
    return 0;
  }
  if (!weft_fmutex_trylock(&m->state))
    return EBUSY;
  take(m, me);
  return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m) {
  if (m->type == PTHREAD_MUTEX_NORMAL) {
    if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) == 0)
      return EPERM;
  } else {
    if (!owned_by_me(m, tls_self()))
      return EPERM;
    if (--m->depth > 0)
      return 0;
    __atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
  }
  weft_fmutex_unlock(&m->state);
  return 0;
}

// ---------------------------------------------------------------------------
// Condition variables.

int pthread_condattr_init(pthread_condattr_t *attr) {
  attr->unused = 0;
  return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *attr) {
  (void)attr;
  return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr) {
  (void)attr;
  c->q.lock = 0;
  c->q.head = NULL;
  c->q.tail = NULL;
  return 0;
}

int pthread_cond_destroy(pthread_cond_t *c) {
  return weft_waitq_empty(&c->q) ? 0 : EBUSY;
}

// The waiter is on the queue before the mutex is released: a signal from
// whoever takes the mutex next finds it (no lost wake-up). A recursive
// mutex is released and taken again at its full depth.
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, unsigned long deadline) {
  if (m->type != PTHREAD_MUTEX_NORMAL && !owned_by_me(m, tls_self()))
    return EPERM;
  int depth = m->depth;
  struct weft_waiter w;
  weft_waitq_add(&c->q, &w);
  m->depth = 1;
  pthread_mutex_unlock(m);
  int err = 0;
  if (deadline)
    err = weft_waiter_sleep_until(&c->q, &w, deadline);
  else
    weft_waiter_sleep(&w);
  pthread_mutex_lock(m);
  if (m->type != PTHREAD_MUTEX_NORMAL)
    m->depth = depth;
  return err;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  return cond_wait(c, m, 0);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abstime) {
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L)
    return EINVAL;
  unsigned long deadline = timespec_to_time(abstime);
  return cond_wait(c, m, deadline ? deadline : 1);
}

int pthread_cond_signal(pthread_cond_t *c) {
  weft_waitq_wake(&c->q, 1);
  return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c) {
  weft_waitq_wake(&c->q, -1);
  return 0;
}
