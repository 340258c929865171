// fork() for programs: the system call inside the library's atfork step.
//
// The child of fork has one thread, a copy of the caller. The parent's other
// threads may have been anywhere at that moment, inside malloc or the thread
// tables too, and the child would start with those locks held by threads it
// does not have (and with the data they guard half changed). So fork first
// takes every lock of the library's own, which waits until no other thread
// is inside; then forks; then releases them in the parent and in the child,
// where the hooks also mend whatever names the parent's threads.
//
// The order is fixed, outermost lock first: pthread.c frees stacks while it
// holds its table lock, so the heap comes after it; the two thread tables
// never nest. Releases go in the reverse order. Every one of these locks is
// held only for a bounded time (never across a wait for another thread), so
// fork cannot deadlock on them. The print locks are not taken (printf.c).
#include "pthread.h"
#include "sync_impl.h"
#include "user.h"

struct fork_hooks {
  void (*prepare)(void);
  void (*parent)(void);
  void (*child)(void);
};

static const struct fork_hooks library_hooks[] = {
    {weft_pthread_fork_prepare, weft_pthread_fork_parent, weft_pthread_fork_child},
    {weft_clone_fork_prepare, weft_clone_fork_parent, weft_clone_fork_child},
    {weft_heap_fork_prepare, weft_heap_fork_release, weft_heap_fork_release},
    {NULL, NULL, weft_print_fork_child},
};

#define NHOOKS (int)(sizeof(library_hooks) / sizeof(library_hooks[0]))

// The program's pthread_atfork handlers go around the library's hooks:
// their prepare hooks before the library's (they may call malloc or
// printf), their parent and child hooks after the library's locks are free
// again. The registry has a lock of its own, held from the first prepare
// to the last parent or child handler, so a registration cannot land in
// the middle of a fork.
static struct fork_hooks user_hooks[PTHREAD_ATFORK_MAX];  // guarded by user_lock
static int nuser;
static int user_lock;  // futex mutex word

int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
  weft_fmutex_lock(&user_lock);
  int err = ENOMEM;
  if (nuser < PTHREAD_ATFORK_MAX) {
    user_hooks[nuser].prepare = prepare;
    user_hooks[nuser].parent = parent;
    user_hooks[nuser].child = child;
    nuser++;
    err = 0;
  }
  weft_fmutex_unlock(&user_lock);
  return err;
}

int fork(void) {
  weft_fmutex_lock(&user_lock);
  for (int i = nuser - 1; i >= 0; i--)
    if (user_hooks[i].prepare)
      user_hooks[i].prepare();
  for (int i = 0; i < NHOOKS; i++)
    if (library_hooks[i].prepare)
      library_hooks[i].prepare();
  int pid = weft_sys_fork();
  int err = errno;
  for (int i = NHOOKS - 1; i >= 0; i--) {
    void (*hook)(void) = pid == 0 ? library_hooks[i].child : library_hooks[i].parent;
    if (hook)
      hook();
  }
  for (int i = 0; i < nuser; i++) {
    void (*hook)(void) = pid == 0 ? user_hooks[i].child : user_hooks[i].parent;
    if (hook)
      hook();
  }
  weft_fmutex_unlock(&user_lock);
  errno = err;
  return pid;
}
