// tdemo: three small programs whose traces docs/timeline.md walks through
// (make trace CMD='tdemo parallel' CPUS=2, and so on).
//
//   tdemo parallel   two threads of one process, each computing ~10 ms:
//                    they run at the same time on two harts
//   tdemo pingpong   two processes pass a byte back and forth through two
//                    pipes 20 times: each write wakes the other side
//   tdemo shrink     a thread keeps running on another hart while the main
//                    thread grows the heap and shrinks it again: the
//                    shrink must flush the other hart's TLB before the
//                    pages are freed
#include "pthread.h"
#include "user.h"

static volatile unsigned long sink;
static volatile int stop;

// About `ms` milliseconds of arithmetic (the time CSR counts 10 per us).
static void compute(int ms) {
  unsigned long end = rdtime() + (unsigned long)ms * 10000, x = 88172645463325252UL;
  while (rdtime() < end) {
    for (int i = 0; i < 1000; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
  }
  sink = x;
}

static void *worker(void *arg) {
  compute((int)(long)arg);
  return 0;
}

static int parallel(void) {
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], 0, worker, (void *)10L) != 0) {
      fprintf(2, "tdemo: pthread_create failed\n");
      return 1;
    }
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], 0);
  printf("tdemo parallel: done\n");
  return 0;
}

static int pingpong(void) {
  int there[2], back[2];
  if (pipe(there) < 0 || pipe(back) < 0) {
    fprintf(2, "tdemo: pipe: %s\n", strerror(errno));
    return 1;
  }
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "tdemo: fork: %s\n", strerror(errno));
    return 1;
  }
  char c = 0;
  if (pid == 0) {
    close(there[1]);  // else the read below never sees the end
    close(back[0]);
    while (read(there[0], &c, 1) == 1 && write(back[1], &c, 1) == 1) {
    }
    exit(0);
  }
  close(there[0]);
  close(back[1]);
  int n = 0;
  for (; n < 20; n++)
    if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
      break;
  close(there[1]);
  wait(0);
  printf("tdemo pingpong: %d round trips\n", n);
  return n == 20 ? 0 : 1;
}

static void *spinner(void *arg) {
  (void)arg;
  while (!stop)
    sink++;
  return 0;
}

static int shrink(void) {
  pthread_t t;
  if (pthread_create(&t, 0, spinner, 0) != 0) {
    fprintf(2, "tdemo: pthread_create failed\n");
    return 1;
  }
  compute(3);  // let the spinner settle on the other hart
  int ok = 1;
  for (int round = 0; round < 3; round++) {
    char *p = sbrk(64 * 4096);
    if (p == (char *)-1) {
      ok = 0;
      break;
    }
    for (int i = 0; i < 64; i++)
      p[i * 4096] = 1;  // every page really there
    compute(1);
    sbrk(-64 * 4096);  // the spinner's hart is flushed before these go
    compute(1);
  }
  stop = 1;
  pthread_join(t, 0);
  printf("tdemo shrink: %s\n", ok ? "done" : "sbrk failed");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "parallel") == 0)
    return parallel();
  if (argc == 2 && strcmp(argv[1], "pingpong") == 0)
    return pingpong();
  if (argc == 2 && strcmp(argv[1], "shrink") == 0)
    return shrink();
  fprintf(2, "usage: tdemo parallel|pingpong|shrink\n");
  return 2;
}
