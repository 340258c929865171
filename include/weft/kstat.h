// What SYS_kstat reports: counts of the kernel's resources, so that tests,
// the fuzzer and the soak can check that everything taken was given back.
#pragma once

struct kstat {
  int free_pages;     // physical pages on the free list
  int free_threads;   // free thread slots (of NTHR)
  int free_procs;     // free process slots (of NPROC)
  int open_files;     // open-file table entries in use (of NFILE)
  int cached_inodes;  // inode cache entries referenced (of NINODE)
  int free_inodes;    // inodes free on the disk
  int free_blocks;    // data blocks free on the disk
  int promised_pages; // free pages promised to copy-on-write copies (fork)
  long disk_flushes;  // write-cache flushes the disk completed since boot
};
