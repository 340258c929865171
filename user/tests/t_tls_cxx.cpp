// t_tls_cxx: thread_local from C++: eight pthreads start with the initial
// values and keep their own, and errno stays per thread while they all
// fail system calls at once.
#include <pthread.h>

#include "test.h"

namespace {

constexpr int kThreads = 8;
thread_local int counter = 40;
thread_local const char* label = "initial";
int bad[kThreads];
pthread_barrier_t barrier;

void* work(void* arg) {
  long me = reinterpret_cast<long>(arg);
  if (counter != 40 || strcmp(label, "initial") != 0) bad[me]++;
  counter = static_cast<int>(me);
  label = "mine";
  pthread_barrier_wait(&barrier);
  for (int r = 0; r < 200; r++) {
    bool ok = me % 2 ? (close(-1) == -1 && errno == EBADF)
                     : (open("no/such", O_RDONLY) == -1 && errno == ENOENT);
    if (!ok || counter != me) bad[me]++;
  }
  return nullptr;
}

}  // namespace

int main() {
  pthread_barrier_init(&barrier, nullptr, kThreads);
  pthread_t t[kThreads];
  for (long i = 0; i < kThreads; i++)
    ASSERT_EQ(pthread_create(&t[i], nullptr, work, reinterpret_cast<void*>(i)), 0,
              "create %ld", i);
  for (int i = 0; i < kThreads; i++) pthread_join(t[i], nullptr);
  for (int i = 0; i < kThreads; i++)
    EXPECT_EQ(bad[i], 0, "thread %d: own thread_local values and errno", i);
  EXPECT_EQ(counter, 40, "main's counter untouched");
  test_done();
}
