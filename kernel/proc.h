// Processes, threads and harts.
//
// Lock order (take left before right, never the reverse; Spinlock checks
// these four ranks at run time, see LockRank):
//   g_wait_lock -> Process::lock -> Thread::lock -> run-queue lock
//   g_desch_lock, futex bucket locks -> AddressSpace::lock_ (reading the
//   user word) and -> Thread::lock (sleep, targeted wakeup)
// AddressSpace::lock_, FdTable::lock, Process::cwd_lock, the file-system
// locks and the device locks are never held while taking any of the above,
// except that sleep() takes Thread::lock while its condition lock is held.
#pragma once

#include <atomic>

#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "lib/list.h"
#include "lib/types.h"
#include "sync/spinlock.h"

class AddressSpace;
struct File;
struct Inode;
struct Process;

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

// Callee-saved registers for swtch(), plus the user's floating-point state
// (the kernel itself never touches FP registers, so they always hold the
// state of the thread that last ran in user mode on this hart).
struct Context {
  u64 ra, sp;
  u64 s[12];
  u64 f[32];
  u64 fcsr;
};

// Unused -> Embryo (being set up) -> Runnable <-> Running <-> Sleeping;
// Running -> Zombie when it ends; the scheduler that switched away from a
// Zombie frees its stack and makes the slot Unused.
enum class ThreadState : int { Unused, Embryo, Runnable, Running, Sleeping, Zombie };

struct Thread {
  Spinlock lock{"thread", kRankThread};
  // guarded by lock:
  // state and chan are also read without the lock by wakeup()'s first
  // pass, hence atomic; every change is made with the lock held.
  std::atomic<ThreadState> state{ThreadState::Unused};
  std::atomic<void*> chan{nullptr};  // what it sleeps on
  int hart = -1;         // where it runs, -1 if not running
  bool desched = false;  // in desch(), waiting for mkrun; guarded by g_desch_lock
  // Set (under the process lock) when this one thread must end: exec ends
  // the caller's sibling threads. Read without a lock on the way to user.
  std::atomic<bool> killed{false};
  // set at creation, constant until the slot is freed:
  int tid = 0;
  Process* proc = nullptr;
  u8* kstack = nullptr;  // one page; KSTACK_CANARY in its lowest word
  // owned by the thread itself (or by the creator before it first runs):
  TrapFrame tf;
  Context ctx;
  ListNode runq_node;    // guarded by the run-queue lock
};

struct FdTable {
  Spinlock lock{"fdtable"};
  File* files[NOFILE] = {};  // guarded by lock
};

// Written at the bottom of every kernel stack and checked at each switch:
// a one-page stack has no guard page, so an overflow would otherwise corrupt
// memory silently.
constexpr u64 KSTACK_CANARY = 0x77656674c0ffee00ull;

enum class ProcState : int { Unused, Alive, Zombie };

struct Process {
  Spinlock lock{"proc", kRankProc};
  // guarded by lock:
  ProcState state = ProcState::Unused;
  int pid = 0;
  // Every thread must end (exit or kill). Set under lock, but read
  // without it: sleep loops check it while holding other locks.
  std::atomic<bool> killed{false};
  int xstatus = 0;             // valid once killed, or once live reaches 0
  int live = 0;                // threads that have not yet called thread_exit
  u64 clone_stack = 0;         // clone(): the stack it was given, for join
  // Threads not yet cleaned up by a scheduler. Incremented under lock when
  // a thread is created, decremented by the scheduler after it has switched
  // away from a dead thread for good.
  std::atomic<int> nthreads{0};
  // guarded by g_wait_lock:
  Process* parent = nullptr;
  // set at creation (exec replaces as under lock; only this process's own
  // threads read it):
  AddressSpace* as = nullptr;
  char name[16] = {};
  FdTable fds;                 // its own lock
  Spinlock cwd_lock{"cwd"};
  Inode* cwd = nullptr;        // guarded by cwd_lock
};

// Per-hart state, reached through the tp register.
struct Cpu {
  Thread* thread = nullptr;    // running thread, or nullptr in the scheduler
  Context sched_ctx;           // swtch() here to enter the scheduler
  int noff = 0;                // push_off() depth
  u32 held_ranks = 0;          // ranks of the ranked locks held (spinlock.h)
  bool intena = false;         // interrupts on before the first push_off()
  int hartid = -1;
  int index = 0;               // 0 for the boot hart
  std::atomic<int> idle{0};    // waiting in wfi; wake with an IPI
  AddressSpace* as = nullptr;  // what satp points at (nullptr: kernel table)
  u32 asid_gen[2 * NPROC] = {};  // ASID generations this hart has flushed
};

extern Cpu g_cpus[NCPU];
extern int g_ncpu;
extern Process g_procs[NPROC];
extern Thread g_threads[NTHR];
extern Spinlock g_wait_lock;  // guards every Process::parent; wait() sleeps on it
extern Spinlock g_desch_lock; // guards every Thread::desched (desch/mkrun)

inline Cpu* mycpu() { return reinterpret_cast<Cpu*>(read_tp()); }
Thread* current();             // the running thread (interrupt-safe read)
inline Process* myproc() { return current()->proc; }

// Scheduling
[[noreturn]] void scheduler();
void sched();                  // switch to the scheduler; caller holds only t->lock
void yield();
void make_runnable_locked(Thread* t);  // caller holds t->lock
// Sleep on chan, releasing lk while asleep; lk is held again on return.
void sleep(void* chan, Spinlock& lk);
// The same for waits that a kill must end (pipes, console, wait, sleep,
// futex, desch): returns at once if the thread is to end; the caller's loop
// checks killed() before sleeping again.
void sleep_killable(void* chan, Spinlock& lk);
void wakeup(void* chan);       // wake every thread sleeping on chan
void wake_idle_hart();         // IPI some idle hart if there is one

// Processes
void user_init();              // the first process (runs /init)
int fork();
int clone(u64 fcn, u64 arg, u64 stack);
[[noreturn]] void exit(int status);        // ends every thread of the process
int wait(u64 status_addr);                 // reaps children not sharing our space
int join(u64 stack_addr);                  // reaps clones sharing our space
int kill(int pid);
// Should the current thread of p stop what it waits for and end?
bool killed(Process* p);

// Threads
int tspawn(u64 stktop, u64 fcn, u64 arg);
// End the calling thread. If it is the process's last, the process exits
// with status_if_last (unless exit/kill already chose a status).
[[noreturn]] void thread_exit(int status_if_last);
// exec: end every other thread of the caller's process and wait until they
// are gone. Error if the caller itself is killed meanwhile.
bool end_other_threads();
// Wake t if it sleeps on chan (a targeted wakeup; no table scan).
void wake_thread(Thread* t, void* chan);
int yield_to(int tid);         // directed yield; -1 if no such thread
void procdump();               // Ctrl-P
extern Process* g_initproc;
extern u64 g_ticks;            // timer ticks since boot, guarded by g_tick_lock
extern Spinlock g_tick_lock;
void clock_tick();             // the boot hart's timer interrupt

// Architecture hooks
extern "C" void swtch(Context* from, Context* to);
extern "C" [[noreturn]] void user_return(TrapFrame* tf);
[[noreturn]] void return_to_user();
void trap_init_hart();         // stvec, interrupt enables, first timer
void set_next_timer();
extern u64 g_tick_interval;    // in `time` units (10 MHz)
