// Kernel-wide limits. Shared by the kernel, user programs and host tools so
// that every side agrees on the same numbers.
#pragma once

#define NCPU 8            // most harts the kernel drives
#define NPROC 64          // process table size
#define NTHR 256          // global thread pool size
#define NOFILE 16         // open files per process
#define NFILE 128         // open files in the whole system
// In-memory inode cache entries: enough that no program can fill the cache
// and fail everyone's path lookups (docs/design.md, The inode cache): every
// open file, every cwd, and a few references per thread in a system call.
#define NINODE (NFILE + NPROC + 4 * NTHR)
#define NDEV 10           // device major numbers
#define ROOTDEV 1         // device number of the root file system
#define MAXARG 32         // most exec arguments
#define MAXTHRARGS 8      // most tspawn_args arguments: a0..a7
#define MAXPATH 128       // longest path name, with its NUL
#define USTACK_PAGES 4    // user stack pages set up by exec
#define CONSOLE 1         // major device number of the console
