// The scheduler: a run queue per hart, idle harts that wait in wfi, and
// stealing. Waiting for something is sync/waitqueue's job.
//
// A thread made runnable goes to the queue of the hart that makes it so.
// Most wake-ups come from a thread about to block or end (a pipe write then
// a read, exit waking the parent, texit waking a joiner, a lock handed on):
// this hart then runs the woken thread itself, with no IPI to a sleeping
// hart and with its data still in this hart's caches. If the waker keeps
// running instead, the thread would wait for the tick while another hart
// idles; so this hart's timer also fires early, and a thread that has
// waited kNudge by then gets an idle hart, which steals it. A hart with
// an empty queue steals before it idles, and at each tick a hart takes a
// thread from a queue longer than its own and runs it, so that CPU-bound
// threads spread over the harts and take turns on all of them.
//
// A thread switches away only while holding its own Thread::lock (and no
// other lock), and the scheduler that switched to it releases that lock; so
// the lock is held across swtch() and no other hart can run the thread
// until its registers are saved. A thread picked up again on another hart
// releases the lock from there. Run-queue locks are never nested: a steal
// holds only the victim's.
//
// A thread on a bucket brigade's trip (sync/brigade.h) is pinned to one
// hart: it waits in that hart's `pinned` queue, which only that hart takes
// from, and first, so no steal, balance or yield(tid) moves it, and the trip
// (a few instructions per hart) goes on as soon as the hart reschedules.
#include "arch/riscv64/sbi.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "proc.h"
#include "trace.h"
#include "vm.h"

Cpu g_cpus[NCPU];
int g_ncpu = 0;

namespace {
// How long a woken thread may wait in a busy hart's queue before an idle
// hart is asked to take it: 500 us of the time CSR (10 MHz). Far longer
// than a system call, far shorter than a tick (10 ms). Each early timer
// costs an interrupt and, under QEMU, a host timer update, so the timer is
// armed at most once per kNudge and never taken back: a hart that woke
// and ran hundreds of threads in that time paid for one early interrupt.
constexpr u64 kNudge = 5000;

std::atomic<int> g_idle_harts{0};  // harts in idle(); a hint

void enqueue_pinned(Thread* t);

void enqueue(Cpu* c, Thread* t, bool front) {
  t->queued_at = read_time();
  if (t->pin) {  // whoever made it runnable, it runs only there
    enqueue_pinned(t);
    return;
  }
  SpinGuard g(c->runq_lock);
  if (front)
    c->runq.push_front(t);
  else
    c->runq.push_back(t);
  t->rq = c;
  c->queued.fetch_add(1);
}

using ThreadList = IntrusiveList<Thread, &Thread::runq_node>;

// The first thread of one of c's queues (runq or pinned), whose length is
// count; both are guarded by c's runq_lock.
Thread* pop(Cpu* c, ThreadList& q, std::atomic<int>& count) {
  if (count.load() == 0) return nullptr;  // no lock for an empty look
  SpinGuard g(c->runq_lock);
  Thread* t = q.pop_front();
  if (t) {
    t->rq = nullptr;
    count.fetch_sub(1);
  }
  return t;
}

Thread* take_from(Cpu* c) { return pop(c, c->runq, c->queued); }

// Into its hart's pinned queue; an idle hart gets an IPI, as for any
// thread made runnable there (a busy one takes it at its next tick).
void enqueue_pinned(Thread* t) {
  Cpu* c = t->pin;
  {
    SpinGuard g(c->runq_lock);
    c->pinned.push_back(t);
    t->rq = c;
    c->npinned.fetch_add(1);
  }
  if (c->idle.load() && c->idle.exchange(0) == 1) sbi_send_ipi(1ull << c->hartid);
}

Thread* take_pinned(Cpu* c) { return pop(c, c->pinned, c->npinned); }

// A thread from another hart's queue: the first with at least `min` queued.
Thread* steal(Cpu* me, int min) {
  for (int i = 1; i < g_ncpu; i++) {
    Cpu* c = &g_cpus[(me->index + i) % g_ncpu];
    if (c->queued.load() >= min)
      if (Thread* t = take_from(c)) return t;
  }
  return nullptr;
}

bool any_queued() {
  for (int i = 0; i < g_ncpu; i++)
    if (g_cpus[i].queued.load() > 0) return true;
  return false;
}

// Nothing to run: sleep until an interrupt. wfi is executed with interrupts
// off so that an IPI arriving between the last look and the wfi still ends
// the wait (wfi wakes on a pending interrupt whatever sstatus.SIE is).
// idle and g_idle_harts are set before the look, and an enqueuer looks at
// g_idle_harts after its enqueue: one of the two sees the other.
void idle(Cpu* c) {
  // Let go of the last address space: it may be freed while we sleep.
  vm_switch_to(nullptr);
  c->idle.store(1);
  g_idle_harts.fetch_add(1);
  if (!any_queued() && c->npinned.load() == 0) asm volatile("wfi");
  g_idle_harts.fetch_sub(1);
  c->idle.store(0);
  intr_on();  // take the interrupt that woke us
  intr_off();
}

// The timer interrupt at `when` calls nudge(). Interrupts are off here.
void arm_nudge(Cpu* c, u64 when) {
  if (c->nudge_armed || g_idle_harts.load() == 0) return;
  c->nudge_armed = true;
  c->nudge_at = when;
  if (when < c->next_tick) set_timer_at(when);
}
}  // namespace

// Called where the timer is set after an interrupt: a nudge that nudge()
// armed again from inside the interrupt must not be overwritten by the
// tick (the trace showed a thread waiting a whole tick for an idle hart).
void set_hart_timer() {
  Cpu* c = mycpu();
  u64 when = c->next_tick;
  if (c->nudge_armed && c->nudge_at < when) when = c->nudge_at;
  set_timer_at(when);
}

// The queue is in the order threads joined it (but for yield(tid)'s
// front), so the walk stops at the first thread that has not waited
// kNudge yet, which sets the next early timer, or once there is a thread
// for every other hart: at most NCPU steps with interrupts off, however
// many threads a program makes runnable here.
bool nudge() {
  Cpu* c = mycpu();
  if (!c->nudge_armed) return false;
  c->nudge_armed = false;
  u64 now = read_time();
  int waited = 0;
  u64 next = 0;  // when the first thread that has not waited will have
  {
    SpinGuard g(c->runq_lock);
    for (Thread* t = c->runq.front(); t && waited < g_ncpu - 1; t = c->runq.next(t)) {
      if (now - t->queued_at < kNudge) {
        next = t->queued_at + kNudge;
        break;
      }
      waited++;
    }
  }
  for (; waited > 0; waited--) wake_idle_hart();
  if (next) arm_nudge(c, next);
  return true;
}

void balance_tick() {
  Cpu* c = mycpu();
  if (Thread* t = steal(c, c->queued.load() + 1)) enqueue(c, t, false);
}

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
  Cpu* c = mycpu();
  if (tracing()) [[unlikely]]
    trace_put(TR_WAKE, static_cast<u16>(c->index), t->tid, 0);
  enqueue(c, t, false);
  if (c->thread) arm_nudge(c, t->queued_at + kNudge);  // (an idle hart runs it next)
}

void scheduler() {
  Cpu* c = mycpu();
  intr_off();
  for (;;) {
    Thread* t = take_pinned(c);
    if (!t) t = take_from(c);
    if (!t) t = steal(c, 1);
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
    if (tracing()) [[unlikely]]
      trace_on_cpu(t);
    swtch(&c->sched_ctx, &t->ctx);
    if (tracing()) [[unlikely]]
      trace_off_cpu(t);
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
  if (c->locks.noff != 1) panic("sched: %d locks held", c->locks.noff);
  if (t->state == ThreadState::Running) panic("sched: still running");
  if (intr_enabled()) panic("sched: interrupts on");
  if (*reinterpret_cast<u64*>(t->kstack) != KSTACK_CANARY)
    panic("sched: kernel stack overflow in tid %d", t->tid);
  bool intena = c->locks.intena;
  swtch(&t->ctx, &c->sched_ctx);
  mycpu()->locks.intena = intena;  // possibly another hart now
}

void yield() {
  // Nobody else waits for this hart: keep running, no switch.
  bool on = intr_save_off();
  bool alone = mycpu()->queued.load() == 0 && mycpu()->npinned.load() == 0;
  intr_restore(on);
  if (alone) return;
  Thread* t = current();
  t->lock.acquire();
  t->state = ThreadState::Runnable;
  enqueue(mycpu(), t, false);
  sched();
  t->lock.release();
}

void wake_to_end_locked(Thread* t) {
  if (t->state == ThreadState::Sleeping && t->sleep_killable) make_runnable_locked(t);
}

// yield(tid): move a runnable target of the caller's own process to the
// head of this hart's queue, then give up the hart, which runs it next.
int yield_to(int tid) {
  Thread* me = current();
  if (tid >= 0 && tid != me->tid) {
    SpinGuard ids(g_id_lock);
    Thread* t = find_thread_locked(tid);
    if (!t || t->proc != me->proc) return -ESRCH;
    SpinGuard g(t->lock);
    // Runnable but in no queue: a scheduler popped it and is about to run
    // it; leave it alone. A pinned one stays where its trip put it.
    Cpu* q = t->rq.load();
    if (t->state == ThreadState::Runnable && q && !t->pin) {
      bool moved = false;
      {
        SpinGuard rq(q->runq_lock);
        if (t->rq.load() == q) {
          q->runq.remove(t);
          q->queued.fetch_sub(1);
          t->rq = nullptr;
          moved = true;
        }
      }
      if (moved) enqueue(mycpu(), t, true);
    }
  }
  yield();
  return 0;
}

// The thread joins c's pinned queue while it still runs here; c's scheduler
// may pop it at once, and then waits for t->lock until this hart has
// switched away (as a steal does).
void hop_to(Cpu* c) {
  Thread* t = current();
  t->lock.acquire();
  t->pin = c;
  t->state = ThreadState::Runnable;
  enqueue(c, t, false);
  sched();
  t->lock.release();
}

void unpin() {
  Thread* t = current();
  SpinGuard g(t->lock);
  t->pin = nullptr;
}
