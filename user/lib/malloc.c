// The heap: a first-fit allocator over a free list, grown with sbrk.
//
// Every block, free or in use, starts with a header holding its size. Free
// blocks are also chained through the header, in address order, so that
// freeing a block can merge it with the free neighbours on either side and
// the heap does not crumble into pieces too small to use.
//
// Threads of one process share the heap, so one futex mutex guards the free
// list and the break. Taking it when it is free costs one atomic operation,
// as a spin lock would; but a waiter sleeps instead of spinning, which
// matters when the holder has lost its hart or when fork holds the lock for
// the length of the system call (fork.c).
#include "sync_impl.h"
#include "user.h"

// 16 bytes, and kept at 16-byte alignment so that the memory after it is
// suitably aligned for any type.
union header {
  struct {
    union header *next;  // next free block by address (free blocks only)
    size_t units;        // block size in headers, this header included
  } h;
  long double align_;  // forces 16-byte alignment of the union
};
typedef union header Header;

_Static_assert(sizeof(Header) == 16, "malloc header must be 16 bytes");

// Smallest growth, in units: asking the kernel for tiny increments would
// make every few mallocs a system call.
#define GROW_UNITS (4 * PGSIZE / sizeof(Header))

static int heap_lock;     // futex mutex word (weft_fmutex_*)
static Header *freelist;  // lowest free block; guarded by heap_lock

static void lock_heap(void) {
  weft_fmutex_lock(&heap_lock);
}

static void unlock_heap(void) {
  weft_fmutex_unlock(&heap_lock);
}

// fork holds the heap lock across the system call: no thread is halfway
// through changing the free list when memory is copied, so the child's
// heap is whole. Both sides then release it; the child's thread is the one
// that took it.
void weft_heap_fork_prepare(void) {
  lock_heap();
}

void weft_heap_fork_release(void) {
  unlock_heap();
}

// Puts block b on the free list at its address-ordered place and merges it
// with the blocks right before and after it when they touch.
static void insert_free_locked(Header *b) {
  Header *prev = NULL;
  Header *next = freelist;
  while (next != NULL && next < b) {
    prev = next;
    next = next->h.next;
  }
  if (next != NULL && b + b->h.units == next) {
    b->h.units += next->h.units;
    b->h.next = next->h.next;
  } else {
    b->h.next = next;
  }
  if (prev != NULL && prev + prev->h.units == b) {
    prev->h.units += b->h.units;
    prev->h.next = b->h.next;
  } else if (prev != NULL) {
    prev->h.next = b;
  } else {
    freelist = b;
  }
}

// Extends the heap by at least units headers. Returns 0 if the kernel has
// no memory left.
static int grow_locked(size_t units) {
  if (units < GROW_UNITS)
    units = GROW_UNITS;
  // The first time, the break is wherever the program image ends; pad the
  // request so that the new block starts on a header boundary. The break
  // then stays aligned, so successive growths are contiguous and merge.
  char *brk = sbrk(0);
  if (brk == (char *)-1)
    return 0;
  size_t pad = (sizeof(Header) - (uintptr_t)brk % sizeof(Header)) % sizeof(Header);
  size_t bytes = units * sizeof(Header) + pad;
  if (bytes > 0x7fffffff)
    return 0;
  char *p = sbrk((int)bytes);
  if (p == (char *)-1)
    return 0;
  // Place the block by what sbrk returned, not by what we expected: if a
  // direct sbrk elsewhere moved the break in between, the block is merely
  // shorter, and malloc grows again if it is now too short.
  uintptr_t start = ((uintptr_t)p + sizeof(Header) - 1) & ~(uintptr_t)(sizeof(Header) - 1);
  uintptr_t limit = (uintptr_t)p + bytes;
  if (limit - start < sizeof(Header))
    return 1;
  Header *b = (Header *)start;
  b->h.units = (limit - start) / sizeof(Header);
  insert_free_locked(b);
  return 1;
}

void *malloc(size_t n) {
  if (n == 0 || n > 0x7fff0000)
    return NULL;
  // Room for the request, rounded up to whole headers, plus the header.
  size_t units = (n + sizeof(Header) - 1) / sizeof(Header) + 1;

  lock_heap();
  for (;;) {
    Header *prev = NULL;
    for (Header *b = freelist; b != NULL; prev = b, b = b->h.next) {
      if (b->h.units < units)
        continue;
      if (b->h.units == units) {
        if (prev != NULL)
          prev->h.next = b->h.next;
        else
          freelist = b->h.next;
      } else {
        // Hand out the tail, so the free block keeps its place in the list
        // and only its size changes.
        b->h.units -= units;
        b += b->h.units;
        b->h.units = units;
      }
      unlock_heap();
      return b + 1;
    }
    if (!grow_locked(units)) {
      unlock_heap();
      return NULL;
    }
  }
}

void free(void *p) {
  if (p == NULL)
    return;
  lock_heap();
  insert_free_locked((Header *)p - 1);
  unlock_heap();
}

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size)
    return NULL;
  void *p = malloc(count * size);
  if (p != NULL)
    memset(p, 0, count * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL)
    return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  // A block's size is only changed under the lock, but this block is ours
  // (the caller owns it), so reading its header needs no lock.
  size_t have = (((Header *)p - 1)->h.units - 1) * sizeof(Header);
  if (n <= have)
    return p;
  void *q = malloc(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}
