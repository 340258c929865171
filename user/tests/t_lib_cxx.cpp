// t_lib_cxx: the thread library's headers from C++ (extern "C", no
// warnings), and a little of each API used from C++ code.
#include <pthread.h>
#include <semaphore.h>

#include "test.h"

namespace {

// A counter guarded by a pthread mutex, with RAII locking as C++ code would.
class Counter {
 public:
  void add() {
    Guard g(m_);
    value_++;
  }
  long value() const { return value_; }

 private:
  struct Guard {
    explicit Guard(pthread_mutex_t& m) : m_(m) { pthread_mutex_lock(&m_); }
    ~Guard() { pthread_mutex_unlock(&m_); }
    pthread_mutex_t& m_;
  };
  pthread_mutex_t m_ = PTHREAD_MUTEX_INITIALIZER;
  long value_ = 0;
};

Counter counter;
lock_t spin = LOCK_INITIALIZER;
ticket_lock_t ticket = TICKET_LOCK_INITIALIZER;
long spin_count, ticket_count;
sem_t done;

void* work(void* arg) {
  long n = reinterpret_cast<long>(arg);
  for (long i = 0; i < n; i++) {
    counter.add();
    lock_acquire(&spin);
    spin_count++;
    lock_release(&spin);
    ticket_lock_acquire(&ticket);
    ticket_count++;
    ticket_lock_release(&ticket);
  }
  sem_post(&done);
  return arg;
}

int clone_ran;

void clone_body(void* arg) {
  __atomic_store_n(&clone_ran, static_cast<int>(reinterpret_cast<long>(arg)), __ATOMIC_RELEASE);
}

}  // namespace

int main() {
  sem_init(&done, 0, 0);
  pthread_t t[4];
  int made = 0;
  for (auto& th : t)
    made += pthread_create(&th, nullptr, work, reinterpret_cast<void*>(1000L)) == 0;
  ASSERT_EQ(made, 4, "4 pthreads from C++");
  for (int i = 0; i < 4; i++)
    sem_wait(&done);
  long ret_sum = 0;
  for (auto& th : t) {
    void* v = nullptr;
    pthread_join(th, &v);
    ret_sum += reinterpret_cast<long>(v);
  }
  EXPECT_EQ(ret_sum, 4000, "their return values");
  EXPECT_EQ(counter.value(), 4000, "pthread mutex from a C++ class");
  EXPECT_EQ(spin_count, 4000, "lock_t from C++");
  EXPECT_EQ(ticket_count, 4000, "ticket_lock_t from C++");
  int pid = thread_create(clone_body, reinterpret_cast<void*>(7L));
  EXPECT_GT(pid, 0, "thread_create from C++");
  EXPECT_EQ(thread_join(), pid, "thread_join from C++");
  EXPECT_EQ(clone_ran, 7, "the clone ran");
  test_done();
}
