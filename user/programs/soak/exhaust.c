// soak: the exhaustion phase: each resource driven to its end, counted and
// given back, and used while it is nearly exhausted.
#include "soak.h"

// ---------------------------------------------------------------------------
// Exhaustion: drive one resource to its end, check how far it went, give it
// all back. Runs alone, so the counts kstat gives beforehand are exact.

const char *knames[NK] = {"free pages",       "free threads",    "free procs",
                          "open files",       "cached inodes",   "free disk inodes",
                          "free disk blocks", "promised pages"};

static int kget(int field) {
  struct kstat st;
  CHECK(kstat(&st) == 0, "kstat");
  return ((int *)&st)[field];  // the fields are ints, in the order above
}

// Polls (a tick at a time, at most 10 s) until the count is want.
static void await_k(int field, int want) {
  int now = kget(field);
  for (int t = 0; now != want && t < 10 * hz; t++, now = kget(field))
    sleep(1);
  CHECK(now == want, "%s did not come back: %d, want %d", knames[field], now, want);
}

static int tdone, scrounged, fscrounged, scribbled;
static void tquick(void *w) { texit(w, 1); }
static void nop(void *arg) { (void)arg; }

// Tries, until `until`, everything that needs memory: -1 is fine while
// memory is short, but whatever works must work right.
static int scrounge(void) {
  int worked = 0;
  static char tstack[PGSIZE] __attribute__((aligned(16)));
  char buf[8];
  for (int i = 0; more(); i++) {
    int p[2], pid, st, n = 0;
    pthread_t t;
    void *v;
    char *q;
    switch (i % 5) {
    case 0:  // fork, exec and a pipe
      if (pipe(p) < 0)
        break;
      if ((pid = fork()) == 0) {
        char *argv[] = {"/echo", "ok", 0};
        move_fd(p[1], 1);
        exec(argv[0], argv);
        exit(127);
      }
      close(p[1]);
      n = read_all(p[0], buf, sizeof(buf));  // nothing if the fork failed
      st = pid > 0 ? reap1(pid) : 127;
      CHECK(st == 127 || (st == 0 && strcmp(buf, "ok\n") == 0),
            "short of memory, echo: status %d, %d bytes", st, n);
      worked += st == 0;
      break;
    case 1:
      if (pthread_create(&t, 0, triple, (void *)7) == 0 && ++worked)
        CHECK(pthread_join(t, &v) == 0 && v == (void *)22, "short of memory, pthread_join");
      break;
    case 2:
      if ((pid = thread_create(nop, 0)) > 0 && ++worked)
        CHECK(thread_join() == pid, "short of memory, thread_join");
      break;
    case 3:
      STORE(&tdone, 0);
      if (tspawn(tstack + PGSIZE, tquick, &tdone) > 0 && ++worked)
        while (!LOAD(&tdone))
          futex_wait(&tdone, 0);
      break;
    case 4:  // whole fresh pages (malloc leaves the break anywhere)
      n = -(unsigned long)sbrk(0) & (PGSIZE - 1);
      if ((q = sbrk(n + 8 * PGSIZE)) == (char *)-1)
        break;
      CHECK(q[n] == 0 && q[n + 8 * PGSIZE - 1] == 0, "short of memory, a grown page is not zero");
      stamp(q + n, 8, i);
      CHECK(stamped(q + n, 8, i) && sbrk(-n - 8 * PGSIZE) == q + n + 8 * PGSIZE,
            "short of memory, sbrk");
      worked++;
    }
  }
  return worked;
}

// Takes every page it can get, in shrinking steps, and says how many on
// rep; once go ends, gives back and takes again small amounts for 4 s;
// then checks that every page it holds is still its own.
static void __attribute__((noreturn)) hog(int i, int rep, int go) {
  char *base = sbrk(0), c;
  long got = 0;  // pages
  for (int step = 1024; step >= 1;) {
    if (sbrk(step * PGSIZE) == (char *)-1) {
      step /= 2;
      continue;
    }
    stamp(base + got * PGSIZE, step, (i << 24) + got);
    got += step;
  }
  write(rep, &got, sizeof(got));
  read(go, &c, 1);
  for (until = rdtime() + 40000000UL; more();) {
    int k = 1 + rnd(got < 96 ? got : 96);  // a fork needs some 30 pages
    CHECK(sbrk(-k * PGSIZE) != (char *)-1, "sbrk(-%d pages)", k);
    got -= k;
    sleep(1);
    for (; sbrk(PGSIZE) != (char *)-1; got++)
      stamp(base + got * PGSIZE, 1, (i << 24) + got);
  }
  exit(stamped(base, got, i << 24) ? 0 : 1);
}

// Three hogs take every page. While they hold them nothing more can fork
// and the file system still works; then, for 4 s, the hogs give back and
// take again while three others scrounge in what is left.
static int ex_pages(int unused) {
  (void)unused;
  int rep[2], go[2], pids[6], st[6], free0 = kget(K_PAGES);
  char c;
  CHECK(pipe(rep) == 0 && pipe(go) == 0, "pipe");
  for (int i = 0; i < 6; i++) {
    if ((pids[i] = fork()) == 0) {
      close(go[1]);  // go ends when the parent closes its end
      if (i < 3)
        hog(i, rep[1], go[0]);
      read(go[0], &c, 1);
      until = rdtime() + 40000000UL;
      exit(scrounge());
    }
    CHECK(pids[i] > 0, "fork");
  }
  close(rep[1]);
  close(go[0]);
  long total = 0, got;
  for (int i = 0; i < 3; i++) {
    CHECK(read(rep[0], &got, sizeof(got)) == sizeof(got), "hog %d reports", i);
    total += got;
  }
  close(rep[0]);
  // The forks above promised pages for their copy-on-write copies
  // (kalloc.h): those stay free, but nobody else gets them.
  int promised = kget(K_PROMISED), left = kget(K_PAGES) - promised;
  CHECK(left < 16 && total > free0 - promised - free0 / 20,
        "3 processes got %ld of %d free pages (%d promised), %d are left", total, free0,
        promised, left);
  // Nothing more fits, but the file system works.
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0)
    reap1(pid);
  CHECK(pid < 0, "fork works with %d pages free", left);
  put_file("p", "still works");
  expect_file("p", "still works");
  CHECK(unlink("p") == 0, "unlink p");
  close(go[1]);  // the hogs wiggle, the others scrounge
  reap(pids, st, 6);
  for (int i = 0; i < 6; i++)
    CHECK(i < 3 ? st[i] == 0 : st[i] >= 0, "%s %d: status %d", i < 3 ? "hog" : "scrounger",
          i, st[i]);
  await_k(K_PAGES, free0);
  scrounged = st[3] + st[4] + st[5];
  return total;
}

// A thread that waits to be let go; ex_threads starts them until it fails.
static int release, started;
static void hold(void) {
  ADD(&started, 1);
  futex_wake(&started, 1);
  while (!LOAD(&release))
    futex_wait(&release, 0);
}
static void tholder(void *arg) {  // tspawn
  hold();
  texit(arg, 0);
}
static void cholder(void *arg) {  // thread_create: a clone
  (void)arg;
  hold();
}
static void *pholder(void *arg) {  // pthread_create
  hold();
  return arg;
}

// Forks children that wait until it fails: exactly the free process slots
// fit, and then a clone does not either.
static int ex_procs(int unused) {
  (void)unused;
  static int pids[NPROC], st[NPROC];
  int go[2], n = 0, pid;
  char c;
  CHECK(pipe(go) == 0, "pipe");
  int free0 = kget(K_PROCS);
  while (n < NPROC && (pid = fork()) >= 0) {
    if (pid == 0) {
      close(go[1]);
      read(go[0], &c, 1);
      exit(7);
    }
    pids[n++] = pid;
  }
  CHECK(n == free0, "fork failed after %d children with %d slots free", n, free0);
  CHECK(kget(K_PROCS) == 0 && thread_create(cholder, 0) == -1, "clone with no process slot");
  close(go[1]);
  reap(pids, st, n);
  close(go[0]);
  for (int i = 0; i < n; i++)
    CHECK(st[i] == 7, "child %d: status %d", i, st[i]);
  await_k(K_PROCS, free0);
  return n;
}

// Starts threads of one kind (0 tspawn, 1 pthread_create, 2 thread_create)
// until that fails: exactly the free thread slots fit (for clones, the free
// process slots if fewer). Then lets them all go; returns how many there
// were.
static int ex_threads(int kind) {
  static pthread_t pt[NTHR + 1];
  static char stacks[NTHR + 1][1024];
  int n = 0, free0 = kget(K_THREADS), procs0 = kget(K_PROCS);
  pthread_attr_t small;
  pthread_attr_init(&small);
  pthread_attr_setstacksize(&small, 2 * PTHREAD_STACK_MIN);
  STORE(&release, 0);
  STORE(&started, 0);
  for (; n <= NTHR; n++) {
    int ok = kind == 0   ? tspawn(stacks[n + 1], tholder, 0) > 0
             : kind == 1 ? pthread_create(&pt[n], &small, pholder, (void *)(long)n) == 0
                         : thread_create(cholder, 0) > 0;
    if (!ok)
      break;
  }
  int want = kind == 2 ? (free0 < procs0 ? free0 : procs0) : free0;
  CHECK(n == want, "%s failed after %d, want %d", kind == 0 ? "tspawn" : kind == 1 ?
        "pthread_create" : "thread_create", n, want);
  for (int s; (s = LOAD(&started)) < n;)
    futex_wait(&started, s);
  STORE(&release, 1);
  futex_wake(&release, NTHR);
  for (int i = 0; i < n; i++) {
    void *v;
    if (kind == 1)
      CHECK(pthread_join(pt[i], &v) == 0 && v == (void *)(long)i, "pthread_join");
    if (kind == 2)
      CHECK(thread_join() > 0, "thread_join");
  }
  await_k(K_THREADS, free0);
  return n;
}

// Makes, writes, reads, links and removes files while a table is nearly
// full, until `until`: any step may fail, but a file that could be opened
// must read back what was written. Leaves names behind for the caller.
static int fs_scrounge(int id) {
  char d[16], f[24], g[24], buf[32], got[32];
  int worked = 0, fd, n;
  fmt(d, 16, "c/s%d", id);
  fmt(f, 24, "c/s%d/f", id);
  fmt(g, 24, "c/g%d", id);
  for (int k = 0; more(); k++) {
    mkdir(d);
    if ((fd = open(f, O_CREATE | O_RDWR | O_TRUNC)) >= 0) {
      n = strlen(fmt(buf, 32, "%d %d", id, k));
      CHECK(write(fd, buf, n) == n, "write %s", f);
      close(fd);
    }
    if ((fd = open(f, O_RDONLY)) >= 0) {
      n = read(fd, got, sizeof(got) - 1);
      close(fd);
      got[n > 0 ? n : 0] = 0;
      CHECK(strcmp(got, buf) == 0, "%s holds \"%s\", want \"%s\"", f, got, buf);
      worked++;
    }
    link(f, g);
    unlink(f);
    unlink(g);
    unlink(d);
  }
  return worked;
}

// Children open files until open fails, twelve of them, until the
// open-file table (NFILE) is full: distinct files, or one file over and
// over. Each count comes out exact (eleven descriptors per child are more
// than enough), and what needs a table entry fails cleanly. With distinct
// files the inode cache still has room (NINODE is sized so that open files
// cannot fill it), so a path lookup and a mkdir still work. Then, for 4 s, the children close and reopen files at
// random while two others use files in what is left. The children's exit
// empties the table again.
static int ex_files(int distinct) {
  char name[16], c;
  int rep[2], go[2], pids[14], st[14], dir, got = 0, kids = 12;
  CHECK(mkdir("c") == 0 && (dir = open("c", O_RDONLY)) >= 0, "mkdir c");
  for (int i = 0; i < (distinct ? 12 * 11 : 1); i++)
    put_file(fmt(name, 16, "c/%d", i), "");
  CHECK(pipe(rep) == 0 && pipe(go) == 0, "pipe");
  int k = K_FILES, base = kget(k), max = NFILE;
  for (int i = 0; i < kids; i++) {
    if ((pids[i] = fork()) == 0) {
      int fds[11], n = 0;
      close(go[1]);
      close(rep[0]);
      close(dir);  // eleven descriptors free
#define NAME(j) fmt(name, 16, "c/%d", distinct ? i * 11 + (j) : 0)
      while (n < 11 && (fds[n] = open(NAME(n), O_RDONLY)) >= 0)
        n++;
      write(rep[1], &n, sizeof(n));
      read(go[0], &c, 1);
      for (until = rdtime() + 40000000UL; more() && n > 0;) {
        int j = rnd(n), m = 1 + rnd(n - j < 4 ? n - j : 4);
        for (int x = j; x < j + m; x++)
          close(fds[x]);
        sleep(1);
        for (int x = j; x < j + m; x++)
          fds[x] = open(NAME(x), O_RDONLY);
      }
      exit(0);
    }
    CHECK(pids[i] > 0, "fork");
  }
  close(rep[1]);
  close(go[0]);
  for (int i = 0, n; i < kids; i++, got += n)
    CHECK(read(rep[0], &n, sizeof(n)) == sizeof(n), "child %d reports", i);
  int now = kget(k), p[2];
  CHECK(got == max - base && now == max, "%d opened, %d in use of %d (%d before)",
        got, now, max, base);
  CHECK(open("/README.md", O_RDONLY) == -1, "open works with a full table");
  if (distinct)
    CHECK(kget(K_CINODES) < NINODE && mkdir("c/d") == 0 && unlink("c/d") == 0,
          "mkdir works with every file open (%d of %d inode entries in use)",
          kget(K_CINODES), NINODE);
  else
    CHECK(pipe(p) == -1, "pipe works with a full table");
  until = rdtime() + 40000000UL;
  for (int i = kids; i < kids + 2; i++)
    if ((pids[i] = fork()) == 0) {
      close(go[1]);  // the holders must see the end of it
      exit(fs_scrounge(i));
    }
  close(go[1]);
  reap(pids, st, kids + 2);
  for (int i = 0; i < kids + 2; i++)
    CHECK(st[i] >= 0 && (i >= kids || st[i] == 0), "child %d: status %d", i, st[i]);
  close(rep[0]);
  fscrounged += st[kids] + st[kids + 1];
  await_k(k, base - 4);  // the pipes' four ends were counted
  for (int i = kids; i < kids + 2; i++) {
    unlink(fmt(name, 16, "c/s%d/f", i));
    unlink(fmt(name, 16, "c/g%d", i));
    unlink(fmt(name, 16, "c/s%d", i));
  }
  for (int i = 0; i < (distinct ? 12 * 11 : 1); i++)
    CHECK(unlink(fmt(name, 16, "c/%d", i)) == 0, "unlink %s", name);
  close(dir);
  CHECK(unlink("c") == 0, "rmdir c");
  return got;
}

static int ex_inodes(int unused) {
  (void)unused;
  char name[16];
  CHECK(mkdir("i") == 0, "mkdir i");
  int n = 0, free0 = kget(K_DINODES), fd;
  while (n <= NINODES && (fd = open(fmt(name, 16, "i/%d", n), O_CREATE | O_RDWR)) >= 0) {
    close(fd);
    n++;
  }
  CHECK(n == free0, "create failed after %d files, %d inodes were free", n, free0);
  CHECK(mkdir("i/d") == -1 && kget(K_DINODES) == 0, "no inode left, yet mkdir works");
  for (int i = 0; i < n; i++)
    CHECK(unlink(fmt(name, 16, "i/%d", i)) == 0, "unlink %s", name);
  CHECK(unlink("i") == 0, "rmdir i");
  await_k(K_DINODES, free0 + 1);
  return n;
}

static char chunk[16 * BSIZE];

// Writes, checks and removes files on a nearly full disk until `until`:
// writes end short at random points, and every byte a write said it wrote
// must read back. Returns how many files came out whole.
static int scribble(int id) {
  char name[16];
  int whole = 0;
  for (int k = 0; more(); k++) {
    unlink(fmt(name, 16, "b/w%d.%d", id, k % 4));  // four files at most
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      continue;  // no block for the directory, or no inode
    unsigned key = id * 100000 + k, want = rnd(120000), size = write_pat(fd, key, want);
    close(fd);
    check_pat(name, key, size, 1);
    whole += size == want;
  }
  for (int k = 0; k < 4; k++)
    unlink(fmt(name, 16, "b/w%d.%d", id, k));
  return whole;
}

// Fills the disk with files of `reps` chunks of 16 blocks, as many chunks
// as it takes for the free inodes to suffice (and for b to stay one block
// of entries); exactly the free blocks fit. Then two processes scribble for
// 4 s while the fill files go one by one.
static int ex_disk(int unused) {
  (void)unused;
  char name[16];
  CHECK(mkdir("b") == 0, "mkdir b");
  int free0 = kget(K_BLOCKS), inodes = kget(K_DINODES) - 8, nf = 0, used = 0;
  int files = inodes < 200 ? inodes : 200, per = (int)(sizeof(chunk) / BSIZE);
  CHECK(files > 0, "only %d free disk inodes", inodes + 8);
  int reps = (free0 + files * per - 1) / (files * per), full = 1;
  for (int i = 0; i < (int)sizeof(chunk); i++)
    chunk[i] = pat(0, i);
  int last_blocks = 0;
  while (full) {
    int fd = open(fmt(name, 16, "b/%d", nf++), O_CREATE | O_WRONLY);
    CHECK(fd >= 0, "create %s", name);
    int size = 0;
    for (int r = 0; r < reps && full; r++) {
      int w = write(fd, chunk, sizeof(chunk));
      size += w > 0 ? w : 0;
      full = w == sizeof(chunk);
    }
    close(fd);
    int blocks = (size + BSIZE - 1) / BSIZE;
    used += blocks + (blocks > NDIRECT);  // data blocks and the indirect block
    last_blocks = blocks;
  }
  // The write that found the disk full may have got the indirect block
  // and then no data block for it: the file keeps it (and frees it with
  // the rest).
  int ind_only = last_blocks == NDIRECT;
  int left = kget(K_BLOCKS);
  CHECK(left == 0 && (used == free0 || (ind_only && used + 1 == free0)),
        "disk full: %d blocks free, files hold %d of %d", left, used, free0);
  int fd = open("b/new", O_CREATE | O_RDWR);
  CHECK(fd >= 0 && write(fd, chunk, 1) == -1, "a write to a full disk works");
  close(fd);
  CHECK(unlink("b/new") == 0, "unlink b/new");
  int pids[2], st[2];
  until = rdtime() + 40000000UL;
  for (int i = 0; i < 2; i++)
    if ((pids[i] = fork()) == 0)
      exit(scribble(i));
  for (int i = nf - 1; i > 0 && more(); i--) {
    sleep(hz / 4);
    CHECK(unlink(fmt(name, 16, "b/%d", i)) == 0, "unlink %s", name);
    nf--;
  }
  reap(pids, st, 2);
  CHECK(st[0] >= 0 && st[1] >= 0, "scribblers: statuses %d %d", st[0], st[1]);
  CHECK(get_file("b/0", chunk, BSIZE) == BSIZE - 1, "read b/0");
  for (int i = 0; i < BSIZE - 1; i++)
    CHECK(chunk[i] == pat(0, i), "b/0: byte %d differs", i);
  for (int i = 0; i < nf; i++)
    CHECK(unlink(fmt(name, 16, "b/%d", i)) == 0, "unlink %s", name);
  CHECK(unlink("b") == 0, "rmdir b");
  await_k(K_BLOCKS, free0 + 1);
  scribbled = st[0] + st[1];
  return used;
}

int verbose;  // -v: say what the exhaustion phase is doing

static int step(const char *what, int (*fn)(int), int arg) {
  if (verbose)
    printf("soak: exhaust: %s\n", what);
  return fn(arg);
}

int w_exhaust(void) {
  int pages = step("pages", ex_pages, 0), procs = step("procs", ex_procs, 0);
  int t = step("tspawn", ex_threads, 0), p = step("pthread_create", ex_threads, 1);
  int c = step("thread_create", ex_threads, 2);
  int icache = step("files, distinct", ex_files, 1), files = step("file table", ex_files, 0);
  int inodes = step("inodes", ex_inodes, 0), blocks = step("disk", ex_disk, 0);
  printf("soak: exhaustion: pages %d, processes %d, tspawn %d, pthread_create %d, "
         "thread_create %d, cached inodes %d, open files %d, disk inodes %d, disk blocks %d; "
         "done when short of them: %d with memory, %d with files, %d with disk: ok\n",
         pages, procs, t, p, c, icache, files, inodes, blocks, scrounged, fscrounged,
         scribbled);
  return 1;
}
