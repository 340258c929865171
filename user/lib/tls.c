// Thread-local storage blocks (tls.h). The linker script (user/user.ld)
// names the image: __tdata_start..__tdata_end holds the initial values,
// __tls_size is the whole block with .tbss, __tls_align its alignment,
// and __tls_main a block in .bss for the main thread.
#include "tls.h"

#include "user.h"

extern char __tdata_start[], __tdata_end[], __tls_size[], __tls_align[];
extern char __tls_main[];

#define TLS_MIN_ALIGN 16

static size_t tls_align(void) {
  size_t a = (size_t)__tls_align;
  return a < TLS_MIN_ALIGN ? TLS_MIN_ALIGN : a;
}

size_t tls_block_size(void) {
  return ((size_t)__tls_size + 2 * tls_align() - 1) & ~(tls_align() - 1);
}

static void *tls_fill(char *block) {
  size_t init = (size_t)(__tdata_end - __tdata_start);
  memcpy(block, __tdata_start, init);
  memset(block + init, 0, (size_t)__tls_size - init);
  return block;
}

void *tls_carve(char **top) {
  size_t a = tls_align();
  char *block = (char *)(((unsigned long)*top - (size_t)__tls_size) & ~(a - 1));
  *top = (char *)((unsigned long)block & ~15UL);
  return tls_fill(block);
}

void tls_enter(void *tp) {
  __asm__ volatile("mv tp, %0" : : "r"(tp) : "memory");
}

unsigned long tls_self(void) {
  unsigned long tp;
  __asm__("mv %0, tp" : "=r"(tp));
  return tp;
}

// crt0 calls this before anything else, so even the constructors have
// their own errno.
void weft_tls_main(void) {
  tls_enter(tls_fill(__tls_main));
}

struct tls_start {
  void (*f)(void *);
  void *a;
  void *tp;
};

static void tls_trampoline(void *arg) {
  struct tls_start s = *(struct tls_start *)arg;
  tls_enter(s.tp);
  s.f(s.a);
  texit(NULL, 0);
}

int tspawn_tls(void *stktop, void (*f)(void *), void *a) {
  char *top = stktop;
  void *tp = tls_carve(&top);
  top -= (sizeof(struct tls_start) + 15) & ~15UL;
  struct tls_start *s = (struct tls_start *)top;
  s->f = f;
  s->a = a;
  s->tp = tp;
  return tspawn(top, tls_trampoline, s);
}
