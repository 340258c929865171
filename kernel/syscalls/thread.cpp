// Thread system calls: clone/join (OSTEP), tspawn/texit/yield/desch/mkrun
// (CMU/JHU), and the futex both libraries build on. docs/threads.md has the
// user-visible contract.
#include "proc.h"
#include "sync/futex.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "uaccess.h"

i64 sys_clone() { return clone(arg_raw(0), arg_raw(1), arg_raw(2)); }

i64 sys_join() { return join(arg_raw(0)); }

i64 sys_gettid() { return current()->tid; }

i64 sys_tspawn() { return tspawn(arg_raw(0), arg_raw(1), arg_raw(2)); }

i64 sys_texit() {
  u64 where = arg_raw(0);
  // A bad `where` is ignored: the thread ends either way.
  if (where) (void)futex_store_and_wake_all(where, static_cast<u32>(arg_int(1)));
  thread_exit(0);
}

i64 sys_yield() { return yield_to(arg_int(0)); }

// desch(guard): the guard is read and the thread marked descheduled under
// g_desch_lock, which mkrun also takes, so a mkrun cannot fall between the
// check and the sleep.
i64 sys_desch() {
  Thread* t = current();
  SpinGuard g(g_desch_lock);
  auto guard = read_user(UserIn<int>{arg_raw(0)});
  if (!guard) return -1;
  if (guard.value() == 0) return 0;
  t->desched = true;
  while (t->desched) {
    if (killed(t->proc)) {
      t->desched = false;
      return -1;
    }
    sleep_killable(&t->desched, g_desch_lock);
  }
  return 0;
}

i64 sys_mkrun() {
  int tid = arg_int(0);
  SpinGuard g(g_desch_lock);
  for (Thread& t : g_threads) {
    // desched is only true for a live thread in desch(), whose tid is
    // stable while it sleeps there.
    if (!t.desched || t.tid != tid) continue;
    t.desched = false;
    wake_thread(&t, &t.desched);
    return 0;
  }
  return -1;
}

i64 sys_futex_wait() { return sysret(futex_wait(arg_raw(0), arg_int(1))); }

i64 sys_futex_wake() { return sysret(futex_wake(arg_raw(0), arg_int(1))); }
