// Pipes: a one-page ring buffer between a writing and a reading File.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

struct Pipe;

// A new pipe with both ends open; NoMemory if no page is free.
Result<Pipe*> pipe_alloc();
// Close one end (writable: the write end). The pipe is freed with the
// second end; a reader sleeping on a closed write end sees end of file, a
// writer sleeping on a closed read end fails.
void pipe_close(Pipe* p, bool writable);
// Read up to n bytes, sleeping until at least one is there or every writer
// is gone (then 0: end of file).
Result<size_t> pipe_read(Pipe* p, bool user_dst, u64 dst, size_t n);
// Write all n bytes, sleeping while the ring is full.
Result<size_t> pipe_write(Pipe* p, bool user_src, u64 src, size_t n);
