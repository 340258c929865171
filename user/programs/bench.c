// bench: per-operation costs of the basic system calls, timed with the
// `time` CSR (10 MHz). Run it on CPUS=1 and CPUS=2 and compare ratios within
// one run; absolute numbers move with the host's load. Under QEMU's
// -icount shift=0 (make bench ICOUNT=1) one ns is one instruction.
#include "user.h"

#define TICKS_PER_US 10
#define STORE_INT(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

static char *self = "bench";

// Prints "name  N ns/op" from a tick count over n operations (tools/bench.py
// reads these lines).
static void report_op(const char *name, unsigned long ticks, int n) {
  printf("%-26s %9lu ns/op  (%d ops)\n", name, ticks * 1000 / TICKS_PER_US / n, n);
}

static void bench_getpid(void) {
  int n = 20000;
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) getpid();
  report_op("getpid", rdtime() - t0, n);
}

static void bench_fork(const char *name, int n) {
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0) exit(0);
    if (pid < 0 || wait(0) != pid) {
      printf("bench: fork failed\n");
      exit(1);
    }
  }
  report_op(name, rdtime() - t0, n);
}

// fork's cost as the parent's memory grows: 1 MiB of heap, every page
// written, so that each is really there.
static void bench_fork_heap(void) {
  enum { HEAP = 1 << 20 };
  char *p = sbrk(HEAP);
  if (p == (char *)-1) {
    printf("bench: sbrk failed\n");
    exit(1);
  }
  for (int i = 0; i < HEAP; i += PGSIZE) p[i] = (char)i;
  bench_fork("fork+exit+wait 1MiB heap", 50);
  sbrk(-HEAP);
}

static void bench_exec(void) {
  int n = 100;
  char *argv[] = {self, "--exit", 0};
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0) {
      exec(self, argv);
      exit(1);
    }
    int st = -1;
    if (pid < 0 || wait(&st) != pid || st != 0) {
      printf("bench: fork+exec failed\n");
      exit(1);
    }
  }
  report_op("fork+exec+wait", rdtime() - t0, n);
}

static void bench_pipe(void) {
  int n = 2000;
  int ping[2], pong[2];
  char c = 'x';
  if (pipe(ping) < 0 || pipe(pong) < 0) exit(1);
  int pid = fork();
  if (pid == 0) {
    for (int i = 0; i < n; i++) {
      if (read(ping[0], &c, 1) != 1) exit(1);
      write(pong[1], &c, 1);
    }
    exit(0);
  }
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    write(ping[1], &c, 1);
    if (read(pong[0], &c, 1) != 1) {
      printf("bench: pipe failed\n");
      exit(1);
    }
  }
  report_op("pipe round trip", rdtime() - t0, n);
  wait(0);
  close(ping[0]), close(ping[1]), close(pong[0]), close(pong[1]);
}

static void bench_sbrk(void) {
  int n = 2000;
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    char *p = sbrk(PGSIZE);
    p[0] = 1;  // touch it
    sbrk(-PGSIZE);
  }
  report_op("sbrk grow+shrink", rdtime() - t0, n);
}

static int thread_done;
static void thread_body(void *arg) {
  (void)arg;
  texit(&thread_done, 1);
}

// tspawn + texit + waiting for the exit word: the cost of a thread's life,
// to set against fork+exit+wait of the same (small) process.
static void bench_thread(void) {
  int n = 500;
  char *stack = malloc(PGSIZE);
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    thread_done = 0;
    if (tspawn(stack + PGSIZE, thread_body, 0) < 0) {
      printf("bench: tspawn failed\n");
      exit(1);
    }
    while (thread_done == 0) futex_wait(&thread_done, 0);
  }
  report_op("tspawn+texit+join", rdtime() - t0, n);
  // The last thread may still be leaving its hart; let it go before the
  // stack is reused.
  yield(-1);
  free(stack);
}

// The harts: one bucket-brigade trip through all of them tells.
static int count_harts(void) {
  int stops[NCPU + 1];
  int n = brigade(stops, NCPU + 1, 1);
  return n <= 1 ? 1 : n - 1;
}

static int shootdown_by_brigade(void) {
  char args[256];
  if (bootargs(args, sizeof(args)) <= 0)
    return 0;
  for (char *s = args; *s; s++)
    if (strncmp(s, "shootdown=brigade", 17) == 0)
      return 1;
  return 0;
}

static int spin_stop, spin_started[3], spin_done[3], spin_tid[3];
// From malloc in bench_shrink: 13 KiB of bss would make every process this
// program forks or execs a few pages bigger, and so the fork and exec
// figures above (measured earlier in the same run) dearer.
static struct procinfo *records;

// Waits (at most 100 ms) until the first n spinners are all running, which,
// as this thread runs too, means on other harts. 1 if they are.
static int spinners_running(int n) {
  unsigned long t0 = rdtime();
  do {
    int k = procinfo(records, NPROC + NTHR), running = 0;
    for (int i = 0; i < k; i++)
      for (int j = 0; j < n; j++)
        running += records[i].tid == spin_tid[j] && records[i].state == PI_RUNNING;
    if (running == n)
      return 1;
    yield(-1);
  } while (rdtime() - t0 < 100000 * TICKS_PER_US);
  return 0;
}
static void spin_body(void *arg) {
  long i = (long)arg;
  STORE_INT(&spin_started[i], 1);
  while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED)) {
  }
  texit(&spin_done[i], 1);
}

// sbrk shrink: what giving back 16 touched pages costs, with 1, 2 and 4
// threads of the process running: the others spin on other harts, in user
// mode, so the shrink must reach their harts: an SBI remote fence
// (shootdown=ipi), or a trip through their schedulers (shootdown=brigade),
// which a busy hart takes at its next tick. Only the sbrk(-n) is timed,
// and only once every spinner runs (a trip moves spinners about: a busy
// hart's spinner waits in its queue while the traveller runs there, and an
// idle hart may take it). Cases with more threads than harts are left out.
static void bench_shrink(void) {
  enum { PAGES = 16 };
  int harts = count_harts();
  const char *mode = shootdown_by_brigade() ? "brigade" : "ipi";
  char *stacks[3];
  for (int i = 0; i < 3; i++)
    stacks[i] = malloc(PGSIZE);
  if (!records)
    records = malloc(sizeof(*records) * (NPROC + NTHR));
  for (int threads = 1; threads <= 4 && threads <= harts; threads *= 2) {
    int n = threads == 1 ? 200 : 50;
    spin_stop = 0;
    for (int i = 0; i < threads - 1; i++) {
      spin_started[i] = spin_done[i] = 0;
      if ((spin_tid[i] = tspawn(stacks[i] + PGSIZE, spin_body, (void *)(long)i)) < 0) {
        printf("bench: tspawn failed\n");
        exit(1);
      }
    }
    for (int i = 0; i < threads - 1; i++)
      while (!__atomic_load_n(&spin_started[i], __ATOMIC_SEQ_CST))
        yield(-1);
    unsigned long total = 0;
    int apart = 0;  // shrinks made with every spinner on another hart
    for (int k = 0; k < n; k++) {
      apart += spinners_running(threads - 1);
      char *p = sbrk(PAGES * PGSIZE);
      if (p == (char *)-1) {
        printf("bench: sbrk failed\n");
        exit(1);
      }
      for (int i = 0; i < PAGES; i++)
        p[i * PGSIZE] = 1;
      unsigned long t0 = rdtime();
      sbrk(-PAGES * PGSIZE);
      total += rdtime() - t0;
    }
    STORE_INT(&spin_stop, 1);
    for (int i = 0; i < threads - 1; i++)
      while (spin_done[i] == 0)
        futex_wait(&spin_done[i], 0);
    char name[48] = "sbrk shrink ", digit[2] = {(char)('0' + threads), 0};
    strcat(strcat(strcat(strcat(name, mode), ", "), digit), threads == 1 ? " thread" : " threads");
    report_op(name, total, n);
    if (apart < n)
      printf("  (%d of the %d began with a spinner off its own hart)\n", n - apart, n);
  }
  yield(-1);  // let the spinners leave their harts before their stacks go
  for (int i = 0; i < 3; i++)
    free(stacks[i]);
}

static void clone_body(void *arg) {
  (void)arg;
  exit(0);
}

// CPU-bound work: xorshift rounds, about eight instructions each.
static unsigned long compute(unsigned long rounds) {
  unsigned long x = 88172645463325252ul;
  for (unsigned long i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

#define ROUNDS 32000000ul
static volatile unsigned long sink;
static int half_done;
static void half_body(void *arg) {
  sink = compute((unsigned long)arg);
  texit(&half_done, 1);
}

// The same work done by one thread, then split between two threads of the
// process: on two harts the pair should take about half as long (the
// scheduler has to spread them; the new thread starts in this hart's queue).
static void bench_parallel(void) {
  char *stack = malloc(PGSIZE);
  unsigned long t0 = rdtime();
  sink = compute(2 * ROUNDS);
  unsigned long one = rdtime() - t0;
  half_done = 0;
  t0 = rdtime();
  if (tspawn(stack + PGSIZE, half_body, (void *)ROUNDS) < 0) {
    printf("bench: tspawn failed\n");
    exit(1);
  }
  sink = compute(ROUNDS);
  while (half_done == 0) futex_wait(&half_done, 0);
  unsigned long two = rdtime() - t0;
  report_op("compute, 1 thread", one, 1);
  report_op("compute, 2 threads", two, 1);
  printf("%-26s %9lu.%02lux\n", "2-thread speedup", one / two, one * 100 / two % 100);
  yield(-1);  // let the helper leave its hart before its stack goes
  free(stack);
}

static void bench_clone(void) {
  int n = 500;
  char *raw = malloc(2 * PGSIZE);
  char *stack = (char *)(((unsigned long)raw + PGSIZE - 1) & ~(unsigned long)(PGSIZE - 1));
  unsigned long t0 = rdtime();
  for (int i = 0; i < n; i++) {
    void *st;
    int pid = clone(clone_body, 0, stack);
    if (pid < 0 || join(&st) != pid) {
      printf("bench: clone failed\n");
      exit(1);
    }
  }
  report_op("clone+exit+join", rdtime() - t0, n);
  free(raw);
}

static void report_rate(const char *name, unsigned long ticks, int bytes) {
  // KiB per second, printed as MiB/s with two decimals.
  unsigned long kib_s = (unsigned long)bytes / 1024 * 10000000UL / ticks;
  printf("%-26s %5lu.%02lu MiB/s  (%d KiB)\n", name, kib_s / 1024,
         (kib_s % 1024) * 100 / 1024, bytes / 1024);
}

// Writes `total` bytes to a new file in `chunk`-byte writes.
static void bench_write(const char *name, char *buf, int chunk, int total) {
  int fd = open("benchfile", O_CREATE | O_RDWR | O_TRUNC);
  if (fd < 0) exit(1);
  unsigned long t0 = rdtime();
  for (int done = 0; done < total; done += chunk)
    if (write(fd, buf, chunk) != chunk) {
      printf("bench: write failed\n");
      exit(1);
    }
  close(fd);
  report_rate(name, rdtime() - t0, total);
}

static void bench_file(void) {
  enum { CHUNK = 16384, TOTAL = 2 * 1024 * 1024 };
  char *buf = malloc(CHUNK);
  memset(buf, 'w', CHUNK);
  bench_write("file write 4K", buf, 4096, TOTAL / 2);
  bench_write("file write 16K", buf, CHUNK, TOTAL);
  int fd = open("benchfile", O_RDONLY);
  unsigned long t0 = rdtime();
  int got = 0, r;
  while ((r = read(fd, buf, CHUNK)) > 0) got += r;
  report_rate("file read", rdtime() - t0, got);
  close(fd);
  unlink("benchfile");
  free(buf);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exit") == 0) exit(0);
  self = argv[0];
  // `bench file` runs only the file cases (quicker when tuning the log).
  if (argc > 1 && strcmp(argv[1], "file") == 0) {
    bench_file();
    return 0;
  }
  // `bench cpu`: only the CPU-bound threads against one thread.
  if (argc > 1 && strcmp(argv[1], "cpu") == 0) {
    bench_parallel();
    return 0;
  }
  // `bench shrink`: only the TLB shootdown's cost (tools/bench.py runs it
  // again in a boot with shootdown=brigade).
  if (argc > 1 && strcmp(argv[1], "shrink") == 0) {
    bench_shrink();
    return 0;
  }
  bench_getpid();
  bench_fork("fork+exit+wait", 200);
  bench_fork_heap();
  bench_thread();
  bench_clone();
  bench_exec();
  bench_pipe();
  bench_sbrk();
  bench_shrink();
  bench_parallel();
  bench_file();
  return 0;
}
