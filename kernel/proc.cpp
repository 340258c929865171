// Process and thread lifecycle: creation, fork, exit, wait, kill.
#include "proc.h"

#include "fs/file.h"
#include "fs/fs.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "exec.h"
#include "uaccess.h"
#include "vm.h"

Process g_procs[NPROC];
Thread g_threads[NTHR];
Spinlock g_wait_lock{"wait"};
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
    p.nthreads = 0;
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
// thread_start and go to user mode with its trap frame. nullptr if out of
// thread slots or memory.
Thread* alloc_thread(Process* p, int tid) {
  for (Thread& t : g_threads) {
    {
      SpinGuard g(t.lock);
      if (t.state != ThreadState::Unused) continue;
      t.state = ThreadState::Embryo;
    }
    t.kstack = static_cast<u8*>(kalloc());
    if (!t.kstack) {
      SpinGuard g(t.lock);
      t.state = ThreadState::Unused;
      return nullptr;
    }
    *reinterpret_cast<u64*>(t.kstack) = KSTACK_CANARY;
    t.tid = tid;
    t.proc = p;
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
  SpinGuard g(p->lock);
  return p->killed;
}

void set_killed(Process* p) {
  SpinGuard g(p->lock);
  p->killed = true;
}

int fork() {
  Process* p = myproc();
  Process* np = alloc_process();
  if (!np) return -1;
  np->as = p->as->copy();
  Thread* nt = np->as ? alloc_thread(np, np->pid) : nullptr;
  if (!nt) {
    free_process(np);
    return -1;
  }
  u64 ksp = nt->tf.kernel_sp;
  nt->tf = current()->tf;
  nt->tf.kernel_sp = ksp;
  nt->tf.a0 = 0;  // fork returns 0 in the child
  fdtable_copy(np->fds, p->fds);
  {
    SpinGuard g(p->cwd_lock);
    np->cwd = idup(p->cwd);
  }
  safestrcpy(np->name, p->name, sizeof(np->name));
  {
    SpinGuard g(g_wait_lock);
    np->parent = p;
  }
  int pid = np->pid;
  start_thread(nt);
  return pid;
}

void exit(int status) {
  Process* p = myproc();
  if (p == g_initproc) panic("init exiting with status %d", status);

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

  g_wait_lock.acquire();  // released below, after the thread lock is taken
  // Children go to init, which reaps them.
  for (Process& q : g_procs) {
    if (q.parent == p) {
      q.parent = g_initproc;
      wakeup(g_initproc);
    }
  }
  wakeup(p->parent);  // a parent in wait() sleeps on itself
  {
    SpinGuard g(p->lock);
    p->xstatus = status;
    p->state = ProcState::Zombie;
  }
  Thread* t = current();
  t->lock.acquire();
  t->state = ThreadState::Zombie;
  g_wait_lock.release();
  sched();
  panic("zombie thread %d ran again", t->tid);
}

int wait(u64 status_addr) {
  Process* p = myproc();
  SpinGuard g(g_wait_lock);
  for (;;) {
    bool have_children = false;
    for (Process& q : g_procs) {
      if (q.parent != p) continue;
      have_children = true;
      int pid, xstatus;
      {
        SpinGuard gq(q.lock);
        if (q.state != ProcState::Zombie) continue;
        pid = q.pid;
        xstatus = q.xstatus;
      }
      // The child's last thread has marked itself dead; its hart finishes
      // switching away within a few instructions, with interrupts off.
      while (q.nthreads.load() != 0) {
      }
      if (status_addr && !write_user(UserOut<int>{status_addr}, xstatus))
        return -1;  // nothing reaped
      free_process(&q);
      return pid;
    }
    if (!have_children || killed(p)) return -1;
    sleep(p, g_wait_lock);
  }
}

int kill(int pid) {
  // init must outlive everyone (it reaps orphans); killing it is refused
  // rather than letting a user program bring the kernel down.
  if (g_initproc && pid == g_initproc->pid) return -1;
  for (Process& p : g_procs) {
    {
      SpinGuard g(p.lock);
      if (p.pid != pid || p.state != ProcState::Alive) continue;
      p.killed = true;
    }
    // Sleeping threads wake up, see the flag and leave on their way to user
    // mode.
    for (Thread& t : g_threads) {
      SpinGuard g(t.lock);
      if (t.proc == &p && t.state == ThreadState::Sleeping) make_runnable_locked(&t);
    }
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
