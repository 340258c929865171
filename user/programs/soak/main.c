// soak: a continuous-hours-of-operation mix. Keeps every hart busy with
// all that weft does at once, in rounds, and checks after every round that
// the kernel got each resource back.
//
//   soak MINUTES     run for that many minutes
//   soak -s SECONDS  a short run, for quick checks
//   options: -r SECONDS  length of a round's mix (default 30)
//            -x N        an exhaustion phase every N rounds (default 3, 0 none)
//            -v          name each step of the exhaustion phase
//
// A round runs these workers at once, each a process in a private directory
// /soak.d/NAME, until the round's time is up (each finishes the iteration it
// is in):
//   fs1, fs2  files of random sizes written and read back in random pieces,
//             links, listings, nested mkdir/rmdir
//   race      three processes create, link, unlink, mkdir and rmdir the same
//             few names (anything may fail; nothing may leak)
//   sh        sh running a script (pipelines, subshells, redirections, '>>',
//             a background job) and reading commands from a pipe
//   exec      fork/exec storms (echo, wc, a missing program, a non-ELF), exit
//             statuses, a fork chain
//   kill      kill, exit and exec of processes whose threads are blocked in
//             every way or busy at a random moment; faults in threads
//   pthr      pthreads: bounded buffer (mutex, condition variables), a
//             semaphore ring, a pipe shared by threads, desch/mkrun, a
//             barrier, fork and wait from several threads, detached threads
//   clone     clones (thread_create): lock_t, ticket lock, cond_t and
//             semaphores between clones; clones that fork and exec
//   sbrk      pthreads growing, checking and shrinking the heap together; one
//             thread wiggling the break while the others move pipe data and
//             have the kernel copy into the pages that come and go
// Every few rounds an exhaustion phase follows, alone, and each resource is
// driven to its end, the count checked, and released: pages (three processes
// sbrk until it fails; then three others fork, exec, make threads and grow
// their heaps while the first give back and take again), processes, threads
// (tspawn, pthread_create, thread_create), the inode cache and the open-file
// table (then files are used while they are nearly full), disk inodes, disk
// blocks (then files are written while the disk is nearly full).
//
// Each workload checks its results (data read back, counts, exit statuses).
// A mismatch prints "soak: FAIL NAME ..." and ends the worker with status -2;
// any negative worker status (a fault, a kill) fails the round. After a round
// every child is reaped and kstat must show free pages, thread and process
// slots, open files, cached inodes, free disk inodes and free disk blocks as
// they were at the start (after a settle wait: an ended thread's slot and
// stack come back when its hart switches away, orphans are reaped by init).
// One line per round; at the end "soak: N rounds, M minutes: PASS" (exit 0)
// or "...: FAIL: what" (exit 1). A failing round ends the run.
//
// The files: soak.h what they share, util.c the small tools, fs.c proc.c
// thread.c the workers of a round, exhaust.c the exhaustion phase, main.c
// the rounds and their checks.
#include "soak.h"

// ---------------------------------------------------------------------------
// The rounds.

struct worker {
  const char *name;
  int (*fn)(void);
  int pid, status;
};
static struct worker mix[] = {
    {"fs1", w_fs, 0, 0},     {"fs2", w_fs, 0, 0},   {"sh", w_sh, 0, 0},
    {"exec", w_exec, 0, 0},  {"pthr", w_pthr, 0, 0}, {"clone", w_clone, 0, 0},
    {"sbrk", w_sbrk, 0, 0},  {"kill", w_kill, 0, 0},   {"race", w_race, 0, 0},
    {"exhaust", w_exhaust, 0, 0},
};
#define NMIX 9  // mix[NMIX] is the exhaustion phase

// Runs w in a child, in its own directory /soak.d/NAME; the child exits with
// the number of operations it did (or FAILED).
static void spawn(struct worker *w, unsigned s) {
  if ((w->pid = fork()) != 0)
    return;
  who = w->name;
  seed = s;
  char dir[32];
  fmt(dir, sizeof(dir), "/soak.d/%s", w->name);
  CHECK(mkdir(dir) == 0 && chdir(dir) == 0, "mkdir %s", dir);
  int ops = w->fn();
  CHECK(chdir("/soak.d") == 0 && unlink(w->name) == 0, "%s is not empty", dir);
  exit(ops < (1 << 30) ? ops : 1 << 30);
}

// Starts workers [from, to), waits for all of them; appends "name ops" to
// line. Returns 0 and describes the failure in why if one failed.
static int run_workers(int from, int to, unsigned round, char *line, char *why) {
  for (int i = from; i < to; i++) {
    spawn(&mix[i], round * 7919 + i);
    if (mix[i].pid < 0) {
      fmt(why, 80, "fork of %s failed", mix[i].name);
      return 0;
    }
  }
  int ok = 1;
  for (int i = from; i < to; i++) {
    int st, pid = wait(&st), k = from;
    while (k < to && mix[k].pid != pid)
      k++;
    if (k == to) {
      fmt(why, 80, "wait returned %d", pid);
      return 0;
    }
    mix[k].status = st;
  }
  for (int i = from; i < to; i++) {
    char part[32];
    strcat(line, fmt(part, sizeof(part), " %s %d", mix[i].name, mix[i].status));
    if (mix[i].status < 0 && ok) {
      fmt(why, 80, "%s ended with status %d", mix[i].name, mix[i].status);
      ok = 0;
    }
  }
  return ok;
}

// Waits (at most 5 s: see the top) until kstat shows base again; if it
// does not, says what differs in why.
static int settled(const struct kstat *base, struct kstat *now, char *why) {
  for (int t = 0; kstat(now) == 0 && memcmp(now, base, KSTAT_RESOURCE_BYTES) != 0; t++) {
    if (t == 5 * hz) {
      strcpy(why, "kstat is not back at the baseline:");
      for (int k = 0; k < NK; k++) {
        int b = ((int *)base)[k], n = ((int *)now)[k], len = strlen(why);
        if (b != n)
          fmt(why + len, 60, " %s %d (want %d)", knames[k], n, b);
      }
      return 0;
    }
    sleep(1);
  }
  return 1;
}

static void usage(void) {
  fprintf(2, "usage: soak MINUTES | soak -s SECONDS; options -r ROUND_SECONDS -x EVERY -v\n");
  exit(2);
}

int main(int argc, char **argv) {
  long total = 0;
  int round_secs = 30, every = 3;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-')
      total = 60L * atoi(argv[i]);
    else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
      total = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "-r") == 0)
      round_secs = atoi(argv[++i]);
    else if (strcmp(argv[i], "-v") == 0)
      verbose = 1;
    else if (i + 1 < argc && strcmp(argv[i], "-x") == 0)
      every = atoi(argv[++i]);
    else
      usage();
  }
  if (total <= 0 || round_secs <= 0)
    usage();
  char args[128];
  if (bootargs(args, sizeof(args)) > 0)
    for (char *s = args; *s; s++)
      if ((s == args || s[-1] == ' ') && strncmp(s, "tick=", 5) == 0 && atoi(s + 5) > 0)
        hz = atoi(s + 5);
  if (mkdir("/soak.d") != 0) {
    printf("soak: cannot make /soak.d (left from an earlier run?)\n");
    exit(1);
  }
  struct kstat base, now;
  kstat(&base);
  printf("soak: %ld s in rounds of %d s, exhaustion every %d rounds; baseline: free pages %d, "
         "free threads %d, free procs %d, open files %d, cached inodes %d, free disk inodes %d, "
         "free disk blocks %d\n", total, round_secs, every, base.free_pages, base.free_threads,
         base.free_procs, base.open_files, base.cached_inodes, base.free_inodes, base.free_blocks);
  unsigned long t0 = rdtime(), end = t0 + total * 10000000UL;
  int round = 0, ok = 1;
  static char why[400], line[512];
  while (ok && (round == 0 || rdtime() + 5 * 10000000UL < end)) {
    round++;
    unsigned long r0 = rdtime();
    until = r0 + round_secs * 10000000UL;
    if (until > end)
      until = end;
    line[0] = 0;
    // The exhaustion phase starts from the baseline: its counts are exact.
    ok = run_workers(0, NMIX, round, line, why) && settled(&base, &now, why);
    if (ok && every > 0 && round % every == 0)
      ok = run_workers(NMIX, NMIX + 1, round, line, why) && settled(&base, &now, why);
    if (!ok)
      kstat(&now);  // as things are now, for the line below
    printf("soak: round %d, %d s, ops%s; free pages %d, threads %d, procs %d, open files %d, "
           "cached inodes %d, free disk inodes %d, blocks %d: %s%s\n", round,
           (int)((rdtime() - r0) / 10000000UL), line, now.free_pages, now.free_threads,
           now.free_procs, now.open_files, now.cached_inodes, now.free_inodes,
           now.free_blocks, ok ? "ok" : "FAIL: ", ok ? "" : why);
  }
  if (ok && unlink("/soak.d") != 0) {
    ok = 0;
    fmt(why, sizeof(why), "/soak.d is not empty");
  }
  int tenths = (rdtime() - t0) / 60000000UL;  // of a minute
  printf("soak: %d rounds, %d.%d minutes: %s%s\n", round, tenths / 10, tenths % 10,
         ok ? "PASS" : "FAIL: ", ok ? "" : why);
  exit(ok ? 0 : 1);
}
