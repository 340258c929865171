// init: the first user process. It connects the console to fds 0, 1 and 2,
// keeps a shell running on it, and reaps every orphan the kernel hands to
// it, since it is the parent of last resort.
#include "user.h"

static char *sh_argv[] = {"sh", NULL};

int main(void) {
  int fd = open("console", O_RDWR);
  if (fd < 0) {
    // A fresh file system has no device node yet; make it.
    mknod("console", CONSOLE, 0);
    fd = open("console", O_RDWR);
  }
  if (fd < 0)
    exit(1);  // no console: nowhere to even say so
  // fd is 0, the first free descriptor; 1 and 2 become copies of it.
  dup(fd);
  dup(fd);

  for (;;) {
    printf("init: starting sh\n");
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "init: fork: %s\n", strerror(errno));
      sleep(100);
      continue;
    }
    if (pid == 0) {
      exec("sh", sh_argv);
      exec("/sh", sh_argv);
      fprintf(2, "init: exec sh: %s\n", strerror(errno));
      exit(1);
    }
    // Children other than the shell are orphans that were re-parented to
    // init; collecting them frees their process slots.
    for (;;) {
      int w = wait(NULL);
      if (w == pid)
        break;
      if (w < 0) {
        // Cannot happen while the shell lives; avoid spinning if it does.
        fprintf(2, "init: wait: %s\n", strerror(errno));
        sleep(100);
        break;
      }
    }
  }
}
