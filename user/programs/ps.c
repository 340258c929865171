// ps: list every thread of every process.
#include "user.h"

// One record per thread; the thread pool bounds how many there can be.
static struct procinfo info[NTHR];

static const char *state_name(int state) {
  switch (state) {
  case PI_RUNNABLE: return "RUNNABLE";
  case PI_RUNNING: return "RUNNING";
  case PI_SLEEPING: return "SLEEPING";
  case PI_ZOMBIE: return "ZOMBIE";
  default: return "?";
  }
}

int main(void) {
  int n = procinfo(info, NTHR);
  if (n < 0) {
    fprintf(2, "ps: procinfo: %s\n", strerror(errno));
    return 1;
  }
  printf("%-4s %-4s %-8s %-4s %-8s %s\n", "PID", "TID", "STATE", "HART", "SZ", "NAME");
  for (int i = 0; i < n && i < NTHR; i++) {
    struct procinfo *p = &info[i];
    // The name may fill the field without a terminating NUL.
    char name[PI_NAMELEN + 1];
    memmove(name, p->name, PI_NAMELEN);
    name[PI_NAMELEN] = '\0';
    const char *state = state_name(p->state);
    // A thread that is not running has no hart: show "-" in that column.
    if (p->hart >= 0)
      printf("%-4d %-4d %-8s %-4d %-8d %s\n", p->pid, p->tid, state, p->hart, p->sz, name);
    else
      printf("%-4d %-4d %-8s %-4s %-8d %s\n", p->pid, p->tid, state, "-", p->sz, name);
  }
  return 0;
}
