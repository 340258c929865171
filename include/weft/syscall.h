// System call numbers: the ABI between user programs and the kernel.
// ecall with the number in a7, arguments in a0..a5, result in a0.
#pragma once

#define SYS_fork 1
#define SYS_exit 2
#define SYS_wait 3
#define SYS_pipe 4
#define SYS_read 5
#define SYS_kill 6
#define SYS_exec 7
#define SYS_fstat 8
#define SYS_chdir 9
#define SYS_dup 10
#define SYS_getpid 11
#define SYS_sbrk 12
#define SYS_sleep 13
#define SYS_uptime 14
#define SYS_open 15
#define SYS_write 16
#define SYS_mknod 17
#define SYS_unlink 18
#define SYS_link 19
#define SYS_mkdir 20
#define SYS_close 21
// weft additions
#define SYS_halt 22       // power the machine off with an exit status
#define SYS_freepages 23  // free physical pages (for tests and ps)
#define SYS_procinfo 24   // snapshot of the process/thread tables (ps)
#define SYS_bootargs 25   // copy the kernel command line (tests read it)
#define SYS_kstat 26      // resource counts (include/weft/kstat.h)
// threads
#define SYS_clone 30
#define SYS_join 31
#define SYS_gettid 32
#define SYS_tspawn 33
#define SYS_texit 34
#define SYS_yield 35
#define SYS_desch 36
#define SYS_mkrun 37
#define SYS_futex_wait 38
#define SYS_futex_wake 39
#define SYS_futex_wait_until 40
// file system (issue 11)
#define SYS_rename 41
#define SYS_fsync 42
// threads with several arguments
#define SYS_tspawn_args 43  // tspawn with up to MAXTHRARGS arguments in a0..a7
// the kernel event trace (issue 12; weft/trace.h)
#define SYS_trace 44
// grace periods
#define SYS_brigade 45    // one bucket-brigade trip through the harts
#define SYS_MAX 46
