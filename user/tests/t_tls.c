// t_tls: thread-local storage and the thread-local errno.
//
// - Eight pthreads each start with the program's initial values of their
//   __thread variables (.tdata copied, .tbss zero), at addresses of their
//   own, and keep the values they store while the others store theirs.
// - errno is per thread: eight threads fail different system calls
//   (EBADF, ENOENT, ESRCH, EINVAL) at the same time, over and over, and
//   each always finds its own error number in errno.
// - Threads made with tspawn_tls (raw tspawn) and thread_create (clone)
//   get blocks of their own too; a forked child keeps the forking thread's
//   values.
// - pthread keys: values per thread, destructors run at thread exit with
//   the thread's value, a deleted key forgets its values.
// timeout: 60
#include <pthread.h>

#include "test.h"

#define N 8
#define ROUNDS 300

static __thread int tv = 7;
static __thread long tinit[4] = {1, 2, 3, 4};
static __thread char tzero[100];

static pthread_barrier_t barrier;
static int *addr[N];
static int bad_init[N], bad_keep[N], bad_errno[N];

static int fresh(void) {
  int bad = tv != 7;
  for (int i = 0; i < 4; i++)
    bad |= tinit[i] != i + 1;
  for (int i = 0; i < 100; i++)
    bad |= tzero[i] != 0;
  return bad;
}

static int fail_own_way(long me) {
  switch (me % 4) {
  case 0: return close(-1) == -1 && errno == EBADF;
  case 1: return open("no/such/file", O_RDONLY) == -1 && errno == ENOENT;
  case 2: return kill(999999) == -1 && errno == ESRCH;
  default: return sleep(-1) == -1 && errno == EINVAL;
  }
}

static void *worker(void *arg) {
  long me = (long)arg;
  bad_init[me] = fresh();
  addr[me] = &tv;
  tv = 1000 + (int)me;
  tinit[2] = me;
  memset(tzero, (int)me, sizeof(tzero));
  pthread_barrier_wait(&barrier);
  for (int r = 0; r < ROUNDS; r++)
    if (!fail_own_way(me))
      bad_errno[me]++;
  pthread_barrier_wait(&barrier);
  bad_keep[me] = tv != 1000 + me || tinit[2] != me || tzero[99] != (char)me;
  return NULL;
}

static void check_pthreads(void) {
  pthread_t t[N];
  pthread_barrier_init(&barrier, NULL, N);
  for (long i = 0; i < N; i++)
    ASSERT_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0, "create %ld", i);
  for (int i = 0; i < N; i++)
    ASSERT_EQ(pthread_join(t[i], NULL), 0, "join %d", i);
  int same = 0;
  for (int i = 0; i < N; i++) {
    EXPECT_EQ(bad_init[i], 0, "thread %d starts with the initial values", i);
    EXPECT_EQ(bad_keep[i], 0, "thread %d keeps its own values", i);
    EXPECT_EQ(bad_errno[i], 0, "thread %d always sees its own errno", i);
    for (int j = 0; j < i; j++)
      same += addr[i] == addr[j];
    same += addr[i] == &tv;
  }
  EXPECT_EQ(same, 0, "every thread's tv is at its own address");
  EXPECT_EQ(tv, 7, "the main thread's tv is untouched");
}

static int raw_done, raw_bad;
static void raw_body(void *arg) {
  (void)arg;
  raw_bad = fresh() || &tv == (int *)arg;
  errno = 0;
  raw_bad |= !(close(-1) == -1 && errno == EBADF);
  __atomic_store_n(&raw_done, 1, __ATOMIC_SEQ_CST);
  futex_wake(&raw_done, 1);
}

static int clone_bad;
static void clone_body(void *arg) {
  clone_bad = fresh() || &tv == (int *)arg;
}

static void check_raw_threads(void) {
  tv = 55;
  char *stack = malloc(8192);
  ASSERT_TRUE(stack != NULL, "stack");
  ASSERT_GT(tspawn_tls(stack + 8192, raw_body, &tv), 0, "tspawn_tls");
  while (__atomic_load_n(&raw_done, __ATOMIC_SEQ_CST) == 0)
    futex_wait(&raw_done, 0);
  EXPECT_EQ(raw_bad, 0, "a tspawn_tls thread has its own block and errno");
  yield(-1);  // let it leave its stack
  ASSERT_GT(thread_create(clone_body, &tv), 0, "thread_create");
  ASSERT_GT(thread_join(), 0, "thread_join");
  EXPECT_EQ(clone_bad, 0, "a thread_create clone has its own block");
  free(stack);

  int pid = fork();
  if (pid == 0)
    exit(tv == 55 ? 0 : 1);
  int st = -1;
  EXPECT_EQ(wait(&st), pid, "wait");
  EXPECT_EQ(st, 0, "a forked child keeps the forking thread's values");
  tv = 7;
}

static pthread_key_t key;
static long destroyed_sum;
static int destroyed;
static void destructor(void *v) {
  __atomic_add_fetch(&destroyed_sum, *(long *)v, __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&destroyed, 1, __ATOMIC_SEQ_CST);
  free(v);
}

static int key_bad;
static void *key_worker(void *arg) {
  if (pthread_getspecific(key) != NULL)
    key_bad++;
  long *v = malloc(sizeof(long));
  *v = (long)arg;
  pthread_setspecific(key, v);
  pthread_barrier_wait(&barrier);
  if (pthread_getspecific(key) != v)
    key_bad++;
  return NULL;
}

static void check_keys(void) {
  ASSERT_EQ(pthread_key_create(&key, destructor), 0, "key_create");
  pthread_t t[N];
  pthread_barrier_init(&barrier, NULL, N);
  long want = 0;
  for (long i = 0; i < N; i++) {
    ASSERT_EQ(pthread_create(&t[i], NULL, key_worker, (void *)(i + 1)), 0, "create");
    want += i + 1;
  }
  for (int i = 0; i < N; i++)
    pthread_join(t[i], NULL);
  EXPECT_EQ(key_bad, 0, "each thread sees only its own value");
  EXPECT_EQ(destroyed, N, "the destructor ran once per thread");
  EXPECT_EQ(destroyed_sum, want, "on each thread's own value");
  EXPECT_EQ(pthread_getspecific(key), NULL, "the main thread never set one");
  int x;
  EXPECT_EQ(pthread_setspecific(key, &x), 0, "main sets a value");
  EXPECT_EQ(pthread_getspecific(key), &x, "and reads it back");
  EXPECT_EQ(pthread_key_delete(key), 0, "key_delete");
  EXPECT_EQ(pthread_key_delete(key), EINVAL, "a second delete is EINVAL");
  EXPECT_EQ(pthread_setspecific(key, &x), EINVAL, "set on a deleted key");
  pthread_key_t again;
  EXPECT_EQ(pthread_key_create(&again, NULL), 0, "key_create again");
  EXPECT_EQ(pthread_getspecific(again), NULL,
            "a new key does not show the old key's value");
  pthread_key_delete(again);
}

int main(void) {
  EXPECT_EQ(fresh(), 0, "the main thread starts with the initial values");
  check_pthreads();
  check_raw_threads();
  check_keys();
  test_done();
}
