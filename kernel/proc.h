// Processes, threads and harts.
//
// Who owns what: a Process owns its threads (Process::threads) and its
// children (Process::children); a Thread belongs to one Process. Ids (tids
// and pids share one namespace) find their Thread or Process through a hash
// table (ids.cpp), never by scanning the tables. The lifetimes are the state
// diagram in docs/design.md; every lock's rank is in sync/lockrank.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>

#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "lib/list.h"
#include "lib/types.h"
#include "sync/spinlock.h"
#include "sync/waitqueue.h"

class AddressSpace;
struct File;
struct Inode;
struct Process;
struct Cpu;

extern Spinlock g_wait_lock;  // guards parent/children links; wait() sleeps on them

// Registers saved when a thread traps in from user mode. Lives in the Thread;
// the trap entry in trap.S knows the offsets: x1..x31 at (i-1)*8.
struct TrapFrame {
  u64 ra, sp, gp, tp, t0, t1, t2, s0, s1;
  u64 a0, a1, a2, a3, a4, a5, a6, a7;
  u64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
  u64 t3, t4, t5, t6;
  u64 epc;        // 248: user pc
  u64 kernel_sp;  // 256: top of this thread's kernel stack
  u64 kernel_tp;  // 264: the Cpu this thread last returned to user from
};

// The user's floating-point registers (fpu.S knows the layout). The kernel
// is built without floating point, so these registers always hold user
// state: saved here when a trap finds them dirty, loaded back when the
// thread returns to user mode on a hart whose registers hold someone else's.
struct FpState {
  u64 f[32];
  u64 fcsr;
};

// Callee-saved registers for swtch().
struct Context {
  u64 ra, sp;
  u64 s[12];
};

// Unused -> Embryo (being set up) -> Runnable <-> Running <-> Sleeping;
// Running -> Zombie when it ends; the scheduler that switched away from a
// Zombie reaps it (frees its stack, unlinks it from its process, frees the
// slot). docs/design.md has the diagram.
enum class ThreadState : int { Unused, Embryo, Runnable, Running, Sleeping, Zombie };

struct Thread {
  Spinlock lock{"thread", LockRank::Thread};
  // guarded by lock (state is also read without it by procdump):
  std::atomic<ThreadState> state{ThreadState::Unused};
  bool sleep_killable = false;  // Sleeping in wait_killable: a kill wakes it
  u64 sleep_deadline = 0;       // a timed sleep's end (time CSR), else 0
  int hart = -1;                // where it runs, -1 if not running
  // Set under the process lock when this one thread must end (exec ends the
  // caller's siblings). Read without a lock on the way to user mode.
  std::atomic<bool> killed{false};
  // set at creation, constant until the slot is freed (exec may set tid to
  // the pid, under the id lock, when the thread is the only one left):
  int tid = 0;
  Process* proc = nullptr;
  u8* kstack = nullptr;  // one page; KSTACK_CANARY in its lowest word
  // owned by the thread itself (or by the creator before it first runs):
  TrapFrame tf;
  Context ctx;
  FpState fp;
  u64 fp_stamp = 0;  // names the version of fp; see Cpu::fp_loaded
  u8 sleep_held[kFirstSpinRank] = {};  // sleep locks held, per rank (sync/lockrank.cpp)
  u32 sleep_ranks = 0;  // bit r set while sleep_held[r] > 0: one test for the order
  u64 chaos_events = 0;  // schedule-chaos points passed (inject.cpp)
  bool in_chaos = false;  // inside a chaos yield
  ListNode runq_node;   // guarded by the run-queue lock of the hart in rq
  // Whose run queue holds it, or nullptr; written under that queue's lock.
  std::atomic<Cpu*> rq{nullptr};
  // guarded by lock: the hart it must run on, or nullptr. Set by hop_to()
  // (a bucket brigade's trip, sync/brigade.h), cleared by unpin().
  Cpu* pin = nullptr;
  u64 queued_at = 0;    // time CSR value when queued: set before it joins, read under the lock
  ListNode proc_node;   // guarded by proc->lock: Process::threads
  ListNode id_node;     // guarded by the id lock: the tid table, free slots
};

struct FdTable {
  Spinlock lock{"fdtable", LockRank::FdTable};
  File* files[NOFILE] = {};  // guarded by lock
};

// Written at the bottom of every kernel stack and checked at each switch:
// a one-page stack has no guard page, so an overflow would otherwise corrupt
// memory silently.
constexpr u64 KSTACK_CANARY = 0x77656674c0ffee00ull;

// Unused -> Alive -> Exiting (its last thread has called thread_exit and
// released the files and cwd; threads may still be leaving their harts)
// -> Zombie (the scheduler reaped its last thread: reapable) -> Unused
// (wait or join freed it).
enum class ProcState : int { Unused, Alive, Exiting, Zombie };

struct Process {
  Spinlock lock{"proc", LockRank::Proc};
  // guarded by lock:
  ProcState state = ProcState::Unused;
  int pid = 0;
  // Every thread must end (exit or kill). Set under lock, but read
  // without it: sleep loops check it while holding other locks.
  std::atomic<bool> killed{false};
  bool decided = false;        // xstatus is final (the first to decide wins)
  int xstatus = 0;
  int live = 0;                // threads that have not yet called thread_exit
  int nthreads = 0;            // threads not yet reaped by a scheduler
  bool ending_others = false;  // an exec is ending every other thread
  // Allocations for it may be made to fail (inject.h). Set under lock by
  // exec, copied by fork before the child runs; read by its own threads.
  bool inject = false;
  u64 clone_stack = 0;         // clone(): the stack it was given, for join
  IntrusiveList<Thread, &Thread::proc_node> threads;
  WaitQueue exec_wait{lock};   // exec waiting for its siblings to be reaped
  // guarded by g_wait_lock:
  Process* parent = nullptr;
  ListNode child_node;         // in parent->children
  IntrusiveList<Process, &Process::child_node> children;
  WaitQueue child_exit{g_wait_lock};  // wait/join sleep here
  // guarded by desch_lock: the threads of this process asleep in desch(),
  // keyed by tid; mkrun(tid) takes one off.
  Spinlock desch_lock{"desch", LockRank::Desch};
  WaitQueue desch_wait{desch_lock};
  // guarded by the id lock:
  ListNode id_node;            // the pid table, free slots
  // set at creation (exec replaces as under lock; only this process's own
  // threads read it without the lock):
  AddressSpace* as = nullptr;
  char name[16] = {};
  FdTable fds;                 // its own lock
  Spinlock cwd_lock{"cwd", LockRank::Cwd};
  Inode* cwd = nullptr;        // guarded by cwd_lock
};

// Per-hart state, reached through the tp register.
struct Cpu {
  HartLocks locks;             // first: spin locks reach it through tp
  Thread* thread = nullptr;    // running thread, or nullptr in the scheduler
  Context sched_ctx;           // swtch() here to enter the scheduler
  int hartid = -1;
  int index = 0;               // 0 for the boot hart
  std::atomic<int> idle{0};    // waiting in wfi; wake with an IPI
  // Threads ready to run here (sched.cpp); other harts may steal them.
  Spinlock runq_lock{"runq", LockRank::Runq};
  IntrusiveList<Thread, &Thread::runq_node> runq;  // guarded by runq_lock
  std::atomic<int> queued{0};  // runq's length, read without the lock
  // Threads that must run here (Thread::pin): only this hart takes them,
  // before runq; never stolen or balanced away.
  IntrusiveList<Thread, &Thread::runq_node> pinned;  // guarded by runq_lock
  std::atomic<int> npinned{0};  // pinned's length, read without the lock
  // Owned by this hart, with interrupts off:
  bool nudge_armed = false;    // the timer fires early to share the queue
  u64 nudge_at = 0;            // when, if nudge_armed
  u64 next_tick = 0;           // time CSR value of this hart's next tick
  AddressSpace* as = nullptr;  // what satp points at (nullptr: kernel table)
  u64 fp_loaded = 0;           // fp_stamp of the FpState in the registers
  u32 asid_gen[2 * NPROC] = {};  // ASID generations this hart has flushed
};

static_assert(std::is_standard_layout_v<Cpu> && offsetof(Cpu, locks) == 0);

extern Cpu g_cpus[NCPU];
extern int g_ncpu;
extern Process g_procs[NPROC];
extern Thread g_threads[NTHR];

inline Cpu* mycpu() { return reinterpret_cast<Cpu*>(read_tp()); }
// The running thread. tp names the hart, so interrupts stay off between
// reading tp and reading that hart's thread: a preemption in between could
// move us to another hart. Inline and without push_off's bookkeeping, as
// every system call asks several times.
inline Thread* current() {
  bool on = intr_save_off();
  Thread* t = mycpu()->thread;
  intr_restore(on);
  return t;
}
inline Process* myproc() { return current()->proc; }

// Scheduling (sched.cpp)
[[noreturn]] void scheduler();
void sched();                  // switch to the scheduler; caller holds only t->lock
void yield();
void make_runnable_locked(Thread* t);  // caller holds t->lock
// A kill or exec wants t to end: if it sleeps killably, make it runnable so
// it notices. Caller holds t->lock.
void wake_to_end_locked(Thread* t);
void wake_idle_hart();         // IPI some idle hart if there is one
// The timer interrupt: nudge() wakes idle harts for threads that have
// waited long in this hart's queue (false if no early timer was armed);
// balance_tick() at each tick evens out the queues.
bool nudge();
void balance_tick();
int yield_to(int tid);         // directed yield; -ESRCH if no such thread here
// Move the calling thread to hart c (it returns running there) and keep it
// there until unpin(). Caller holds no spin lock. sync/brigade.h uses it.
void hop_to(Cpu* c);
void unpin();

// For QEMU's -icount mode ("icount" on the command line, docs/design.md,
// Harts under -icount). QEMU 7.2 then runs all harts on one host thread,
// each until the next timer deadline, so a hart that never waits (a spin,
// a busy user thread) can keep the others from ever running.
extern bool g_icount_mode;
// Every few rounds of a spin: give up this hart's turn (wfi ends it).
inline void icount_spin_pause(u32* spins) {
  if (g_icount_mode && (++*spins & 63) == 0) asm volatile("wfi");
}
void icount_handover();        // at a tick: let a busy hart of this turn run

// Processes (proc.cpp). The calls that return int give a negated error
// number (weft/errno.h) when they fail, as the system call returns it.
void user_init();              // the first process (runs /init)
int fork();
int clone(u64 fcn, u64 arg, u64 stack);
[[noreturn]] void exit(int status);        // ends every thread of the process
int wait(u64 status_addr);                 // reaps children not sharing our space
int join(u64 stack_addr);                  // reaps clones sharing our space
int kill(int pid);
// Should the current thread of p stop what it waits for and end?
// Inline: every system call asks at least twice (trap entry and exit).
inline bool killed(Process* p) {
  if (p->killed.load()) return true;
  Thread* t = current();
  return t && t->proc == p && t->killed.load();
}
inline bool must_end(Thread* t) { return t->proc->killed.load() || t->killed.load(); }

// Threads (proc.cpp)
// A new thread of the calling process that starts at fcn with sp = stktop
// rounded down to 16 and args[0..nargs) in a0 onwards (the rest of a0..a7
// zero). tspawn passes one argument, tspawn_args up to MAXTHRARGS; the
// caller has checked nargs and copied args into the kernel.
int tspawn(u64 stktop, u64 fcn, const u64* args, int nargs);
// End the calling thread. If it is the process's last, the process exits
// with status_if_last (unless exit or kill already decided its status).
// With a non-zero `where` (texit), once the thread no longer counts among
// the living, `what` is stored there and every futex waiter on it woken:
// a woken thread that ends at once is then surely the last one.
[[noreturn]] void thread_exit(int status_if_last, u64 where = 0, u32 what = 0);
// The scheduler's reap step for a Zombie thread it has switched away from;
// called with t->lock held, releases it.
void reap_thread(Thread* t);
// exec: end every other thread of the caller's process and wait until the
// scheduler has reaped them. False if the caller itself must end meanwhile.
bool end_other_threads();
void procdump();               // Ctrl-P
extern Process* g_initproc;

// Ids and slots (ids.cpp). Ids are positive, never name two live things and
// wrap around after 2^31 - 1.
Thread* thread_slot_alloc(Process* p, int tid);   // Embryo, in the tid table
void thread_slot_free(Thread* t);                 // out of the table, reusable
Process* process_slot_alloc();                    // Alive, with a fresh pid
void process_slot_free(Process* p);
void set_tid(Thread* t, int tid);                 // exec: the pid becomes the tid
void free_slot_counts(int* threads, int* procs);  // for kstat
extern Spinlock g_id_lock;  // guards the id tables and the free slots
Thread* find_thread_locked(int tid);    // caller holds g_id_lock
Process* find_process_locked(int pid);  // caller holds g_id_lock
// Look up a process by pid and run fn(p) with p->lock held (and the id
// lock, so the slot cannot be reused meanwhile). False if no such pid.
template <typename F>
bool with_process(int pid, F fn) {
  SpinGuard ids(g_id_lock);
  Process* p = find_process_locked(pid);
  if (!p) return false;
  SpinGuard g(p->lock);
  fn(p);
  return true;
}

// Time (trap.cpp). Ticks are counted from the time CSR, so a late timer
// interrupt loses no time.
u64 ticks_now();               // timer ticks since boot
u64 tick_time(u64 tick);       // the time CSR value at which tick begins
// sleep(n): wait until tick `until` begins; false if killed first.
bool sleep_until_tick(u64 until);
// A timed sleep (WaitQueue::wait_killable_until) is registered here for its
// duration, so that the clock wakes its thread at the deadline.
struct Timeout {
  ListNode node;
  Thread* thread;
  u64 deadline;  // time CSR value
};
void timeout_add(Timeout* to);
void timeout_remove(Timeout* to);
void clock_tick();             // every hart's timer interrupt
void clock_init();             // boot: time starts now

// Architecture hooks
extern "C" void swtch(Context* from, Context* to);
extern "C" [[noreturn]] void user_return(TrapFrame* tf);
extern "C" void fp_save(FpState* s);
extern "C" void fp_restore(const FpState* s);
[[noreturn]] void return_to_user();
void trap_init_hart();         // stvec, interrupt enables, first timer
void set_next_timer();
void set_timer_at(u64 time);   // the next timer interrupt at this time CSR value
// The timer at this hart's next tick, or earlier for an armed nudge.
void set_hart_timer();
extern u64 g_tick_interval;    // in `time` units (10 MHz)
u64 new_fp_stamp();
