// On-disk file system layout, shared by the kernel and the host tool mkfs.
//
// Disk blocks (BSIZE bytes each):
//   [ boot | super | log header + log | inodes | free bitmap | data ... ]
// Block 0 is unused, block 1 holds the superblock.
#pragma once

#include <stdint.h>

#define BSIZE 4096          // block size; one page, eight disk sectors
#define FSSIZE 20480        // blocks in the image (80 MiB: a largest file
                            // of 64 MiB beside the programs)
#define LOGBLOCKS 126       // data blocks in the log (plus one header block)
#define NINODES 256         // inodes in the image
#define FSMAGIC 0x77656674  // "weft"

#define MAXOPBLOCKS 16      // most blocks one file system operation writes

// The log header (the first log block; kernel/fs/log.cpp). n > 0 names a
// group whose blocks are in the log area: log block i belongs at home
// block[i]. The group counts as committed only if sum matches (log_sum):
// the header is written together with the blocks, so after a crash it may
// be on the disk while some of them are not.
struct logheader {
  uint32_t n;                  // blocks in the log; 0: nothing to replay
  uint32_t unused;
  uint64_t sum;                // log_sum of the group
  uint32_t block[LOGBLOCKS];   // home block number of log block i
};

// The checksum of a group, built up as log_sum_add(log_sum_add(
// log_sum_start(n, block), data0), data1)... over the n blocks' contents
// in log order. Not cryptographic: it tells a whole group from a torn one.
static inline uint64_t log_sum_mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x100000001b3ULL;  // the FNV-1a prime, a word at a time
  return h ^ (h >> 29);
}
static inline uint64_t log_sum_start(uint32_t n, const uint32_t* block) {
  uint64_t h = log_sum_mix(0xcbf29ce484222325ULL, n);
  for (uint32_t i = 0; i < n; i++) h = log_sum_mix(h, block[i]);
  return h;
}
static inline uint64_t log_sum_add(uint64_t h, const void* data) {
  const uint64_t* w = (const uint64_t*)data;
  for (uint32_t i = 0; i < BSIZE / 8; i++) h = log_sum_mix(h, w[i]);
  return h;
}

struct superblock {
  uint32_t magic;       // FSMAGIC
  uint32_t size;        // total blocks in the image
  uint32_t nblocks;     // data blocks
  uint32_t ninodes;     // inodes
  uint32_t nlog;        // log blocks, header included
  uint32_t logstart;    // first log block (the header)
  uint32_t inodestart;  // first inode block
  uint32_t bmapstart;   // first free-bitmap block
};

// A file's blocks: NDIRECT direct ones, then the NINDIRECT listed in its
// indirect block, then those reached through its double-indirect block
// (NINDIRECT blocks of NINDIRECT entries each).
#define NDIRECT 11
#define NINDIRECT (BSIZE / sizeof(uint32_t))
#define NDINDIRECT (NINDIRECT * NINDIRECT)
// The largest file, in blocks: 64 MiB. The block map could reach 4 GiB;
// the limit is set well below that so that a file always fits on the disk
// with the programs (and the limit can be tested: EFBIG past it).
#define MAXFILE (64u * 1024 * 1024 / BSIZE)
#ifdef __cplusplus
static_assert(MAXFILE <= NDIRECT + NINDIRECT + NDINDIRECT, "MAXFILE past the block map");
#else
_Static_assert(MAXFILE <= NDIRECT + NINDIRECT + NDINDIRECT, "MAXFILE past the block map");
#endif

// On-disk inode. T_DIR/T_FILE/T_DEVICE from stat.h; type 0 is free.
struct dinode {
  int16_t type;
  int16_t major;   // device number (T_DEVICE only)
  int16_t minor;
  int16_t nlink;   // directory entries naming this inode
  uint32_t size;   // bytes of content
  // The direct blocks, then the indirect block, then the double-indirect one.
  uint32_t addrs[NDIRECT + 2];
};

#define IPB (BSIZE / sizeof(struct dinode))  // inodes per block
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)
#define BPB (BSIZE * 8)                       // bitmap bits per block
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)

#define ROOTINO 1   // inode number of "/"
#define DIRSIZ 14   // longest name in a directory entry

struct dirent {
  uint16_t inum;    // 0 marks a free entry
  char name[DIRSIZ];  // not NUL-terminated when DIRSIZ long
};
