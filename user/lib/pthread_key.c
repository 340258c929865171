// Thread-specific data (pthread.h): a table of keys shared by the process,
// and in each thread a thread-local array of values. A value remembers the
// generation of the key it was set under, so a key deleted and created
// again does not show the old values.
#include "pthread.h"

#include "sync_impl.h"
#include "user.h"

struct key {
  int used;
  unsigned gen;  // bumped at every create
  void (*destructor)(void *);
};

static struct key keys[PTHREAD_KEYS_MAX];  // guarded by keys_lock
static int keys_lock;                      // futex mutex word

struct value {
  void *p;
  unsigned gen;
};
static __thread struct value values[PTHREAD_KEYS_MAX];

int pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  weft_fmutex_lock(&keys_lock);
  for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
    if (!keys[k].used) {
      keys[k].used = 1;
      keys[k].gen++;
      keys[k].destructor = destructor;
      weft_fmutex_unlock(&keys_lock);
      *key = k;
      return 0;
    }
  }
  weft_fmutex_unlock(&keys_lock);
  return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
  if (key < 0 || key >= PTHREAD_KEYS_MAX)
    return EINVAL;
  weft_fmutex_lock(&keys_lock);
  int err = keys[key].used ? 0 : EINVAL;
  keys[key].used = 0;
  weft_fmutex_unlock(&keys_lock);
  return err;
}

// The key's generation if it is in use, else 0 (no generation is 0 once
// created: gen starts at 1).
static unsigned live_gen(pthread_key_t key) {
  if (key < 0 || key >= PTHREAD_KEYS_MAX)
    return 0;
  weft_fmutex_lock(&keys_lock);
  unsigned gen = keys[key].used ? keys[key].gen : 0;
  weft_fmutex_unlock(&keys_lock);
  return gen;
}

void *pthread_getspecific(pthread_key_t key) {
  unsigned gen = live_gen(key);
  if (gen == 0 || values[key].gen != gen)
    return NULL;
  return values[key].p;
}

int pthread_setspecific(pthread_key_t key, const void *value) {
  unsigned gen = live_gen(key);
  if (gen == 0)
    return EINVAL;
  values[key].p = (void *)value;
  values[key].gen = gen;
  return 0;
}

void weft_pthread_key_exit(void) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
    int ran = 0;
    for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
      // Most threads set no value: look without the lock first.
      void *p = values[k].p;
      if (p == NULL)
        continue;
      // The value counts only if its key still lives in the same
      // generation; the destructor is read in the same look.
      weft_fmutex_lock(&keys_lock);
      int live = keys[k].used && keys[k].gen == values[k].gen;
      void (*destructor)(void *) = keys[k].destructor;
      weft_fmutex_unlock(&keys_lock);
      values[k].p = NULL;
      if (!live)
        continue;
      if (destructor) {
        destructor(p);
        ran = 1;
      }
    }
    if (!ran)
      return;
  }
}
