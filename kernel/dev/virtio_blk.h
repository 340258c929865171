// virtio block device (virtio-mmio, the disk on slot 0).
#pragma once

#include "lib/types.h"

struct Buf;

void virtio_blk_init();
// Read (write=false) or write one BSIZE block b->blockno; sleeps until done.
void virtio_blk_rw(Buf* b, bool write);
// Write n blocks, blocknos[i] from data[i], several in flight at once;
// sleeps until all are done. The caller keeps the data unchanged meanwhile.
void virtio_blk_write_many(const u32* blocknos, u8* const* data, u32 n);
// Make every write completed so far durable (a no-op on a device without
// a volatile write cache); sleeps until the device says so.
void virtio_blk_flush();
u64 virtio_blk_flush_count();  // flushes completed since boot (kstat)
void virtio_blk_intr();
