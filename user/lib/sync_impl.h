// Internals of the library: a futex mutex on one word and the FIFO queue of
// sleeping waiters behind cond_t and pthread_cond_t (thread.c), and the
// hooks through which fork (fork.c) takes and releases the library's own
// locks. Not for programs; the public interfaces are thread.h, pthread.h
// and user.h.
#pragma once

#include "thread.h"

// Futex mutex on one int (Drepper's three states): 0 free, 1 held, 2 held
// and some thread may sleep on it. Taking a free lock and giving back a lock
// nobody waits for are one atomic operation each, with no system call; a
// waiter sleeps in futex_wait and never spins.
void weft_fmutex_lock(int *w);
int weft_fmutex_trylock(int *w);  // 1 if it took the lock, 0 if held
void weft_fmutex_unlock(int *w);

// A waiter lives on the sleeping thread's stack while it is queued.
struct weft_waiter {
  struct weft_waiter *next;
  int woken;  // futex word: 0 while queued, 1 once taken off the queue
};

// Appends w (woken = 0) to q. The caller then releases its own lock and
// calls weft_waiter_sleep: a wake-up in between finds w on the queue.
void weft_waitq_add(struct weft_waitq *q, struct weft_waiter *w);
// Sleeps until a waker has taken w off the queue.
void weft_waiter_sleep(struct weft_waiter *w);
// The same, until the time CSR reaches deadline at the latest: then w
// leaves q and the answer is ETIMEDOUT, unless a waker took it off first
// (0). errno is left as it was.
int weft_waiter_sleep_until(struct weft_waitq *q, struct weft_waiter *w,
                            unsigned long deadline);

// Wakes the first n waiters of q (n < 0: all); returns how many.
int weft_waitq_wake(struct weft_waitq *q, int n);
// 1 if nobody waits on q.
int weft_waitq_empty(struct weft_waitq *q);

// fork in a threaded program (fork.c, docs/threadlib.md). weft_sys_fork is
// the bare system call. Each part of the library with a lock of its own
// provides a prepare hook (take the lock), a parent hook (release it) and a
// child hook (release it, and mend what names the parent's threads); fork
// calls the prepare hooks in the order listed here and the others in the
// reverse order.
int weft_sys_fork(void);
void weft_pthread_fork_prepare(void);  // 1. pthread.c's thread table
void weft_pthread_fork_parent(void);
void weft_pthread_fork_child(void);
void weft_clone_fork_prepare(void);  // 2. thread.c's clone table
void weft_clone_fork_parent(void);
void weft_clone_fork_child(void);
void weft_heap_fork_prepare(void);  // 3. malloc.c's heap
void weft_heap_fork_release(void);  //    (parent and child alike)
void weft_print_fork_child(void);   // 4. printf.c: child only, no lock taken
