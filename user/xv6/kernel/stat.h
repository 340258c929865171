// xv6-compatible headers (docs/xv6.md): weft's struct stat already has
// xv6's fields and T_ constants.
#pragma once

#include <stat.h>
