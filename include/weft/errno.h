// Error numbers: what a failing system call returns, negated, and what the
// user library then leaves in errno. The values are Linux's (and so match
// what POSIX programs and their authors expect to see).
#pragma once

#define EPERM 1          // not allowed (e.g. killing init)
#define ENOENT 2         // no such file or directory
#define ESRCH 3          // no such process or thread
#define EINTR 4          // killed while waiting
#define E2BIG 7          // too many exec arguments
#define ENOEXEC 8        // not a program weft can run
#define EBADF 9          // fd not open, or not open for this
#define ECHILD 10        // no child to wait for
#define EAGAIN 11        // out of threads or processes; try again
#define ENOMEM 12        // out of memory
#define EFAULT 14        // bad address
#define EBUSY 16         // in use
#define EEXIST 17        // name already exists
#define EXDEV 18         // link across devices
#define ENODEV 19        // no such device
#define ENOTDIR 20       // a path element is not a directory
#define EISDIR 21        // is a directory
#define EINVAL 22        // invalid argument
#define ENFILE 23        // the system's open-file table is full
#define EMFILE 24        // this process has NOFILE files open
#define EFBIG 27         // file too large
#define ENOSPC 28        // no space left on the disk (blocks or inodes)
#define EMLINK 31        // too many links
#define EPIPE 32         // write to a pipe nobody reads
#define ERANGE 34        // result out of range (a buffer too small)
#define EDEADLK 35       // would deadlock
#define ENAMETOOLONG 36  // path or path element too long
#define ENOSYS 38        // no such system call
#define ENOTEMPTY 39     // directory not empty
#define EOVERFLOW 75     // value too large
#define ETIMEDOUT 110    // timed out

#define WEFT_ERRNO_MAX 4095  // a system call result in [-4095, -1] is an error
