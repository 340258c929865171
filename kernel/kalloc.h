// Physical page allocator: one 4096-byte page at a time. Every page has a
// reference count, so that copy-on-write fork can share a page between
// address spaces (vm.cpp): kalloc hands out a page with count 1, kref adds
// a reference and kfree drops one, freeing the page with the last.
//
// Pages can also be promised: fork commits one page for every writable page
// it shares (the copy a later write may need), and kalloc refuses to take
// the last free pages that are promised. So a fork fails with -1 when
// memory is short, as before copy-on-write, and a write to a shared page
// never finds memory gone: kalloc_reserved takes a promised page.
#pragma once

#include "lib/types.h"

void kalloc_init(u64 start, u64 end);  // hand [start, end) to the allocator
void* kalloc();                        // a page, or nullptr when out of memory
void* kzalloc();                       // a zeroed page, or nullptr
void kref(void* page);                 // one more reference
u32 kref_count(void* page);            // references now (1: only the caller's)
bool kfree(void* page);                // drop a reference; true if it was the last

// n more pages promised, if that many are free beyond the promises made.
bool kcommit(u64 n);
void kuncommit(u64 n);
// A page for a copy-on-write copy, which a commitment covers: not refused
// for the promises, and never made to fail by failalloc=.
void* kalloc_reserved();

u64 free_page_count();
u64 committed_page_count();
