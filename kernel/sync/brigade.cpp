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
  // route has it, like any other. Every slot is looked at, not just the
  // first g_ncpu: harts count themselves in g_ncpu in the order they get
  // there, not in slot order, so a later slot may run threads while an
  // earlier one is still on its way. A slot not yet started has no hartid.
  bool travelled = false;
  for (int i = 1; i < NCPU; i++) {
    Cpu* c = &g_cpus[(home->index + i) % NCPU];
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
