// Trap handling: system calls, faults and interrupts, from user mode and
// from the kernel. The assembly half is arch/riscv64/trap.S.
#include "arch/riscv64/plic.h"
#include "arch/riscv64/riscv.h"
#include "dev/uart.h"
#include "dev/virtio_blk.h"
#include "inject.h"
#include "lib/kprintf.h"
#include "memlayout.h"
#include "proc.h"
#include "syscall.h"
#include "trace.h"
#include "vm.h"

extern "C" void trap_vector();

u64 g_tick_interval = TIMEBASE_HZ / 100;

namespace {
constexpr u64 CSR_STIMECMP = 0x14d;
constexpr u64 SSTATUS_FS_CLEAN = 2ull << 13;

// Time is the time CSR, read on demand; a tick is g_tick_interval of it.
// Every hart's timer fires at each tick boundary, and the first to see a
// sleeper's deadline passed wakes it.
u64 g_boot_time = 0;  // set once at boot
Spinlock g_tick_lock{"ticks", LockRank::Ticks};
WaitQueue g_sleepers{g_tick_lock};  // key: the time to wake at
IntrusiveList<Timeout, &Timeout::node> g_timeouts;  // guarded by g_tick_lock
// The earliest key in g_sleepers or deadline in g_timeouts (or later): lets
// a timer interrupt skip the lock when nothing is due.
std::atomic<u64> g_next_wake{~0ull};
std::atomic<u64> g_fp_stamps{0};

enum class Irq { None, Timer, Other };

Irq handle_interrupt(u64 cause) {
  switch (cause & ~SCAUSE_INTR) {
    case IRQ_S_TIMER:
      // An early interrupt for a nudge (sched.cpp), or the tick.
      if (nudge() && read_time() < mycpu()->next_tick) {
        set_hart_timer();  // the tick, or a nudge that nudge() armed again
        return Irq::Other;
      }
      set_next_timer();
      clock_tick();
      balance_tick();
      icount_handover();
      return Irq::Timer;
    case IRQ_S_SOFT:
      // An IPI only wakes an idle hart; nothing else to do.
      CSR_CLEAR(sip, SIE_SSIE);
      if (tracing()) [[unlikely]]
        trace_put(TR_IPI_RECV, 0, 0, 0);
      return Irq::Other;
    case IRQ_S_EXT: {
      u32 irq = plic_claim();
      if (irq == UART0_IRQ)
        uart_intr();
      else if (irq == VIRTIO0_IRQ)
        virtio_blk_intr();
      if (irq) plic_complete(irq);
      return Irq::Other;
    }
  }
  return Irq::None;
}

const char* cause_name(u64 cause) {
  switch (cause) {
    case 0: return "misaligned fetch";
    case 1: return "fetch access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "misaligned load";
    case 5: return "load access fault";
    case 6: return "misaligned store";
    case 7: return "store access fault";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store page fault";
  }
  return "unknown trap";
}
}  // namespace

void clock_init() { g_boot_time = read_time(); }

u64 ticks_now() { return (read_time() - g_boot_time) / g_tick_interval; }

u64 tick_time(u64 tick) { return g_boot_time + tick * g_tick_interval; }

// A timeout whose thread is not asleep yet (or is already awake) stays on
// the list until its owner takes it off, so it is looked at again at the
// next tick; the sleeper checks the deadline itself before it sleeps.
void clock_tick() {
  if (read_time() < g_next_wake.load()) return;
  SpinGuard g(g_tick_lock);
  u64 now = read_time();
  g_sleepers.wake_if(WaitQueue::kAll, [now](u64 when) { return when <= now; });
  u64 next = g_sleepers.min_key(~0ull);
  for (Timeout* to = g_timeouts.front(); to; to = g_timeouts.next(to)) {
    if (to->deadline > now) {
      if (to->deadline < next) next = to->deadline;
      continue;
    }
    next = now;  // due: look again at the next tick until it is removed
    Thread* t = to->thread;
    SpinGuard tg(t->lock);
    if (t->state == ThreadState::Sleeping && t->sleep_deadline &&
        t->sleep_deadline <= now)
      make_runnable_locked(t);
  }
  g_next_wake = next;
}

void timeout_add(Timeout* to) {
  SpinGuard g(g_tick_lock);
  g_timeouts.push_back(to);
  if (to->deadline < g_next_wake.load()) g_next_wake = to->deadline;
}

void timeout_remove(Timeout* to) {
  SpinGuard g(g_tick_lock);
  g_timeouts.remove(to);
}

bool sleep_until_tick(u64 until) {
  u64 when = tick_time(until);
  SpinGuard g(g_tick_lock);
  while (read_time() < when) {
    if (when < g_next_wake.load()) g_next_wake = when;
    if (!g_sleepers.wait_killable(when)) return false;
  }
  return true;
}

// The next tick boundary, so that every hart's timer fires together and a
// deadline (always a boundary) is seen at once.
void set_next_timer() {
  Cpu* c = mycpu();
  c->next_tick = tick_time(ticks_now() + 1);
  set_hart_timer();
}

void set_timer_at(u64 time) { asm volatile("csrw %0, %1" ::"i"(CSR_STIMECMP), "r"(time)); }

u64 new_fp_stamp() { return g_fp_stamps.fetch_add(1) + 1; }

void trap_init_hart() {
  CSR_WRITE(stvec, reinterpret_cast<u64>(trap_vector));
  CSR_WRITE(sscratch, 0);
  CSR_SET(sie, SIE_SEIE | SIE_STIE | SIE_SSIE);
  // User programs may read the time CSR directly (cheap benchmarks).
  CSR_WRITE(scounteren, 0x7);
  set_next_timer();
}

// The user's floating-point registers are saved only when the hardware says
// user code changed them since they were last loaded or saved (FS dirty).
// A new stamp names the new version, so no hart takes its stale copy for it.
void save_user_fp(Thread* t) {
  if ((CSR_READ(sstatus) & SSTATUS_FS) != SSTATUS_FS) return;
  fp_save(&t->fp);
  t->fp_stamp = new_fp_stamp();
  mycpu()->fp_loaded = t->fp_stamp;
  CSR_CLEAR(sstatus, SSTATUS_FS);
  CSR_SET(sstatus, SSTATUS_FS_CLEAN);
}

// A store fault at va: true if it was a copy-on-write page, now this
// space's own. Out of memory for the copy ends the thread like a fault.
static bool cow_write(Process* p, u64 va) {
  intr_on();  // breaking may sleep for the space's map lock
  auto r = p->as->break_cow(va);
  if (!r && r.error() == Error::NoMemory)
    kprintf("pid %d tid %d (%s): no memory to copy a copy-on-write page at %p\n", p->pid,
            current()->tid, p->name, reinterpret_cast<void*>(va));
  return r.ok();
}

extern "C" void user_trap(TrapFrame* tf) {
  u64 cause = CSR_READ(scause);
  Thread* t = current();
  save_user_fp(t);
  Process* p = t->proc;
  if (cause == EXC_ECALL_U) {
    tf->epc += 4;  // return past the ecall
    if (must_end(t)) thread_exit(-1);
    intr_on();
    syscall();
    if (g_chaos_on) chaos_point(ChaosPoint::SyscallReturn);
  } else if (cause & SCAUSE_INTR) {
    if (handle_interrupt(cause) == Irq::Timer) yield();
  } else {
    u64 addr = CSR_READ(stval);  // before interrupts come on: they change it
    bool cow = cause == EXC_STORE_PAGE_FAULT && cow_write(p, addr);
    if (tracing()) [[unlikely]]
      trace_put(TR_FAULT, static_cast<u16>(cause), static_cast<i64>(addr), cow);
    if (cow) {
      // A first write to a page shared copy-on-write since a fork: done.
    } else {
      // A fault ends only the faulting thread; if it was the last one, the
      // process exits with status -1.
      kprintf("pid %d tid %d (%s): %s at address %p, pc %p\n", p->pid, current()->tid,
              p->name, cause_name(cause), reinterpret_cast<void*>(addr),
              reinterpret_cast<void*>(tf->epc));
      thread_exit(-1);
    }
  }
  if (must_end(t)) thread_exit(-1);
  return_to_user();
}

void return_to_user() {
  intr_off();
  Thread* t = current();
  Cpu* c = mycpu();
  CSR_CLEAR(sstatus, SSTATUS_FS);
  CSR_SET(sstatus, SSTATUS_FS_CLEAN);
  if (c->fp_loaded != t->fp_stamp) {
    fp_restore(&t->fp);  // leaves FS dirty
    c->fp_loaded = t->fp_stamp;
    CSR_CLEAR(sstatus, SSTATUS_FS);
    CSR_SET(sstatus, SSTATUS_FS_CLEAN);
  }
  // Every early return of a system call must have released what it took.
  if (c->locks.spin_held) panic("returning to user with a spin lock held (tid %d)", t->tid);
  if (t->sleep_ranks) {
    for (u32 r = 1; r < kFirstSpinRank; r++)
      if (t->sleep_held[r])
        panic("returning to user holding a %s lock (tid %d)",
              rank_name(static_cast<LockRank>(r)), t->tid);
  }
  t->tf.kernel_tp = read_tp();
  // sret goes to user mode (SPP = 0) with interrupts on (SPIE = 1).
  CSR_CLEAR(sstatus, SSTATUS_SPP);
  CSR_SET(sstatus, SSTATUS_SPIE);
  user_return(&t->tf);
}

struct KernelFrame;  // the frame trap.S builds; only its address is used

extern "C" void kernel_trap(KernelFrame*) {
  u64 cause = CSR_READ(scause);
  u64 sstatus = CSR_READ(sstatus);
  if (!(sstatus & SSTATUS_SPP)) panic("kernel_trap: not from supervisor mode");
  if (!(cause & SCAUSE_INTR))
    panic("kernel trap: %s (scause %lu) at pc %p, stval %p", cause_name(cause),
          cause, reinterpret_cast<void*>(CSR_READ(sepc)),
          reinterpret_cast<void*>(CSR_READ(stval)));
  if (handle_interrupt(cause) == Irq::Timer && mycpu()->thread &&
      mycpu()->thread->state == ThreadState::Running)
    yield();  // preempt a thread running in the kernel, too
}
