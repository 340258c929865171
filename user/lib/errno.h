// errno.h: POSIX error numbers (the Linux values) for the thread library.
//
// The pthread_* functions return these numbers; the sem_* functions return
// -1 and leave the number in errno. errno is one variable for the whole
// process, not one per thread: read it right after the failing call, and do
// not rely on it when several threads fail calls at the same time.
#pragma once

#define EPERM 1
#define ESRCH 3
#define EINTR 4
#define EAGAIN 11
#define ENOMEM 12
#define EBUSY 16
#define EINVAL 22
#define EDEADLK 35
#define ENOSYS 38
#define EOVERFLOW 75
#define ETIMEDOUT 110

#ifdef __cplusplus
extern "C" {
#endif

extern int errno;

#ifdef __cplusplus
}
#endif
