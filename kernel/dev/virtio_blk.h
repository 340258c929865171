// virtio block device (virtio-mmio, the disk on slot 0).
#pragma once

#include "lib/types.h"

struct Buf;

void virtio_blk_init();
// Read (write=false) or write one BSIZE block b->blockno; sleeps until done.
void virtio_blk_rw(Buf* b, bool write);
void virtio_blk_intr();
