// t_thr_util.h: small helpers shared by the thread tests (t_thr_*.c and
// t_clone_*.c). Header-only, on top of test.h.
//
// Conventions of the thread tests:
// - Only the main thread of the test's main process reports checks. Threads
//   and clones write what they saw into shared memory; the main thread
//   checks it after it knows they have finished.
// - A thread made with thr_spawn() ends with texit(&its done word, value):
//   once the main thread sees that word change, the thread no longer uses
//   its stack (texit never returns to user mode), so the stack may be reused.
// - Waiting is done with futex_wait (the thing the kernel must get right),
//   or for conditions that have no wake-up (a thread being gone from the
//   table) by polling once a tick with a bound in seconds. Each test file
//   also has a "// timeout: N" for the host runner as the last resort.
#pragma once

#include "test.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define CAS(p, o, n)                                                          \
  __atomic_compare_exchange_n((p), (o), (n), 0, __ATOMIC_SEQ_CST,              \
                              __ATOMIC_SEQ_CST)

#define FAKE_RA 0xffffffffUL

// n fresh page-aligned pages from sbrk (zeroed by the kernel), or NULL.
// Moves the break; call it from one thread at a time.
static TEST_UNUSED char *thr_pages(int n) {
  char *cur = sbrk(0);
  long pad = (long)((-(unsigned long)cur) & (PGSIZE - 1));
  char *p = sbrk((int)(pad + (long)n * PGSIZE));
  if (p == (char *)-1)
    return 0;
  return p + pad;
}

// Starts f(arg) in a new thread of this process on the one-page stack at
// `page`; returns tspawn's result.
static TEST_UNUSED int thr_spawn(char *page, void (*f)(void *), void *arg) {
  return tspawn(page + PGSIZE, f, arg);
}

// Sleeps in futex_wait while *w == old. Returns the new value.
static TEST_UNUSED int thr_wait_change(int *w, int old) {
  int v;
  while ((v = LOAD(w)) == old)
    futex_wait(w, old);
  return v;
}

// Sleeps in futex_wait until *w >= want.
static TEST_UNUSED void thr_wait_atleast(int *w, int want) {
  int v;
  while ((v = LOAD(w)) < want)
    futex_wait(w, v);
}

// Adds 1 to *w and wakes every futex waiter on it.
static TEST_UNUSED void thr_bump(int *w) {
  ADD(w, 1);
  futex_wake(w, NTHR);
}

// Polls (a tick at a time, at most `seconds`) until *w == want; 1 if so.
static TEST_UNUSED int thr_poll_eq(int *w, int want, int seconds) {
  int ticks = seconds * test_hz();
  for (int i = 0; LOAD(w) != want; i++) {
    if (i >= ticks)
      return 0;
    sleep(1);
  }
  return 1;
}

// A barrier for n threads on futexes. Reusable.
struct thr_barrier {
  int n, count, gen;
};

static TEST_UNUSED void thr_barrier_wait(struct thr_barrier *b) {
  int gen = LOAD(&b->gen);
  if (ADD(&b->count, 1) == b->n) {
    STORE(&b->count, 0);
    ADD(&b->gen, 1);
    futex_wake(&b->gen, NTHR);
    return;
  }
  while (LOAD(&b->gen) == gen)
    futex_wait(&b->gen, gen);
}

// ---------------------------------------------------------------------------
// The thread table (procinfo: one record per thread). Main thread only: the
// record buffer is test.h's single static one.

// Live (non-zombie) thread records of process pid, or -1.
static TEST_UNUSED int thr_count(int pid) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  if (n < 0)
    return -1;
  int c = 0;
  for (int i = 0; i < n; i++)
    if (test_pi_[i].pid == pid && test_pi_[i].state != PI_ZOMBIE)
      c++;
  return c;
}

// Every record (live or zombie) of process pid, or -1.
static TEST_UNUSED int thr_records(int pid) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  if (n < 0)
    return -1;
  int c = 0;
  for (int i = 0; i < n; i++)
    if (test_pi_[i].pid == pid)
      c++;
  return c;
}

// The state of the live thread tid (PI_*), 0 if there is no such thread,
// -1 if procinfo failed. A process's zombie record is not a thread.
static TEST_UNUSED int thr_state(int tid) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  if (n < 0)
    return -1;
  for (int i = 0; i < n; i++)
    if (test_pi_[i].tid == tid && test_pi_[i].state != PI_ZOMBIE)
      return test_pi_[i].state;
  return 0;
}

// The pid that thread tid belongs to, 0 if there is no such thread.
static TEST_UNUSED int thr_pid_of_tid(int tid) {
  int n = procinfo(test_pi_, TEST_MAXPI);
  for (int i = 0; i < n; i++)
    if (test_pi_[i].tid == tid && test_pi_[i].state != PI_ZOMBIE)
      return test_pi_[i].pid;
  return 0;
}

// Polls until thread tid is in `state` (0: gone). 1 if that happened within
// `seconds`, else 0.
static TEST_UNUSED int thr_await_state(int tid, int state, int seconds) {
  int ticks = seconds * test_hz();
  for (int i = 0;; i++) {
    int s = thr_state(tid);
    if (s == state)
      return 1;
    if (s < 0 || i >= ticks)
      return 0;
    sleep(1);
  }
}

// Polls until process pid has exactly `want` live threads.
static TEST_UNUSED int thr_await_count(int pid, int want, int seconds) {
  int ticks = seconds * test_hz();
  for (int i = 0;; i++) {
    int c = thr_count(pid);
    if (c == want)
      return 1;
    if (c < 0 || i >= ticks)
      return 0;
    sleep(1);
  }
}

// rdtime counts at 10 MHz.
#define THR_TIMEBASE 10000000UL

static TEST_UNUSED unsigned long thr_ms_since(unsigned long t0) {
  return (rdtime() - t0) / (THR_TIMEBASE / 1000);
}

// ---------------------------------------------------------------------------
// Is more than one hart running our threads? Starts `n` threads that spin in
// user mode (no system calls) and looks, for up to `ms` milliseconds, for a
// moment when one of them is RUNNING while the main thread itself runs (it
// is running: it is making the procinfo call). On one hart that can never
// be seen. Returns 1 if seen, 0 if not; *max_hart gets the highest hart
// number seen in any RUNNING record of any process.
static int thr_spin_stop_;
static int thr_spin_done_[8];
static void thr_spin_(void *arg) {
  long i = (long)arg;
  volatile unsigned long n = 0;
  while (!LOAD(&thr_spin_stop_))
    n++;
  texit(&thr_spin_done_[i], 1);
}

static TEST_UNUSED int thr_parallel_seen(char *stacks, int n, int ms,
                                         int *max_hart) {
  int me = getpid(), mytid = gettid();
  int seen = 0, hi = -1;
  if (n > 8)
    n = 8;
  STORE(&thr_spin_stop_, 0);
  int started[8];
  for (int i = 0; i < n; i++) {
    STORE(&thr_spin_done_[i], 0);
    started[i] = thr_spawn(stacks + i * PGSIZE, thr_spin_, (void *)(long)i) > 0;
  }
  unsigned long t0 = rdtime();
  while (!seen && thr_ms_since(t0) < (unsigned long)ms) {
    int k = procinfo(test_pi_, TEST_MAXPI);
    for (int i = 0; i < k; i++) {
      if (test_pi_[i].state != PI_RUNNING)
        continue;
      if (test_pi_[i].hart > hi)
        hi = test_pi_[i].hart;
      if (test_pi_[i].pid == me && test_pi_[i].tid != mytid)
        seen = 1;
    }
  }
  STORE(&thr_spin_stop_, 1);
  for (int i = 0; i < n; i++)
    if (started[i])
      thr_wait_change(&thr_spin_done_[i], 0);
  if (max_hart)
    *max_hart = hi;
  return seen;
}

// ---- Threads parked in each kind of kernel wait, for the tests that end
// them (exit, kill, exec). Each bumps thr_ready once it is about to wait;
// thr_emptypipe must be a pipe (that nobody writes) before thr_park_pipe.
static int thr_ready;
static int thr_never;       // a futex word nobody changes
static int thr_guard = 1;   // a desch guard nobody clears
static int thr_emptypipe[2];
static volatile unsigned long thr_spins;

static TEST_UNUSED void thr_park_futex(void *a) {
  (void)a;
  thr_bump(&thr_ready);
  for (;;)
    futex_wait(&thr_never, 0);
}
static TEST_UNUSED void thr_park_desch(void *a) {
  (void)a;
  thr_bump(&thr_ready);
  for (;;)
    desch(&thr_guard);
}
static TEST_UNUSED void thr_park_sleep(void *a) {
  (void)a;
  thr_bump(&thr_ready);
  for (;;)
    sleep(1000000);
}
static TEST_UNUSED void thr_park_pipe(void *a) {
  (void)a;
  char c;
  thr_bump(&thr_ready);
  for (;;)
    read(thr_emptypipe[0], &c, 1);
}
static TEST_UNUSED void thr_park_spin(void *a) {
  (void)a;
  thr_bump(&thr_ready);
  for (;;)
    thr_spins++;
}
