#include "syscall.h"

#include <weft/syscall.h>

#include "lib/kprintf.h"
#include "proc.h"
#include "syscalls/syscalls.h"
#include "trace.h"
#include "uaccess.h"

void arg_index_panic(int n) { panic("arg_raw: bad argument index %d", n); }

Result<size_t> arg_str(int n, char* buf, size_t max) {
  return copy_in_str(buf, arg_raw(n), max);
}

namespace {
// Inlined into both callers below, so that the untraced path keeps its
// jump table without a call (the trace's cost when off: a load, a branch).
[[gnu::always_inline]] inline i64 dispatch(u64 num) {
  switch (num) {
    case SYS_fork: return sys_fork();
    case SYS_exit: return sys_exit();
    case SYS_wait: return sys_wait();
    case SYS_pipe: return sys_pipe();
    case SYS_read: return sys_read();
    case SYS_kill: return sys_kill();
    case SYS_exec: return sys_exec();
    case SYS_fstat: return sys_fstat();
    case SYS_fsync: return sys_fsync();
    case SYS_chdir: return sys_chdir();
    case SYS_dup: return sys_dup();
    case SYS_getpid: return sys_getpid();
    case SYS_sbrk: return sys_sbrk();
    case SYS_sleep: return sys_sleep();
    case SYS_uptime: return sys_uptime();
    case SYS_open: return sys_open();
    case SYS_write: return sys_write();
    case SYS_mknod: return sys_mknod();
    case SYS_unlink: return sys_unlink();
    case SYS_link: return sys_link();
    case SYS_mkdir: return sys_mkdir();
    case SYS_close: return sys_close();
    case SYS_halt: return sys_halt();
    case SYS_freepages: return sys_freepages();
    case SYS_procinfo: return sys_procinfo();
    case SYS_bootargs: return sys_bootargs();
    case SYS_kstat: return sys_kstat();
    case SYS_clone: return sys_clone();
    case SYS_join: return sys_join();
    case SYS_gettid: return sys_gettid();
    case SYS_tspawn: return sys_tspawn();
    case SYS_tspawn_args: return sys_tspawn_args();
    case SYS_texit: return sys_texit();
    case SYS_yield: return sys_yield();
    case SYS_desch: return sys_desch();
    case SYS_mkrun: return sys_mkrun();
    case SYS_futex_wait: return sys_futex_wait();
    case SYS_futex_wake: return sys_futex_wake();
    case SYS_futex_wait_until: return sys_futex_wait_until();
    case SYS_rename: return sys_rename();
    case SYS_trace: return sys_trace();
    case SYS_brigade: return sys_brigade();
    default: return syserr(Error::NoSys);  // an ordinary error
  }
}
}  // namespace

namespace {
[[gnu::noinline]] void syscall_traced(TrapFrame& tf) {
  u64 num = tf.a7;  // (exec replaces the frame)
  u64 start = read_time();
  i64 r = dispatch(num);
  tf.a0 = static_cast<u64>(r);
  trace_put(TR_SYSCALL, static_cast<u16>(num), static_cast<i64>(start), r);
}
}  // namespace

void syscall() {
  TrapFrame& tf = current()->tf;
  if (tracing()) [[unlikely]]
    return syscall_traced(tf);
  tf.a0 = static_cast<u64>(dispatch(tf.a7));
}
