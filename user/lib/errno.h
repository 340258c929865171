// errno.h: the error numbers (weft/errno.h) and errno, which is thread-local
// (tls.h): each thread sees the number of its own last failed call.
//
// A system call that fails returns -1 and leaves its error number in errno
// (the kernel returns the number negated; usys.S does the rest). The
// pthread_* functions return the number instead; the sem_* functions
// return -1 and set errno. A successful call leaves errno as it was.
#pragma once

#include "weft/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

extern __thread int errno;

// A short text for an error number ("No such file or directory").
char *strerror(int err);
// Prints "s: text of errno" (or just the text if s is NULL or empty) to
// fd 2.
void perror(const char *s);

#ifdef __cplusplus
}
#endif
