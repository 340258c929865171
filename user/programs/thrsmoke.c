#include "user.h"

static volatile int shared;
static int done_flag;
static int counter;

static void worker(void *arg) {
  __atomic_fetch_add(&counter, (int)(long)arg, __ATOMIC_SEQ_CST);
  texit(&done_flag, 7);
}

static void cloned(void *arg) {
  shared = (int)(long)arg;
  exit(0);
}

int main(void) {
  char *stk = malloc(8192);
  done_flag = 0;
  int tid = tspawn(stk + 8192, worker, (void *)5);
  printf("tspawn -> %d (me %d)\n", tid, gettid());
  while (done_flag == 0) futex_wait(&done_flag, 0);
  printf("texit stored %d counter %d\n", done_flag, counter);
  char *cs = sbrk(2 * 4096);
  cs = (char *)(((unsigned long)cs + 4095) & ~4095UL);
  int pid = clone(cloned, (void *)42, cs);
  void *st = 0;
  int j = join(&st);
  printf("clone %d join %d stack ok %d shared %d\n", pid, j, st == cs, shared);
  printf("join again %d wait %d\n", join(&st), wait(0));
  int before = freepages();
  for (int i = 0; i < 2000; i++) {
    done_flag = 0;
    int t = tspawn(stk + 8192, worker, (void *)1);
    if (t < 0) { printf("tspawn failed at %d\n", i); exit(1); }
    while (done_flag == 0) futex_wait(&done_flag, 0);
  }
  for (int i = 0; i < 100; i++) yield(-1);
  printf("2000 threads: counter %d, pages %d -> %d\n", counter, before, freepages());
  return 0;
}
