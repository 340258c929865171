// xv6-compatible headers (docs/xv6.md): weft's on-disk format under xv6's
// names: struct dirent (a 16-bit inode number and DIRSIZ = 14 name bytes,
// as in xv6), BSIZE, struct dinode, struct superblock. The block size and
// the superblock's fields are weft's.
#pragma once

#include <stdint.h>
#include <weft/fs.h>
