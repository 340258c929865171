// Records returned by SYS_procinfo: one per live thread, grouped by process.
#pragma once

#define PI_NAMELEN 16

struct procinfo {
  int pid;        // process id
  int ppid;       // parent's pid, 0 for init
  int tid;        // thread id (== pid for the first thread)
  int state;      // see PI_* below
  int hart;       // hart running it, -1 if not running
  int sz;         // address space size in bytes
  char name[PI_NAMELEN];
};

#define PI_RUNNABLE 1
#define PI_RUNNING 2
#define PI_SLEEPING 3
#define PI_ZOMBIE 4
