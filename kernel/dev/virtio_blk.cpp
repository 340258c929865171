// Driver for the virtio block device on virtio-mmio slot 0, using the
// modern (version 2) MMIO transport. Section numbers refer to the virtio
// 1.1 specification: 2.6 split virtqueues, 3.1 device initialization,
// 4.2 the MMIO transport, 5.2 the block device.
//
// One request is a chain of three descriptors:
//   header (device reads: read or write, which sector)
//     -> data (one BSIZE block; the device writes it for a read)
//       -> status byte (the device writes OK or an error).
// A flush has no data, so its chain is header -> status.
// Several threads, on any harts, may have requests in flight at once. Each
// request takes three descriptors from a free list; the index of its first
// ("head") descriptor names it, and the per-request state (header, status,
// Buf) lives in slots indexed by that head.
//
// Completion: the device puts the head index into the used ring and raises
// its interrupt. virtio_blk_intr, on whichever hart the PLIC picked, marks
// the request done and wakes the thread waiting for it. That thread reads
// the status and gives the descriptors back itself, so a slot is never
// reused while its owner may still look at it.
//
// virtio_blk_write_many keeps up to kMaxInFlight requests of one thread
// in the queue at once (the log's commit writes its blocks that way), so
// that n writes cost about one round trip to the device instead of n.
#include "dev/virtio_blk.h"

#include <weft/fs.h>

#include "arch/riscv64/riscv.h"
#include "fs/buf.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "memlayout.h"
#include "proc.h"
#include "sync/spinlock.h"

namespace {

// MMIO register offsets (4.2.2).
constexpr u64 REG_MAGIC_VALUE = 0x000;
constexpr u64 REG_VERSION = 0x004;
constexpr u64 REG_DEVICE_ID = 0x008;
constexpr u64 REG_DEVICE_FEATURES = 0x010;
constexpr u64 REG_DEVICE_FEATURES_SEL = 0x014;
constexpr u64 REG_DRIVER_FEATURES = 0x020;
constexpr u64 REG_DRIVER_FEATURES_SEL = 0x024;
constexpr u64 REG_QUEUE_SEL = 0x030;
constexpr u64 REG_QUEUE_NUM_MAX = 0x034;
constexpr u64 REG_QUEUE_NUM = 0x038;
constexpr u64 REG_QUEUE_READY = 0x044;
constexpr u64 REG_QUEUE_NOTIFY = 0x050;
constexpr u64 REG_INTERRUPT_STATUS = 0x060;
constexpr u64 REG_INTERRUPT_ACK = 0x064;
constexpr u64 REG_STATUS = 0x070;
constexpr u64 REG_QUEUE_DESC_LOW = 0x080;
constexpr u64 REG_QUEUE_DESC_HIGH = 0x084;
constexpr u64 REG_QUEUE_DRIVER_LOW = 0x090;
constexpr u64 REG_QUEUE_DRIVER_HIGH = 0x094;
constexpr u64 REG_QUEUE_DEVICE_LOW = 0x0a0;
constexpr u64 REG_QUEUE_DEVICE_HIGH = 0x0a4;
constexpr u64 REG_CONFIG_GENERATION = 0x0fc;
constexpr u64 REG_CONFIG = 0x100;  // block config; capacity (le64) comes first

constexpr u32 kMagic = 0x74726976;  // "virt" read as a little-endian word
constexpr u32 kVersionModern = 2;
constexpr u32 kDeviceIdBlock = 2;

// Device status bits (2.1).
constexpr u32 STATUS_ACKNOWLEDGE = 1;
constexpr u32 STATUS_DRIVER = 2;
constexpr u32 STATUS_DRIVER_OK = 4;
constexpr u32 STATUS_FEATURES_OK = 8;
constexpr u32 STATUS_FAILED = 128;

// Feature bits we look at. VERSION_1 is bit 32, i.e. bit 0 of feature word 1.
constexpr u32 FEATURE_WORD1_VERSION_1 = 1u << 0;
constexpr u32 FEATURE_BLK_RO = 1u << 5;
constexpr u32 FEATURE_BLK_FLUSH = 1u << 9;

// Descriptor flags (2.6.5).
constexpr u16 DESC_F_NEXT = 1;   // the chain continues at `next`
constexpr u16 DESC_F_WRITE = 2;  // the device writes this buffer

// Block request types and status values (5.2.6).
constexpr u32 BLK_T_IN = 0;   // read from the disk
constexpr u32 BLK_T_OUT = 1;  // write to the disk
constexpr u32 BLK_T_FLUSH = 4;  // make every completed write durable
constexpr u8 BLK_S_OK = 0;

// Three descriptors per request, so at most kQueueSize / 3 requests are in
// flight: a log commit's batch, or threads on many harts at once. A split
// queue's size is a power of 2 (2.6), and its memory must fit in one page.
constexpr u32 kQueueSize = 64;
constexpr u32 kDescsPerRequest = 3;
constexpr u32 kMaxInFlight = kQueueSize / kDescsPerRequest;
constexpr u32 kSectorSize = 512;
constexpr u32 kSectorsPerBlock = BSIZE / kSectorSize;

// The split virtqueue (2.6), laid out as the device expects.
struct VirtqDesc {
  u64 addr;  // physical address (= kernel address: RAM is identity mapped)
  u32 len;
  u16 flags;
  u16 next;
};
struct VirtqAvail {  // driver -> device: heads of new requests
  u16 flags;
  u16 idx;  // where the driver will put the next entry (free-running)
  u16 ring[kQueueSize];
  u16 used_event;  // unused: we do not negotiate EVENT_IDX
};
struct VirtqUsedElem {
  u32 id;   // head of the finished chain
  u32 len;  // bytes the device wrote
};
struct VirtqUsed {  // device -> driver: heads of finished requests
  u16 flags;
  u16 idx;  // where the device will put the next entry (free-running)
  VirtqUsedElem ring[kQueueSize];
  u16 avail_event;
};
struct BlkRequestHeader {  // 5.2.6
  u32 type;
  u32 reserved;
  u64 sector;
};
static_assert(sizeof(VirtqDesc) == 16 && sizeof(VirtqUsedElem) == 8);
static_assert(sizeof(BlkRequestHeader) == 16);

// Everything the device reads or writes besides the data blocks, in one
// zeroed page. The alignments are the ones 2.6 requires of each part.
struct QueueMemory {
  alignas(16) VirtqDesc desc[kQueueSize];
  alignas(2) VirtqAvail avail;
  alignas(4) VirtqUsed used;
  alignas(16) BlkRequestHeader header[kQueueSize];  // indexed by head
  u8 status[kQueueSize];                            // indexed by head
};
static_assert(sizeof(QueueMemory) <= PGSIZE);

struct Disk {
  Spinlock lock{"virtio_blk", LockRank::Disk};
  WaitQueue desc_wait{lock};  // threads waiting for free descriptors
  WaitQueue done_wait{lock};  // threads waiting for a request; key: its head
  // set by virtio_blk_init, constant afterwards:
  QueueMemory* q = nullptr;
  u64 capacity = 0;  // in sectors
  bool read_only = false;
  bool can_flush = false;  // FLUSH negotiated: the device may cache writes
  // guarded by lock:
  u16 free_desc[kQueueSize] = {};  // a stack of free descriptor indices
  u32 nfree = 0;
  u16 last_used = 0;               // used-ring entries handled so far
  bool busy[kQueueSize] = {};      // the request headed at i is in flight
  u64 flushes = 0;                 // flush requests completed
};

constinit Disk g_disk;

u32 reg_read(u64 off) { return *dev_reg32(VIRTIO0 + off); }
void reg_write(u64 off, u32 v) { *dev_reg32(VIRTIO0 + off) = v; }

void set_status(u32 bits) { reg_write(REG_STATUS, reg_read(REG_STATUS) | bits); }

[[noreturn]] void init_failed(const char* why) {
  set_status(STATUS_FAILED);  // tell the device we gave up (3.1.1)
  panic("virtio_blk: %s", why);
}

// A 64-bit config field is read as two 32-bit halves; the device may change
// it in between, which ConfigGeneration reveals (4.2.2.2), so retry until a
// read sees one generation throughout.
u64 read_config64(u64 off) {
  for (;;) {
    u32 gen = reg_read(REG_CONFIG_GENERATION);
    u64 lo = reg_read(REG_CONFIG + off);
    u64 hi = reg_read(REG_CONFIG + off + 4);
    if (reg_read(REG_CONFIG_GENERATION) == gen) return hi << 32 | lo;
  }
}

void write_addr(u64 low_reg, u64 high_reg, const void* p) {
  u64 pa = reinterpret_cast<u64>(p);
  reg_write(low_reg, static_cast<u32>(pa));
  reg_write(high_reg, static_cast<u32>(pa >> 32));
}

// Queue 0 set up as in 4.2.3.2.
void setup_queue() {
  reg_write(REG_QUEUE_SEL, 0);
  if (reg_read(REG_QUEUE_READY) != 0) init_failed("queue 0 already in use");
  u32 max = reg_read(REG_QUEUE_NUM_MAX);
  if (max < kQueueSize) init_failed("queue 0 too small");

  auto* q = static_cast<QueueMemory*>(kzalloc());
  if (!q) init_failed("out of memory");
  g_disk.q = q;
  reg_write(REG_QUEUE_NUM, kQueueSize);
  write_addr(REG_QUEUE_DESC_LOW, REG_QUEUE_DESC_HIGH, q->desc);
  write_addr(REG_QUEUE_DRIVER_LOW, REG_QUEUE_DRIVER_HIGH, &q->avail);
  write_addr(REG_QUEUE_DEVICE_LOW, REG_QUEUE_DEVICE_HIGH, &q->used);
  reg_write(REG_QUEUE_READY, 1);

  SpinGuard g(g_disk.lock);
  for (u32 i = 0; i < kQueueSize; i++) g_disk.free_desc[g_disk.nfree++] = static_cast<u16>(i);
}

// Takes n descriptors for a request, sleeping until enough are free.
// Called and returns with g_disk.lock held (sleep releases it meanwhile).
void alloc_descs_locked(u16* d, u32 n) {
  while (g_disk.nfree < n) g_disk.desc_wait.wait();
  for (u32 i = 0; i < n; i++) d[i] = g_disk.free_desc[--g_disk.nfree];
}

// Gives back the chain that starts at head, following its NEXT links.
void free_chain_locked(u16 head) {
  for (u16 i = head;; i = g_disk.q->desc[i].next) {
    g_disk.free_desc[g_disk.nfree++] = i;
    if (!(g_disk.q->desc[i].flags & DESC_F_NEXT)) break;
  }
  g_disk.desc_wait.wake_all();
}

}  // namespace

void virtio_blk_init() {
  if (reg_read(REG_MAGIC_VALUE) != kMagic || reg_read(REG_VERSION) != kVersionModern ||
      reg_read(REG_DEVICE_ID) != kDeviceIdBlock)
    panic("virtio_blk: no modern virtio block device at %p (version %u, device %u)",
          reinterpret_cast<void*>(VIRTIO0), reg_read(REG_VERSION), reg_read(REG_DEVICE_ID));

  // 3.1.1: reset, then announce that a driver exists and knows the device.
  reg_write(REG_STATUS, 0);
  while (reg_read(REG_STATUS) != 0) {
  }
  set_status(STATUS_ACKNOWLEDGE);
  set_status(STATUS_DRIVER);

  // Accept VERSION_1, which a modern device requires (6.1), and FLUSH if
  // offered: a device that offers it may keep completed writes in a
  // volatile cache (QEMU's host page cache), and the log must know when
  // its writes are durable (5.2.6.2). A device without FLUSH writes
  // through. The other optional features (event index, indirect
  // descriptors, several queues) would only add code; RO is read so
  // writes can fail clearly.
  reg_write(REG_DEVICE_FEATURES_SEL, 1);
  if (!(reg_read(REG_DEVICE_FEATURES) & FEATURE_WORD1_VERSION_1))
    init_failed("device does not offer VIRTIO_F_VERSION_1");
  reg_write(REG_DEVICE_FEATURES_SEL, 0);
  u32 offered = reg_read(REG_DEVICE_FEATURES);
  g_disk.read_only = (offered & FEATURE_BLK_RO) != 0;
  g_disk.can_flush = (offered & FEATURE_BLK_FLUSH) != 0;
  reg_write(REG_DRIVER_FEATURES_SEL, 0);
  reg_write(REG_DRIVER_FEATURES, g_disk.can_flush ? FEATURE_BLK_FLUSH : 0);
  reg_write(REG_DRIVER_FEATURES_SEL, 1);
  reg_write(REG_DRIVER_FEATURES, FEATURE_WORD1_VERSION_1);
  set_status(STATUS_FEATURES_OK);
  // The device clears FEATURES_OK again if it cannot work with our choice.
  if (!(reg_read(REG_STATUS) & STATUS_FEATURES_OK)) init_failed("features not accepted");

  setup_queue();
  g_disk.capacity = read_config64(0);

  // From here on the device may use the queue and raise interrupts.
  set_status(STATUS_DRIVER_OK);
  kprintf("virtio_blk: %lu KiB%s%s, %u requests at once\n",
          g_disk.capacity * kSectorSize / 1024, g_disk.read_only ? ", read-only" : "",
          g_disk.can_flush ? ", write cache flushed" : "", kMaxInFlight);
}

namespace {

// Hands the request whose descriptors start at head to the device.
// g_disk.lock held.
void publish_locked(u16 head) {
  QueueMemory* q = g_disk.q;
  q->status[head] = 0xff;  // anything but OK until the device writes it
  g_disk.busy[head] = true;
  // Publish the request (2.6.13): the ring entry first, then the index.
  // The device may look at the ring at any time, so it must never see
  // the new index before the descriptors and the entry it covers.
  u16 idx = q->avail.idx;
  q->avail.ring[idx % kQueueSize] = head;
  __sync_synchronize();
  q->avail.idx = static_cast<u16>(idx + 1);
}

// Tell the device to look at the queue (after publishing; no lock held).
// The doorbell is an MMIO write that QEMU handles under its global lock:
// on a busy host that took milliseconds now and then, and the trace showed
// the other hart's disk interrupt spinning for g_disk.lock all that time
// while it was rung under the lock.
void notify() {
  __sync_synchronize();  // the new avail index before the doorbell
  reg_write(REG_QUEUE_NOTIFY, 0);
}

// Fills and publishes one read or write; returns its head. g_disk.lock
// held (taking descriptors may sleep until some are free).
u16 submit_locked(u32 blockno, u8* data, bool write) {
  u64 sector = u64{blockno} * kSectorsPerBlock;
  if (sector + kSectorsPerBlock > g_disk.capacity)
    panic("virtio_blk: block %u is beyond the end of the disk", blockno);
  if (write && g_disk.read_only) panic("virtio_blk: write of block %u to a read-only disk", blockno);

  QueueMemory* q = g_disk.q;
  u16 d[kDescsPerRequest];
  alloc_descs_locked(d, kDescsPerRequest);
  u16 head = d[0];
  q->header[head] = {write ? BLK_T_OUT : BLK_T_IN, 0, sector};
  q->desc[d[0]] = {reinterpret_cast<u64>(&q->header[head]), sizeof(BlkRequestHeader), DESC_F_NEXT,
                   d[1]};
  q->desc[d[1]] = {reinterpret_cast<u64>(data), BSIZE,
                   static_cast<u16>(DESC_F_NEXT | (write ? 0 : DESC_F_WRITE)), d[2]};
  q->desc[d[2]] = {reinterpret_cast<u64>(&q->status[head]), 1, DESC_F_WRITE, 0};
  publish_locked(head);
  return head;
}

// A flush request (5.2.6): header -> status, no data. g_disk.lock held.
u16 submit_flush_locked() {
  QueueMemory* q = g_disk.q;
  u16 d[2];
  alloc_descs_locked(d, 2);
  u16 head = d[0];
  q->header[head] = {BLK_T_FLUSH, 0, 0};
  q->desc[d[0]] = {reinterpret_cast<u64>(&q->header[head]), sizeof(BlkRequestHeader), DESC_F_NEXT,
                   d[1]};
  q->desc[d[1]] = {reinterpret_cast<u64>(&q->status[head]), 1, DESC_F_WRITE, 0};
  publish_locked(head);
  return head;
}


// Waits for the request headed at `head`, gives its descriptors back and
// panics if the device failed it. g_disk.lock held. virtio_blk_intr clears
// busy and wakes us under the same lock, so the check and the sleep cannot
// straddle the wake-up.
void finish_locked(u16 head) {
  while (g_disk.busy[head]) g_disk.done_wait.wait(head);
  QueueMemory* q = g_disk.q;
  u32 type = q->header[head].type;
  u8 status = *reinterpret_cast<volatile u8*>(&q->status[head]);
  u32 blockno = static_cast<u32>(q->header[head].sector / kSectorsPerBlock);
  free_chain_locked(head);
  if (status != BLK_S_OK)
    panic("virtio_blk: %s of block %u failed (status %u)",
          type == BLK_T_FLUSH ? "flush" : type == BLK_T_OUT ? "write" : "read", blockno, status);
  if (type == BLK_T_FLUSH) g_disk.flushes++;
}

}  // namespace

// Must run in a thread (it sleeps), with b->lock held by the caller: the
// buffer's data must not change while the device reads or writes it.
void virtio_blk_rw(Buf* b, bool write) {
  ASSERT(b->data != nullptr);
  u16 head;
  {
    SpinGuard g(g_disk.lock);
    head = submit_locked(b->blockno, b->data, write);
  }
  notify();
  SpinGuard g(g_disk.lock);
  finish_locked(head);
}

// A window of up to kMaxInFlight of our requests: submit while descriptors
// are free, otherwise wait for our oldest. With none of ours in flight,
// submit_locked may sleep for descriptors other threads will give back.
void virtio_blk_write_many(const u32* blocknos, u8* const* data, u32 n) {
  u16 window[kMaxInFlight];
  u32 sent = 0, done = 0;
  while (done < n) {
    bool submitted = false;
    {
      SpinGuard g(g_disk.lock);
      // Submit all that fit, then ring once; only with nothing of ours in
      // flight may submit_locked sleep for descriptors.
      while (sent < n && sent - done < kMaxInFlight &&
             (g_disk.nfree >= kDescsPerRequest || sent == done)) {
        window[sent % kMaxInFlight] = submit_locked(blocknos[sent], data[sent], true);
        sent++;
        submitted = true;
      }
      if (!submitted) {
        finish_locked(window[done % kMaxInFlight]);
        done++;
      }
    }
    if (submitted) notify();
  }
}

void virtio_blk_flush() {
  if (!g_disk.can_flush) return;
  u16 head;
  {
    SpinGuard g(g_disk.lock);
    head = submit_flush_locked();
  }
  notify();
  SpinGuard g(g_disk.lock);
  finish_locked(head);
}

u64 virtio_blk_flush_count() {
  SpinGuard g(g_disk.lock);
  return g_disk.flushes;
}

void virtio_blk_intr() {
  // Acknowledge before looking at the used ring: a completion that lands
  // after our look raises the interrupt again instead of being lost.
  reg_write(REG_INTERRUPT_ACK, reg_read(REG_INTERRUPT_STATUS) & 0x3);

  QueueMemory* q = g_disk.q;
  if (!q) return;  // not set up yet: nothing can have completed
  {
    SpinGuard g(g_disk.lock);
    u16 used_idx = *reinterpret_cast<volatile u16*>(&q->used.idx);
    // The entries below used_idx must be read after used_idx itself.
    __sync_synchronize();
    while (g_disk.last_used != used_idx) {
      u32 head = q->used.ring[g_disk.last_used % kQueueSize].id;
      if (head >= kQueueSize || !g_disk.busy[head])
        panic("virtio_blk: completion of unknown request %u", head);
      g_disk.busy[head] = false;
      g_disk.done_wait.wake_key(head, 1);  // just that request's thread
      g_disk.last_used++;
    }
  }
}
