// Process and machine system calls.
#include <weft/kstat.h>
#include <weft/param.h>
#include <weft/procinfo.h>

#include "boot.h"
#include "dev/virtio_blk.h"
#include "fs/file.h"
#include "fs/fs.h"
#include "inject.h"
#include "kalloc.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "trace.h"
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
  if (n < 0) return syserr(Error::Invalid);
  return sleep_until_tick(ticks_now() + static_cast<u64>(n)) ? 0
                                                             : syserr(Error::Interrupted);
}

i64 sys_uptime() { return static_cast<i64>(ticks_now()); }

// Power off through the sifive_test device: QEMU exits with the status.
i64 sys_halt() {
  u32 status = static_cast<u32>(arg_int(0)) & 0xffff;
  inject_report();
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

// One record per thread of every process, plus one for each process with
// no thread left (a zombie; tid 0), each handed to put() under the
// process's lock. -1 as soon as put() refuses one, else the count.
// (sys_procinfo turns the -1 into the reason put() kept.)
template <typename Put>
i64 list_records(Put put) {
  i64 n = 0;
  for (Process& p : g_procs) {
    struct procinfo rec = {};
    SpinGuard w(g_wait_lock);  // the parent link, in the same look as the rest
    SpinGuard g(p.lock);
    rec.ppid = p.parent ? p.parent->pid : 0;
    if (p.state == ProcState::Unused) continue;
    rec.pid = p.pid;
    safestrcpy(rec.name, p.name, sizeof(rec.name));
    bool gone = p.state != ProcState::Alive;
    rec.sz = gone || !p.as ? 0 : static_cast<int>(p.as->size());
    if (p.threads.empty()) {
      if (p.state == ProcState::Alive) continue;  // being made by fork or clone
      rec.state = PI_ZOMBIE;
      rec.hart = -1;
      if (!put(rec)) return -1;
      n++;
      continue;
    }
    for (Thread* t = p.threads.front(); t; t = p.threads.next(t)) {
      struct procinfo trec = rec;
      {
        SpinGuard gt(t->lock);
        trec.tid = t->tid;
        trec.state = pi_state(t->state);
        trec.hart = t->hart;
      }
      if (!put(trec)) return -1;
      n++;
    }
  }
  return n;
}
}  // namespace

// The records are copied out one by one under the locks: no big kernel
// buffer, and each copy is short. A copy-on-write page (a fork by another
// thread) cannot be broken under them: break it without them and list
// again from the start.
i64 sys_procinfo() {
  u64 buf = arg_raw(0);
  int max = arg_int(1);
  if (max < 0) return syserr(Error::Invalid);
  for (;;) {
    int n = 0;
    u64 again_at = 0;  // a record's place that was copy-on-write
    Error why = Error::Range;  // more records than max
    i64 r = list_records([&](const struct procinfo& rec) {
      if (n >= max) return false;
      u64 at = buf + n * sizeof(procinfo);
      auto w = write_user(UserOut<struct procinfo>{at}, rec);
      if (!w && w.error() == Error::Retry) again_at = at;
      if (!w) {
        why = w.error();
        return false;
      }
      n++;
      return true;
    });
    if (!again_at) return r >= 0 ? r : syserr(why);
    CHECK_SYS(user_prepare_write(again_at, sizeof(procinfo)));
  }
}

i64 sys_trace() { return trace_syscall(arg_int(0), arg_raw(1), arg_raw(2), arg_raw(3)); }

i64 sys_kstat() {
  struct kstat st = {};
  st.free_pages = static_cast<int>(free_page_count());
  free_slot_counts(&st.free_threads, &st.free_procs);
  st.open_files = open_file_count();
  st.cached_inodes = cached_inode_count();
  st.free_inodes = free_inode_count(ROOTDEV);
  st.free_blocks = free_block_count(ROOTDEV);
  st.promised_pages = static_cast<int>(committed_page_count());
  st.disk_flushes = static_cast<long>(virtio_blk_flush_count());
  return sysret(write_user(UserOut<struct kstat>{arg_raw(0)}, st));
}

i64 sys_bootargs() {
  u64 buf = arg_raw(0);
  int n = arg_int(1);
  size_t len = strlen(g_boot.bootargs);
  if (n <= 0 || len + 1 > static_cast<size_t>(n)) return syserr(Error::Range);
  CHECK_SYS(copy_out(buf, g_boot.bootargs, len + 1));
  return static_cast<i64>(len);
}
