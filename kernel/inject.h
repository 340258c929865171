// Test tools inside the kernel, off unless the command line asks for them:
//
// failalloc=N[,SEED]  allocation-failure injection. Allocations made for a
//   process that runs a test program (a name starting with "t_", and every
//   process it forks or clones) fail: every Nth one, or with SEED, each one
//   with probability 1/N from a seeded generator. Pages, thread and process
//   slots, open files, inode cache entries, address spaces, disk blocks and
//   disk inodes all go through inject_failure(). Boot, init, the shell and
//   the test driver are never affected.
// chaos=SEED[,PERMILLE]  schedule chaos. At the points where interleavings
//   matter (a spin lock released with interrupts coming back on, the return
//   from a system call, the start of a sleep-lock acquire) a thread gives up
//   its hart with probability PERMILLE/1000 (default 125). The decision is a
//   function of (SEED, tid, the thread's count of such points), so the same
//   seed makes the same decisions for the same sequence of events.
#pragma once

#include "lib/types.h"

enum class AllocSite : u8 { Page, Thread, Process, File, Inode, Space, Block, DiskInode, Count };

void inject_init(const char* bootargs);
bool inject_failure(AllocSite site);
// exec: is this program one whose allocations may be made to fail?
bool inject_wanted_for(const char* name);
// The number of failures injected per site, for the reliability figures.
u64 injected_count(AllocSite site);
void inject_report();  // print the counts (at power-off), if injection is on

extern bool g_chaos_on;
enum class ChaosPoint : u8 { SpinRelease, SyscallReturn, SleepLock };
void chaos_point(ChaosPoint where);
