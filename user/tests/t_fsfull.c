// t_fsfull: running out of inodes and of disk blocks is an ordinary error.
// Creating files until the inodes run out fails cleanly with -1 (no panic,
// no half-made entry); mkdir fails too, link still works. Writing until the
// disk is full fails cleanly; mkdir and a write to a new file fail too.
// After everything is removed, exactly as many inodes and blocks can be used
// again: none leaked. The number of free inodes also matches what the disk
// holds, so inodes leaked by earlier tests show up here.
// timeout: 300
#include "test.h"
#include "weft/fs.h"

#define DIR "t_fsfull.d"

// Counts the inodes in use under `path` (itself included), following
// directories; a file with several links counts once per link, so this is
// exact only without hard links (true of a fresh file system plus tests
// that clean up).
static int used_inodes(const char *path, int depth) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 0;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.type != T_DIR || depth > 8) {
    close(fd);
    return 1;
  }
  int n = 1;
  struct dirent de;
  char sub[MAXPATH];
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (!de.inum)
      continue;
    char name[DIRSIZ + 1];
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    if (strlen(path) + strlen(name) + 2 > sizeof(sub))
      continue;
    strcpy(sub, path);
    if (strcmp(path, "/") != 0)
      strcat(sub, "/");
    strcat(sub, name);
    n += used_inodes(sub, depth + 1);
  }
  close(fd);
  return n;
}

static void name_of(char *buf, int i) { test_format(buf, 32, DIR "/f%d", i); }

// Creates empty files until that fails; returns how many were made.
static int fill_inodes(void) {
  char name[32];
  int n = 0;
  for (;;) {
    name_of(name, n);
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      break;
    close(fd);
    n++;
    if (n > NINODES)
      break;  // cannot be: there are not that many inodes
  }
  return n;
}

static int remove_files(int n) {
  char name[32];
  int removed = 0;
  for (int i = 0; i < n; i++) {
    name_of(name, i);
    removed += unlink(name) == 0;
  }
  return removed;
}

static void test_inodes(void) {
  // Inode 0 is never used, so NINODES - 1 can be; the root directory and
  // everything under it use some.
  int used = used_inodes("/", 0);
  ASSERT_EQ(mkdir(DIR), 0, "mkdir " DIR);
  int expect = NINODES - 1 - used - 1;
  int n1 = fill_inodes();
  EXPECT_EQ(n1, expect, "create files until the inodes run out: %d (NINODES %d, "
            "%d in use before)", expect, NINODES, used);
  char name[32];
  name_of(name, n1);
  EXPECT_EQ(open(name, O_CREATE | O_RDWR), -1, "creating one more fails");
  EXPECT_EQ(open(name, O_RDONLY), -1, "and leaves no entry behind");
  EXPECT_EQ(mkdir(DIR "/sub"), -1, "mkdir fails too");
  EXPECT_EQ(open(DIR "/sub", O_RDONLY), -1, "and leaves no entry behind");
  EXPECT_EQ(link(DIR "/f0", DIR "/link"), 0, "link needs no inode: it works");
  EXPECT_EQ(unlink(DIR "/link"), 0, "unlink the link");
  int fd = open(DIR "/f0", O_RDWR);
  EXPECT_EQ(write(fd, "data", 4), 4, "existing files can still be written");
  close(fd);
  EXPECT_EQ(remove_files(n1), n1, "remove all %d files", n1);
  int n2 = fill_inodes();
  EXPECT_EQ(n2, n1, "the same number can be created again: no inode leaked");
  EXPECT_EQ(remove_files(n2), n2, "remove them again");
  EXPECT_EQ(unlink(DIR), 0, "remove " DIR);
}

#define CHUNK (16 * BSIZE)
static char chunk[CHUNK];

// Writes files of up to MAXFILE blocks until the disk is full. Returns the
// bytes that the files hold afterwards; *nfiles is set to the file count.
static long fill_blocks(int *nfiles) {
  char name[32];
  long total = 0;
  int full = 0;
  int i;
  for (i = 0; !full && i < 64; i++) {
    name_of(name, i);
    int fd = open(name, O_CREATE | O_WRONLY);
    if (fd < 0)
      break;
    long size = 0;
    while (size + CHUNK <= (long)MAXFILE * BSIZE) {
      int w = write(fd, chunk, CHUNK);
      if (w != CHUNK) {
        full = 1;
        break;
      }
      size += CHUNK;
    }
    // Top it up byte-exactly to the block where writing stops.
    while (!full && size < (long)MAXFILE * BSIZE) {
      if (write(fd, chunk, BSIZE) != BSIZE)
        full = 1;
      else
        size += BSIZE;
    }
    close(fd);
  }
  *nfiles = i;
  for (int k = 0; k < i; k++) {
    struct stat st;
    name_of(name, k);
    if (stat(name, &st) == 0)
      total += (long)st.size;
  }
  return total;
}

static void test_blocks(void) {
  ASSERT_EQ(mkdir(DIR), 0, "mkdir " DIR);
  memset(chunk, 0x6b, sizeof(chunk));
  struct kstat ks;
  ASSERT_EQ(kstat(&ks), 0, "kstat");
  int t0 = uptime();
  int files1;
  long bytes1 = fill_blocks(&files1);
  test_note("disk full after %ld KiB in %d files, %d ticks (%d blocks were free)",
            bytes1 >> 10, files1, uptime() - t0, ks.free_blocks);
  // Every free block but each file's index blocks (the indirect block, the
  // double-indirect block and at most MAXFILE / NINDIRECT indirect blocks
  // below it) and a few for the directory holds data.
  EXPECT_GE(bytes1 / BSIZE, (long)ks.free_blocks - files1 * (2 + MAXFILE / NINDIRECT) - 8,
            "the free blocks were filled with data");
  EXPECT_LT(bytes1, (long)FSSIZE * BSIZE, "and it did fill");
  int fd = open(DIR "/new", O_CREATE | O_RDWR);
  EXPECT_GE(fd, 0, "a new (empty) file can still be created");
  EXPECT_EQ(write(fd, chunk, BSIZE), -1, "but a block of data does not fit");
  close(fd);
  struct stat st;
  EXPECT_EQ(stat(DIR "/new", &st) == 0 ? (long)st.size : -1, 0, "the new file stays empty");
  EXPECT_EQ(unlink(DIR "/new"), 0, "unlink it");
  EXPECT_EQ(mkdir(DIR "/sub"), -1, "mkdir on a full disk fails (it needs a block)");
  EXPECT_EQ(open(DIR "/sub", O_RDONLY), -1, "and leaves no entry behind");

  // Data written before the disk filled is intact.
  char name[32];
  name_of(name, 0);
  fd = open(name, O_RDONLY);
  int good = 1;
  static char rb[CHUNK];
  for (int k = 0; k < 8 && good; k++) {
    good = read(fd, rb, CHUNK) == CHUNK && memcmp(rb, chunk, CHUNK) == 0;
  }
  close(fd);
  EXPECT_TRUE(good, "the first file reads back intact");

  EXPECT_EQ(remove_files(files1), files1, "remove all %d files", files1);
  int files2;
  long bytes2 = fill_blocks(&files2);
  EXPECT_EQ(bytes2, bytes1, "the same amount can be written again: no block leaked");
  EXPECT_EQ(remove_files(files2), files2, "remove them again");
  EXPECT_EQ(unlink(DIR), 0, "remove " DIR);
}

int main(void) {
  test_inodes();
  test_blocks();
  test_done();
}
