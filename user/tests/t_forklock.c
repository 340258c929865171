// t_forklock: fork while other threads hold the library's locks.
//
// Regression test for children that spun forever. fork() copies memory, so
// a child forked while another thread of the parent was inside malloc (or
// held a print lock) started with that lock held by a thread it does not
// have. Its own first malloc then spun on the heap lock forever. On the
// unfixed library 7 to 19 of the 40 children hung, depending on harts and
// tick (all in malloc/free).
//
// Three threads loop malloc/free of random sizes and fprintf short lines
// into a pipe (a fourth thread drains it), while the main thread forks
// NCHILD children one after another. Each child mallocs and frees a few
// blocks, fprintfs one line into the same pipe, and exits 0. The parent
// gives each child a few seconds; one that is not done by then is killed
// (it is spinning in user mode, so the kill takes at once) and counted as
// hung, with the stage it reached (through a second pipe). A child that
// finds the print lock held waits for it to go stale (up to 0.5 s) or, if
// yield() says the holder is not one of its threads, takes it at once.
//
// On the unfixed library and kernel each hung child costs CHILD_SECS, and
// the others up to seconds each at CPUS=1 (the print lock goes stale only
// after 0.5 s, and the waiter yields to the holder, a thread of the parent,
// behind the busy workers): 35-65 s. With a trial fix (fork holding the
// heap lock, yield(tid) refusing other processes' threads): 0.2-3 s.
// timeout: 200
#include <pthread.h>

#include "t_thr_util.h"  // thr_ms_since

#define NCHILD 40
#define NWORKERS 3
#define CHILD_SECS 3

static int out[2];     // the threads' and the children's fprintf target
static int stage[2];   // children report how far they got
static int stop;

// Each worker keeps KEEP blocks of random sizes alive and replaces one at a
// time: the free list stays long and fragmented, so malloc and free spend
// most of their time walking it with the heap lock held.
#define KEEP 64
static void *worker(void *arg) {
  unsigned seed = 12345 + (unsigned)(long)arg;
  void *keep[KEEP] = {0};
  for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
    unsigned r = test_rand(&seed);
    int slot = r % KEEP;
    free(keep[slot]);
    keep[slot] = malloc(1 + (r >> 8) % 3000);
    if (keep[slot])
      *(char *)keep[slot] = (char)i;
    if (i % 16 == 0)
      fprintf(out[1], "w%ld %u\n", (long)arg, i);
  }
  for (int i = 0; i < KEEP; i++)
    free(keep[i]);
  return NULL;
}

static void *drain(void *arg) {
  (void)arg;
  char buf[256];
  while (read(out[0], buf, sizeof(buf)) > 0)
    ;
  return NULL;
}

static void child(void) {
  void *p[4];
  for (int i = 0; i < 4; i++)
    p[i] = malloc(100 + 700 * i);
  for (int i = 0; i < 4; i++)
    free(p[i]);
  write(stage[1], "m", 1);  // malloc and free done
  fprintf(out[1], "child %d\n", getpid());
  write(stage[1], "p", 1);  // fprintf done
  exit(p[0] && p[3] ? 0 : 2);
}

// Polls (a tick at a time) until pid is a zombie, for at most `ms` of real
// time: the busy workers make each poll take several ticks at CPUS=1, so
// a bound in polls would stretch.
static int await_zombie_ms(int pid, unsigned long ms) {
  unsigned long t0 = rdtime();
  for (;;) {
    struct procinfo pi;
    if (test_find_proc(pid, &pi) == 1 && pi.state == PI_ZOMBIE)
      return 1;
    if (thr_ms_since(t0) > ms)
      return 0;
    sleep(1);
  }
}

// The stage bytes the last child wrote (the pipe holds nothing else): reads
// up to the marker byte written here.
static char last_stage(void) {
  char c, last = '-';
  write(stage[1], "|", 1);
  while (read(stage[0], &c, 1) == 1 && c != '|')
    last = c;
  return last;
}

int main(void) {
  ASSERT_EQ(pipe(out), 0, "pipe");
  ASSERT_EQ(pipe(stage), 0, "pipe");
  pthread_t w[NWORKERS], d;
  ASSERT_EQ(pthread_create(&d, NULL, drain, NULL), 0, "start the drain thread");
  for (long i = 0; i < NWORKERS; i++)
    ASSERT_EQ(pthread_create(&w[i], NULL, worker, (void *)i), 0,
              "start worker %ld", i);

  int hung = 0, in_malloc = 0, in_printf = 0, bad_status = 0, forked = 0;
  unsigned long t0 = rdtime();
  for (int i = 0; i < NCHILD; i++) {
    int pid = fork();
    if (pid == 0)
      child();
    if (pid < 0)
      continue;
    forked++;
    if (!await_zombie_ms(pid, CHILD_SECS * 1000UL))
      kill(pid);
    int st = -12345;
    if (wait(&st) != pid)
      bad_status++;
    char s = last_stage();
    if (st == -1) {  // killed: it hung
      hung++;
      if (s == '-')
        in_malloc++;
      else if (s == 'm')
        in_printf++;
    } else if (st != 0) {
      bad_status++;
    }
  }
  unsigned long ms = thr_ms_since(t0);
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < NWORKERS; i++)
    pthread_join(w[i], NULL);
  close(out[1]);  // the drain thread sees EOF: every writer is gone
  pthread_join(d, NULL);
  test_note("%d children in %lu ms", forked, ms);

  EXPECT_EQ(forked, NCHILD, "forked %d children", NCHILD);
  EXPECT_EQ(hung, 0, "no child hung (%d of %d hung: %d in malloc/free, %d in fprintf)",
            hung, forked, in_malloc, in_printf);
  EXPECT_EQ(bad_status, 0, "every child that finished exited 0");
  test_done();
}
