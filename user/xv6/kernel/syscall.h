// xv6-compatible headers (docs/xv6.md): the system call numbers. weft
// keeps xv6's numbers for xv6's calls (1 to 21) and adds its own after.
#pragma once

#include <weft/syscall.h>
