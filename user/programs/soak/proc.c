// soak: the process workers: sh (scripts and pipes), exec (fork/exec storms,
// exit statuses) and kill (kill, exit and exec of processes with threads).
#include "soak.h"

// ---------------------------------------------------------------------------
// sh: scripts and pipes through the shell.

// Counts as wc does: lines, words, bytes.
static void count(const char *s, int *l, int *w, int *b) {
  *l = *w = *b = 0;
  for (int inword = 0; s[*b]; (*b)++) {
    char c = s[*b];
    *l += c == '\n';
    int space = c == ' ' || c == '\n';
    *w += !space && !inword;
    inword = !space;
  }
}

static char text[2048], xtext[2048];

int w_sh(void) {
  int ops = 0;
  char want[64], out[256];
  do {
    // The input: lines that start with x or y (grep ^x picks the first).
    text[0] = xtext[0] = 0;
    for (int i = 0, n = 5 + rnd(40); i < n; i++) {
      char line[40];
      fmt(line, 40, rnd(2) ? "x%u %u\n" : "y%u a b\n", rnd(100000), i);
      strcat(text, line);
      if (line[0] == 'x')
        strcat(xtext, line);
    }
    put_file("in", text);
    put_file("s", "echo alpha beta gamma | wc > o1\n"
                  "cat in | grep ^x | wc > o2\n"
                  "(echo one; echo two; echo three) | grep o | wc > o3\n"
                  "echo a >> o4; echo b >> o4\n"
                  "wc < in > o5\n"
                  "echo bg > o6 &\n"
                  "cat in | cat | cat > o7 ; wc o7 in > o8\n");
    char *argv[] = {"/sh", "s", 0};
    CHECK(reap1(start(argv, -1, -1)) == 0, "sh s: status not 0");
    int l, w, b, xl, xw, xb;
    count(text, &l, &w, &b);
    count(xtext, &xl, &xw, &xb);
    expect_file("o1", "1 3 17\n");
    expect_file("o2", fmt(want, 64, "%d %d %d\n", xl, xw, xb));
    expect_file("o3", "2 2 8\n");
    expect_file("o4", "a\nb\n");
    expect_file("o5", fmt(want, 64, "%d %d %d\n", l, w, b));
    expect_file("o8", fmt(out, 256, "%d %d %d o7\n%d %d %d in\n", l, w, b, l, w, b));
    // The background echo may finish after sh: poll for it (bounded).
    for (int t = 0; get_file("o6", out, sizeof(out)) != 3 && t < 10 * hz; t++)
      sleep(1);
    expect_file("o6", "bg\n");
    // Commands from a pipe, output into another.
    int cmd[2], res[2];
    CHECK(pipe(cmd) == 0 && pipe(res) == 0, "pipe");
    char *argv2[] = {"/sh", 0};
    int pid = start(argv2, cmd[0], res[1]);
    close(cmd[0]);
    close(res[1]);
    const char *cmds = "echo p q r s | wc\ncat in | wc\necho done\n";
    CHECK(write(cmd[1], cmds, strlen(cmds)) == (int)strlen(cmds), "write to sh");
    close(cmd[1]);
    read_all(res[0], out, sizeof(out));
    CHECK(reap1(pid) == 0, "sh from a pipe: status not 0");
    fmt(want, 64, "1 4 8\n%d %d %d\ndone\n", l, w, b);
    CHECK(strcmp(out, want) == 0, "sh from a pipe printed \"%s\"", out);
    for (int i = 1; i <= 8; i++)
      CHECK(unlink(fmt(want, 8, "o%d", i)) == 0, "unlink %s", want);
    CHECK(unlink("in") == 0 && unlink("s") == 0, "unlink in, s");
    ops++;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// exec: fork/exec storms and exit statuses.

int w_exec(void) {
  int ops = 0;
  char a1[16], a2[16], name[16], want[64];
  do {
    // echo in 2..6 children at once, half to pipes, half to files.
    int n = 2 + rnd(5), pids[8], st[8], fds[8];
    for (int i = 0; i < n; i++) {
      int p[2] = {-1, -1};
      if (i % 2)
        CHECK(pipe(p) == 0, "pipe");
      else
        p[1] = open(fmt(name, 16, "e%d", i), O_CREATE | O_WRONLY | O_TRUNC);
      char *argv[] = {"/echo", fmt(a1, 16, "s%u", seed), fmt(a2, 16, "%d", i), 0};
      pids[i] = start(argv, -1, p[1]);
      close(p[1]);
      fds[i] = p[0];
    }
    reap(pids, st, n);
    for (int i = 0; i < n; i++) {
      CHECK(st[i] == 0, "echo %d: status %d", i, st[i]);
      fmt(want, 64, "s%u %d\n", seed, i);
      if (i % 2) {
        char got[64];
        read_all(fds[i], got, sizeof(got));
        CHECK(strcmp(got, want) == 0, "echo %d through a pipe: \"%s\"", i, got);
      } else {
        expect_file(fmt(name, 16, "e%d", i), want);
      }
      ops++;
    }
    // wc of a file; a missing program; a file that is not an ELF.
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    char *wc[] = {"/wc", "e0", 0};
    pids[0] = start(wc, -1, p[1]);
    close(p[1]);
    char *missing[] = {"/soak.nothere", 0};
    pids[1] = start(missing, -1, -1);
    char *notelf[] = {"/README.md", 0};
    pids[2] = start(notelf, -1, -1);
    reap(pids, st, 3);
    char got[64];
    read_all(p[0], got, sizeof(got));
    fmt(a1, 16, "s%u 0\n", seed);
    fmt(want, 64, "1 2 %d e0\n", (int)strlen(a1));
    CHECK(st[0] == 0 && strcmp(got, want) == 0, "wc e0: status %d, \"%s\"", st[0], got);
    CHECK(st[1] == 127 && st[2] == 127, "exec of junk: statuses %d %d", st[1], st[2]);
    for (int i = 0; i < n; i += 2)
      CHECK(unlink(fmt(name, 16, "e%d", i)) == 0, "unlink %s", name);
    // A storm of quick forks, each with its own status.
    for (int i = 0; i < 8; i++)
      if ((pids[i] = fork()) == 0)
        exit(i * 37 - 100);
    reap(pids, st, 8);
    for (int i = 0; i < 8; i++)
      CHECK(st[i] == i * 37 - 100, "quick child %d: status %d", i, st[i]);
    // A chain of forks 6 deep; each level adds one to its child's status.
    int depth = 0, pid;
    while (depth < 6 && (pid = fork()) == 0)
      depth++;
    if (depth > 0 || pid < 0) {  // a link of the chain (or its failed end)
      int s = depth == 6 ? 1 : pid < 0 ? 100 : reap1(pid) + 1;
      exit(s);
    }
    CHECK(reap1(pid) == 6, "fork chain 6 deep");
    ops += 12;
  } while (more());
  return ops;
}

// ---------------------------------------------------------------------------
// kill: processes are killed while blocked in a pipe, with threads blocked in
// every way, and at a random moment of a busy life (fork, exec, pthreads,
// files, sbrk); a busy one ends itself with exit from a thread; exec from a
// thread ends the others; a fault ends one thread.

// A thread blocked for good in one of the places a thread can wait, or
// spinning; each must go when its process is killed, exits or execs.
static int blocker_word, bp[2], wp[2];
static void *blocker(void *how) {
  char buf[512];
  switch ((long)how) {
  case 0:  // futex_wait
    while (LOAD(&blocker_word) == 0)
      futex_wait(&blocker_word, 0);
    break;
  case 1:  // spinning, now and then yielding
    for (unsigned i = 0;; i++)
      if (i % 4096 == 0)
        yield(-1);
  case 2:  // reading a pipe nobody writes
    read(bp[0], buf, 1);
    break;
  case 3:  // writing a full pipe nobody reads
    for (memset(buf, 'w', sizeof(buf));;)
      write(wp[1], buf, sizeof(buf));
  case 4:  // a long sleep
    sleep(1000000);
    break;
  case 5:  // wait() for a child that waits for the end of bp
    if (fork() == 0) {
      close(bp[1]);
      exit(read(bp[0], buf, 1));
    }
    wait(0);
  }
  return 0;
}

// Starts one blocker of each kind in the calling process.
static void tangle(void) {
  pthread_t t;
  CHECK(pipe(bp) == 0 && pipe(wp) == 0, "pipe");
  for (long how = 0; how < 6; how++)
    CHECK(pthread_create(&t, 0, blocker, (void *)how) == 0, "pthread_create");
}

static void *execer(void *arg) {
  char *argv[] = {"/echo", "from", "a", "thread", 0};
  exec(argv[0], argv);
  return arg;
}

static int *volatile nowhere = (int *)8;  // in page 0, never mapped
static void *faulter(void *arg) {
  *nowhere = 1;
  return arg;
}

// A fault ends only the faulting thread: the process goes on (status 4)
// once the thread is gone, unless it was the last one (status -1). The
// kernel reports each fault on the console.
static void faults(void) {
  static struct procinfo pi[NPROC + NTHR];
  int pids[2], st[2];
  for (int i = 0; i < 2; i++) {
    if ((pids[i] = fork()) == 0) {
      pthread_t t;
      if (i == 1)
        faulter(0);
      pthread_create(&t, 0, faulter, 0);
      for (int tick = 0, n = 2; n > 1 && tick < 5 * hz; tick++) {
        sleep(1);
        n = procinfo(pi, NPROC + NTHR);
        for (int k = n - 1; k >= 0; k--)
          n -= pi[k].pid != getpid();  // our own threads are left
      }
      exit(4);
    }
  }
  reap(pids, st, 2);
  CHECK(st[0] == 4 && st[1] == -1, "faults: statuses %d %d, want 4 -1", st[0], st[1]);
}

static void *exiter(void *ticks) {
  sleep((long)ticks);
  exit(5);
}

// A child that does a bit of everything until it is killed (or exits).
static void __attribute__((noreturn)) busy(void) {
  pthread_t t;
  tangle();
  move_fd(open("kout", O_CREATE | O_WRONLY), 1);
  for (int i = 0;; i++) {
    int pid = fork();
    if (pid == 0) {
      char *argv[] = {"/wc", "/README.md", 0};
      if (i % 2)
        exec(argv[0], argv);
      exit(0);
    }
    if (pid > 0)
      wait(0);
    pthread_create(&t, 0, triple, 0);
    pthread_join(t, 0);
    int fd = open("kf", O_CREATE | O_RDWR);
    write(fd, iobuf, sizeof(iobuf));
    close(fd);
    unlink("kf");
    sbrk(3 * PGSIZE)[PGSIZE] = 1;
    sbrk(-3 * PGSIZE);
  }
}

int w_kill(void) {
  int ops = 0, p[2], r[2], pids[2], st[2];
  char got[32];
  do {
    // One process blocked in a pipe read; one with threads blocked in every
    // way (killed once they are all on their way).
    CHECK(pipe(p) == 0 && pipe(r) == 0, "pipe");
    for (int i = 0; i < 2; i++) {
      if ((pids[i] = fork()) == 0) {
        if (i == 0)
          exit(read(p[0], got, 1));
        tangle();
        write(r[1], "r", 1);
        blocker(0);
      }
      CHECK(pids[i] > 0, "fork");
    }
    CHECK(read(r[0], got, 1) == 1, "threaded child ready");
    sleep(rnd(3));
    CHECK(kill(pids[0]) == 0 && kill(pids[1]) == 0, "kill");
    reap(pids, st, 2);
    CHECK(st[0] == -1 && st[1] == -1, "killed children: statuses %d %d", st[0], st[1]);
    for (int i = 0; i < 2; i++) {
      close(p[i]);
      close(r[i]);
    }
    // exec from a thread while the others are blocked in every way.
    CHECK(pipe(p) == 0, "pipe");
    if ((pids[0] = fork()) == 0) {
      pthread_t t;
      move_fd(p[1], 1);
      tangle();
      pthread_create(&t, 0, execer, 0);
      blocker(0);
    }
    close(p[1]);
    read_all(p[0], got, sizeof(got));
    st[0] = reap1(pids[0]);
    CHECK(st[0] == 0 && strcmp(got, "from a thread\n") == 0,
          "exec from a thread: status %d, printed \"%s\"", st[0], got);
    // A busy child killed after 0 to 50 ms.
    if ((pids[0] = fork()) == 0)
      busy();
    sleep(rnd(hz / 20 + 1));
    CHECK(kill(pids[0]) == 0 && reap1(pids[0]) == -1, "kill of a busy child");
    // The same, ended from inside: a thread calls exit(5) after 0 to 50 ms.
    if ((pids[0] = fork()) == 0) {
      pthread_t t;
      pthread_create(&t, 0, exiter, (void *)(long)rnd(hz / 20 + 1));
      busy();
    }
    CHECK((st[0] = reap1(pids[0])) == 5, "a busy child's exit(5) from a thread: status %d", st[0]);
    unlink("kf");
    unlink("kout");
    if (ops == 0)  // once a round: the kernel prints two lines
      faults();
    ops += 4;
  } while (more());
  return ops;
}
