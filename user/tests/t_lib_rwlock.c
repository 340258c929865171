// t_lib_rwlock: pthread read-write locks.
// - Readers share: four readers hold the read lock at once (they meet in a
//   barrier while holding it; exclusive readers would never all arrive).
// - Writers are alone: with readers and writers hammering one lock, no
//   reader ever sees a writer inside, and no writer sees anyone else.
// - Writers are not starved: while four readers keep the lock read-held
//   without a gap, a writer still gets in (new readers wait behind it).
// - tryrdlock/trywrlock say EBUSY instead of waiting; unlock of a free
//   lock is EPERM; destroy of a held lock is EBUSY.
// timeout: 60
#include <pthread.h>

#include "test.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;

static void *share(void *arg) {
  (void)arg;
  pthread_rwlock_rdlock(&rw);
  pthread_barrier_wait(&barrier);  // all four inside at once
  pthread_rwlock_unlock(&rw);
  return NULL;
}

static int readers_in, writers_in, bad;
static volatile int stop;

static void *reader(void *arg) {
  (void)arg;
  for (int i = 0; i < 400; i++) {
    pthread_rwlock_rdlock(&rw);
    __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&writers_in, __ATOMIC_SEQ_CST) != 0)
      __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static void *writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    pthread_rwlock_wrlock(&rw);
    if (__atomic_add_fetch(&writers_in, 1, __ATOMIC_SEQ_CST) != 1 ||
        __atomic_load_n(&readers_in, __ATOMIC_SEQ_CST) != 0)
      __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&writers_in, 1, __ATOMIC_SEQ_CST);
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

// Readers that overlap: each takes the lock again at once, and there are
// four of them, so the lock is never free of readers unless new readers
// wait behind a writer.
static void *hog(void *arg) {
  (void)arg;
  while (!stop) {
    pthread_rwlock_rdlock(&rw);
    for (volatile int i = 0; i < 2000; i++)
      ;
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static int writer_got_in;
static void *late_writer(void *arg) {
  (void)arg;
  pthread_rwlock_wrlock(&rw);
  __atomic_store_n(&writer_got_in, 1, __ATOMIC_SEQ_CST);
  pthread_rwlock_unlock(&rw);
  return NULL;
}

int main(void) {
  pthread_t t[8];
  pthread_barrier_init(&barrier, NULL, 4);
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(pthread_create(&t[i], NULL, share, NULL), 0, "create reader");
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  test_report(1, "four readers held the lock at the same time");

  for (int i = 0; i < 6; i++)
    ASSERT_EQ(pthread_create(&t[i], NULL, i < 4 ? reader : writer, NULL), 0, "create");
  for (int i = 0; i < 6; i++)
    pthread_join(t[i], NULL);
  EXPECT_EQ(bad, 0, "no reader met a writer, no writer met anyone");

  for (int i = 0; i < 4; i++)
    ASSERT_EQ(pthread_create(&t[i], NULL, hog, NULL), 0, "create hog");
  sleep(2);
  ASSERT_EQ(pthread_create(&t[4], NULL, late_writer, NULL), 0, "create writer");
  int waited = 0;
  while (!__atomic_load_n(&writer_got_in, __ATOMIC_SEQ_CST) && waited < 10 * test_hz()) {
    sleep(1);
    waited++;
  }
  EXPECT_TRUE(writer_got_in, "a writer got in past four busy readers");
  stop = 1;
  for (int i = 0; i < 5; i++)
    pthread_join(t[i], NULL);

  EXPECT_EQ(pthread_rwlock_rdlock(&rw), 0, "rdlock");
  EXPECT_EQ(pthread_rwlock_tryrdlock(&rw), 0, "tryrdlock with a reader inside");
  EXPECT_EQ(pthread_rwlock_trywrlock(&rw), EBUSY, "trywrlock with readers: EBUSY");
  EXPECT_EQ(pthread_rwlock_destroy(&rw), EBUSY, "destroy while held: EBUSY");
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
  EXPECT_EQ(pthread_rwlock_trywrlock(&rw), 0, "trywrlock of a free lock");
  EXPECT_EQ(pthread_rwlock_tryrdlock(&rw), EBUSY, "tryrdlock with a writer: EBUSY");
  EXPECT_EQ(pthread_rwlock_unlock(&rw), 0, "unlock");
  EXPECT_EQ(pthread_rwlock_unlock(&rw), EPERM, "unlock of a free lock: EPERM");
  EXPECT_EQ(pthread_rwlock_destroy(&rw), 0, "destroy");
  test_done();
}
