// Internals shared by thread.c and pthread.c: a futex mutex on one word and
// the FIFO queue of sleeping waiters behind cond_t and pthread_cond_t. Not
// for programs; the public interfaces are thread.h and pthread.h.
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
// Wakes the first n waiters of q (n < 0: all); returns how many.
int weft_waitq_wake(struct weft_waitq *q, int n);
// 1 if nobody waits on q.
int weft_waitq_empty(struct weft_waitq *q);
