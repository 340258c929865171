// Every system call handler. Each returns the value for a0 (-1 on error).
#pragma once

#include "lib/types.h"

// process family (syscalls/process.cpp)
i64 sys_fork();
i64 sys_exit();
i64 sys_wait();
i64 sys_kill();
i64 sys_getpid();
i64 sys_sbrk();
i64 sys_sleep();
i64 sys_uptime();
i64 sys_exec();   // syscalls/exec.cpp
// machine family (syscalls/process.cpp)
i64 sys_halt();
i64 sys_freepages();
i64 sys_procinfo();
i64 sys_bootargs();
i64 sys_kstat();
i64 sys_trace();
// thread family (syscalls/thread.cpp)
i64 sys_clone();
i64 sys_join();
i64 sys_gettid();
i64 sys_tspawn();
i64 sys_tspawn_args();
i64 sys_texit();
i64 sys_yield();
i64 sys_desch();
i64 sys_mkrun();
i64 sys_futex_wait();
i64 sys_futex_wake();
i64 sys_futex_wait_until();
i64 sys_brigade();
// file family (syscalls/file.cpp)
i64 sys_pipe();
i64 sys_read();
i64 sys_write();
i64 sys_close();
i64 sys_open();
i64 sys_mknod();
i64 sys_unlink();
i64 sys_fstat();
i64 sys_fsync();
i64 sys_link();
i64 sys_mkdir();
i64 sys_chdir();
i64 sys_dup();
i64 sys_rename();  // syscalls/rename.cpp
