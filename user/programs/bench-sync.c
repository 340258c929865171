// bench-sync: what the three locks of the thread library cost.
//
//   bench-sync [-q] [HARTS]
//
// For 1, 2 and 4 threads (pthreads) and each lock (lock_t spin lock,
// ticket_lock_t, pthread_mutex_t) it prints:
//   uncontended  ns per lock+unlock pair, each thread on a lock of its own
//                (the harts' total time / the pairs done)
//   contended    increments per ms of one shared counter, every thread
//                incrementing under the one lock for CONTENDED_MS; once
//                with nothing else in the critical section, once with a
//                delay of CS_WORK loop iterations (about half a microsecond)
//                in it, which makes it likely that a holder loses its hart
//                inside the critical section
//   burned       the share of the machine's CPU time taken by the n-1
//                waiters while the lock's holder sleeps (SLEEP_MS). There is
//                no per-thread CPU clock, so it is measured from the side:
//                one busy "probe" thread per hart counts loop iterations
//                during the sleep, and its count is compared with the count
//                of the same probes over the same time with nobody waiting.
//                burned = 1 - with/without. A waiter that sleeps takes
//                nothing; one that spins takes its share of the harts.
//   runnable     while the holder sleeps, the share of the waiters' states,
//                sampled with procinfo every tick, that were running or
//                runnable (spinning) rather than asleep: the same question
//                asked of the scheduler, which host load does not disturb.
// The emulator's host is shared, so every figure is taken REPEAT times:
// throughputs and costs keep the best run; "with" and "without" runs of the
// probes alternate, so that a change in the host's load hits both alike.
// Time comes from the time CSR (10 MHz). HARTS is counted by watching which
// harts busy threads run on, unless given. -q prints only the table.
#include <pthread.h>

#include "user.h"

#define CONTENDED_MS 100
#define SLEEP_MS 100
#define REPEAT 3  // runs per figure: the best throughput, the sum of pairs
#define UNCONTENDED_PAIRS 50000
#define CS_WORK 50
#define MAXTHREADS 4
#define MAXPROBES 8
#define TIME_PER_MS 10000UL  // time CSR ticks per ms

enum { SPIN, TICKET, MUTEX, NKINDS };
static const char *const kind_name[NKINDS] = {"spin (lock_t)", "ticket_lock_t", "pthread_mutex"};

// One lock of each kind, on its own cache line (64 bytes) so that private
// locks of different threads do not share a line.
struct locks {
  lock_t spin;
  ticket_lock_t ticket;
  pthread_mutex_t mutex;
  char pad[64];
} __attribute__((aligned(64)));

static struct locks shared_locks;
static struct locks private_locks[MAXTHREADS];

static void acquire(struct locks *l, int kind) {
  switch (kind) {
  case SPIN: lock_acquire(&l->spin); break;
  case TICKET: ticket_lock_acquire(&l->ticket); break;
  default: pthread_mutex_lock(&l->mutex); break;
  }
}

static void release(struct locks *l, int kind) {
  switch (kind) {
  case SPIN: lock_release(&l->spin); break;
  case TICKET: ticket_lock_release(&l->ticket); break;
  default: pthread_mutex_unlock(&l->mutex); break;
  }
}

static void init_locks(struct locks *l) {
  lock_init(&l->spin);
  ticket_lock_init(&l->ticket);
  pthread_mutex_init(&l->mutex, NULL);
}

static int hz = 100;
static int harts = 1;

// ---------------------------------------------------------------------------
// Helpers.

static int boot_hz(void) {
  char args[256];
  int n = bootargs(args, sizeof(args));
  if (n < 0)
    return 100;
  args[n < (int)sizeof(args) ? n : (int)sizeof(args) - 1] = '\0';
  for (char *s = args; *s; s++)
    if ((s == args || s[-1] == ' ') && strncmp(s, "tick=", 5) == 0 && atoi(s + 5) > 0)
      return atoi(s + 5);
  return 100;
}

static void start_threads(pthread_t *t, int n, void *(*fn)(void *)) {
  for (int i = 0; i < n; i++) {
    if (pthread_create(&t[i], NULL, fn, (void *)(long)i) != 0) {
      printf("bench-sync: pthread_create failed\n");
      exit(1);
    }
  }
}

static void join_threads(pthread_t *t, int n) {
  for (int i = 0; i < n; i++)
    pthread_join(t[i], NULL);
}

// A gate that threads wait at (sleeping) until the main thread opens it, so
// that thread creation is not part of what is timed.
static int gate;

static void gate_wait(void) {
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
    futex_wait(&gate, 0);
}

static void gate_open(void) {
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  futex_wake(&gate, NTHR);
}

// ---------------------------------------------------------------------------
// Counting harts: busy threads, and the hart numbers procinfo shows them on.

static volatile int stop;

static void *busy(void *arg) {
  (void)arg;
  while (!stop)
    ;
  return NULL;
}

static int count_harts(void) {
  static struct procinfo pi[NPROC + NTHR];
  pthread_t t[8];
  stop = 0;
  start_threads(t, 8, busy);
  int seen = 0;
  for (int round = 0; round < 20; round++) {
    sleep(1);
    int n = procinfo(pi, NPROC + NTHR);
    for (int i = 0; i < n; i++)
      if (pi[i].state == PI_RUNNING && pi[i].hart >= 0 && pi[i].hart < 32)
        seen |= 1 << pi[i].hart;
  }
  stop = 1;
  join_threads(t, 8);
  int h = 0;
  while (seen >> h)
    h++;
  return h > 0 ? h : 1;
}

// ---------------------------------------------------------------------------
// Uncontended: each thread locks and unlocks a lock of its own.

static int cur_kind;

static void *uncontended_worker(void *arg) {
  struct locks *l = &private_locks[(long)arg];
  gate_wait();
  for (int i = 0; i < UNCONTENDED_PAIRS; i++) {
    acquire(l, cur_kind);
    release(l, cur_kind);
  }
  return NULL;
}

// ns per pair: the time of all harts that could work, over all pairs.
static unsigned long uncontended_once(int kind, int n) {
  pthread_t t[MAXTHREADS];
  cur_kind = kind;
  gate = 0;
  for (int i = 0; i < n; i++)
    init_locks(&private_locks[i]);
  start_threads(t, n, uncontended_worker);
  unsigned long t0 = rdtime();
  gate_open();
  join_threads(t, n);
  unsigned long elapsed = rdtime() - t0;
  int busy_harts = n < harts ? n : harts;
  return elapsed * 100 * busy_harts / ((unsigned long)n * UNCONTENDED_PAIRS);  // 0.1 us = 100 ns
}

static unsigned long uncontended(int kind, int n) {
  unsigned long best = ~0UL;
  for (int r = 0; r < REPEAT; r++) {
    unsigned long ns = uncontended_once(kind, n);
    if (ns < best)
      best = ns;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Contended: every thread increments one counter under the shared lock.

static volatile long counter;
static unsigned long deadline;
static int cs_work;  // loop iterations of work inside the critical section (0 or CS_WORK)

static void work(int n) {
  for (volatile int i = 0; i < n; i++)
    ;
}

static void *contended_worker(void *arg) {
  (void)arg;
  gate_wait();
  for (long i = 1;; i++) {
    acquire(&shared_locks, cur_kind);
    counter++;
    work(cs_work);
    release(&shared_locks, cur_kind);
    if ((i & 31) == 0 && rdtime() > deadline)
      break;
  }
  return NULL;
}

// Increments per ms.
static unsigned long contended_once(int kind, int n, int work) {
  pthread_t t[MAXTHREADS];
  cur_kind = kind;
  cs_work = work;
  gate = 0;
  counter = 0;
  init_locks(&shared_locks);
  start_threads(t, n, contended_worker);
  unsigned long t0 = rdtime();
  deadline = t0 + CONTENDED_MS * TIME_PER_MS;
  gate_open();
  join_threads(t, n);
  unsigned long elapsed = rdtime() - t0;
  return (unsigned long)counter * TIME_PER_MS / elapsed;
}

static unsigned long contended(int kind, int n, int work) {
  unsigned long best = 0;
  for (int r = 0; r < REPEAT; r++) {
    unsigned long ops = contended_once(kind, n, work);
    if (ops > best)
      best = ops;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Burned: the main thread holds the lock and sleeps; n-1 waiters try to
// take it; probes (one per hart) count how much CPU time is left for them.

static volatile unsigned long probe_count[MAXPROBES * 8];  // one per 64 bytes
static volatile int probes_stop;
static int waiters_in;

static void *probe(void *arg) {
  volatile unsigned long *c = &probe_count[(long)arg * 8];
  while (!probes_stop)
    (*c)++;
  return NULL;
}

static void *sleep_waiter(void *arg) {
  (void)arg;
  __atomic_fetch_add(&waiters_in, 1, __ATOMIC_SEQ_CST);
  acquire(&shared_locks, cur_kind);
  release(&shared_locks, cur_kind);
  return NULL;
}

static unsigned long probe_sum(int nprobes) {
  unsigned long s = 0;
  for (int i = 0; i < nprobes; i++)
    s += probe_count[i * 8];
  return s;
}

// How far the probes get in SLEEP_MS while `waiters` threads wait for the
// lock that this thread holds (waiters may be 0: the baseline). Meanwhile
// this thread wakes every tick to look at the waiters in procinfo, and adds
// to *samples and *wanting how many waiter records it saw and how many of
// them were running or runnable (spinning) rather than asleep.
static unsigned long probe_run(int kind, int waiters, long *samples, long *wanting) {
  static struct procinfo pi[NPROC + NTHR];
  pthread_t w[MAXTHREADS], p[MAXPROBES];
  int nprobes = harts < MAXPROBES ? harts : MAXPROBES;
  cur_kind = kind;
  init_locks(&shared_locks);
  acquire(&shared_locks, kind);
  waiters_in = 0;
  start_threads(w, waiters, sleep_waiter);
  // Let every waiter reach the lock and settle into its way of waiting.
  while (__atomic_load_n(&waiters_in, __ATOMIC_SEQ_CST) < waiters)
    sleep(1);
  sleep(1 + hz / 50);
  probes_stop = 0;
  for (int i = 0; i < nprobes; i++)
    probe_count[i * 8] = 0;
  start_threads(p, nprobes, probe);
  sleep(1);
  unsigned long c0 = probe_sum(nprobes);
  unsigned long t0 = rdtime();
  int ticks = SLEEP_MS * hz / 1000;
  for (int k = 0; k < ticks || k == 0; k++) {
    sleep(1);
    int n = procinfo(pi, NPROC + NTHR);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < waiters; j++) {
        if (pi[i].tid != (int)w[j])
          continue;
        (*samples)++;
        *wanting += pi[i].state == PI_RUNNING || pi[i].state == PI_RUNNABLE;
      }
    }
  }
  unsigned long c1 = probe_sum(nprobes);
  unsigned long t1 = rdtime();
  probes_stop = 1;
  join_threads(p, nprobes);
  release(&shared_locks, kind);
  join_threads(w, waiters);
  // Per ms, so that a sleep that ran a little long does not count.
  return (c1 - c0) * TIME_PER_MS / (t1 - t0 + 1);
}

// Percent of the machine taken by the waiters, in tenths; and in *spinning
// the percent (in tenths) of the procinfo samples that found a waiter
// running or runnable.
static long burned(int kind, int n, long *spinning) {
  *spinning = -1;
  if (n < 2)
    return -1;
  unsigned long without = 0, with = 0;
  long samples = 0, wanting = 0, none = 0;
  for (int r = 0; r < REPEAT; r++) {
    without += probe_run(kind, 0, &none, &none);
    with += probe_run(kind, n - 1, &samples, &wanting);
  }
  *spinning = samples ? wanting * 1000 / samples : 0;
  if (with >= without)
    return 0;
  return (long)((without - with) * 1000 / without);
}

// ---------------------------------------------------------------------------

int main(int argc, char **argv) {
  int quiet = 0;
  int given = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0)
      quiet = 1;
    else
      given = atoi(argv[i]);
  }
  hz = boot_hz();
  harts = given > 0 ? given : count_harts();
  if (!quiet)
    printf("bench-sync: %d harts, %d Hz timer; uncontended ns per lock+unlock, contended "
           "increments per ms, CPU share the waiters burn while the holder sleeps %d ms\n",
           harts, hz, SLEEP_MS);
  printf("| harts | threads | lock          | uncontended ns | contended ops/ms | with CS work | waiters burn | waiters runnable |\n");
  printf("|------:|--------:|---------------|---------------:|-----------------:|-------------:|-------------:|-----------------:|\n");
  for (int kind = 0; kind < NKINDS; kind++)
    uncontended(kind, 1);  // warm up
  static const int counts[] = {1, 2, 4};
  for (int c = 0; c < 3; c++) {
    int n = counts[c];
    for (int kind = 0; kind < NKINDS; kind++) {
      unsigned long ns = uncontended(kind, n);
      unsigned long ops = contended(kind, n, 0);
      unsigned long ops_work = contended(kind, n, CS_WORK);
      long spinning;
      long b = burned(kind, n, &spinning);
      if (b < 0)
        printf("| %5d | %7d | %-13s | %14lu | %16lu | %12lu | %12s | %14s |\n", harts, n,
               kind_name[kind], ns, ops, ops_work, "-", "-");
      else
        printf("| %5d | %7d | %-13s | %14lu | %16lu | %12lu | %9ld.%ld%% | %11ld.%ld%% |\n",
               harts, n, kind_name[kind], ns, ops, ops_work, b / 10, b % 10, spinning / 10,
               spinning % 10);
    }
  }
  return 0;
}
