// pthread.h: POSIX-style threads on weft's tspawn/texit/futex.
//
// Threads are kernel threads of the calling process (tspawn), each on a
// stack from malloc. A thread that waits (join, mutex, condition variable,
// barrier, once) sleeps in the kernel (futex_wait); nothing here spins. The
// functions return 0 or a POSIX error number (errno.h); none sets errno.
// docs/threadlib.md describes the guarantees and what is left out.
#pragma once

#include <stddef.h>

#include "errno.h"
#include "thread.h"
#include "time.h"

#ifdef __cplusplus
extern "C" {
#endif

// A thread is named by its kernel thread id; the main thread's is the pid.
typedef unsigned long pthread_t;

// ---------------------------------------------------------------------------
// Threads.

#define PTHREAD_STACK_MIN 4096
#define PTHREAD_STACK_DEFAULT (32 * 1024)

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1

typedef struct {
  size_t stacksize;
  int detachstate;
} pthread_attr_t;

int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_destroy(pthread_attr_t *attr);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);  // EINVAL below PTHREAD_STACK_MIN
int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size);
int pthread_attr_setdetachstate(pthread_attr_t *attr, int state);
int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state);

// attr may be NULL (joinable, PTHREAD_STACK_DEFAULT bytes of stack). EAGAIN
// when no stack memory or kernel thread is left. Returning from start ends
// the thread as pthread_exit(its return value) does.
int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg);
// Waits for the thread to end, stores its exit value in *retval (if retval
// is not NULL) and frees its stack. EDEADLK for the caller itself, ESRCH if
// no joinable thread has that id, EINVAL if it is detached or another thread
// is already joining it.
int pthread_join(pthread_t thread, void **retval);
// Ends the calling thread with value retval. In the main thread (or any
// thread not made by pthread_create) it ends the thread, and the process
// lives on until its last thread ends.
void pthread_exit(void *retval) __attribute__((noreturn));
// Its stack is freed when it ends (by a later pthread call of any thread,
// since a thread cannot free the stack it runs on). ESRCH, or EINVAL if it
// is detached already or someone is joining it.
int pthread_detach(pthread_t thread);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);

// ---------------------------------------------------------------------------
// Thread-specific data (pthread_key.c): a key names one void * per thread,
// NULL until the thread sets it. When a thread made by pthread_create ends
// (or any thread calls pthread_exit), each key's destructor runs on the
// thread's non-NULL value, which is reset to NULL first; values set again
// by destructors get up to PTHREAD_DESTRUCTOR_ITERATIONS rounds. exit()
// runs none. A deleted key's values are forgotten, without destructors.
#define PTHREAD_KEYS_MAX 64
#define PTHREAD_DESTRUCTOR_ITERATIONS 4
typedef int pthread_key_t;
int pthread_key_create(pthread_key_t *key, void (*destructor)(void *));  // EAGAIN: all in use
int pthread_key_delete(pthread_key_t key);                  // EINVAL: not a key
void *pthread_getspecific(pthread_key_t key);               // NULL if unset or not a key
int pthread_setspecific(pthread_key_t key, const void *value);  // EINVAL: not a key
// Runs the destructors of the calling thread's values (pthread_exit does).
void weft_pthread_key_exit(void);

// ---------------------------------------------------------------------------
// Mutexes (pthread_mutex.c): a futex word with three states (free, held,
// held with sleepers). Unlocking gives it to nobody in particular (the
// woken thread competes with others). The default type (NORMAL) does not
// know its owner: locking it twice deadlocks, and unlocking it from a
// thread that does not hold it is not detected. ERRORCHECK refuses both
// (EDEADLK, EPERM); RECURSIVE counts the depth. Those two know a thread by
// its thread-local block, so threads made with raw tspawn or clone need
// blocks of their own (tls.h) to use them.

#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL
#define PTHREAD_MUTEX_ERRORCHECK 1
#define PTHREAD_MUTEX_RECURSIVE 2

typedef struct {
  int state;  // 0 free, 1 held, 2 held and some thread may sleep on it
  int type;   // PTHREAD_MUTEX_*
  unsigned long owner;  // ERRORCHECK, RECURSIVE: the holder's tls_self(), 0 if free
  int depth;  // RECURSIVE: how many times the owner holds it
} pthread_mutex_t;

typedef struct {
  int type;
} pthread_mutexattr_t;

#define PTHREAD_MUTEX_INITIALIZER {0, PTHREAD_MUTEX_NORMAL, 0, 0}

int pthread_mutexattr_init(pthread_mutexattr_t *attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t *attr);
int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type);  // EINVAL
int pthread_mutexattr_gettype(const pthread_mutexattr_t *attr, int *type);
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *m);  // EBUSY while locked
int pthread_mutex_lock(pthread_mutex_t *m);     // EDEADLK: ERRORCHECK, held by us
int pthread_mutex_trylock(pthread_mutex_t *m);  // EBUSY if held (ERRORCHECK: by anyone)
int pthread_mutex_unlock(pthread_mutex_t *m);   // EPERM if not locked (by us)

// ---------------------------------------------------------------------------
// Condition variables: the same FIFO waiter queue as cond_t (thread.h). A
// signal wakes exactly one thread that was waiting (the longest waiting), a
// broadcast all of them; a waiter wakes only when signalled (or timed out),
// and holds the mutex again when the wait returns.

typedef struct {
  struct weft_waitq q;
} pthread_cond_t;

typedef struct {
  int unused;
} pthread_condattr_t;

#define PTHREAD_COND_INITIALIZER {{0, 0, 0}}

int pthread_condattr_init(pthread_condattr_t *attr);
int pthread_condattr_destroy(pthread_condattr_t *attr);
int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *c);  // EBUSY while threads wait
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
// Waits at most until abstime on the clock_gettime clock (user.h):
// ETIMEDOUT then, with the mutex held again. The deadline is seen at the
// timer tick after it (10 ms, or 1 ms with the tick=1000 boot argument).
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abstime);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);

// ---------------------------------------------------------------------------
// Read-write locks (pthread_rwlock.c): many readers or one writer, writers
// first: a reader waits while a writer waits, so readers cannot starve a
// writer (and a thread that read-locks twice while a writer waits
// deadlocks, as POSIX allows).

typedef struct {
  int lock;             // futex mutex word guarding the rest
  int readers;          // readers inside
  int writer;           // 1 while a writer is inside
  int writers_waiting;  // writers asleep or about to sleep
  int read_seq;         // futex words readers and writers sleep on
  int write_seq;
} pthread_rwlock_t;

typedef struct {
  int unused;
} pthread_rwlockattr_t;

#define PTHREAD_RWLOCK_INITIALIZER {0, 0, 0, 0, 0, 0}

int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr);
int pthread_rwlock_destroy(pthread_rwlock_t *rw);    // EBUSY while in use
int pthread_rwlock_rdlock(pthread_rwlock_t *rw);
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw);  // EBUSY
int pthread_rwlock_wrlock(pthread_rwlock_t *rw);
int pthread_rwlock_trywrlock(pthread_rwlock_t *rw);  // EBUSY
int pthread_rwlock_unlock(pthread_rwlock_t *rw);     // EPERM if not locked

// ---------------------------------------------------------------------------
// Spin locks: a word spun on in user mode; for short sections only.

typedef int pthread_spinlock_t;
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
int pthread_spin_init(pthread_spinlock_t *s, int pshared);
int pthread_spin_destroy(pthread_spinlock_t *s);  // EBUSY while held
int pthread_spin_lock(pthread_spinlock_t *s);
int pthread_spin_trylock(pthread_spinlock_t *s);  // EBUSY
int pthread_spin_unlock(pthread_spinlock_t *s);

// ---------------------------------------------------------------------------
// fork handlers (fork.c): prepare runs before fork (the last registered
// first), parent and child after it in the parent and the child (the first
// registered first). Any of them may be NULL. ENOMEM after
// PTHREAD_ATFORK_MAX registrations. The handlers run with the registry
// locked: a handler must not call fork or pthread_atfork.
#define PTHREAD_ATFORK_MAX 32
int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

// ---------------------------------------------------------------------------
// Barriers: pthread_barrier_wait returns when `count` threads have called
// it; one of them (the last to arrive) gets PTHREAD_BARRIER_SERIAL_THREAD,
// the others 0. The barrier is then ready for the next round.

#define PTHREAD_BARRIER_SERIAL_THREAD (-1)

typedef struct {
  int lock;        // futex mutex word guarding arrived
  unsigned count;  // threads per round
  unsigned arrived;
  int round;       // futex word: bumped when a round completes
} pthread_barrier_t;

typedef struct {
  int unused;
} pthread_barrierattr_t;

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                         unsigned count);  // EINVAL for count 0
int pthread_barrier_destroy(pthread_barrier_t *b);  // EBUSY mid-round
int pthread_barrier_wait(pthread_barrier_t *b);

// ---------------------------------------------------------------------------
// Once: the first caller runs fn; every other caller returns only after fn
// has returned.

typedef int pthread_once_t;

#define PTHREAD_ONCE_INIT 0

int pthread_once(pthread_once_t *once, void (*fn)(void));

#ifdef __cplusplus
}
#endif
