// The bucket brigade's trip: brigade.h says what it guarantees and why.
#include "sync/brigade.h"

#include "lib/kprintf.h"
#include "proc.h"

namespace {
void arrive_here(void (*arrive)(void*), void* arg) {
  push_off();  // arrive() reads this hart's state (mycpu)
  arrive(arg);
  pop_off();
}
}  // namespace

void brigade(const std::atomic<u64>& route, void (*arrive)(void*), void* arg) {
  if (!holding_no_spinlock()) panic("brigade: a spin lock is held");
  push_off();
  Cpu* home = mycpu();
  arrive(arg);
  pop_off();
  // Until the first hop the thread may still be moved to another hart (a
  // preemption, a steal); that hart is then visited in its turn, if the
  // route has it, like any other. g_ncpu only grows; a hart that arrives
  // during the trip runs no thread yet, so it has nothing to flush.
  int n = g_ncpu;
  bool travelled = false;
  for (int i = 1; i < n; i++) {
    Cpu* c = &g_cpus[(home->index + i) % n];
    if (c->hartid < 0 || !(route.load() & (1ull << c->hartid))) continue;
    hop_to(c);
    travelled = true;
    arrive_here(arrive, arg);
  }
  if (!travelled) return;  // one hart, or nobody else on the route
  hop_to(home);
  arrive_here(arrive, arg);
  unpin();
}
