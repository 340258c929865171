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
