// ls: list directories and files. For each entry: name, type (1 directory,
// 2 file, 3 device), inode number and size in bytes. `ls -l`: a type letter
// (d directory, - file, c device), the link count, the size and the name.
#include "user.h"
#include "weft/fs.h"

// The last component of path, which is what a listing shows.
static const char *basename(const char *path) {
  const char *base = path;
  for (const char *p = path; *p; p++) {
    if (*p == '/' && p[1] != '\0')
      base = p + 1;
  }
  return base;
}

static int long_form;

static void show(const char *name, const struct stat *st) {
  if (long_form)
    printf("%c %3d %9lu %s\n", st->type == T_DIR ? 'd' : st->type == T_DEVICE ? 'c' : '-',
           st->nlink, st->size, name);
  else
    printf("%-14s %d %d %lu\n", name, st->type, st->ino, st->size);
}

// Lists the directory open as fd. Returns 0, or -1 after an error.
static int list_dir(int fd, const char *path) {
  // Room for path, a '/', a full-length name and its NUL.
  char full[MAXPATH + DIRSIZ + 2];
  size_t plen = strlen(path);
  if (plen + 1 + DIRSIZ + 1 > sizeof(full)) {
    fprintf(2, "ls: path too long: %s\n", path);
    return -1;
  }
  strcpy(full, path);
  full[plen] = '/';
  char *name = full + plen + 1;

  int status = 0;
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;  // a free slot
    // A name of exactly DIRSIZ characters has no NUL in the entry.
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = '\0';
    struct stat st;
    if (stat(full, &st) < 0) {
      fprintf(2, "ls: %s: %s\n", full, strerror(errno));
      status = -1;
      continue;
    }
    show(name, &st);
  }
  return status;
}

static int ls(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  int r = 0;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: %s: %s\n", path, strerror(errno));
    r = -1;
  } else if (st.type == T_DIR) {
    r = list_dir(fd, path);
  } else {
    show(basename(path), &st);
  }
  close(fd);
  return r;
}

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "-l") == 0) {
    long_form = 1;
    first = 2;
  }
  if (argc <= first)
    return ls(".") < 0 ? 1 : 0;
  int status = 0;
  for (int i = first; i < argc; i++) {
    if (ls(argv[i]) < 0)
      status = 1;
  }
  return status;
}
