// t_lib_posix: an ordinary POSIX threads program, written against the usual
// pthread and semaphore calls and nothing of weft's own. Apart from the
// include of the C library (user.h here, stdio.h/stdlib.h elsewhere) it
// compiles and runs unchanged on Linux: `gcc -DHOSTED -pthread t_lib_posix.c`.
// It checks its own results and prints TAP lines.
#include <pthread.h>
#include <semaphore.h>
#ifdef HOSTED
#include <stdio.h>
#include <stdlib.h>
#else
#include "user.h"
#endif

static int checks, failures;

// Creates a thread or gives up: a program whose threads wait for each other
// cannot go on without one of them (the kernel may be out of threads or
// memory, as it is made to be when the tests run under allocation-failure
// injection).
static void start(pthread_t *t, void *(*fn)(void *), void *arg) {
  if (pthread_create(t, NULL, fn, arg) != 0) {
    printf("# bail out: pthread_create failed\n");
    exit(1);
  }
}

static void check(int ok, const char *what) {
  checks++;
  if (!ok)
    failures++;
  printf("%sok %d - %s\n", ok ? "" : "not ", checks, what);
}

// 1. Split a sum over worker threads; each returns its part.

#define N 100000
#define WORKERS 4

static int data[N];

struct range {
  int from, to;
};

static void *partial_sum(void *arg) {
  struct range *r = arg;
  long s = 0;
  for (int i = r->from; i < r->to; i++)
    s += data[i];
  return (void *)s;
}

static void parallel_sum(void) {
  pthread_t tid[WORKERS];
  struct range r[WORKERS];
  for (int i = 0; i < N; i++)
    data[i] = i % 1000;
  for (int w = 0; w < WORKERS; w++) {
    r[w].from = w * (N / WORKERS);
    r[w].to = (w + 1) * (N / WORKERS);
    start(&tid[w], partial_sum, &r[w]);
  }
  long total = 0;
  for (int w = 0; w < WORKERS; w++) {
    void *part;
    pthread_join(tid[w], &part);
    total += (long)part;
  }
  check(total == (long)(N / 1000) * (999 * 1000 / 2), "parallel sum over 4 threads");
}

// 2. A shared counter under a mutex.

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *count_up(void *arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++) {
    pthread_mutex_lock(&count_lock);
    count++;
    pthread_mutex_unlock(&count_lock);
  }
  pthread_exit(NULL);
}

static void mutex_counter(void) {
  pthread_t t[8];
  for (int i = 0; i < 8; i++)
    start(&t[i], count_up, NULL);
  for (int i = 0; i < 8; i++)
    pthread_join(t[i], NULL);
  check(count == 80000, "8 threads x 10000 increments under a mutex");
}

// 3. A bounded buffer with two condition variables.

#define SLOTS 4
#define ITEMS 1000

static int buf[SLOTS];
static int head, tail, used;
static pthread_mutex_t buf_lock;
static pthread_cond_t not_full, not_empty;

static void put(int v) {
  pthread_mutex_lock(&buf_lock);
  while (used == SLOTS)
    pthread_cond_wait(&not_full, &buf_lock);
  buf[tail] = v;
  tail = (tail + 1) % SLOTS;
  used++;
  pthread_cond_signal(&not_empty);
  pthread_mutex_unlock(&buf_lock);
}

static int get(void) {
  pthread_mutex_lock(&buf_lock);
  while (used == 0)
    pthread_cond_wait(&not_empty, &buf_lock);
  int v = buf[head];
  head = (head + 1) % SLOTS;
  used--;
  pthread_cond_signal(&not_full);
  pthread_mutex_unlock(&buf_lock);
  return v;
}

static void *produce(void *arg) {
  (void)arg;
  for (int i = 1; i <= ITEMS; i++)
    put(i);
  return NULL;
}

static void *consume(void *arg) {
  long sum = 0;
  int last = 0, ordered = 1;
  (void)arg;
  for (int i = 0; i < ITEMS; i++) {
    int v = get();
    if (v != last + 1)
      ordered = 0;
    last = v;
    sum += v;
  }
  return (void *)(ordered ? sum : -1);
}

static void bounded_buffer(void) {
  pthread_t p, c;
  void *result;
  pthread_mutex_init(&buf_lock, NULL);
  pthread_cond_init(&not_full, NULL);
  pthread_cond_init(&not_empty, NULL);
  start(&c, consume, NULL);
  start(&p, produce, NULL);
  pthread_join(p, NULL);
  pthread_join(c, &result);
  check((long)result == (long)ITEMS * (ITEMS + 1) / 2,
        "bounded buffer: every item arrives, in order");
  pthread_cond_destroy(&not_full);
  pthread_cond_destroy(&not_empty);
  pthread_mutex_destroy(&buf_lock);
}

// 4. Phases separated by a barrier.

#define PHASES 10
#define PT 4

static pthread_barrier_t phase_barrier;
static int phase_value[PT];
static int phase_errors;
static pthread_mutex_t phase_lock = PTHREAD_MUTEX_INITIALIZER;

static void *phased(void *arg) {
  long me = (long)arg;
  for (int p = 1; p <= PHASES; p++) {
    phase_value[me] = p;
    pthread_barrier_wait(&phase_barrier);
    for (int i = 0; i < PT; i++) {
      if (phase_value[i] != p) {
        pthread_mutex_lock(&phase_lock);
        phase_errors++;
        pthread_mutex_unlock(&phase_lock);
      }
    }
    pthread_barrier_wait(&phase_barrier);
  }
  return NULL;
}

static void barrier_phases(void) {
  pthread_t t[PT];
  pthread_barrier_init(&phase_barrier, NULL, PT);
  for (long i = 0; i < PT; i++)
    start(&t[i], phased, (void *)i);
  for (int i = 0; i < PT; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&phase_barrier);
  check(phase_errors == 0, "threads see each other's writes after every barrier");
}

// 5. One-time initialization.

static pthread_once_t once_control = PTHREAD_ONCE_INIT;
static int initialized;

static void init_once(void) {
  initialized++;
}

static void *use_once(void *arg) {
  pthread_once(&once_control, init_once);
  return arg;
}

static void once_init(void) {
  pthread_t t[6];
  for (int i = 0; i < 6; i++)
    start(&t[i], use_once, NULL);
  for (int i = 0; i < 6; i++)
    pthread_join(t[i], NULL);
  check(initialized == 1, "pthread_once initializes once");
}

// 6. Semaphores: a ping-pong between two threads.

static sem_t ping, pong;
static int rally;

static void *ponger(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) {
    sem_wait(&ping);
    rally++;
    sem_post(&pong);
  }
  return NULL;
}

static void semaphores(void) {
  pthread_t t;
  sem_init(&ping, 0, 0);
  sem_init(&pong, 0, 0);
  start(&t, ponger, NULL);
  int ok = 1;
  for (int i = 0; i < 100; i++) {
    sem_post(&ping);
    sem_wait(&pong);
    if (rally != i + 1)
      ok = 0;
  }
  pthread_join(t, NULL);
  sem_destroy(&ping);
  sem_destroy(&pong);
  check(ok && rally == 100, "100 semaphore ping-pongs");
}

// 7. Attributes: a detached thread with a larger stack.

static sem_t detached_done;

static void *big_and_detached(void *arg) {
  char local[100000];
  for (int i = 0; i < (int)sizeof(local); i++)
    local[i] = (char)i;
  *(int *)arg = local[12345] == (char)12345;
  sem_post(&detached_done);
  return NULL;
}

static void attributes(void) {
  pthread_attr_t attr;
  pthread_t t;
  int ok = 0;
  sem_init(&detached_done, 0, 0);
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &attr, big_and_detached, &ok);
  pthread_attr_destroy(&attr);
  if (rc == 0)
    sem_wait(&detached_done);
  check(rc == 0 && ok, "a detached thread with a 256 KiB stack");
}

int main(void) {
  parallel_sum();
  mutex_counter();
  bounded_buffer();
  barrier_phases();
  once_init();
  semaphores();
  attributes();
  check(pthread_equal(pthread_self(), pthread_self()), "pthread_self/pthread_equal");
  printf("1..%d\n", checks);
  return failures ? 1 : 0;
}
