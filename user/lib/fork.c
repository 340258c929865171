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

// pthread_atfork handlers, when they come, go around this: their prepare
// hooks before the library's (they may call malloc or printf), their parent
// and child hooks after the library's locks are free again.
int fork(void) {
  for (int i = 0; i < NHOOKS; i++)
    if (library_hooks[i].prepare)
      library_hooks[i].prepare();
  int pid = weft_sys_fork();
  for (int i = NHOOKS - 1; i >= 0; i--) {
    void (*hook)(void) = pid == 0 ? library_hooks[i].child : library_hooks[i].parent;
    if (hook)
      hook();
  }
  return pid;
}
