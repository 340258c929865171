// semaphore.h: counting semaphores on futex (POSIX names).
//
// sem_wait takes one unit, sleeping in the kernel (futex_wait) while the
// count is 0; sem_post gives one back and wakes one sleeper if there is
// one. The functions return 0, or -1 with errno set (errno.h).
#pragma once

#include "errno.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEM_VALUE_MAX 0x7fffffff

typedef struct {
  int value;    // futex word: units available
  int waiters;  // threads that may be sleeping in sem_wait
} sem_t;

// pshared is accepted and ignored: a semaphore works among the threads and
// clones that share its memory, which is all that can reach it.
int sem_init(sem_t *s, int pshared, unsigned value);  // EINVAL above SEM_VALUE_MAX
int sem_destroy(sem_t *s);
int sem_wait(sem_t *s);
int sem_trywait(sem_t *s);  // EAGAIN when the count is 0
int sem_post(sem_t *s);     // EOVERFLOW at SEM_VALUE_MAX
int sem_getvalue(sem_t *s, int *value);

#ifdef __cplusplus
}
#endif
