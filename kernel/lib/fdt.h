// Just enough of a flattened device tree reader for boot: the RAM range and
// the kernel command line (/chosen/bootargs, QEMU's -append).
#pragma once

#include "lib/types.h"

struct BootInfo {
  u64 ram_base = 0;
  u64 ram_size = 0;
  u64 dtb_start = 0;   // the tree's own bytes, to keep out of the allocator
  u64 dtb_end = 0;
  char bootargs[256] = {};
};

void fdt_parse(u64 dtb, BootInfo* out);
