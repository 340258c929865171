// t_lib_printf: the output of one printf call is not cut up by another
// thread's, even when it is longer than printf's buffer (several writes).
//
// Threads (pthreads, then clones) print lines of 700 copies of their own
// letter into one pipe with fprintf; the main thread reads the pipe and
// checks that every line is whole: 700 equal letters and a newline. Then a
// process forks while another thread of it prints: the child's printf to
// the same fd must still work (the print lock it inherited may have been
// held by a thread it does not have; fork clears the print locks in the
// child).
// timeout: 120
#include <pthread.h>

#include "test.h"

#define LINE 700  // longer than printf's 256-byte buffer
#define LINES 15
#define WRITERS 4

static int pipefd[2];
static char letters[WRITERS][LINE + 1];

static void *pwriter(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < LINES; i++)
    fprintf(pipefd[1], "%s\n", letters[id]);
  return NULL;
}

static void cwriter(void *arg) {
  pwriter(arg);
}

// Reads n lines from the pipe; returns the number of whole lines and sets
// *broken to the number of mixed or wrong-length ones.
static int read_lines(int n, int *broken) {
  static char line[4 * LINE];
  static char buf[512];
  int len = 0, whole = 0, have = 0, pos = 0;
  *broken = 0;
  while (whole + *broken < n) {
    if (pos == have) {
      have = read(pipefd[0], buf, sizeof(buf));
      pos = 0;
      if (have <= 0)
        break;
    }
    char c = buf[pos++];
    if (c != '\n') {
      if (len < (int)sizeof(line))
        line[len++] = c;
      continue;
    }
    int ok = len == LINE;
    for (int i = 1; i < len && ok; i++)
      ok = line[i] == line[0];
    if (ok)
      whole++;
    else
      (*broken)++;
    len = 0;
  }
  return whole;
}

static void setup(void) {
  for (int w = 0; w < WRITERS; w++) {
    memset(letters[w], 'A' + w, LINE);
    letters[w][LINE] = '\0';
  }
}

static void test_pthreads(void) {
  ASSERT_EQ(pipe(pipefd), 0, "pipe");
  pthread_t t[WRITERS];
  int made = 0;
  for (long w = 0; w < WRITERS; w++)
    made += pthread_create(&t[w], NULL, pwriter, (void *)w) == 0;
  ASSERT_EQ(made, WRITERS, "%d pthreads print", WRITERS);
  int broken;
  int whole = read_lines(WRITERS * LINES, &broken);
  for (int w = 0; w < WRITERS; w++)
    pthread_join(t[w], NULL);
  EXPECT_EQ(whole, WRITERS * LINES, "pthreads: all %d lines of %d bytes arrived whole",
            WRITERS * LINES, LINE);
  EXPECT_EQ(broken, 0, "pthreads: no line was mixed with another");
  close(pipefd[0]);
  close(pipefd[1]);
}

static void test_clones(void) {
  ASSERT_EQ(pipe(pipefd), 0, "pipe");
  int made = 0;
  for (long w = 0; w < WRITERS; w++)
    made += thread_create(cwriter, (void *)w) > 0;
  ASSERT_EQ(made, WRITERS, "%d clones print", WRITERS);
  int broken;
  int whole = read_lines(WRITERS * LINES, &broken);
  while (thread_join() > 0)
    ;
  EXPECT_EQ(whole, WRITERS * LINES, "clones: all %d lines arrived whole", WRITERS * LINES);
  EXPECT_EQ(broken, 0, "clones: no line was mixed with another");
  close(pipefd[0]);
  close(pipefd[1]);
}

// ---------------------------------------------------------------------------
// fork while another thread prints.

static int stop;
static int sink[2];

static void *chatter(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
    fprintf(sink[1], "%s\n", letters[0]);
  return NULL;
}

static void *drain(void *arg) {
  (void)arg;
  char buf[512];
  while (read(sink[0], buf, sizeof(buf)) > 0)
    ;
  return NULL;
}

static void test_fork(void) {
  ASSERT_EQ(pipe(sink), 0, "pipe");
  pthread_t ch, dr;
  stop = 0;
  ASSERT_EQ(pthread_create(&dr, NULL, drain, NULL), 0, "reader thread");
  ASSERT_EQ(pthread_create(&ch, NULL, chatter, NULL), 0, "printing thread");
  int ok = 0;
  unsigned long t0 = rdtime();
  for (int i = 0; i < 3; i++) {
    int p[2];
    if (pipe(p) < 0)
      break;
    int pid = fork();
    if (pid == 0) {
      // Print through the fd number the chatter uses, so that the print
      // lock is the one the chatter may have held when we were forked.
      close(sink[1]);
      int fd = dup(p[1]);
      close(p[0]);
      close(p[1]);
      fprintf(fd, "child %d\n", fd == sink[1] ? i : -1);
      exit(0);
    }
    close(p[1]);
    char buf[32];
    int n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    int status = -1;
    wait(&status);
    char want[32];
    test_format(want, sizeof(want), "child %d\n", i);
    if (n > 0) {
      buf[n] = '\0';
      ok += status == 0 && strcmp(buf, want) == 0;
    }
  }
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  pthread_join(ch, NULL);
  close(sink[1]);
  pthread_join(dr, NULL);
  close(sink[0]);
  test_note("3 forks while printing: %lu ms", (rdtime() - t0) / 10000);
  EXPECT_EQ(ok, 3, "a child forked while another thread prints can still printf");
}

int main(void) {
  setup();
  EXPECT_EQ(printf("%s", ""), 0, "printf returns the number of characters (0)");
  test_pthreads();
  test_clones();
  test_fork();
  test_done();
}
