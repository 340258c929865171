// POSIX-style threads on tspawn/texit/futex (pthread.h).
//
// Every thread made by pthread_create has a row in a fixed table (a process
// has at most NTHR threads). The row holds its tid, its stack and its exit
// value, and the word `done` that texit sets to 1, atomically and with a
// futex wake-up, once the thread is finished with its stack: the kernel
// ends the thread on its kernel stack after that store. So whoever sees
// done = 1 may free the stack. A joiner sleeps on that word; a detached
// thread's row is cleared by whichever pthread call next finds it done
// (a thread cannot free the stack it is running on).
#include "pthread.h"

#include "sync_impl.h"
#include "tls.h"
#include "user.h"

enum {
  ROW_FREE,
  ROW_JOINABLE,
  ROW_DETACHED,  // freed by reap_locked once done
  ROW_JOINING,   // a pthread_join is waiting for it
};

struct row {
  int done;   // futex word: texit stores 1 when the thread has ended
  int state;  // ROW_*; guarded by table_lock
  int tid;    // guarded by table_lock
  void *(*start)(void *);
  void *arg;
  void *retval;  // written by the thread before it ends, read after done
  void *stack;   // from malloc; its top also holds the thread-local block
  void *tp;      // the thread-local block (tls.h)
};

static struct row rows[NTHR];  // state and tid guarded by table_lock
static int table_lock;         // futex mutex word
static int ndetached;          // rows in ROW_DETACHED; guarded by table_lock
static int fork_tid;           // the thread inside fork; guarded by table_lock

static struct row *find_locked(int tid) {
  for (int i = 0; i < NTHR; i++)
    if (rows[i].state != ROW_FREE && rows[i].tid == tid)
      return &rows[i];
  return NULL;
}

static void clear_locked(struct row *r) {
  free(r->stack);
  r->stack = NULL;
  r->tid = 0;
  r->state = ROW_FREE;
}

// Frees the rows and stacks of detached threads that have ended.
static void reap_locked(void) {
  for (int i = 0; i < NTHR && ndetached > 0; i++) {
    struct row *r = &rows[i];
    if (r->state == ROW_DETACHED && __atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
      clear_locked(r);
      ndetached--;
    }
  }
}

static __attribute__((noreturn)) void finish(struct row *r, void *retval) {
  weft_pthread_key_exit();
  r->retval = retval;
  // Publish retval before done; the joiner reads done with acquire.
  __atomic_thread_fence(__ATOMIC_RELEASE);
  texit(&r->done, 1);
}

// Every pthread starts here, so that returning from the start routine is
// pthread_exit with its return value.
static void trampoline(void *a) {
  struct row *r = (struct row *)a;
  tls_enter(r->tp);
  finish(r, r->start(r->arg));
}

// fork (fork.c) holds the table lock across the system call. The child's
// one thread is the one that forked, now with tid == pid: if it has a row,
// the row takes the new tid (and loses its joiner, who is in the parent).
// The other rows describe threads the child does not have; they are
// dropped, so that joining one fails with ESRCH instead of waiting forever.
// Their stacks stay allocated: the child may still point into them.
void weft_pthread_fork_prepare(void) {
  weft_fmutex_lock(&table_lock);
  fork_tid = gettid();
}

void weft_pthread_fork_parent(void) {
  weft_fmutex_unlock(&table_lock);
}

void weft_pthread_fork_child(void) {
  int me = gettid();
  ndetached = 0;
  for (int i = 0; i < NTHR; i++) {
    struct row *r = &rows[i];
    if (r->state == ROW_FREE)
      continue;
    if (r->tid == fork_tid) {
      r->tid = me;
      if (r->state == ROW_JOINING)
        r->state = ROW_JOINABLE;
      ndetached += r->state == ROW_DETACHED;
    } else {
      r->stack = NULL;
      r->tid = 0;
      r->state = ROW_FREE;
    }
  }
  weft_fmutex_unlock(&table_lock);
}

// ---------------------------------------------------------------------------
// Attributes.

int pthread_attr_init(pthread_attr_t *attr) {
  attr->stacksize = PTHREAD_STACK_DEFAULT;
  attr->detachstate = PTHREAD_CREATE_JOINABLE;
  return 0;
}

int pthread_attr_destroy(pthread_attr_t *attr) {
  (void)attr;
  return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size) {
  if (size < PTHREAD_STACK_MIN || size > 0x10000000)
    return EINVAL;
  attr->stacksize = size;
  return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size) {
  *size = attr->stacksize;
  return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state) {
  if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
    return EINVAL;
  attr->detachstate = state;
  return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state) {
  *state = attr->detachstate;
  return 0;
}

// ---------------------------------------------------------------------------
// Threads.

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg) {
  size_t size = attr ? attr->stacksize : PTHREAD_STACK_DEFAULT;
  int detached = attr && attr->detachstate == PTHREAD_CREATE_DETACHED;
  size = (size + 15) & ~(size_t)15;  // keeps the stack top 16-byte aligned
  size += tls_block_size();
  char *stack = malloc(size);
  if (stack == NULL)
    return EAGAIN;

  // The table lock is held across tspawn so that nobody can look the new
  // thread up (pthread_self + detach, say) before its tid is in its row.
  weft_fmutex_lock(&table_lock);
  reap_locked();
  struct row *r = NULL;
  for (int i = 0; i < NTHR; i++) {
    if (rows[i].state == ROW_FREE) {
      r = &rows[i];
      break;
    }
  }
  if (r == NULL) {
    weft_fmutex_unlock(&table_lock);
    free(stack);
    return EAGAIN;
  }
  r->done = 0;
  r->start = start;
  r->arg = arg;
  r->retval = NULL;
  r->stack = stack;
  char *top = stack + size;
  r->tp = tls_carve(&top);
  int tid = tspawn(top, trampoline, r);
  if (tid < 0) {
    r->stack = NULL;  // still ROW_FREE
    weft_fmutex_unlock(&table_lock);
    free(stack);
    return EAGAIN;
  }
  r->tid = tid;
  r->state = detached ? ROW_DETACHED : ROW_JOINABLE;
  if (detached)
    ndetached++;
  weft_fmutex_unlock(&table_lock);
  *thread = (pthread_t)tid;
  return 0;
}

int pthread_join(pthread_t thread, void **retval) {
  if ((int)thread == gettid())
    return EDEADLK;
  weft_fmutex_lock(&table_lock);
  struct row *r = find_locked((int)thread);
  int err = 0;
  if (r == NULL)
    err = ESRCH;
  else if (r->state != ROW_JOINABLE)
    err = EINVAL;
  else
    r->state = ROW_JOINING;  // the row is ours until we clear it
  weft_fmutex_unlock(&table_lock);
  if (err)
    return err;

  while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&r->done, 0);
  if (retval != NULL)
    *retval = r->retval;

  weft_fmutex_lock(&table_lock);
  clear_locked(r);
  reap_locked();
  weft_fmutex_unlock(&table_lock);
  return 0;
}

void pthread_exit(void *retval) {
  weft_fmutex_lock(&table_lock);
  struct row *r = find_locked(gettid());
  weft_fmutex_unlock(&table_lock);
  if (r == NULL) {
    weft_pthread_key_exit();
    texit(NULL, 0);  // the main thread, or a thread not made here
  }
  finish(r, retval);
}

int pthread_detach(pthread_t thread) {
  weft_fmutex_lock(&table_lock);
  struct row *r = find_locked((int)thread);
  int err = 0;
  if (r == NULL) {
    err = ESRCH;
  } else if (r->state != ROW_JOINABLE) {
    err = EINVAL;
  } else if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
    clear_locked(r);  // already ended: nobody will join it
  } else {
    r->state = ROW_DETACHED;
    ndetached++;
  }
  reap_locked();
  weft_fmutex_unlock(&table_lock);
  return err;
}

pthread_t pthread_self(void) {
  return (pthread_t)gettid();
}

int pthread_equal(pthread_t a, pthread_t b) {
  return a == b;
}

// ---------------------------------------------------------------------------
// Barriers.

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                         unsigned count) {
  (void)attr;
  if (count == 0)
    return EINVAL;
  b->lock = 0;
  b->count = count;
  b->arrived = 0;
  b->round = 0;
  return 0;
}

int pthread_barrier_destroy(pthread_barrier_t *b) {
  weft_fmutex_lock(&b->lock);
  int busy = b->arrived != 0;
  weft_fmutex_unlock(&b->lock);
  return busy ? EBUSY : 0;
}

int pthread_barrier_wait(pthread_barrier_t *b) {
  weft_fmutex_lock(&b->lock);
  int round = b->round;
  if (++b->arrived == b->count) {
    // The last to arrive opens the barrier: a new round number releases
    // everyone sleeping on the old one, and arrived is 0 again for the next
    // round before anyone can leave.
    b->arrived = 0;
    __atomic_store_n(&b->round, round + 1, __ATOMIC_RELEASE);
    weft_fmutex_unlock(&b->lock);
    futex_wake(&b->round, NTHR);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  weft_fmutex_unlock(&b->lock);
  // futex_wait sleeps only while round is unchanged, so the opening cannot
  // be missed.
  while (__atomic_load_n(&b->round, __ATOMIC_ACQUIRE) == round)
    futex_wait(&b->round, round);
  return 0;
}

// ---------------------------------------------------------------------------
// Once.

enum { ONCE_NEW = 0, ONCE_RUNNING = 1, ONCE_DONE = 2 };

int pthread_once(pthread_once_t *once, void (*fn)(void)) {
  int s = __atomic_load_n(once, __ATOMIC_ACQUIRE);
  if (s == ONCE_DONE)
    return 0;
  s = ONCE_NEW;
  if (__atomic_compare_exchange_n(once, &s, ONCE_RUNNING, 0, __ATOMIC_ACQUIRE,
                                  __ATOMIC_ACQUIRE)) {
    fn();
    __atomic_store_n(once, ONCE_DONE, __ATOMIC_RELEASE);
    futex_wake(once, NTHR);
    return 0;
  }
  // Someone else runs fn: sleep until it is done.
  while (__atomic_load_n(once, __ATOMIC_ACQUIRE) != ONCE_DONE)
    futex_wait(once, ONCE_RUNNING);
  return 0;
}
