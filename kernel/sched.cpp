// The scheduler: one run queue of threads shared by every hart, and idle
// harts that wait in wfi. Waiting for something is sync/waitqueue's job.
//
// A thread switches away only while holding its own Thread::lock (and no
// other lock), and the scheduler that switched to it releases that lock; so
// the lock is held across swtch() and no other hart can run the thread
// until its registers are saved. A thread picked up again on another hart
// releases the lock from there.
#include "arch/riscv64/sbi.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "proc.h"
#include "vm.h"

Cpu g_cpus[NCPU];
int g_ncpu = 0;

namespace {
Spinlock g_runq_lock{"runq", LockRank::Runq};
IntrusiveList<Thread, &Thread::runq_node> g_runq;  // guarded by g_runq_lock

void runq_push(Thread* t) {
  SpinGuard g(g_runq_lock);
  g_runq.push_back(t);
}

// Nothing to run: sleep until an interrupt. wfi is executed with interrupts
// off so that an IPI arriving between the queue check and the wfi still
// ends the wait (wfi wakes on a pending interrupt whatever sstatus.SIE is).
void idle(Cpu* c) {
  // Let go of the last address space: it may be freed while we sleep.
  vm_switch_to(nullptr);
  c->idle.store(1);
  bool empty;
  {
    SpinGuard g(g_runq_lock);
    empty = g_runq.empty();
  }
  if (empty) asm volatile("wfi");
  c->idle.store(0);
  intr_on();  // take the interrupt that woke us
  intr_off();
}
}  // namespace

void wake_idle_hart() {
  Cpu* me = mycpu();
  for (int i = 0; i < g_ncpu; i++) {
    Cpu* c = &g_cpus[i];
    if (c != me && c->idle.load() && c->idle.exchange(0) == 1) {
      sbi_send_ipi(1ull << c->hartid);
      return;
    }
  }
}

bool g_icount_mode = false;

// Under -icount QEMU gives each hart its turn in hart order, and a turn
// lasts until the next timer deadline, which the first busy hart always
// reaches; the harts after it get turns of length zero. So at each tick
// one busy hart, chosen in rotation, keeps running and every other busy
// hart waits in wfi for the next tick. wfi ends a hart's turn, and the
// chosen one then runs until the tick. A hart in the scheduler's idle
// loop does not count as busy; with one busy hart nobody waits.
void icount_handover() {
  if (!g_icount_mode) return;
  Cpu* me = mycpu();
  int turn = static_cast<int>(ticks_now() % g_ncpu);
  auto distance = [&](const Cpu* c) { return (c->index - turn + g_ncpu) % g_ncpu; };
  for (int i = 0; i < g_ncpu; i++) {
    Cpu* c = &g_cpus[i];
    if (c != me && !c->idle.load() && distance(c) < distance(me)) {
      asm volatile("wfi");  // interrupts are off: the next tick ends it
      return;
    }
  }
}

void make_runnable_locked(Thread* t) {
  t->state = ThreadState::Runnable;
  runq_push(t);
  wake_idle_hart();
}

void scheduler() {
  Cpu* c = mycpu();
  intr_off();
  for (;;) {
    Thread* t;
    {
      SpinGuard g(g_runq_lock);
      t = g_runq.pop_front();
    }
    if (!t) {
      idle(c);
      continue;
    }
    t->lock.acquire();  // released by the thread itself (see top of file)
    if (t->state != ThreadState::Runnable)
      panic("scheduler: tid %d in run queue in state %d", t->tid,
            static_cast<int>(t->state.load()));
    t->state = ThreadState::Running;
    t->hart = c->hartid;
    c->thread = t;
    vm_switch_to(t->proc->as);
    swtch(&c->sched_ctx, &t->ctx);
    c->thread = nullptr;
    t->hart = -1;
    if (t->state == ThreadState::Zombie)
      reap_thread(t);  // releases t->lock
    else
      t->lock.release();
  }
}

void sched() {
  Thread* t = current();
  Cpu* c = mycpu();
  if (!t->lock.holding()) panic("sched: thread lock not held");
  if (c->noff != 1) panic("sched: %d locks held", c->noff);
  if (t->state == ThreadState::Running) panic("sched: still running");
  if (intr_enabled()) panic("sched: interrupts on");
  if (*reinterpret_cast<u64*>(t->kstack) != KSTACK_CANARY)
    panic("sched: kernel stack overflow in tid %d", t->tid);
  bool intena = c->intena;
  swtch(&t->ctx, &c->sched_ctx);
  mycpu()->intena = intena;  // possibly another hart now
}

void yield() {
  {
    // Nobody else wants a hart: keep running, no switch.
    SpinGuard g(g_runq_lock);
    if (g_runq.empty()) return;
  }
  Thread* t = current();
  t->lock.acquire();
  t->state = ThreadState::Runnable;
  runq_push(t);
  sched();
  t->lock.release();
}

void wake_to_end_locked(Thread* t) {
  if (t->state == ThreadState::Sleeping && t->sleep_killable) make_runnable_locked(t);
}

// yield(tid): move a runnable target of the caller's own process to the
// head of the run queue, then give up the hart; the next free hart (likely
// this one) runs it.
int yield_to(int tid) {
  Thread* me = current();
  if (tid >= 0 && tid != me->tid) {
    SpinGuard ids(g_id_lock);
    Thread* t = find_thread_locked(tid);
    if (!t || t->proc != me->proc) return -ESRCH;
    SpinGuard g(t->lock);
    if (t->state == ThreadState::Runnable) {
      SpinGuard q(g_runq_lock);
      // Runnable but already popped by a scheduler that is about to run
      // it: not in the queue, leave it alone.
      if (t->runq_node.linked()) {
        g_runq.remove(t);
        g_runq.push_front(t);
      }
    }
  }
  yield();
  return 0;
}
