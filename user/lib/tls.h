// tls.h: thread-local storage (`__thread`, `_Thread_local`, C++
// `thread_local` with constant initialisers).
//
// Each thread has a block laid out like the program's .tdata and .tbss
// sections, and its tp register points at the block's first byte (the
// RISC-V ELF layout: a variable's offset from tp is its offset in the
// sections, fixed at link time). crt0 sets up the main thread's block;
// pthread_create and thread_create set up theirs. A program that calls
// tspawn or clone itself uses tspawn_tls, or carves a block with tls_carve
// and loads tp itself with tls_enter (docs/threadlib.md).
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Bytes a block needs, including the alignment slack tls_carve uses.
size_t tls_block_size(void);
// Carves a block just below *top (a stack top), fills it from the program's
// image, moves *top down below it (16-byte aligned) and returns the value
// for tp.
void *tls_carve(char **top);
// Makes `tp` the calling thread's block.
void tls_enter(void *tp);
// The calling thread's block: a name for the thread that no other live
// thread with a block of its own shares, and that fork keeps for the
// child's thread (the error-checking and recursive mutexes use it).
unsigned long tls_self(void);
// tspawn with a block of its own on the new thread's stack: f(a) runs with
// its own thread-local variables, and returning from f ends the thread
// (texit(NULL, 0)).
int tspawn_tls(void *stktop, void (*f)(void *), void *a);

#ifdef __cplusplus
}
#endif
