// fuzz: a random system-call fuzzer.
//
//   fuzz SECONDS SEED [PROCS [THREADS]]      (default 4 workers x 4 threads)
//
// The root process keeps PROCS worker processes going for SECONDS. In each
// worker, THREADS threads (and more threads, clones and forked children, as
// the dice say) call system calls by number (raw ecall, sc()) with arguments
// drawn from valid and hostile values: NULL, kernel addresses, the stack's
// guard page, read-only text as an output buffer, addresses past the break,
// an arena that other threads shrink with sbrk meanwhile, fds that other
// threads close, a path that other threads rewrite while the kernel reads it,
// directories that other threads remove, huge and negative sizes, unknown
// call numbers. The palette (palette.c) is the one table of what is called.
//
// A worker lives 1-6 s; then the root kills it and everything it made, and
// starts another. A worker's main thread does not fuzz: it wakes its threads
// out of futex_wait and desch, and replaces threads stuck in a call (a pipe
// nobody writes, wait), so that the fuzzing goes on. Every new process
// registers through a pipe to the root (the registry, report()), which also
// carries the counts and wrong results; the root kills every registered
// process whose worker has ended, so nothing outlives the run. At the end
// the root kills and reaps everything, removes the run's files, checks that
// the kernel still works and that kstat shows every resource given back,
// and prints "fuzz: ... PASS" or "fuzz: ... FAIL: what".
//
// Never called, because they would only end the run: halt; kill of a process
// not made by the run; exit in the root or a worker's main thread; exec of
// anything but `echo` and `fuzz -x` (which exits at once); reading the
// console (workers close fds 0-2, and mknod never makes major 1); sbrk below
// the memory the fuzzer itself uses.
//
// Reproducibility: each thread has its own xorshift64* stream, seeded from
// SEED, the worker's number and its creator's stream, so a seed makes the
// same choices in the same order in each thread. How threads and harts
// interleave, and so what each call finds, is not reproducible.
//
// The files: fuzz.h what they share, util.c raw calls, random numbers and
// the registry's records, args.c the arguments, palette.c the operations,
// worker.c the workers and their threads, main.c the root.
#include "fuzz.h"

// ---------------------------------------------------------------------------
// The root. A thread copies the registry into a ring; the main thread starts
// and ends workers, reaps, kills what ended workers left behind, and counts.
#define RING 1024
#define MAXFAM 1024
#define MAXGEN 65536
#define MAXPI (NPROC + NTHR)
static struct { int type; u64 v; } g_ring[RING];
static unsigned g_head, g_tail;               // advanced by the reader, by main
static int g_reader_done;
static char g_reader_stack[PGSIZE] __attribute__((aligned(16)));
static struct { int pid, w; } g_fam[MAXFAM];  // registered, maybe alive
static int g_nfam, g_all_dead, g_ngen;
static unsigned char g_dead[MAXGEN / 8];      // workers that have ended
static struct { int pid, w; long end; } g_work[MAXPROCS];
static long g_calls, g_procs, g_threads, g_bad, g_opn[NOPS_MAX], g_opok[NOPS_MAX];
static struct procinfo g_pi[MAXPI];
static char g_why[240];
static int g_root, g_hz = 100;

static char *dec(int v, char t[16]) {  // decimal text of v, inside t
  char *s = t + 15;
  unsigned u = v < 0 ? -(unsigned)v : (unsigned)v;
  *s = 0;
  do *--s = '0' + u % 10; while (u /= 10);
  if (v < 0) *--s = '-';
  return s;
}

// Adds a reason to the FAIL line; fmt knows %s and %d.
static void why(const char *fmt, ...) {
  char *p = g_why + strlen(g_why), *e = g_why + sizeof(g_why) - 1, t[16];
  va_list ap;
  va_start(ap, fmt);
  for (const char *s = p == g_why ? "" : "; "; *s && p < e;) *p++ = *s++;
  for (; *fmt && p < e; fmt++) {
    const char *s = *fmt != '%' ? (t[0] = *fmt, t[1] = 0, t)
                    : *++fmt == 's' ? va_arg(ap, const char *) : dec(va_arg(ap, int), t);
    while (*s && p < e) *p++ = *s++;
  }
  *p = 0;
  va_end(ap);
}

static void reader(void *arg) {
  unsigned char buf[512];
  int type = 0, n = 0;
  u64 v = 0;
  for (int got; (got = read(g_regr, buf, sizeof(buf))) > 0;) {
    for (int i = 0; i < got; i++) {
      if (buf[i] & 0x80) {
        type = buf[i] & 0x7f, n = 0, v = 0;
      } else if (type && (v |= (u64)buf[i] << (7 * n), ++n == 7)) {
        while (g_head - __atomic_load_n(&g_tail, __ATOMIC_ACQUIRE) >= RING) sleep(1);
        g_ring[g_head % RING].type = type, g_ring[g_head % RING].v = v;
        __atomic_store_n(&g_head, g_head + 1, __ATOMIC_RELEASE);
        type = 0;
      }
    }
  }
  (void)arg;
  texit(&g_reader_done, 1);  // end of file: every writer is gone
}

static int dead(int w) { return g_all_dead || (g_dead[w % MAXGEN / 8] >> (w % 8) & 1); }
static void set_dead(int w) { g_dead[w % MAXGEN / 8] |= 1 << (w % 8); }

static void drain(void) {
  for (unsigned head = __atomic_load_n(&g_head, __ATOMIC_ACQUIRE); g_tail != head;) {
    int type = g_ring[g_tail % RING].type, i;
    u64 v = g_ring[g_tail % RING].v;
    __atomic_store_n(&g_tail, g_tail + 1, __ATOMIC_RELEASE);
    if (type == R_BORN && (g_procs++, g_threads++, g_nfam < MAXFAM))
      g_fam[g_nfam].pid = v & 0xffffffff, g_fam[g_nfam++].w = v >> 32;
    if (type == R_OP && (i = v & 0xff) < NOPS_MAX)
      g_opn[i] += v >> 8 & 0xfffff, g_opok[i] += v >> 28, g_calls += v >> 8 & 0xfffff;
    if (type == R_THREADS) g_threads += v;
    if (type == R_BAD && (v & 0xff) == BAD_MEMORY && g_bad++ < 20)
      printf("fuzz: wrong result: memory that no one writes changed at byte %d\n", (int)(v >> 8));
    else if (type == R_BAD && g_bad++ < 20)
      printf("fuzz: wrong result: %s returned %d\n", palette[(v & 0xff) % g_nops].name, (int)(v >> 8));
  }
}

// One look at the process table: reap our zombie children, forget the
// registered processes that are gone, kill those whose worker has ended.
// Returns how many registered processes and children of ours are there.
static int scan(void) {
  drain();
  int n = procinfo(g_pi, MAXPI), left = 0, zombies = 0;
  for (int i = 0; i < n; i++) {
    left += g_pi[i].ppid == g_root && (i == 0 || g_pi[i].pid != g_pi[i - 1].pid);
    zombies += g_pi[i].ppid == g_root && g_pi[i].tid == 0 && g_pi[i].state == PI_ZOMBIE;
  }
  for (int f = 0; f < g_nfam;) {
    int present = 0, alive = 0;
    for (int i = 0; i < n; i++)
      if (g_pi[i].pid == g_fam[f].pid) present = 1, alive |= g_pi[i].state != PI_ZOMBIE;
    if (!present) {  // it was made before it registered, so it was in the table
      g_fam[f] = g_fam[--g_nfam];
      continue;
    }
    if (alive && dead(g_fam[f].w)) kill(g_fam[f].pid);
    left += alive, f++;
  }
  for (; zombies > 0; zombies--)
    for (int j = 0, pid = wait(0); j < MAXPROCS; j++)
      if (pid > 0 && g_work[j].pid == pid) set_dead(g_work[j].w), g_work[j].pid = 0;
  return n < 0 ? -1 : left;
}

// Empties the cwd: each entry is unlinked, a directory emptied first with
// chdir (the tree may be deeper than MAXPATH). Returns what could not go.
static int rm_here(void) {
  struct dirent de;
  struct stat st;
  char name[DIRSIZ + 1];
  for (int skip = 0, failed = 0;;) {
    int fd = open(".", O_RDONLY), seen = 0, found = 0;
    while (!found && fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de)) {
      memmove(name, de.name, DIRSIZ), name[DIRSIZ] = 0;
      found = de.inum && strcmp(name, ".") && strcmp(name, "..") && seen++ >= skip;
    }
    close(fd);
    if (!found) return failed;
    if (unlink(name) == 0) continue;  // a file, a device, an empty directory
    if (stat(name, &st) == 0 && st.type == T_DIR && chdir(name) == 0) {
      failed += rm_here();
      chdir("..");
      if (unlink(name) == 0) continue;
    }
    failed++, skip++;
  }
}

// The kernel still answers: getpid, a pipe, fork and wait, a file. Then
// everything the run took must come back (freeing may finish a little
// after wait returns: allow 5 s).
static void check_kernel(struct kstat *before) {
  static const char *what[] = {"free pages", "free threads", "free procs", "open files",
                               "cached inodes", "free disk inodes", "free disk blocks"};
  char a[100], b[100], path[32];
  int fds[2] = {-1, -1}, st = 0, fd;
  for (int i = 0; i < 100; i++) a[i] = 'a' + i % 26, b[i] = 0;
  if (getpid() != g_root) why("getpid is wrong");
  if (pipe(fds) < 0 || write(fds[1], a, 100) != 100 || read(fds[0], b, 100) != 100 || memcmp(a, b, 100))
    why("pipe round trip failed");
  close(fds[0]), close(fds[1]);
  int pid = fork();
  if (pid == 0) exit(42);
  if (pid < 0 || wait(&st) != pid || st != 42) why("fork+wait failed");
  strcat(strcpy(path, g_top), "/chk");
  if ((fd = open(path, O_CREATE | O_RDWR)) < 0 || write(fd, a, 100) != 100) why("file write failed");
  close(fd), memset(b, 0, 100);
  if ((fd = open(path, O_RDONLY)) < 0 || read(fd, b, 100) != 100 || memcmp(a, b, 100)) why("file read failed");
  close(fd);
  if (unlink(path) < 0) why("unlink failed");
  struct kstat now;
  for (int i = 0; i < 5 * g_hz; i++, sleep(1))
    if (kstat(&now) == 0 && !memcmp(&now, before, KSTAT_RESOURCE_BYTES)) return;
  for (int i = 0; i < 7; i++) {
    int x = ((int *)before)[i], y = ((int *)&now)[i];
    if (x != y) why("%s %d -> %d", what[i], x, y);
  }
}

// A checksum of the names in "/": the run must leave nothing there.
static unsigned root_names(void) {
  struct dirent de;
  unsigned h = 0;
  int fd = open("/", O_RDONLY);
  while (fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de))
    for (int i = 0; de.inum && i < DIRSIZ && de.name[i]; i++) h = h * 31 + de.name[i] + i;
  close(fd);
  return h;
}

static int digits(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return *s && strlen(s) < 10;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "-x") == 0) return 0;  // exec'd by a worker
  int ok = argc >= 3 && argc <= 5;
  for (int i = 1; ok && i < argc; i++) ok = digits(argv[i]);
  if (!ok) {
    fprintf(2, "usage: fuzz SECONDS SEED [PROCS [THREADS]]\n");
    return 2;
  }
  int secs = atoi(argv[1]), nprocs = argc > 3 ? atoi(argv[3]) : 4;
  int nthreads = argc > 4 ? atoi(argv[4]) : 4, fds[2];
  if (nprocs < 1 || nprocs > MAXPROCS) nprocs = 4;
  g_seed = atoi(argv[2]), g_root = getpid();
  char args[128], t[16];
  if (bootargs(args, sizeof(args)) > 0)
    for (char *s = args; *s; s++)
      if ((s == args || s[-1] == ' ') && !strncmp(s, "tick=", 5) && atoi(s + 5) > 0) g_hz = atoi(s + 5);
  for (int i = 0; i < g_nops; i++) g_total += palette[i].weight;
  // Addresses from the layout exec made: a guard page and the stack right
  // above the program, and the break at the top of the stack.
  extern char end[];
  g_edge = g_guard = (long)sbrk(0) - (USTACK_PAGES + 1) * PGSIZE;
  if (g_guard - (long)end >= 16) memset((char *)(g_edge = g_guard - 16), 'a', 16);
  g_text = (long)main;
  for (int i = 0; i < (int)sizeof(g_pattern); i++) g_pattern[i] = 'a' + i % 26;
  memset(g_long, 'a', sizeof(g_long) - 1);

  strcat(strcpy(g_top, "/fz"), dec(g_root, t));
  struct kstat before;
  unsigned names = root_names();
  if (mkdir(g_top) < 0 || kstat(&before) < 0 || mkdir(strcat(strcpy(args, g_top), "/s")) < 0 ||
      pipe(fds) < 0 || (g_regr = fds[0], g_regw = fds[1],
                        tspawn(g_reader_stack + PGSIZE, reader, 0) < 0)) {
    printf("fuzz: cannot set up in %s\n", g_top);
    return 1;
  }
  printf("fuzz: %d s, seed %d, %d processes x %d threads, %d Hz, in %s\n", secs, (int)g_seed,
         nprocs, nthreads, g_hz, g_top);

  u64 rs = mix(g_seed);
  long t0 = uptime(), note = t0 + 10L * g_hz;
  for (long now; (now = uptime()) < t0 + (long)secs * g_hz; sleep(g_hz / 20 + 1)) {
    for (int j = 0, pid; j < nprocs; j++) {
      if (g_work[j].pid && now >= g_work[j].end)
        kill(g_work[j].pid), set_dead(g_work[j].w), g_work[j].pid = 0;
      if (g_work[j].pid || (pid = fork()) < 0) continue;  // the tables may be full: later
      if (pid == 0) worker(j, g_ngen, nthreads);
      g_work[j].pid = pid, g_work[j].w = g_ngen++;
      g_work[j].end = now + (long)(1 + rnd(&rs) % 6) * g_hz;
    }
    scan();
    if (now >= note) {
      printf("fuzz: %d s, %d calls, %d processes, %d threads, %d wrong, %d free pages\n",
             (int)((now - t0) / g_hz), (int)g_calls, (int)g_procs, (int)g_threads, (int)g_bad,
             freepages());
      note += 10L * g_hz;
    }
  }

  // The end: kill and reap everything the run made; orphans are reaped by
  // init, and nothing made after the root may be left (pids only grow).
  g_all_dead = 1;
  for (int j = 0; j < nprocs; j++)
    if (g_work[j].pid) kill(g_work[j].pid);
  int left = 1, others = 1;
  for (long limit = uptime() + 30L * g_hz; uptime() < limit && (left || others); sleep(2)) {
    left = scan(), others = 0;
    for (int i = 0, n = procinfo(g_pi, MAXPI); i < n; i++) others += g_pi[i].pid > g_root;
  }
  if (left || others) {
    why(left ? "processes survived kill" : "unregistered processes survived");
    for (int i = 0, n = procinfo(g_pi, MAXPI); i < n; i++)
      if (g_pi[i].pid > g_root || g_pi[i].ppid == g_root)
        printf("fuzz: still there: pid %d ppid %d tid %d state %d %s\n", g_pi[i].pid,
               g_pi[i].ppid, g_pi[i].tid, g_pi[i].state, g_pi[i].name);
  } else {
    close(g_regw);  // the reader sees the end of the registry once all writers are gone
    for (int i = 0; i < 10 * g_hz && !__atomic_load_n(&g_reader_done, __ATOMIC_ACQUIRE); i++) sleep(1);
    drain();
    if (!g_reader_done) why("the registry pipe still has a writer");
    close(g_regr);
    int pid = fork(), st = -1;
    if (pid == 0) exit(chdir(g_top) < 0 ? 1 : rm_here());  // a child: the root keeps its cwd
    if (pid < 0 || wait(&st) != pid || st != 0) why("%d files could not be removed", st);
    check_kernel(&before);
    if (unlink(g_top) < 0) why("cannot remove %s", g_top);
    if (root_names() != names) why("the names in / changed");
  }
  if (g_bad) why("%d wrong results", (int)g_bad);
  printf("fuzz: calls per operation (%% ok):");
  for (int i = 0, k = 0; i < g_nops; i++)
    if (!(palette[i].flags & F_USER) && palette[i].weight)
      printf("%s %s %d (%d)", k++ % 8 ? "," : "\nfuzz:  ", palette[i].name, (int)g_opn[i],
             g_opn[i] ? (int)(100 * g_opok[i] / g_opn[i]) : 0);
  printf("\nfuzz: %d calls, %d processes, %d threads, seed %d: %s%s\n", (int)g_calls, (int)g_procs,
         (int)g_threads, (int)g_seed, *g_why ? "FAIL: " : "PASS", g_why);
  return *g_why ? 1 : 0;
}
