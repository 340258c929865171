// xv6-compatible headers (docs/xv6.md): weft's open flags have xv6's values.
#pragma once

#include <fcntl.h>
