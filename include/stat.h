// struct stat as returned by fstat(), compatible with xv6 programs.
#pragma once

#define T_DIR 1     // directory
#define T_FILE 2    // regular file
#define T_DEVICE 3  // device node

struct stat {
  int dev;                  // device number of the file system
  unsigned int ino;         // inode number
  short type;               // T_DIR, T_FILE or T_DEVICE
  short nlink;              // number of directory entries naming it
  unsigned long size;       // size in bytes
};
