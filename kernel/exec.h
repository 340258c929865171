// Replace the calling process's image with the ELF program at path.
#pragma once

#include "lib/result.h"

// path and argv (NULL-terminated) are kernel strings. On success the
// current thread returns to the new program's entry point with a0 = argc
// (the returned value) and a1 = argv; on failure the old image is intact.
Result<int> exec(const char* path, char* const argv[]);
