// Thread system calls: clone/join (OSTEP), tspawn/texit/yield/desch/mkrun
// (CMU/JHU), and the futex both libraries build on. docs/threads.md has the
// user-visible contract.
#include "proc.h"
#include "sync/futex.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "uaccess.h"
#include "vm.h"

i64 sys_clone() { return clone(arg_raw(0), arg_raw(1), arg_raw(2)); }

i64 sys_join() { return join(arg_raw(0)); }

i64 sys_gettid() { return current()->tid; }

i64 sys_tspawn() {
  u64 arg = arg_raw(2);
  return tspawn(arg_raw(0), arg_raw(1), &arg, 1);
}

// tspawn_args(stktop, f, nargs, args): the arguments are copied into the
// kernel once, before the thread exists, so a bad pointer fails with
// nothing to undo, and another thread rewriting the array during the call
// cannot change what the new thread receives. With nargs == 0 the array is
// not read (NULL is fine).
i64 sys_tspawn_args() {
  int nargs = arg_int(2);
  if (nargs < 0 || nargs > MAXTHRARGS) return syserr(Error::Invalid);
  u64 args[MAXTHRARGS];
  CHECK_SYS(copy_in(args, arg_raw(3), static_cast<size_t>(nargs) * sizeof(u64)));
  return tspawn(arg_raw(0), arg_raw(1), args, nargs);
}

i64 sys_texit() { thread_exit(0, arg_raw(0), static_cast<u32>(arg_int(1))); }

i64 sys_yield() { return yield_to(arg_int(0)); }

// desch(guard): the guard is read and the thread joins its process's desch
// queue under desch_lock, which mkrun also takes, so a mkrun cannot fall
// between the check and the sleep. The waiter's key is its tid.
i64 sys_desch() {
  Thread* t = current();
  Process* p = t->proc;
  SpinGuard g(p->desch_lock);
  auto guard = read_user(UserIn<int>{arg_raw(0)});
  if (!guard) return sysret(guard);
  if (guard.value() == 0) return 0;
  // Only mkrun takes a waiter off this queue; any other return is a kill.
  return p->desch_wait.wait_killable(static_cast<u64>(t->tid))
             ? 0
             : syserr(Error::Interrupted);
}

// Only the caller's own process's threads: one process cannot wake
// another's.
i64 sys_mkrun() {
  int tid = arg_int(0);
  Process* p = myproc();
  SpinGuard g(p->desch_lock);
  return p->desch_wait.wake_key(static_cast<u64>(tid), 1) ? 0
                                                          : syserr(Error::NoProcess);
}

i64 sys_futex_wait() { return sysret(futex_wait(arg_raw(0), arg_int(1))); }

i64 sys_futex_wait_until() {
  return sysret(futex_wait_until(arg_raw(0), arg_int(1), arg_raw(2)));
}

i64 sys_futex_wake() { return sysret(futex_wake(arg_raw(0), arg_int(1))); }

// brigade(stops, max, all): one bucket-brigade trip (sync/brigade.h) for
// the caller's address space, through every hart (all != 0) or through the
// harts that run the space, as a shootdown's trip goes. The ids of the
// harts where the caller ran (home, each stop, home) are copied to stops.
// The trip is made before the buffer is looked at: its cost is bounded
// (a hop per hart), whatever the arguments.
i64 sys_brigade() {
  u64 buf = arg_raw(0);
  int max = arg_int(1);
  int stops[NCPU + 1];
  int n = myproc()->as->travel(arg_int(2) != 0, stops, NCPU + 1);
  if (n > max) return syserr(Error::Range);
  CHECK_SYS(copy_out(buf, stops, static_cast<size_t>(n) * sizeof(int)));
  return n;
}
