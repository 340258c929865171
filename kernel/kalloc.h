// Physical page allocator: one 4096-byte page at a time.
#pragma once

#include "lib/types.h"

void kalloc_init(u64 start, u64 end);  // hand [start, end) to the allocator
void* kalloc();                        // a page, or nullptr when out of memory
void* kzalloc();                       // a zeroed page, or nullptr
void kfree(void* page);
u64 free_page_count();
