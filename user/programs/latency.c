// latency: how late does a sleeper wake up while another process loads the
// machine? The sleeper calls sleep(1) in a loop for MEASURE_SECONDS and
// records the time between successive returns (the time CSR, 10 MHz, and
// uptime()). With a prompt scheduler every gap is about one tick; a kernel
// path that runs long without letting the timer preempt it shows up as a
// gap of many ticks. Loads, one after another, each in a process of its own
// that is started (and ready) before measuring and killed after:
//   console  64 KiB writes to the console, four per round
//   sbrk     sbrk(+96 MiB) and sbrk(-96 MiB) (less if 96 MiB cannot be had)
//   fork     a process with a 40 MiB heap forks children that exit at once
//   none     no load, the baseline
// Run it on one hart to see the worst case: make run CMD='latency' CPUS=1
#include "user.h"

#define TIME_HZ 10000000UL  // the time CSR's rate
#define MEASURE_SECONDS 2
#define MIB (1024 * 1024)
#define CONSOLE_CHUNK (64 * 1024)
#define SBRK_MIB 96
#define FORK_HEAP_MIB 40

enum { LOAD_CONSOLE, LOAD_SBRK, LOAD_FORK, LOAD_NONE, NLOADS };
static const char *load_names[NLOADS] = {"console", "sbrk", "fork", "none"};

struct result {
  int rounds;                // sleep(1) returns measured
  unsigned long max, sum;    // gaps in time CSR units
  int max_uptime;            // largest uptime() difference, in ticks
};

static int hz = 100;
static char chunk[CONSOLE_CHUNK];

// Timer ticks per second: "tick=HZ" on the kernel command line, else 100.
static int boot_hz(void) {
  char args[256];
  int n = bootargs(args, sizeof(args) - 1);
  if (n < 0)
    return 100;
  args[n] = '\0';
  for (char *s = args; *s; s++)
    if ((s == args || s[-1] == ' ') && strncmp(s, "tick=", 5) == 0 && atoi(s + 5) > 0)
      return atoi(s + 5);
  return 100;
}

// x in time CSR units as ticks with two decimals ("12.34").
static void put_ticks(unsigned long x, int width) {
  unsigned long h = x * 100 * hz / TIME_HZ;  // hundredths of a tick
  printf("%*lu.%02lu", width - 3, h / 100, h % 100);
}

// ---------------------------------------------------------------------------
// The loads. Each sends the parent an int through `ready` once it is set up
// (-1: it could not be; the sbrk load sends how many MiB it uses), then
// loops until it is killed.

static void console_load(int ready) {
  for (int i = 0; i < CONSOLE_CHUNK; i++)
    chunk[i] = i % 128 == 127 ? '\n' : '.';
  int zero = 0;
  write(ready, &zero, sizeof(zero));
  for (;;)
    for (int i = 0; i < 4; i++)
      write(1, chunk, CONSOLE_CHUNK);
}

static void sbrk_load(int ready) {
  // The largest multiple of 8 MiB up to SBRK_MIB that the kernel grants.
  int mib = SBRK_MIB;
  while (mib > 0 && sbrk(mib * MIB) == (char *)-1)
    mib -= 8;
  int info = mib > 0 ? mib : -1;
  write(ready, &info, sizeof(info));
  if (mib == 0)
    exit(1);
  sbrk(-mib * MIB);
  for (;;) {
    sbrk(mib * MIB);
    sbrk(-mib * MIB);
  }
}

static void fork_load(int ready) {
  char *heap = sbrk(FORK_HEAP_MIB * MIB);
  int info = heap == (char *)-1 ? -1 : FORK_HEAP_MIB;
  for (long off = 0; info > 0 && off < FORK_HEAP_MIB * MIB; off += PGSIZE)
    heap[off] = 1;  // touch every page, so each fork copies them all
  write(ready, &info, sizeof(info));
  if (info < 0)
    exit(1);
  for (;;) {
    int pid = fork();
    if (pid == 0)
      exit(0);
    if (pid > 0)
      wait(0);
    else
      sleep(1);
  }
}

// Starts load kind in a child and waits until it is ready; returns its pid
// and the value it sent in *info.
static int start_load(int kind, int *info) {
  int p[2];
  if (pipe(p) < 0)
    return -1;
  int pid = fork();
  if (pid == 0) {
    close(p[0]);
    if (kind == LOAD_CONSOLE)
      console_load(p[1]);
    else if (kind == LOAD_SBRK)
      sbrk_load(p[1]);
    else
      fork_load(p[1]);
    exit(0);
  }
  close(p[1]);
  if (pid > 0 && read(p[0], info, sizeof(*info)) != sizeof(*info))
    *info = -1;
  close(p[0]);
  return pid;
}

// ---------------------------------------------------------------------------

static void measure(struct result *r) {
  r->rounds = 0;
  r->max = r->sum = 0;
  r->max_uptime = 0;
  sleep(1);  // start on a tick boundary, so the first gap is a whole one
  unsigned long prev = rdtime();
  unsigned long end = prev + MEASURE_SECONDS * TIME_HZ;
  int up_prev = uptime();
  while (prev < end) {
    sleep(1);
    unsigned long now = rdtime();
    int up = uptime();
    unsigned long gap = now - prev;
    if (gap > r->max)
      r->max = gap;
    if (up - up_prev > r->max_uptime)
      r->max_uptime = up - up_prev;
    r->sum += gap;
    r->rounds++;
    prev = now;
    up_prev = up;
  }
}

int main(void) {
  hz = boot_hz();
  struct result res[NLOADS];
  int sbrk_mib = SBRK_MIB;
  for (int k = 0; k < NLOADS; k++) {
    int pid = 0, info = 0;
    if (k != LOAD_NONE) {
      pid = start_load(k, &info);
      if (pid < 0 || info < 0) {
        printf("latency: the %s load could not start\n", load_names[k]);
        if (pid > 0) {
          kill(pid);
          wait(0);
        }
        exit(1);
      }
      if (k == LOAD_SBRK)
        sbrk_mib = info;
    }
    measure(&res[k]);
    if (pid > 0) {
      kill(pid);
      wait(0);
    }
    if (k == LOAD_CONSOLE)
      printf("\n");  // the load may have stopped in the middle of a line
  }

  if (sbrk_mib != SBRK_MIB)
    printf("sbrk: %d MiB could not be had; the sbrk load used %d MiB\n", SBRK_MIB, sbrk_mib);
  printf("sleep(1) gaps over %d s per load at %d Hz\n", MEASURE_SECONDS, hz);
  printf("load     rounds  max gap (ticks)  max gap (ms)  mean gap (ticks)  uptime max gap\n");
  unsigned long worst = 0;
  for (int k = 0; k < NLOADS; k++) {
    struct result *r = &res[k];
    unsigned long tenth_ms = r->max / (TIME_HZ / 10000);
    printf("%-8s %6d  ", load_names[k], r->rounds);
    put_ticks(r->max, 15);
    printf("  %10lu.%lu  ", tenth_ms / 10, tenth_ms % 10);
    put_ticks(r->rounds ? r->sum / r->rounds : 0, 16);
    printf("  %14d\n", r->max_uptime);
    if (r->max > worst)
      worst = r->max;
  }
  printf("latency: worst gap ");
  put_ticks(worst, 4);
  printf(" ticks\n");
  return 0;
}
