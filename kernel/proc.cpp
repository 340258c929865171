// Process and thread lifecycle: creation, fork, exit, wait, kill.
#include "proc.h"

#include "fs/file.h"
#include "fs/fs.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "exec.h"
#include "memlayout.h"
#include "uaccess.h"
#include "vm.h"

Process g_procs[NPROC];
Thread g_threads[NTHR];
Spinlock g_wait_lock{"wait", kRankWait};
Spinlock g_desch_lock{"desch"};
Process* g_initproc = nullptr;

namespace {
// pids and tids share one namespace: a process's first thread has
// tid == pid.
std::atomic<int> g_next_id{1};

extern "C" void thread_start();

// A process slot in state Alive with a fresh pid, or nullptr.
Process* alloc_process() {
  for (Process& p : g_procs) {
    SpinGuard g(p.lock);
    if (p.state != ProcState::Unused) continue;
    p.state = ProcState::Alive;
    p.pid = g_next_id.fetch_add(1);
    p.killed = false;
    p.xstatus = 0;
    p.live = 0;
    p.nthreads = 0;
    p.clone_stack = 0;
    p.as = nullptr;
    p.name[0] = 0;
    return &p;
  }
  return nullptr;
}

// Give a slot back; the caller holds no reference to its threads (none left).
void free_process(Process* p) {
  if (p->as) p->as->put();
  p->as = nullptr;
  p->parent = nullptr;
  SpinGuard g(p->lock);
  p->pid = 0;
  p->state = ProcState::Unused;
}

// A thread of p in state Embryo with a kernel stack; it will start in
// thread_start and go to user mode with its trap frame, which the caller
// fills in. nullptr if out of thread slots or memory, or p is dying.
Thread* alloc_thread(Process* p, int tid) {
  for (Thread& t : g_threads) {
    {
      SpinGuard g(t.lock);
      if (t.state != ThreadState::Unused) continue;
      t.state = ThreadState::Embryo;
    }
    t.kstack = static_cast<u8*>(kalloc());
    bool refused;
    {
      SpinGuard g(p->lock);
      refused = !t.kstack || p->killed;
      if (!refused) p->live++;
    }
    if (refused) {
      if (t.kstack) kfree(t.kstack);
      t.kstack = nullptr;
      SpinGuard g(t.lock);
      t.state = ThreadState::Unused;
      return nullptr;
    }
    *reinterpret_cast<u64*>(t.kstack) = KSTACK_CANARY;
    t.tid = tid;
    t.proc = p;
    t.killed = false;
    t.desched = false;
    memset(&t.tf, 0, sizeof(t.tf));
    memset(&t.ctx, 0, sizeof(t.ctx));
    t.tf.kernel_sp = reinterpret_cast<u64>(t.kstack) + PGSIZE;
    t.ctx.ra = reinterpret_cast<u64>(thread_start);
    t.ctx.sp = t.tf.kernel_sp;
    p->nthreads.fetch_add(1);
    return &t;
  }
  return nullptr;
}

void start_thread(Thread* t) {
  SpinGuard g(t->lock);
  make_runnable_locked(t);
}

// New threads of both kinds (tspawn and clone) start at fcn(arg) with sp,
// and a return address that is not code: returning from fcn faults and
// ends only that thread.
constexpr u64 FAKE_RETURN_PC = 0xffffffff;
void set_thread_entry(Thread* t, u64 fcn, u64 arg, u64 sp) {
  const TrapFrame& me = current()->tf;
  t->tf.epc = fcn;
  t->tf.a0 = arg;
  t->tf.sp = sp;
  t->tf.ra = FAKE_RETURN_PC;
  t->tf.gp = me.gp;  // same program, same global pointer
  t->tf.tp = me.tp;
}

// Every thread's first instructions in the kernel. The scheduler switched
// here holding the thread's lock.
extern "C" void thread_start() {
  current()->lock.release();
  static bool first = true;  // only the boot hart's first thread sees true
  if (first) {
    first = false;
    // The file system sleeps on disk I/O, so it starts in a thread.
    fs_init(ROOTDEV);
    Process* p = myproc();
    p->cwd = namei("/");
    char arg0[] = "init";
    char* argv[] = {arg0, nullptr};
    if (!exec("/init", argv)) panic("cannot run /init");
  }
  return_to_user();
}

// Make every sleeping thread of p runnable so that it notices p->killed (or
// its own killed flag) and ends.
void wake_sleepers(Process* p) {
  for (Thread& t : g_threads) {
    SpinGuard g(t.lock);
    if (t.proc == p && t.state == ThreadState::Sleeping) make_runnable_locked(&t);
  }
}

// Mark p as ending with status (the first exit or kill decides it).
void kill_process(Process* p, int status) {
  {
    SpinGuard g(p->lock);
    if (p->killed) return;
    p->killed = true;
    p->xstatus = status;
  }
  wake_sleepers(p);
}

// The process's last thread is ending: release what the process holds and
// become a zombie for the parent to reap. Returns with g_wait_lock held.
void process_exit_locked_wait(Process* p) {
  if (p == g_initproc) panic("init exiting with status %d", p->xstatus);
  fdtable_close_all(p->fds);
  Inode* cwd;
  {
    SpinGuard g(p->cwd_lock);
    cwd = p->cwd;
    p->cwd = nullptr;
  }
  if (cwd) {
    begin_op();
    iput(cwd);
    end_op();
  }
  g_wait_lock.acquire();  // the caller releases it after taking its thread lock
  // Children go to init, which reaps them.
  for (Process& q : g_procs) {
    if (q.parent == p) {
      q.parent = g_initproc;
      wakeup(g_initproc);
    }
  }
  wakeup(p->parent);  // a parent in wait() or join() sleeps on itself
  SpinGuard g(p->lock);
  p->state = ProcState::Zombie;
}

// Reap one exited child: clones (sharing our address space) for join,
// other children for wait. out gets *value_of(child) if out != 0.
template <typename T, typename F>
int reap_child(bool clones, u64 out, F value_of) {
  Process* p = myproc();
  SpinGuard g(g_wait_lock);
  for (;;) {
    bool have_children = false;
    for (Process& q : g_procs) {
      if (q.parent != p || (q.as == p->as) != clones) continue;
      have_children = true;
      int pid;
      T value;
      {
        SpinGuard gq(q.lock);
        if (q.state != ProcState::Zombie) continue;
        pid = q.pid;
        value = value_of(q);
      }
      // The child's last thread has marked itself dead; its hart finishes
      // switching away within a few instructions, with interrupts off.
      while (q.nthreads.load() != 0) {
      }
      if (out && !write_user(UserOut<T>{out}, value)) return -1;  // nothing reaped
      free_process(&q);
      return pid;
    }
    if (!have_children || killed(p)) return -1;
    sleep_killable(p, g_wait_lock);
  }
}
}  // namespace

void user_init() {
  Process* p = alloc_process();
  ASSERT(p);
  p->as = AddressSpace::create();
  ASSERT(p->as);
  safestrcpy(p->name, "init", sizeof(p->name));
  Thread* t = alloc_thread(p, p->pid);
  ASSERT(t);
  g_initproc = p;
  start_thread(t);
}

bool killed(Process* p) {
  if (p->killed.load()) return true;
  Thread* t = current();
  return t && t->proc == p && t->killed.load();
}

// The new process gets the caller's file table and cwd; its address space
// is a copy (fork) or the caller's own (clone).
static Process* new_child(AddressSpace* as) {
  Process* p = myproc();
  Process* np = alloc_process();
  if (!np) {
    if (as) as->put();
    return nullptr;
  }
  np->as = as;
  if (!as) {
    free_process(np);
    return nullptr;
  }
  fdtable_copy(np->fds, p->fds);
  {
    SpinGuard g(p->cwd_lock);
    np->cwd = idup(p->cwd);
  }
  safestrcpy(np->name, p->name, sizeof(np->name));
  return np;
}

// Undo new_child for a child that never ran.
static void discard_child(Process* np) {
  fdtable_close_all(np->fds);
  Inode* cwd = np->cwd;
  np->cwd = nullptr;
  if (cwd) {
    begin_op();
    iput(cwd);
    end_op();
  }
  free_process(np);
}

static void adopt_and_start(Process* np, Thread* nt) {
  {
    SpinGuard g(g_wait_lock);
    np->parent = myproc();
  }
  start_thread(nt);
}

int fork() {
  Process* np = new_child(myproc()->as->copy());
  if (!np) return -1;
  Thread* nt = alloc_thread(np, np->pid);
  if (!nt) {
    discard_child(np);
    return -1;
  }
  // The child is a copy of the calling thread, whichever thread that is.
  u64 ksp = nt->tf.kernel_sp;
  nt->tf = current()->tf;
  nt->tf.kernel_sp = ksp;
  nt->tf.a0 = 0;  // fork returns 0 in the child
  int pid = np->pid;
  adopt_and_start(np, nt);
  return pid;
}

int clone(u64 fcn, u64 arg, u64 stack) {
  AddressSpace* as = myproc()->as;
  u64 sz = as->size();
  if ((stack & (PGSIZE - 1)) || stack < USER_BASE || stack > sz || sz - stack < PGSIZE)
    return -1;
  as->get();
  Process* np = new_child(as);
  if (!np) return -1;
  Thread* nt = alloc_thread(np, np->pid);
  if (!nt) {
    discard_child(np);
    return -1;
  }
  np->clone_stack = stack;
  set_thread_entry(nt, fcn, arg, stack + PGSIZE);
  int pid = np->pid;
  adopt_and_start(np, nt);
  return pid;
}

int tspawn(u64 stktop, u64 fcn, u64 arg) {
  Process* p = myproc();
  u64 sz = p->as->size();
  u64 sp = stktop & ~u64{15};
  if (fcn < USER_BASE || fcn >= sz || stktop > sz || sp <= USER_BASE) return -1;
  Thread* nt = alloc_thread(p, g_next_id.fetch_add(1));
  if (!nt) return -1;
  set_thread_entry(nt, fcn, arg, sp);
  int tid = nt->tid;
  start_thread(nt);
  return tid;
}

void exit(int status) {
  kill_process(myproc(), status);
  thread_exit(status);
}

void thread_exit(int status_if_last) {
  Thread* t = current();
  Process* p = t->proc;
  bool last;
  {
    SpinGuard g(p->lock);
    last = --p->live == 0;
    if (last && !p->killed) p->xstatus = status_if_last;
    wakeup(&p->live);  // an exec waiting for its siblings to go
  }
  if (last) process_exit_locked_wait(p);
  {
    SpinGuard g(g_desch_lock);
    t->desched = false;
  }
  t->lock.acquire();  // held across the switch; the scheduler reaps us
  t->state = ThreadState::Zombie;
  if (last) g_wait_lock.release();
  sched();
  panic("zombie thread %d ran again", t->tid);
}

bool end_other_threads() {
  Thread* me = current();
  Process* p = me->proc;
  for (;;) {
    // Mark every sibling (again: one may have spawned a new thread before
    // it noticed), waking the sleeping ones so they see the mark.
    for (Thread& t : g_threads) {
      SpinGuard g(t.lock);
      if (&t == me || t.proc != p || t.state == ThreadState::Unused) continue;
      t.killed = true;
      if (t.state == ThreadState::Sleeping) make_runnable_locked(&t);
    }
    SpinGuard g(p->lock);
    if (p->live == 1) break;
    if (killed(p)) return false;  // a sibling is exec'ing too, or exit/kill
    sleep_killable(&p->live, p->lock);     // thread_exit wakes us
  }
  // The dead siblings' harts finish switching away (interrupts off, a few
  // instructions): after this no other slot carries this process's ids.
  while (p->nthreads.load() > 1) {
  }
  return true;
}

int wait(u64 status_addr) {
  return reap_child<int>(false, status_addr, [](Process& q) { return q.xstatus; });
}

int join(u64 stack_addr) {
  // A bad pointer fails before anything is reaped (or waited for).
  if (!user_writable(stack_addr, sizeof(u64))) return -1;
  return reap_child<u64>(true, stack_addr, [](Process& q) { return q.clone_stack; });
}

int kill(int pid) {
  // init must outlive everyone (it reaps orphans); killing it is refused
  // rather than letting a user program bring the kernel down.
  if (g_initproc && pid == g_initproc->pid) return -1;
  for (Process& p : g_procs) {
    {
      SpinGuard g(p.lock);
      if (p.pid != pid || p.state != ProcState::Alive) continue;
    }
    kill_process(&p, -1);
    return 0;
  }
  return -1;
}

namespace {
const char* state_name(ThreadState s) {
  switch (s) {
    case ThreadState::Embryo: return "embryo";
    case ThreadState::Runnable: return "runnable";
    case ThreadState::Running: return "running";
    case ThreadState::Sleeping: return "sleeping";
    case ThreadState::Zombie: return "zombie";
    default: return "unused";
  }
}
}  // namespace

// Ctrl-P. Reads without locks on purpose: it must work even when the kernel
// is wedged on some lock, which is exactly when one presses Ctrl-P.
void procdump() {
  kprintf("\n");
  for (Process& p : g_procs) {
    if (p.state == ProcState::Unused) continue;
    kprintf("pid %d %s%s\n", p.pid, p.name,
            p.state == ProcState::Zombie ? " (zombie)" : "");
    for (Thread& t : g_threads) {
      if (t.proc != &p) continue;
      kprintf("  tid %d %s hart %d\n", t.tid, state_name(t.state), t.hart);
    }
  }
}
