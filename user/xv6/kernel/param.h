// xv6-compatible headers (docs/xv6.md): weft's limits under xv6's names.
// Where the numbers differ from xv6's (NINODE, FSSIZE, the log), these are
// weft's, so a program that sizes things by them sizes them right here.
#pragma once

#include <weft/fs.h>
#include <weft/param.h>

#define LOGSIZE LOGBLOCKS
#define NBUF (MAXOPBLOCKS * 3)
#define USERSTACK USTACK_PAGES
