// soak: the file-system workers: fs (files written and read back, links,
// listings, nested directories) and race (three processes on the same names).
#include "soak.h"

// ---------------------------------------------------------------------------
// fs: file-system churn in the worker's directory.

#define MAXF 8

int w_fs(void) {
  int ops = 0;
  do {
    CHECK(mkdir("d") == 0 && mkdir("d/s") == 0 && mkdir("d/s/t") == 0, "mkdir d/s/t");
    int nf = 1 + rnd(MAXF);
    unsigned size[MAXF], key[MAXF];
    char name[24], other[24];
    for (int i = 0; i < nf; i++) {
      // Mostly small files, some past the direct blocks (48 KiB).
      size[i] = rnd(4) ? rnd(20000) : 40000 + rnd(160000);
      key[i] = seed;
      int fd = open(fmt(name, 24, "d/f%d", i), O_CREATE | O_RDWR);
      CHECK(fd >= 0 && write_pat(fd, key[i], size[i]) == size[i], "write %s", name);
      close(fd);
      ops++;
    }
    // Every other file gets a second name and loses its first.
    for (int i = 1; i < nf; i += 2) {
      fmt(name, 24, "d/f%d", i);
      CHECK(link(name, fmt(other, 24, "d/s/t/g%d", i)) == 0, "link %s", name);
      CHECK(unlink(name) == 0, "unlink %s", name);
    }
    for (int i = 0; i < nf; i++) {
      check_pat(fmt(name, 24, i % 2 ? "d/s/t/g%d" : "d/f%d", i), key[i], size[i], 1);
      ops++;
    }
    // The listing of d shows exactly the files still named there.
    int fd = open("d", O_RDONLY), seen = 0;
    struct dirent de;
    while (read(fd, &de, sizeof(de)) == sizeof(de))
      seen += de.inum != 0;
    close(fd);
    CHECK(seen == 3 + (nf + 1) / 2, "d lists %d entries, want %d", seen, 3 + (nf + 1) / 2);
    CHECK(unlink("d/s") == -1, "unlink of a non-empty directory works");
    for (int i = 0; i < nf; i++)
      CHECK(unlink(fmt(name, 24, i % 2 ? "d/s/t/g%d" : "d/f%d", i)) == 0, "unlink %s", name);
    CHECK(unlink("d/s/t") == 0 && unlink("d/s") == 0 && unlink("d") == 0, "rmdir d/s/t");
    ops++;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// race: three processes do random things to the same few names in one
// directory: create, write, read, link, unlink, mkdir, rmdir, create in a
// directory that may be going away, work in one as the current directory.
// Any call may fail; none may crash, and once everything is removed no
// inode or block may be missing (the round's kstat check).

static void racer(const char *home) {
  char a[8], b[8], d[8], f[16];
  struct stat st;
  int ops = 0;
  for (; more(); ops++) {
    int fd, n;
    fmt(a, 8, "n%d", rnd(6));
    fmt(b, 8, "n%d", rnd(6));
    fmt(d, 8, "d%d", rnd(3));
    fmt(f, 16, "%s/f%d", d, rnd(2));
    switch (rnd(9)) {
    case 0:
      if ((fd = open(a, O_CREATE | O_RDWR | (rnd(2) ? O_TRUNC : 0))) >= 0) {
        write_pat(fd, 1, rnd(9000));
        close(fd);
      }
      break;
    case 1:
      if ((fd = open(a, O_RDONLY)) >= 0) {
        CHECK(fstat(fd, &st) == 0 && (st.type == T_FILE || st.type == T_DIR), "fstat %s", a);
        while ((n = read(fd, iobuf, sizeof(iobuf))) > 0)
          ;
        CHECK(n == 0 || st.type == T_DIR, "read %s: %d", a, n);
        close(fd);
      }
      break;
    case 2: link(a, b); break;
    case 3: unlink(a); break;
    case 4: mkdir(d); break;
    case 5: unlink(d); break;
    case 6:
      if ((fd = open(f, O_CREATE | O_RDWR)) >= 0)
        close(fd);
      break;
    case 7: unlink(f); break;
    case 8:  // ".." of a removed directory is gone: come back by the full path
      if (chdir(d) == 0) {
        if ((fd = open("g", O_CREATE | O_RDWR)) >= 0)
          close(fd);
        unlink("g");
        CHECK(chdir(home) == 0, "chdir %s", home);
      }
    }
  }
  exit(ops);
}

int w_race(void) {
  int ops = 0, pids[3], st[3];
  char name[16], home[32];
  fmt(home, 32, "/soak.d/%s", who);
  do {
    for (int i = 0; i < 3; i++) {
      if ((pids[i] = fork()) == 0) {
        seed = seed * 31 + i + 1;
        racer(home);
      }
      CHECK(pids[i] > 0, "fork");
    }
    reap(pids, st, 3);
    CHECK(st[0] >= 0 && st[1] >= 0 && st[2] >= 0, "racers: statuses %d %d %d", st[0], st[1], st[2]);
    for (int i = 0; i < 6; i++)
      unlink(fmt(name, 16, "n%d", i));
    for (int i = 0; i < 3; i++) {
      unlink(fmt(name, 16, "d%d/f0", i));
      unlink(fmt(name, 16, "d%d/f1", i));
      unlink(fmt(name, 16, "d%d/g", i));
      unlink(fmt(name, 16, "d%d", i));
    }
    ops += st[0] + st[1] + st[2];
  } while (more());
  return ops;
}
