// The little runtime support C++ programs need from a freestanding library:
// operator new and delete on top of malloc, and the hooks the compiler
// references for pure virtual calls and for globals with destructors.
#include <new>

#include "user.h"

// Without exceptions there is no bad_alloc to throw; a failed allocation
// ends the program with a message instead of returning a null pointer that
// a constructor would then write through.
static void *allocate(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == nullptr) {
    fprintf(2, "operator new: out of memory (%lu bytes)\n", (unsigned long)n);
    exit(1);
  }
  return p;
}

void *operator new(size_t n) { return allocate(n); }
void *operator new[](size_t n) { return allocate(n); }
void *operator new(size_t n, const std::nothrow_t &) noexcept { return malloc(n ? n : 1); }
void *operator new[](size_t n, const std::nothrow_t &) noexcept { return malloc(n ? n : 1); }

void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }

extern "C" {

// Called through a vtable slot that was never overridden: always a bug.
void __cxa_pure_virtual() {
  fprintf(2, "pure virtual function called\n");
  exit(1);
}

// Programs end with exit and never run global destructors, so registering
// one has nothing to do. __dso_handle identifies "this module" to it.
void *__dso_handle = &__dso_handle;

int __cxa_atexit(void (*)(void *), void *, void *) { return 0; }

}  // extern "C"
