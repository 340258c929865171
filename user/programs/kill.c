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
  if (argc < 2) {
    fprintf(2, "usage: kill pid...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
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
