// thread.h: the OSTEP-style thread library, linked into every program.
//
//   thread_create / thread_join   threads as clones (processes sharing the
//                                 address space), each on a one-page stack
//   lock_t                        a spin lock on atomic swap
//   ticket_lock_t                 a fair (FIFO) lock on fetch-and-add
//   cond_t                        condition variables built on futex
//
// The pthread-style library (pthread.h, semaphore.h) is built on the same
// futex and is the one to use when waiting must not burn CPU time.
// docs/threadlib.md describes each primitive and what it guarantees.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------
// Threads as clones.

// Starts start(arg) in a new clone on a fresh page-aligned one-page stack
// taken from malloc. Returns the clone's pid, or -1 (no memory, no process
// or thread slot). Returning from start ends the thread as exit(0) does.
int thread_create(void (*start)(void *), void *arg);

// Waits for a clone of the caller to exit, frees the stack thread_create
// gave it and returns its pid; -1 if the caller has no clone children.
int thread_join(void);

// ---------------------------------------------------------------------------
// Spin lock: amoswap with acquire ordering to take it, a store with release
// ordering to give it back. A waiter spins (it never sleeps), so the lock is
// for short critical sections on a machine with a hart per thread.
typedef struct {
  int locked;  // 0 free, 1 held
} lock_t;

#define LOCK_INITIALIZER {0}

void lock_init(lock_t *lk);
void lock_acquire(lock_t *lk);
void lock_release(lock_t *lk);

// ---------------------------------------------------------------------------
// Ticket lock: each acquirer draws a ticket with fetch-and-add and waits
// until the lock serves that ticket, so the lock is granted in the order the
// tickets were drawn (FIFO, no starvation). A waiter near the front of the
// queue spins for a short while, then sleeps in futex_wait; one further
// back sleeps at once. A release serves the next ticket and wakes the
// thread behind it too, so that it is spinning by the time its own turn
// comes. Queued threads thus do not keep harts from the holder, and with a
// hart per thread the lock passes on without system calls.
#define TICKET_CALL_SLOTS 16

typedef struct {
  unsigned next;      // the next ticket to hand out
  unsigned turn;      // the ticket being served (the holder's)
  unsigned sleepers;  // waiters that may be asleep in futex_wait
  // Futex words, one per ticket modulo TICKET_CALL_SLOTS: a release stores
  // 2t+1 in the word of ticket t when it serves t, and 2t in the word of
  // ticket t when t becomes next in line, and wakes that word's sleepers.
  unsigned call[TICKET_CALL_SLOTS];
} ticket_lock_t;

#define TICKET_LOCK_INITIALIZER {0, 0, 0, {0}}

void ticket_lock_init(ticket_lock_t *lk);
void ticket_lock_acquire(ticket_lock_t *lk);
void ticket_lock_release(ticket_lock_t *lk);

// ---------------------------------------------------------------------------
// Condition variables. A waiter puts a node on the condition variable's FIFO
// queue before it lets go of the lock and then sleeps in futex_wait on a
// word of its own node; cv_signal takes the first node off the queue and
// wakes exactly that waiter. So a signal sent after a waiter released the
// lock cannot be lost, a signal wakes at most one waiter (and one that was
// already waiting), waiters wake in the order they began to wait, and a
// waiter returns only when signalled: no spurious wake-ups. Still, wait in
// a loop that re-checks the condition (another thread may take the lock
// first and change it).
//
// cv_wait takes a lock_t; cv_wait_ticket is the same with a ticket lock.
// Either way the lock is held again when the call returns. cv_signal and
// cv_broadcast may be called with or without the lock held.

struct weft_waiter;  // one sleeping waiter (internal)

// A FIFO of waiters guarded by a futex lock word (internal; shared with
// pthread_cond_t).
struct weft_waitq {
  int lock;  // futex mutex word: 0 free, 1 held, 2 held with sleepers
  struct weft_waiter *head;
  struct weft_waiter *tail;
};

typedef struct {
  struct weft_waitq q;
} cond_t;

#define COND_INITIALIZER {{0, 0, 0}}

void cv_init(cond_t *cv);
void cv_wait(cond_t *cv, lock_t *lk);
void cv_wait_ticket(cond_t *cv, ticket_lock_t *lk);
void cv_signal(cond_t *cv);
void cv_broadcast(cond_t *cv);

#ifdef __cplusplus
}
#endif
