// Process and thread lifetimes: creation, fork, exit, wait, kill, exec's
// end of the other threads. docs/design.md draws them as state diagrams;
// the code below follows the diagrams' arrows.
//
// Nothing here waits for another hart by spinning: a thread that is ending
// is reaped by the scheduler of the hart it ran on, once its registers are
// saved (reap_thread), and that step wakes whoever waits for it (a parent in
// wait or join, an exec waiting for its siblings).
#include "proc.h"

#include "exec.h"
#include "fs/file.h"
#include "fs/fs.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "memlayout.h"
#include "sync/futex.h"
#include "trace.h"
#include "uaccess.h"
#include "vm.h"

Process g_procs[NPROC];
Thread g_threads[NTHR];
Spinlock g_wait_lock{"wait", LockRank::Wait};
Process* g_initproc = nullptr;

namespace {
extern "C" void thread_start();

// A thread of p in state Embryo with a kernel stack, counted in p; it will
// start in thread_start and go to user mode with its trap frame, which the
// caller fills in. nullptr if out of thread slots or memory, or if p may not
// grow: it is ending (exit, kill, or an exec ending its other threads).
Thread* alloc_thread(Process* p, int tid) {
  u8* kstack = static_cast<u8*>(kalloc());
  if (!kstack) return nullptr;
  Thread* t = thread_slot_alloc(p, tid);
  if (!t) {
    kfree(kstack);
    return nullptr;
  }
  *reinterpret_cast<u64*>(kstack) = KSTACK_CANARY;
  t->kstack = kstack;
  t->killed = false;
  t->sleep_killable = false;
  t->in_chaos = false;
  t->chaos_events = 0;
  memset(&t->tf, 0, sizeof(t->tf));
  memset(&t->ctx, 0, sizeof(t->ctx));
  memset(&t->fp, 0, sizeof(t->fp));
  memset(t->sleep_held, 0, sizeof(t->sleep_held));
  t->sleep_ranks = 0;
  t->fp_stamp = new_fp_stamp();
  t->tf.kernel_sp = reinterpret_cast<u64>(kstack) + PGSIZE;
  t->ctx.ra = reinterpret_cast<u64>(thread_start);
  t->ctx.sp = t->tf.kernel_sp;
  {
    SpinGuard g(p->lock);
    if (p->state == ProcState::Alive && !p->killed && !p->ending_others) {
      p->threads.push_back(t);
      p->live++;
      p->nthreads++;
      return t;
    }
  }
  t->kstack = nullptr;
  t->state = ThreadState::Unused;
  thread_slot_free(t);
  kfree(kstack);
  return nullptr;
}

// Undo alloc_thread for a thread that never ran.
void discard_thread(Thread* t) {
  Process* p = t->proc;
  {
    SpinGuard g(p->lock);
    p->threads.remove(t);
    p->live--;
    p->nthreads--;
  }
  kfree(t->kstack);
  t->kstack = nullptr;
  t->state = ThreadState::Unused;
  thread_slot_free(t);
}

void start_thread(Thread* t) {
  if (tracing()) [[unlikely]]
    trace_put(TR_THREAD_NEW, 0, t->tid, t->proc->pid);
  SpinGuard g(t->lock);
  make_runnable_locked(t);
}

// New threads of both kinds (tspawn and clone) start at fcn(arg) with sp,
// and a return address that is not code: returning from fcn faults and
// ends only that thread. They share the creator's rounding mode.
constexpr u64 FAKE_RETURN_PC = 0xffffffff;
void set_thread_entry(Thread* t, u64 fcn, u64 arg, u64 sp) {
  Thread* me = current();
  t->tf.epc = fcn;
  t->tf.a0 = arg;
  t->tf.sp = sp;
  t->tf.ra = FAKE_RETURN_PC;
  t->tf.gp = me->tf.gp;  // same program, same global pointer
  t->tf.tp = me->tf.tp;
  t->fp.fcsr = me->fp.fcsr;
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
  // A kill (or an exec ending its siblings) that landed while this thread
  // was being made could not wake it: it was not asleep yet.
  if (must_end(current())) thread_exit(-1);
  return_to_user();
}

// The first of exit, kill and the last thread's end to decide the status
// wins. Caller holds p->lock.
void decide_locked(Process* p, int status) {
  if (p->decided) return;
  p->decided = true;
  p->xstatus = status;
}

// Every thread of p must end (exit or kill); sleeping ones are woken to
// notice. Caller holds p->lock.
void kill_locked(Process* p, int status) {
  decide_locked(p, status);
  if (p->killed) return;
  p->killed = true;
  for (Thread* t = p->threads.front(); t; t = p->threads.next(t)) {
    SpinGuard g(t->lock);
    wake_to_end_locked(t);
  }
}

// The process's last thread is ending: close its files, let go of its cwd
// and give its children to init. Runs in that thread (closing may sleep).
void release_process(Process* p) {
  if (p == g_initproc) panic("init exiting with status %d", p->xstatus);
  fdtable_close_all(p->fds);
  Inode* cwd;
  {
    SpinGuard g(p->cwd_lock);
    cwd = p->cwd;
    p->cwd = nullptr;
  }
  if (cwd) {
    LogOp op;
    iput(cwd);
  }
  SpinGuard g(g_wait_lock);
  bool zombie_moved = false;
  while (Process* c = p->children.pop_front()) {
    c->parent = g_initproc;
    g_initproc->children.push_back(c);
    SpinGuard gc(c->lock);
    zombie_moved |= c->state == ProcState::Zombie;
  }
  if (zombie_moved) g_initproc->child_exit.wake_all();
}

// Give a reaped (or never started) process's slot back.
void free_process(Process* p) {
  if (p->as) p->as->put();
  p->as = nullptr;
  process_slot_free(p);
}

// The new process gets the caller's file table and cwd; its address space
// is a copy (fork) or the caller's own (clone), already referenced for it.
Process* new_child(AddressSpace* as) {
  Process* p = myproc();
  Process* np = process_slot_alloc();
  if (!np) {
    as->put();
    return nullptr;
  }
  np->as = as;
  np->inject = p->inject;
  fdtable_copy(np->fds, p->fds);
  {
    SpinGuard g(p->cwd_lock);
    np->cwd = idup(p->cwd);
  }
  safestrcpy(np->name, p->name, sizeof(np->name));
  return np;
}

// Undo new_child for a child that never ran.
void discard_child(Process* np) {
  fdtable_close_all(np->fds);
  Inode* cwd = np->cwd;
  np->cwd = nullptr;
  if (cwd) {
    LogOp op;
    iput(cwd);
  }
  free_process(np);
}

// Make np a child of the caller, unless the caller is being killed (or
// ended by an exec) by now: a killed process cannot fork or clone. The
// check and the link are one critical section with kill's mark.
bool adopt(Process* np) {
  Process* p = myproc();
  SpinGuard w(g_wait_lock);
  SpinGuard g(p->lock);
  if (p->killed || p->ending_others || current()->killed) return false;
  np->parent = p;
  p->children.push_back(np);
  return true;
}

int start_child(Process* np, Thread* nt) {
  int pid = np->pid;
  if (!adopt(np)) {
    discard_thread(nt);
    discard_child(np);
    return -EINTR;  // the caller is being killed
  }
  start_thread(nt);
  return pid;
}

// Find an exited child to reap: clones (sharing our address space) for
// join, other children for wait. out gets value_of(child) if out != 0.
// The child is unlinked under g_wait_lock and freed after it.
template <typename T, typename F>
int reap_child(bool clones, u64 out, F value_of) {
  Process* p = myproc();
  for (;;) {
    Process* done = nullptr;
    bool again = false;  // out is copy-on-write: break it without the lock
    {
      SpinGuard g(g_wait_lock);
      while (!done && !again) {
        bool have_children = false;
        for (Process* q = p->children.front(); q && !done && !again;
             q = p->children.next(q)) {
          bool zombie;
          {
            SpinGuard gq(q->lock);
            if ((q->as == p->as) != clones) continue;
            zombie = q->state == ProcState::Zombie;
          }
          have_children = true;
          if (!zombie) continue;
          auto r = out ? write_user(UserOut<T>{out}, value_of(*q)) : Result<void>{};
          again = !r && r.error() == Error::Retry;
          if (!r && !again) return -static_cast<int>(r.error());  // nothing reaped
          if (again) break;
          p->children.remove(q);
          q->parent = nullptr;
          done = q;
        }
        if (done || again) break;
        if (!have_children) return -ECHILD;
        if (killed(p)) return -EINTR;
        p->child_exit.wait_killable();
      }
    }
    if (done) {
      int pid = done->pid;
      free_process(done);  // frees its memory: long work, no spin lock held
      return pid;
    }
    if (!user_prepare_write(out, sizeof(T))) return -EFAULT;
  }
}
}  // namespace

void user_init() {
  Process* p = process_slot_alloc();
  ASSERT(p);
  p->as = AddressSpace::create();
  ASSERT(p->as);
  safestrcpy(p->name, "init", sizeof(p->name));
  Thread* t = alloc_thread(p, p->pid);
  ASSERT(t);
  g_initproc = p;
  start_thread(t);
}

int fork() {
  Process* p = myproc();
  if (killed(p)) return -EINTR;
  AddressSpace* as = p->as->copy();
  if (!as) return -ENOMEM;
  Process* np = new_child(as);
  if (!np) return -EAGAIN;
  Thread* nt = alloc_thread(np, np->pid);
  if (!nt) {
    discard_child(np);
    return -EAGAIN;
  }
  // The child is a copy of the calling thread, whichever thread that is,
  // floating-point registers included (saved when this trap came in).
  Thread* me = current();
  u64 ksp = nt->tf.kernel_sp;
  nt->tf = me->tf;
  nt->tf.kernel_sp = ksp;
  nt->tf.a0 = 0;  // fork returns 0 in the child
  nt->fp = me->fp;
  return start_child(np, nt);
}

int clone(u64 fcn, u64 arg, u64 stack) {
  Process* p = myproc();
  AddressSpace* as = p->as;
  u64 sz = as->size();
  if ((stack & (PGSIZE - 1)) || stack < USER_BASE || stack > sz || sz - stack < PGSIZE)
    return -EINVAL;
  if (killed(p)) return -EINTR;
  as->get();
  Process* np = new_child(as);
  if (!np) return -EAGAIN;
  Thread* nt = alloc_thread(np, np->pid);
  if (!nt) {
    discard_child(np);
    return -EAGAIN;
  }
  np->clone_stack = stack;
  set_thread_entry(nt, fcn, arg, stack + PGSIZE);
  return start_child(np, nt);
}

int tspawn(u64 stktop, u64 fcn, const u64* args, int nargs) {
  ASSERT(nargs >= 0 && nargs <= MAXTHRARGS);
  Process* p = myproc();
  u64 sz = p->as->size();
  u64 sp = stktop & ~u64{15};
  if (fcn < USER_BASE || fcn >= sz || stktop > sz || sp <= USER_BASE) return -EINVAL;
  if (current()->killed) return -EINTR;
  Thread* nt = alloc_thread(p, 0);  // refused if p is being killed
  if (!nt) return -EAGAIN;
  set_thread_entry(nt, fcn, 0, sp);
  // The calling convention passes the first eight integer arguments in
  // a0..a7, so a C function with up to eight long or pointer parameters
  // finds them there. alloc_thread zeroed the trap frame: a function that
  // declares more parameters than it was given reads zeros, not the
  // creator's registers.
  static constexpr u64 TrapFrame::*kArgRegs[MAXTHRARGS] = {
      &TrapFrame::a0, &TrapFrame::a1, &TrapFrame::a2, &TrapFrame::a3,
      &TrapFrame::a4, &TrapFrame::a5, &TrapFrame::a6, &TrapFrame::a7};
  for (int i = 0; i < nargs; i++) nt->tf.*kArgRegs[i] = args[i];
  int tid = nt->tid;
  start_thread(nt);
  return tid;
}

void exit(int status) {
  Process* p = myproc();
  {
    SpinGuard g(p->lock);
    kill_locked(p, status);
  }
  thread_exit(status);
}

void thread_exit(int status_if_last, u64 where, u32 what) {
  Thread* t = current();
  Process* p = t->proc;
  if (tracing()) [[unlikely]]
    trace_put(TR_THREAD_EXIT, 0, status_if_last, 0);
  bool last;
  {
    SpinGuard g(p->lock);
    last = --p->live == 0;
    if (last) {
      decide_locked(p, status_if_last);
      p->state = ProcState::Exiting;
    }
  }
  // A bad `where` is ignored: the thread ends either way. The space stays
  // mapped: it is freed only when the process is reaped, after this thread.
  if (where) (void)futex_store_and_wake_all(where, what);
  if (last) release_process(p);
  t->lock.acquire();  // held across the switch; the scheduler reaps us
  t->state = ThreadState::Zombie;
  sched();
  panic("zombie thread %d ran again", t->tid);
}

void reap_thread(Thread* t) {
  Process* p = t->proc;
  kfree(t->kstack);  // this hart is on its scheduler stack now
  t->kstack = nullptr;
  t->state = ThreadState::Unused;
  t->lock.release();
  int left;
  {
    SpinGuard g(p->lock);
    p->threads.remove(t);
    left = --p->nthreads;
  }
  // Out of the tid table before exec hears of it: the exec'ing thread takes
  // the pid as its tid, which may be this thread's.
  thread_slot_free(t);
  if (left == 1) {
    SpinGuard g(p->lock);
    if (p->ending_others) p->exec_wait.wake_all();
  }
  if (left > 0) return;
  // The process's last thread is off its hart: it is reapable now.
  SpinGuard w(g_wait_lock);
  {
    SpinGuard g(p->lock);
    p->state = ProcState::Zombie;
  }
  if (p->parent) p->parent->child_exit.wake_all();
}

bool end_other_threads() {
  Thread* me = current();
  Process* p = me->proc;
  SpinGuard g(p->lock);
  // Another thread's exec got here first and is ending this one.
  if (p->ending_others || killed(p)) return false;
  if (p->nthreads == 1) return true;
  // From here on no thread can be added (alloc_thread checks the flag), so
  // one pass marks every sibling.
  p->ending_others = true;
  for (Thread* t = p->threads.front(); t; t = p->threads.next(t)) {
    if (t == me) continue;
    t->killed = true;
    SpinGuard gt(t->lock);
    wake_to_end_locked(t);
  }
  while (p->nthreads > 1 && !killed(p)) p->exec_wait.wait_killable();
  p->ending_others = false;
  return p->nthreads == 1;
}

int wait(u64 status_addr) {
  return reap_child<int>(false, status_addr, [](Process& q) { return q.xstatus; });
}

int join(u64 stack_addr) {
  // A bad pointer fails before anything is reaped (or waited for); a
  // copy-on-write one is broken now rather than under the wait lock.
  if (!user_prepare_write(stack_addr, sizeof(u64))) return -EFAULT;
  return reap_child<u64>(true, stack_addr, [](Process& q) { return q.clone_stack; });
}

int kill(int pid) {
  // init must outlive everyone (it reaps orphans); killing it is refused
  // rather than letting a user program bring the kernel down.
  if (g_initproc && pid == g_initproc->pid) return -EPERM;
  bool done = false;
  // Looking the pid up and marking the process happen under the same locks,
  // so the mark cannot land on a process that took over the slot meanwhile.
  with_process(pid, [&](Process* p) {
    if (p->state != ProcState::Alive) return;  // exiting: its status stands
    kill_locked(p, -1);
    done = true;
  });
  return done ? 0 : -ESRCH;
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
// is wedged on some lock, which is exactly when one presses Ctrl-P. A list
// changing under it can at worst print nonsense, and each walk is bounded.
void procdump() {
  kprintf("\n");
  for (Process& p : g_procs) {
    ProcState s = p.state;
    if (s == ProcState::Unused) continue;
    kprintf("pid %d %s%s\n", p.pid, p.name,
            s == ProcState::Zombie ? " (zombie)" : s == ProcState::Exiting ? " (exiting)" : "");
    int n = 0;
    for (Thread* t = p.threads.front(); t && n < NTHR; t = p.threads.next(t), n++)
      kprintf("  tid %d %s hart %d\n", t->tid, state_name(t->state), t->hart);
  }
}
