// crashload: the guest half of the crash test (tools/crashtest.py).
//
//   crashload run TAG SEED [THREADS]   write-heavy workload in /crash/TAG,
//                                      until the machine is killed
//   crashload check                    list every file and directory under
//                                      /crash, with sizes and checksums
//   crashload clean KEEP               remove everything in /crash but KEEP
//
// run: THREADS threads (default 4), each in its own directory
// /crash/TAG/tN, create files (written in several write() calls, then
// closed), unlink some, rename some (across directories, and sometimes onto
// an existing file, which the rename replaces), make and remove
// subdirectories holding files, and move an empty directory between them.
// Each thread's choices come from its own generator seeded by (SEED, N), so
// a run is reproducible up to how the threads interleave. Every file's
// contents are a function of its key (which names the run, so no two files
// ever written have the same contents), and so is checkable by `check`
// without knowing the seed. The key is the path without the subdirectory
// and with a name gK read as fK: a rename moves fK to gK in another (or the
// same) directory, so the file keeps its key, and so does a shorter
// "victim" gK made first to be replaced by it. After each step whose effect the kernel
// must have committed when the call returns, one line (one write(), so
// lines never mix) tells the host:
//   DONE path size checksum   after the last write() and close() returned
//   UNLINK path / RMDIR path  about to unlink a file / remove a directory
//   GONE path                 that unlink returned
//   MKDIR path                mkdir returned
//   RENAME old new            about to rename a file (DRENAME: a directory)
//   MOVED old new             that rename returned (DMOVED: a directory)
//   ERR what path             a call failed that should not (a bug)
// The host holds the guest to these lines after a crash: a DONE file must be
// there byte for byte unless an UNLINK for it followed, a GONE one must not;
// after a RENAME without its MOVED, either the old name or the new one holds
// the file, never both or neither (the rename is atomic).
// Each thread keeps at most MAXFILES files and MAXDIRS subdirectories, so
// the disk (80 MiB, some 8 MiB of it programs; 256 inodes) never fills.
//
// check prints `FILE path size checksum ok|bad` (ok: the contents are a
// prefix of what that path's file is written with, as a crash in the middle
// of writing it may leave), `DIR path`, and last `CHECKED files dirs`.
#include "pthread.h"
#include "user.h"
#include "weft/fs.h"

#define TOP "/crash"
#define MAXTHREADS 8
#define MAXFILES 8      // live files per thread
#define MAXDIRS 2       // live subdirectories per thread
#define MAXSIZE (100 * 1024)  // some files need the indirect block (> 48 KiB)
#define CHUNK (12 * 1024)     // the largest single write()

// ------------------------------------------------------------ contents

static unsigned mix(unsigned x) {  // a 32-bit hash finaliser
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

// The hash of a file's key (see the top): its path without a "/dM"
// subdirectory element, and with a last element gK read as fK.
static unsigned path_hash(const char *path) {  // FNV-1a
  const char *base = path + strlen(path);
  while (base > path && base[-1] != '/') base--;
  const char *sub = base - 1;  // the '/' before the last element
  while (sub > path && sub[-1] != '/') sub--;
  int skip = base - path >= 2 && *sub == 'd';  // drop "dM/"
  unsigned h = 2166136261u;
  for (const char *p = path; *p; p++) {
    if (skip && p == sub) p = base;
    unsigned char c = (unsigned char)(p == base && *p == 'g' ? 'f' : *p);
    h = (h ^ c) * 16777619u;
  }
  return h;
}

// Byte i of the file at a path with hash h: depends only on (h, i), so any
// piece can be made or checked on its own.
static unsigned char content(unsigned h, unsigned i) {
  return (unsigned char)(mix(h ^ ((i >> 2) * 0x9e3779b9u)) >> ((i & 3) * 8));
}

static unsigned sum_bytes(unsigned sum, const unsigned char *p, int n) {  // FNV-1a
  for (int i = 0; i < n; i++) sum = (sum ^ p[i]) * 16777619u;
  return sum;
}
#define SUM_START 2166136261u

// ------------------------------------------------------------ paths

// Appends s, then the number n unless it is negative, to the path at p.
static void path_add(char *p, const char *s, int n) {
  p += strlen(p);
  while (*s) *p++ = *s++;
  if (n >= 0) {
    char digits[12];
    int k = 0;
    do digits[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
    while (k > 0) *p++ = digits[--k];
  }
  *p = '\0';
}

// --------------------------------------------------------------- run

struct worker {
  pthread_t tid;
  int id;
  unsigned rng;
  char dir[MAXPATH];       // /crash/TAG/tN
  int next_name;           // names are never reused within a run
  int nfiles, files[MAXFILES], file_dir[MAXFILES];  // name, subdir (-1: dir)
  char file_letter[MAXFILES];  // 'f', or 'g' once renamed
  int ndirs, dirs[MAXDIRS];
  int xdir, xdir_in;       // the empty directory xK (-1: none), and its subdir
  unsigned char buf[CHUNK];
};

static struct worker workers[MAXTHREADS];

static unsigned rnd(struct worker *w, unsigned n) {  // uniform-ish in [0, n)
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 17;
  w->rng ^= w->rng << 5;
  return w->rng % n;
}

static void subdir_path(struct worker *w, int d, char *out) {
  strcpy(out, w->dir);
  if (d >= 0) path_add(out, "/d", d);
}

static void file_path(struct worker *w, int i, char *out) {
  subdir_path(w, w->file_dir[i], out);
  path_add(out, w->file_letter[i] == 'g' ? "/g" : "/f", w->files[i]);
}

__attribute__((noreturn)) static void fail(const char *what, const char *path) {
  printf("ERR %s %s\n", what, path);
  pthread_exit(0);
}

// Writes size bytes of path's contents to a new file and prints DONE.
static void write_file(struct worker *w, const char *path, unsigned size) {
  unsigned h = path_hash(path);
  int fd = open(path, O_CREATE | O_WRONLY);
  if (fd < 0) fail("create", path);
  unsigned sum = SUM_START;
  for (unsigned off = 0; off < size;) {
    unsigned n = 1 + rnd(w, CHUNK);
    if (n > size - off) n = size - off;
    for (unsigned k = 0; k < n; k++) w->buf[k] = content(h, off + k);
    if (write(fd, w->buf, (int)n) != (int)n) fail("write", path);
    sum = sum_bytes(sum, w->buf, (int)n);
    off += n;
  }
  if (close(fd) < 0) fail("close", path);
  printf("DONE %s %u %x\n", path, size, sum);
}

// Creates a file in subdirectory d (-1: the thread's own directory).
static void make_file(struct worker *w, int d) {
  int i = w->nfiles;
  w->files[i] = w->next_name++;
  w->file_dir[i] = d;
  w->file_letter[i] = 'f';
  char path[MAXPATH];
  file_path(w, i, path);
  // Mostly small files; one in eight up to MAXSIZE.
  unsigned size = rnd(w, 8) == 0 ? rnd(w, MAXSIZE + 1) : rnd(w, 24 * 1024 + 1);
  write_file(w, path, size);
  w->nfiles++;
}

// A random place for a file or the x directory: the thread's directory
// (-1) or one of its subdirectories.
static int random_dir(struct worker *w) {
  return w->ndirs > 0 && rnd(w, 2) ? w->dirs[rnd(w, (unsigned)w->ndirs)] : -1;
}

// Renames file i fK (or gK) to gK in a random directory, half the time
// onto a victim gK made there first (a prefix of the same contents).
static void rename_file(struct worker *w, int i) {
  char from[MAXPATH], to[MAXPATH];
  file_path(w, i, from);
  int d = random_dir(w);
  subdir_path(w, d, to);
  path_add(to, "/g", w->files[i]);
  if (strcmp(from, to) == 0) return;
  if (rnd(w, 2)) write_file(w, to, rnd(w, 8 * 1024));
  printf("RENAME %s %s\n", from, to);
  if (rename(from, to) < 0) fail("rename", from);
  printf("MOVED %s %s\n", from, to);
  w->file_dir[i] = d;
  w->file_letter[i] = 'g';
}

static void xdir_path(struct worker *w, int d, char *out) {
  subdir_path(w, d, out);
  path_add(out, "/x", w->xdir);
}

// Makes the empty directory xK, or moves it to another directory: a
// directory rename across directories (its ".." and both parents' link
// counts change).
static void move_xdir(struct worker *w) {
  char from[MAXPATH], to[MAXPATH];
  if (w->xdir < 0) {
    w->xdir = w->next_name++;
    w->xdir_in = -1;
    xdir_path(w, -1, to);
    if (mkdir(to) < 0) fail("mkdir", to);
    printf("MKDIR %s\n", to);
    return;
  }
  int d = random_dir(w);
  if (d == w->xdir_in) return;
  xdir_path(w, w->xdir_in, from);
  xdir_path(w, d, to);
  printf("DRENAME %s %s\n", from, to);
  if (rename(from, to) < 0) fail("rename", from);
  printf("DMOVED %s %s\n", from, to);
  w->xdir_in = d;
}

static void remove_file(struct worker *w, int i) {
  char path[MAXPATH];
  file_path(w, i, path);
  printf("UNLINK %s\n", path);
  if (unlink(path) < 0) fail("unlink", path);
  printf("GONE %s\n", path);
  w->nfiles--;
  w->files[i] = w->files[w->nfiles];
  w->file_dir[i] = w->file_dir[w->nfiles];
  w->file_letter[i] = w->file_letter[w->nfiles];
}

static void make_dir(struct worker *w) {
  char path[MAXPATH];
  int d = w->next_name++;
  subdir_path(w, d, path);
  if (mkdir(path) < 0) fail("mkdir", path);
  printf("MKDIR %s\n", path);
  w->dirs[w->ndirs++] = d;
}

// Removes subdirectory dirs[j] with the files in it.
static void remove_dir(struct worker *w, int j) {
  int d = w->dirs[j];
  for (int i = w->nfiles - 1; i >= 0; i--)
    if (w->file_dir[i] == d) remove_file(w, i);
  char path[MAXPATH];
  if (w->xdir >= 0 && w->xdir_in == d) {
    xdir_path(w, d, path);
    printf("RMDIR %s\n", path);
    if (unlink(path) < 0) fail("rmdir", path);
    printf("GONE %s\n", path);
    w->xdir = -1;
  }
  subdir_path(w, d, path);
  printf("RMDIR %s\n", path);
  if (unlink(path) < 0) fail("rmdir", path);
  printf("GONE %s\n", path);
  w->dirs[j] = w->dirs[--w->ndirs];
}

static void *work(void *arg) {
  struct worker *w = arg;
  if (mkdir(w->dir) < 0) fail("mkdir", w->dir);
  printf("MKDIR %s\n", w->dir);
  for (;;) {  // until the host kills the machine
    unsigned r = rnd(w, 100);
    if (r < 45) {
      if (w->nfiles == MAXFILES) remove_file(w, (int)rnd(w, MAXFILES));
      make_file(w, random_dir(w));
    } else if (r < 65) {
      if (w->nfiles > 0) remove_file(w, (int)rnd(w, (unsigned)w->nfiles));
    } else if (r < 77) {
      if (w->nfiles > 0) rename_file(w, (int)rnd(w, (unsigned)w->nfiles));
    } else if (r < 82) {
      move_xdir(w);
    } else if (r < 90) {
      if (w->ndirs < MAXDIRS) make_dir(w);
    } else if (w->ndirs > 0) {
      remove_dir(w, (int)rnd(w, (unsigned)w->ndirs));
    }
  }
  return 0;  // not reached
}

static int run(const char *tag, unsigned seed, int nthreads) {
  if (nthreads < 1 || nthreads > MAXTHREADS) nthreads = 4;
  mkdir(TOP);  // may exist from an earlier run
  char top[MAXPATH] = TOP "/";
  path_add(top, tag, -1);
  if (mkdir(top) < 0) {
    printf("ERR mkdir %s\n", top);
    return 1;
  }
  printf("MKDIR %s\n", top);
  for (int n = 0; n < nthreads; n++) {
    struct worker *w = &workers[n];
    w->id = n;
    w->rng = mix(seed * 2654435761u + (unsigned)n + 1) | 1;  // never 0
    w->xdir = -1;
    strcpy(w->dir, top);
    path_add(w->dir, "/t", n);
    if (pthread_create(&w->tid, 0, work, w) != 0) {
      printf("ERR pthread_create %s\n", w->dir);
      return 1;
    }
  }
  for (int n = 0; n < nthreads; n++) pthread_join(workers[n].tid, 0);
  return 1;  // a worker gave up (ERR)
}

// ------------------------------------------------------ check, clean

static unsigned char iobuf[BSIZE];
static int nfiles_seen, ndirs_seen;

// Calls fn(path of entry) for every entry of directory fd except . and ..
static void for_each_entry(int fd, const char *dir, void (*fn)(const char *)) {
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0) continue;
    char name[DIRSIZ + 1];
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = '\0';
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    char path[MAXPATH];
    strcpy(path, dir);
    path_add(path, "/", -1);
    path_add(path, name, -1);
    fn(path);
  }
}

static void check(const char *path) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    printf("ERR open %s\n", path);
    if (fd >= 0) close(fd);
    return;
  }
  if (st.type == T_DIR) {
    printf("DIR %s\n", path);
    ndirs_seen++;
    for_each_entry(fd, path, check);
  } else {
    unsigned h = path_hash(path), sum = SUM_START, size = 0;
    int ok = 1, n;
    while ((n = read(fd, iobuf, sizeof(iobuf))) > 0) {
      for (int k = 0; k < n; k++) ok &= iobuf[k] == content(h, size + (unsigned)k);
      sum = sum_bytes(sum, iobuf, n);
      size += (unsigned)n;
    }
    if (n < 0 || size != st.size) ok = 0;
    printf("FILE %s %u %x %s\n", path, size, sum, ok ? "ok" : "bad");
    nfiles_seen++;
  }
  close(fd);
}

static int removed;
static const char *keep;

static void remove_tree(const char *path) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.type == T_DIR)
    for_each_entry(fd, path, remove_tree);
  if (fd >= 0) close(fd);
  if (unlink(path) < 0) printf("ERR unlink %s\n", path);
  removed++;
}

static void clean_top(const char *path) {
  if (strcmp(path + strlen(TOP) + 1, keep) != 0) remove_tree(path);
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "run") == 0)
    return run(argv[2], (unsigned)atoi(argv[3]), argc >= 5 ? atoi(argv[4]) : 4);
  if (argc == 2 && strcmp(argv[1], "check") == 0) {
    int fd = open(TOP, O_RDONLY);
    if (fd >= 0) {
      close(fd);
      check(TOP);
    }
    printf("CHECKED %d %d\n", nfiles_seen, ndirs_seen);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "clean") == 0) {
    keep = argv[2];
    int fd = open(TOP, O_RDONLY);
    if (fd >= 0) {
      for_each_entry(fd, TOP, clean_top);
      close(fd);
    }
    printf("CLEANED %d\n", removed);
    return 0;
  }
  fprintf(2, "usage: crashload run TAG SEED [THREADS] | check | clean KEEP\n");
  return 2;
}
