// kill: ask the kernel to kill each process named by its pid.
#include "user.h"

// atoi accepts anything; a pid must be all digits.
static int parse_pid(const char *s) {
  if (*s == '\0')
    return -1;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
  }
  return atoi(s);
}

int main(int argc, char **argv) {
  // weft has one way to end a process, so of the signals only -9 (-KILL)
  // is accepted, for the habit of typing it.
  int first = 1;
  if (argc > 1 && argv[1][0] == '-') {
    if (strcmp(argv[1], "-9") != 0 && strcmp(argv[1], "-KILL") != 0) {
      fprintf(2, "kill: %s: only -9 (KILL) exists\n", argv[1]);
      return 1;
    }
    first = 2;
  }
  if (argc <= first) {
    fprintf(2, "usage: kill [-9] pid...\n");
    return 1;
  }
  int status = 0;
  for (int i = first; i < argc; i++) {
    int pid = parse_pid(argv[i]);
    if (pid < 0) {
      fprintf(2, "kill: bad pid %s\n", argv[i]);
      status = 1;
    } else if (kill(pid) < 0) {
      fprintf(2, "kill: %d: %s\n", pid, strerror(errno));
      status = 1;
    }
  }
  return status;
}
