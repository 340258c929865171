// soak: the thread workers: pthr (the POSIX thread library), clone (clones
// and the OSTEP locks) and sbrk (threads moving the break together).
#include "soak.h"

// ---------------------------------------------------------------------------
// pthr: the POSIX thread library, and system calls made by several threads
// of one process at once.

#define ITEMS 600
static struct {
  pthread_mutex_t m;
  pthread_cond_t notfull, notempty;
  int ring[8], head, count, done;
  sem_t empty, full, lock;
  pthread_barrier_t bar;
  int counter, serial, bad, detached, pipefd[2], bytes[2];
  int turn, guard[2], tid[2], turns;
  int seen[ITEMS];
} P;

static void put_item(int v) { P.ring[(P.head + P.count++) % 8] = v; }
static int take_item(void) {
  int v = P.ring[P.head];
  P.head = (P.head + 1) % 8;
  P.count--;
  return v;
}

// Two producers put ITEMS numbers into a ring of 8 (a mutex and two
// condition variables, or three semaphores), two consumers take them out.
static void *cv_producer(void *arg) {
  for (long v = (long)arg; v < ITEMS; v += 2) {
    pthread_mutex_lock(&P.m);
    while (P.count == 8)
      pthread_cond_wait(&P.notfull, &P.m);
    put_item(v);
    pthread_cond_signal(&P.notempty);
    pthread_mutex_unlock(&P.m);
  }
  return 0;
}

static void *cv_consumer(void *arg) {
  for (;;) {
    pthread_mutex_lock(&P.m);
    while (P.count == 0 && !P.done)
      pthread_cond_wait(&P.notempty, &P.m);
    if (P.count == 0) {
      pthread_mutex_unlock(&P.m);
      return arg;
    }
    P.seen[take_item()]++;
    pthread_cond_signal(&P.notfull);
    pthread_mutex_unlock(&P.m);
  }
}

static void cv_done(void) {  // the producers are done: stop the consumers
  pthread_mutex_lock(&P.m);
  P.done = 1;
  pthread_cond_broadcast(&P.notempty);
  pthread_mutex_unlock(&P.m);
}

static void *sem_producer(void *arg) {
  for (long v = (long)arg; v < ITEMS; v += 2) {
    sem_wait(&P.empty);
    sem_wait(&P.lock);
    put_item(v);
    sem_post(&P.lock);
    sem_post(&P.full);
  }
  return 0;
}

static void *sem_consumer(void *arg) {
  for (int i = 0; i < ITEMS / 2; i++) {
    sem_wait(&P.full);
    sem_wait(&P.lock);
    int v = take_item();
    sem_post(&P.lock);
    sem_post(&P.empty);
    ADD(&P.seen[v], 1);
  }
  return arg;
}

// Two threads write 3000 bytes each (their number) into one pipe in random
// pieces, two read it until the end; every byte arrives once.
static void *pipe_writer(void *arg) {
  unsigned r = seed + (long)arg;
  char buf[300];
  memset(buf, (int)(long)arg, sizeof(buf));
  for (int left = 3000, n; left > 0; left -= n) {
    n = 1 + rnd_r(&r, 300);
    n = n < left ? n : left;
    CHECK(write(P.pipefd[1], buf, n) == n, "pipe write of %d", n);
  }
  return 0;
}

static void *pipe_reader(void *arg) {
  char buf[256];
  for (int n; (n = read(P.pipefd[0], buf, sizeof(buf))) > 0;)
    for (int i = 0; i < n; i++)
      ADD(&P.bytes[buf[i] & 1], 1);
  return arg;
}

static void pipe_done(void) { close(P.pipefd[1]); }

// Runs f(0), f(1), g(0), g(1) in four threads (two if g is 0); between()
// once the f's end.
static void run4(void *(*f)(void *), void *(*g)(void *), void (*between)(void)) {
  pthread_t t[4];
  int n = g ? 4 : 2;
  for (long i = 0; i < n; i++)
    CHECK(pthread_create(&t[i], 0, i < 2 ? f : g, (void *)(i % 2)) == 0, "pthread_create");
  for (int i = 0; i < n; i++) {
    if (i == 2 && between)
      between();
    CHECK(pthread_join(t[i], 0) == 0, "pthread_join");
  }
}

// Four threads: a barrier ten times over, then each forks three children
// and all of them wait() until there is no child left: every child is
// reaped once, by one of the threads, and a wait() with nothing left to
// reap returns -1 (it must not sleep for ever).
static void *phases(void *arg) {
  long me = (long)arg;
  for (int ph = 0; ph < 10; ph++) {
    pthread_mutex_lock(&P.m);
    P.counter++;
    pthread_mutex_unlock(&P.m);
    if (pthread_barrier_wait(&P.bar) == PTHREAD_BARRIER_SERIAL_THREAD)
      ADD(&P.serial, 1);
    if (LOAD(&P.counter) != 4 * (ph + 1))
      STORE(&P.bad, 1);
    pthread_barrier_wait(&P.bar);
  }
  for (int j = 0; j < 3; j++) {
    int pid = fork();
    if (pid == 0)  // the forking thread's id in the child is the pid
      exit(pthread_self() == (pthread_t)getpid() ? 10 * me + j : 99);
    CHECK(pid > 0, "fork in a thread");
  }
  pthread_barrier_wait(&P.bar);
  for (int st; wait(&st) > 0;)
    ADD(&P.seen[st], 1);
  return arg;
}

// Two threads take turns 300 times, each sleeping in desch until the other
// wakes it with mkrun. The guard makes the check of `turn` and the sleep
// one step as far as mkrun is concerned: no wake-up is lost.
static void *taker(void *arg) {
  long me = (long)arg;
  STORE(&P.tid[me], gettid());
  while (LOAD(&P.tid[!me]) == 0)
    yield(-1);
  for (int i = 0; i < 300; i++) {
    while (LOAD(&P.turn) != me) {
      STORE(&P.guard[me], 1);
      if (LOAD(&P.turn) != me)
        CHECK(desch(&P.guard[me]) == 0, "desch");
    }
    CHECK(P.turns++ % 2 == me, "turn %d taken by thread %d", P.turns - 1, (int)me);
    STORE(&P.turn, !me);
    STORE(&P.guard[!me], 0);
    mkrun(P.tid[!me]);  // -1 if it was not asleep: fine
  }
  return arg;
}

static void *detached(void *arg) {
  ADD(&P.detached, 1);
  futex_wake(&P.detached, 1);
  return arg;
}

static void check_seen(int n, const char *what) {
  for (int v = 0; v < ITEMS; v++)
    CHECK(P.seen[v] == (v < n), "%s: %d came %d times", what, v, P.seen[v]);
  memset(P.seen, 0, sizeof(P.seen));
}

int w_pthr(void) {
  int ops = 0;
  do {
    memset(&P, 0, sizeof(P));
    run4(cv_producer, cv_consumer, cv_done);
    check_seen(ITEMS, "mutex and condition variables");
    CHECK(sem_init(&P.empty, 0, 8) == 0 && sem_init(&P.full, 0, 0) == 0 &&
          sem_init(&P.lock, 0, 1) == 0, "sem_init");
    run4(sem_producer, sem_consumer, 0);
    check_seen(ITEMS, "semaphores");
    CHECK(pipe(P.pipefd) == 0, "pipe");
    run4(pipe_writer, pipe_reader, pipe_done);
    run4(taker, 0, 0);
    CHECK(P.turns == 600, "desch/mkrun: %d turns of 600", P.turns);
    close(P.pipefd[0]);
    CHECK(P.bytes[0] == 3000 && P.bytes[1] == 3000, "pipe: %d and %d bytes of 3000",
          P.bytes[0], P.bytes[1]);
    pthread_t t[12];
    pthread_barrier_init(&P.bar, 0, 4);
    for (long i = 0; i < 4; i++)
      CHECK(pthread_create(&t[i], 0, phases, (void *)i) == 0, "pthread_create");
    for (long i = 0; i < 4; i++)
      CHECK(pthread_join(t[i], 0) == 0, "join phases");
    CHECK(!P.bad && P.serial == 10, "barrier: bad %d, serial threads %d of 10", P.bad, P.serial);
    for (int v = 0; v < 40; v++)
      CHECK(P.seen[v] == (v % 10 < 3), "children of threads: status %d seen %d times", v, P.seen[v]);
    pthread_attr_t da;
    pthread_attr_init(&da);
    pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
    for (long i = 0; i < 12; i++)
      CHECK(pthread_create(&t[i], i < 4 ? &da : 0, i < 4 ? detached : triple,
                           (void *)i) == 0, "pthread_create");
    for (long i = 4; i < 12; i++) {
      void *v;
      CHECK(pthread_join(t[i], &v) == 0 && v == (void *)(i * 3 + 1), "join value");
    }
    for (int d; (d = LOAD(&P.detached)) < 4;)
      futex_wait(&P.detached, d);
    ops += 6;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// clone: OSTEP threads (clones) with the OSTEP locks; clones that fork and
// exec.

static struct {
  lock_t lk;
  ticket_lock_t tk;
  cond_t cv;
  int spin_count, ticket_count;
  int slot, full, sum, taken;
  sem_t ping, pong;
  int ball, forked, pipefd[2];
} C;

static void counter(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    lock_acquire(&C.lk);
    C.spin_count++;
    lock_release(&C.lk);
    ticket_lock_acquire(&C.tk);
    C.ticket_count++;
    ticket_lock_release(&C.tk);
  }
}

static void slot_producer(void *arg) {
  for (int v = 1; v <= 200; v++) {
    lock_acquire(&C.lk);
    while (C.full)
      cv_wait(&C.cv, &C.lk);
    C.slot = v * (arg ? 1 : 1000);
    C.full = 1;
    cv_broadcast(&C.cv);
    lock_release(&C.lk);
  }
}

static void slot_consumer(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    lock_acquire(&C.lk);
    while (!C.full)
      cv_wait(&C.cv, &C.lk);
    C.sum += C.slot;
    C.taken++;
    C.full = 0;
    cv_broadcast(&C.cv);
    lock_release(&C.lk);
  }
}

static void pinger(void *arg) {
  for (int i = 0; i < 100; i++) {
    sem_wait(arg ? &C.pong : &C.ping);
    C.ball++;
    sem_post(arg ? &C.ping : &C.pong);
  }
}

// A clone that execs gets an address space of its own (so wait(), not
// join, reaps it); one that forks makes an ordinary child of its own.
static void clone_exec(void *arg) {
  char *argv[] = {"/echo", "clone", 0};
  move_fd(C.pipefd[1], 1);  // in its own copy of the descriptor table
  exec(argv[0], argv);
  exit((long)arg);
}

static void clone_fork(void *arg) {
  int pid = fork();
  if (pid == 0)
    exit(C.ball);  // a copy of what the clone saw
  STORE(&C.forked, pid > 0 ? reap1(pid) : -1);
  exit((long)arg);
}

// Starts n clones of f (arguments 0 and 1 alternating) and joins them all.
static void clones(void (*f)(void *), void (*g)(void *), int n) {
  int pid[6];
  for (long i = 0; i < n; i++)
    CHECK((pid[i] = thread_create(i < n / 2 || !g ? f : g, (void *)(i % 2))) > 0,
          "thread_create");
  for (int i = 0; i < n; i++) {
    int p = thread_join(), k = 0;
    while (k < n && pid[k] != p)
      k++;
    CHECK(k < n, "thread_join returned %d", p);
    pid[k] = 0;
  }
}

int w_clone(void) {
  int ops = 0;
  do {
    memset(&C, 0, sizeof(C));
    clones(counter, 0, 4);
    CHECK(C.spin_count == 4000 && C.ticket_count == 4000, "counts %d %d, want 4000",
          C.spin_count, C.ticket_count);
    clones(slot_producer, slot_consumer, 4);
    CHECK(C.taken == 400 && C.sum == 201 * 100 * 1001, "slot: %d taken, sum %d", C.taken, C.sum);
    sem_init(&C.ping, 0, 1);
    sem_init(&C.pong, 0, 0);
    clones(pinger, 0, 2);
    CHECK(C.ball == 200, "ping-pong: %d", C.ball);
    clones(clone_fork, 0, 1);
    CHECK(C.forked == 200, "the child of a clone: status %d", C.forked);
    static char stack[PGSIZE] __attribute__((aligned(PGSIZE)));
    int pid, st = -5;
    char got[16];
    CHECK(pipe(C.pipefd) == 0 && (pid = clone(clone_exec, (void *)127, stack)) > 0, "clone");
    close(C.pipefd[1]);
    read_all(C.pipefd[0], got, sizeof(got));
    CHECK(wait(&st) == pid && st == 0 && strcmp(got, "clone\n") == 0,
          "a clone's exec: status %d, printed \"%s\"", st, got);
    CHECK(thread_join() == -1, "a clone is left over");
    ops += 3;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// sbrk: several threads move the break of one address space.

#define NS 4
static struct {
  pthread_barrier_t start, bar;  // start: the NS threads and the worker
  pthread_mutex_t pipe_lock;
  char *chunk[NS];
  int pages[NS];
  char *floor;  // the break while phase 2 runs (page-aligned)
  int wiggling, pipefd[2], racefd[2];
} S;

static void *sbrk_thread(void *arg) {
  long me = (long)arg;
  unsigned r = seed + me;
  // Nobody may move the break while pthread_create still mallocs stacks.
  pthread_barrier_wait(&S.start);
  // Phase 1: grow together (each chunk is where sbrk says; fresh pages are
  // zero), everyone checks everyone's chunk, shrink together.
  S.pages[me] = 1 + rnd_r(&r, 24);
  char *p = sbrk(S.pages[me] * PGSIZE);
  CHECK(p != (char *)-1, "sbrk(+%d pages)", S.pages[me]);
  for (int i = 0; i < S.pages[me] * PGSIZE; i += 256)
    CHECK(p[i] == 0, "a grown page is not zero");
  stamp(p, S.pages[me], me << 16);
  S.chunk[me] = p;
  pthread_barrier_wait(&S.bar);
  if (me == 0) {  // a fork copies every chunk while the others read them
    int pid = fork();
    if (pid == 0) {
      for (int t = 0; t < NS; t++)
        if (!stamped(S.chunk[t], S.pages[t], t << 16))
          exit(1);
      exit(0);
    }
    CHECK(pid > 0 && reap1(pid) == 0, "the forked copy of the chunks differs");
  }
  for (int t = 0; t < NS; t++)
    CHECK(stamped(S.chunk[t], S.pages[t], t << 16), "chunk of thread %d differs", t);
  pthread_barrier_wait(&S.bar);
  CHECK(sbrk(-S.pages[me] * PGSIZE) != (char *)-1, "sbrk(-%d pages)", S.pages[me]);
  pthread_barrier_wait(&S.bar);
  // Phase 2: thread 0 moves the break up and down (each shrink must flush
  // the other harts' translations); the last thread has the kernel copy to
  // and from those pages as they come and go (any result but a crash is
  // fine; the middle of a page, where thread 0 has no stamps); the others
  // pass data through a pipe from and to buffers below the break, which
  // must not be disturbed.
  if (me == 0) {
    for (int k = 0; k < 40; k++) {
      int n = 1 + rnd_r(&r, 64);
      char *q = sbrk(n * PGSIZE);
      CHECK(q != (char *)-1, "wiggle: sbrk(+%d pages)", n);
      CHECK(q[0] == 0 && q[n * PGSIZE - 1] == 0, "wiggle: a grown page is not zero");
      stamp(q, n, k << 8);
      CHECK(stamped(q, n, k << 8), "wiggle: pages differ");
      CHECK(sbrk(-n * PGSIZE) == q + n * PGSIZE, "wiggle: sbrk(-%d pages)", n);
    }
    STORE(&S.wiggling, 0);
    return 0;
  }
  if (me == NS - 1) {
    int fd = open("/README.md", O_RDONLY), n;
    static char drain[2000];
    while (LOAD(&S.wiggling)) {
      char *at = S.floor + rnd_r(&r, 64) * PGSIZE + 8 + rnd_r(&r, 2000);
      CHECK((n = read(fd, at, 2000)) >= -1 && n <= 2000, "read into sbrk pages: %d", n);
      if (n == 0) {  // at the end: from the start again
        close(fd);
        fd = open("/README.md", O_RDONLY);
      }
      CHECK((n = write(S.racefd[1], at, 2000)) >= -1 && n <= 2000, "write: %d", n);
      CHECK(n <= 0 || read(S.racefd[0], drain, n) == n, "drain the pipe");
    }
    close(fd);
    return 0;
  }
  static char out[NS][600], in[NS][600];
  for (int k = 0; LOAD(&S.wiggling) || k < 4; k++) {
    int n = 1 + rnd_r(&r, 600);
    for (int i = 0; i < n; i++)
      out[me][i] = pat(me, i + k);
    pthread_mutex_lock(&S.pipe_lock);
    CHECK(write(S.pipefd[1], out[me], n) == n && read(S.pipefd[0], in[me], n) == n,
          "pipe write/read of %d bytes", n);
    pthread_mutex_unlock(&S.pipe_lock);
    CHECK(memcmp(in[me], out[me], n) == 0, "pipe data differs");
  }
  return 0;
}

int w_sbrk(void) {
  int ops = 0;
  do {
    memset(&S, 0, sizeof(S));
    CHECK(pipe(S.pipefd) == 0 && pipe(S.racefd) == 0, "pipe");
    S.wiggling = 1;
    pthread_barrier_init(&S.start, 0, NS + 1);
    pthread_barrier_init(&S.bar, 0, NS);
    pthread_t t[NS];
    for (long i = 0; i < NS; i++)
      CHECK(pthread_create(&t[i], 0, sbrk_thread, (void *)i) == 0, "pthread_create");
    int pad = -(unsigned long)sbrk(0) & (PGSIZE - 1);  // whole pages above it
    char *top = S.floor = sbrk(pad) + pad;
    pthread_barrier_wait(&S.start);
    for (int i = 0; i < NS; i++)
      CHECK(pthread_join(t[i], 0) == 0, "pthread_join");
    CHECK(sbrk(0) == top, "the break moved by %ld", (long)(sbrk(0) - top));
    for (int i = 0; i < 2; i++) {
      close(S.pipefd[i]);
      close(S.racefd[i]);
    }
    ops++;
  } while (more());
  return ops;
}
