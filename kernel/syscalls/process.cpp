// Process and machine system calls.
#include <weft/procinfo.h>

#include "boot.h"
#include "kalloc.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "uaccess.h"
#include "vm.h"

i64 sys_fork() { return fork(); }

i64 sys_exit() { exit(arg_int(0)); }

i64 sys_wait() { return wait(arg_raw(0)); }

i64 sys_kill() { return kill(arg_int(0)); }

i64 sys_getpid() { return myproc()->pid; }

i64 sys_sbrk() { return sysret(myproc()->as->resize(arg_int(0))); }

i64 sys_sleep() {
  int n = arg_int(0);
  if (n < 0) return -1;
  SpinGuard g(g_tick_lock);
  u64 start = g_ticks;
  while (g_ticks - start < static_cast<u64>(n)) {
    if (killed(myproc())) return -1;
    sleep_killable(&g_ticks, g_tick_lock);
  }
  return 0;
}

i64 sys_uptime() {
  SpinGuard g(g_tick_lock);
  return static_cast<i64>(g_ticks);
}

// Power off through the sifive_test device: QEMU exits with the status.
i64 sys_halt() {
  u32 status = static_cast<u32>(arg_int(0)) & 0xffff;
  *dev_reg32(TEST_FINISHER) = status == 0 ? 0x5555 : (status << 16) | 0x3333;
  for (;;) asm volatile("wfi");
}

i64 sys_freepages() { return static_cast<i64>(free_page_count()); }

namespace {
int pi_state(ThreadState s) {
  switch (s) {
    case ThreadState::Runnable: return PI_RUNNABLE;
    case ThreadState::Running: return PI_RUNNING;
    case ThreadState::Zombie: return PI_ZOMBIE;
    default: return PI_SLEEPING;
  }
}
}  // namespace

// One record per thread of every live process, plus one for each zombie
// process (tid 0). Copied out record by record: no big kernel buffer.
i64 sys_procinfo() {
  u64 buf = arg_raw(0);
  int max = arg_int(1);
  if (max < 0) return -1;
  int n = 0;
  for (Process& p : g_procs) {
    struct procinfo rec = {};
    {
      SpinGuard g(p.lock);
      if (p.state == ProcState::Unused) continue;
      rec.pid = p.pid;
      rec.state = p.state == ProcState::Zombie ? PI_ZOMBIE : 0;
      safestrcpy(rec.name, p.name, sizeof(rec.name));
    }
    {
      SpinGuard g(g_wait_lock);
      rec.ppid = p.parent ? p.parent->pid : 0;
    }
    // p.as may be swapped by an exec meanwhile; address spaces live in a
    // static table, so the old pointer still names valid memory and at
    // worst the size is stale.
    AddressSpace* as = p.as;
    rec.sz = rec.state == PI_ZOMBIE || !as ? 0 : static_cast<int>(as->size());
    bool any = false;
    for (Thread& t : g_threads) {
      struct procinfo trec = rec;
      {
        SpinGuard g(t.lock);
        if (t.proc != &p || t.state == ThreadState::Unused) continue;
        trec.tid = t.tid;
        trec.state = pi_state(t.state);
        trec.hart = t.hart;
      }
      any = true;
      if (n >= max) return -1;
      if (!write_user(UserOut<struct procinfo>{buf + n * sizeof(procinfo)}, trec)) return -1;
      n++;
    }
    if (!any) {
      rec.state = PI_ZOMBIE;
      rec.hart = -1;
      if (n >= max) return -1;
      if (!write_user(UserOut<struct procinfo>{buf + n * sizeof(procinfo)}, rec)) return -1;
      n++;
    }
  }
  return n;
}

i64 sys_bootargs() {
  u64 buf = arg_raw(0);
  int n = arg_int(1);
  size_t len = strlen(g_boot.bootargs);
  if (n <= 0 || len + 1 > static_cast<size_t>(n)) return -1;
  if (!copy_out(buf, g_boot.bootargs, len + 1)) return -1;
  return static_cast<i64>(len);
}
