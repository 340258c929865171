// Kernel-wide limits. Shared by the kernel, user programs and host tools so
// that every side agrees on the same numbers.
#pragma once

#define NCPU 8            // most harts the kernel drives
#define NPROC 64          // process table size
#define NTHR 256          // global thread pool size
#define NOFILE 16         // open files per process
#define NFILE 128         // open files in the whole system
#define NINODE 64         // in-memory inode cache entries
#define NDEV 10           // device major numbers
#define ROOTDEV 1         // device number of the root file system
#define MAXARG 32         // most exec arguments
#define MAXPATH 128       // longest path name, with its NUL
#define USTACK_PAGES 4    // user stack pages set up by exec
#define CONSOLE 1         // major device number of the console
