// trace: run a command with the kernel's event trace recording, then print
// what every hart did (the kernel must be booted with `trace`).
//
//   trace run CMD [ARG...]   forget older events, run CMD, wait, print
//   trace dump               stop recording and print what is recorded
//
// The output is for tools/timeline.py (make trace), one line each, numbers
// in hex:
//   @trace HARTS HZ CAPACITY      then, per hart, @recorded HART COUNT
//   @name ID TEXT                 the lock and queue names records refer to
//   @r HART TIME TYPE AUX TID A B one record (weft/trace.h); TIME (and a
//                                 system call's entry time) counts from
//                                 the first record printed
//   @end
// Lines are gathered into large writes: the console is the slow part.
#include "user.h"
#include "weft/trace.h"

static char out[8192];
static int nout;

static void flush(void) {
  for (int off = 0; off < nout;) {
    int n = write(1, out + off, nout - off);
    if (n <= 0)
      break;
    off += n;
  }
  nout = 0;
}

static void put(const char *s) {
  while (*s) {
    if (nout == (int)sizeof(out))
      flush();
    out[nout++] = *s++;
  }
}

static void hex(unsigned long v) {
  char b[20];
  int i = sizeof(b);
  b[--i] = 0;
  do {
    b[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  put(b + i);
  put(" ");
}

static struct trace_rec recs[512];

static int dump(void) {
  struct trace_info info;
  if (trace(TRACE_STOP, 0, 0, 0) < 0 || trace(TRACE_INFO, 0, &info, 0) < 0) {
    fprintf(2, "trace: %s (boot with `trace' on the command line)\n", strerror(errno));
    return 1;
  }
  put("@trace ");
  hex(info.harts);
  hex(info.hz);
  hex(info.capacity);
  put("\n");
  for (int h = 0; h < info.harts; h++) {
    put("@recorded ");
    hex(h);
    hex(info.recorded[h]);
    put("\n");
  }
  for (int id = 1; id <= info.names; id++) {
    char name[64];
    if (trace(TRACE_NAME, id, name, sizeof(name)) >= 0) {
      put("@name ");
      hex(id);
      put(name);
      put("\n");
    }
  }
  // The first record of all: times count from it.
  unsigned long t0 = ~0UL;
  for (int h = 0; h < info.harts; h++)
    if (trace(TRACE_READ, h, recs, 1) == 1 && recs[0].time < t0)
      t0 = recs[0].time;
  for (int h = 0; h < info.harts; h++) {
    long n;
    for (unsigned long done = 0;
         (n = trace(TRACE_READ, h | done << 8, recs, sizeof(recs) / sizeof(recs[0]))) > 0;
         done += n) {
      for (long i = 0; i < n; i++) {
        struct trace_rec *r = &recs[i];
        if (r->type == TR_SYSCALL)
          r->a -= (long)t0;  // the entry time, too, counts from t0
        put("@r ");
        hex(r->hart);
        hex(r->time - t0);
        hex(r->type);
        hex(r->aux);
        hex((unsigned long)(long)r->tid);
        hex(r->a);
        hex(r->b);
        out[nout - 1] = '\n';
      }
    }
  }
  put("@end\n");
  flush();
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "run") == 0) {
    if (trace(TRACE_START, 0, 0, 0) < 0) {
      fprintf(2, "trace: %s (boot with `trace' on the command line)\n", strerror(errno));
      return 1;
    }
    int pid = fork();
    if (pid == 0) {
      exec(argv[2], argv + 2);
      fprintf(2, "trace: cannot run %s: %s\n", argv[2], strerror(errno));
      exit(127);
    }
    if (pid < 0) {
      fprintf(2, "trace: fork: %s\n", strerror(errno));
      return 1;
    }
    int st;
    while (wait(&st) != pid) {
    }
    return dump();
  }
  if (argc == 2 && strcmp(argv[1], "dump") == 0)
    return dump();
  fprintf(2, "usage: trace run CMD [ARG...] | trace dump\n");
  return 2;
}
