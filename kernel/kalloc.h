// Physical page allocator: one 4096-byte page at a time. Every page has a
// reference count, so that copy-on-write fork can share a page between
// address spaces (vm.cpp): kalloc hands out a page with count 1, kref adds
// a reference and kfree drops one, freeing the page with the last.
#pragma once

#include "lib/types.h"

void kalloc_init(u64 start, u64 end);  // hand [start, end) to the allocator
void* kalloc();                        // a page, or nullptr when out of memory
void* kzalloc();                       // a zeroed page, or nullptr
// kalloc for the copy a user store fault needs (vm.cpp, break_cow), which
// failalloc= never fails: running out there can only end the thread, and a
// test could not tell that from a bug of its own (t_cow runs out for real).
void* kalloc_at_fault();
void kref(void* page);                 // one more reference
u32 kref_count(void* page);            // references now (1: only the caller's)
void kfree(void* page);                // drop a reference
u64 free_page_count();
