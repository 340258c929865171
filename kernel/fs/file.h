// Open files (shared, reference-counted) and the per-process fd table.
#pragma once

#include <weft/param.h>

#include "lib/result.h"
#include "lib/types.h"

struct File;
struct FdTable;

// Device switch: read/write functions per major device number.
struct Devsw {
  Result<size_t> (*read)(bool user_dst, u64 dst, size_t n);
  Result<size_t> (*write)(bool user_src, u64 src, size_t n);
};
extern Devsw g_devsw[NDEV];  // filled in at boot, read-only afterwards
// Whether a driver serves this major number (open of a node without one
// fails with ENODEV).
inline bool device_exists(int major) {
  return major >= 0 && major < NDEV && (g_devsw[major].read || g_devsw[major].write);
}

void file_init();
int open_file_count();     // open-file table entries in use
File* file_dup(File* f);   // another reference
void file_close(File* f);  // drop a reference; the last closes

// fd tables
void fdtable_copy(FdTable& dst, FdTable& src);  // fork/clone: dup every file
void fdtable_close_all(FdTable& t);             // exit
