# System call stubs. The arguments are already in a0..a5 where the C calling
# convention put them, so a stub only loads the call number into a7 and
# traps. A result from -4095 to -1 is an error number, negated: the stub
# then returns -1 through weft_syscall_error (errno.c), which sets errno.
#include "weft/errno.h"
#include "weft/syscall.h"

.macro SYSCALL name, number
  .section .text.\name, "ax", @progbits
  .global \name
  .type \name, @function
\name:
  li a7, \number
  ecall
  li t0, -WEFT_ERRNO_MAX
  bltu a0, t0, 1f
  tail weft_syscall_error
1:
  ret
  .size \name, . - \name
.endm

# fork is a C wrapper (fork.c) around this stub.
SYSCALL weft_sys_fork, SYS_fork
SYSCALL exit, SYS_exit
SYSCALL wait, SYS_wait
SYSCALL pipe, SYS_pipe
SYSCALL read, SYS_read
SYSCALL write, SYS_write
SYSCALL close, SYS_close
SYSCALL kill, SYS_kill
SYSCALL exec, SYS_exec
SYSCALL open, SYS_open
SYSCALL mknod, SYS_mknod
SYSCALL unlink, SYS_unlink
SYSCALL fstat, SYS_fstat
SYSCALL link, SYS_link
SYSCALL rename, SYS_rename
SYSCALL fsync, SYS_fsync
SYSCALL trace, SYS_trace
SYSCALL mkdir, SYS_mkdir
SYSCALL chdir, SYS_chdir
SYSCALL dup, SYS_dup
SYSCALL getpid, SYS_getpid
SYSCALL sbrk, SYS_sbrk
SYSCALL sleep, SYS_sleep
SYSCALL uptime, SYS_uptime
SYSCALL halt, SYS_halt
SYSCALL freepages, SYS_freepages
SYSCALL procinfo, SYS_procinfo
SYSCALL bootargs, SYS_bootargs
SYSCALL kstat, SYS_kstat
SYSCALL brigade, SYS_brigade
SYSCALL clone, SYS_clone
SYSCALL join, SYS_join
SYSCALL gettid, SYS_gettid
SYSCALL tspawn, SYS_tspawn
SYSCALL tspawn_args, SYS_tspawn_args
SYSCALL texit, SYS_texit
SYSCALL yield, SYS_yield
SYSCALL desch, SYS_desch
SYSCALL mkrun, SYS_mkrun
SYSCALL futex_wait, SYS_futex_wait
SYSCALL futex_wake, SYS_futex_wake
SYSCALL futex_wait_until, SYS_futex_wait_until
