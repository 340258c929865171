// xv6demo: a program written the way xv6-riscv user programs are, against
// the headers at xv6's paths (user/xv6/, docs/xv6.md), with no weft
// header. It must build and run unchanged: t_xv6 runs it and checks what
// it prints. It uses xv6's types, its bare %l, a time-reading function of
// its own named rdtime, fstat and the T_ constants, and only xv6's calls.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fs.h"
#include "user/user.h"

static uint64
rdtime(void)
{
  return r_time();
}

char buf[512];

int
main(int argc, char *argv[])
{
  uint64 t0 = rdtime();
  int fd, n, p[2], pid, xstatus;
  struct stat st;

  fd = open("xv6demo.tmp", O_CREATE | O_RDWR);
  if(fd < 0){
    printf("xv6demo: open failed\n");
    exit(1);
  }
  if(write(fd, "hello xv6\n", 10) != 10){
    printf("xv6demo: write failed\n");
    exit(1);
  }
  if(fstat(fd, &st) < 0 || st.type != T_FILE || st.size != 10){
    printf("xv6demo: fstat failed\n");
    exit(1);
  }
  close(fd);
  if(stat(".", &st) < 0 || st.type != T_DIR){
    printf("xv6demo: stat of . failed\n");
    exit(1);
  }

  if(pipe(p) < 0){
    printf("xv6demo: pipe failed\n");
    exit(1);
  }
  pid = fork();
  if(pid == 0){
    close(p[0]);
    fd = open("xv6demo.tmp", O_RDONLY);
    n = read(fd, buf, sizeof(buf));
    write(p[1], buf, n);
    exit(3);
  }
  close(p[1]);
  n = read(p[0], buf, sizeof(buf));
  close(p[0]);
  wait(&xstatus);
  if(n != 10 || memcmp(buf, "hello xv6\n", 10) != 0 || xstatus != 3){
    printf("xv6demo: pipe or wait failed\n");
    exit(1);
  }
  unlink("xv6demo.tmp");

  char *a = sbrk(PGSIZE);
  if(a == (char*)-1 || PGROUNDUP((uint64)a + 1) - (uint64)a > PGSIZE){
    printf("xv6demo: sbrk failed\n");
    exit(1);
  }
  memset(a, 'x', PGSIZE);

  // Look for our own name in "/", reading the directory as xv6's ls does.
  struct dirent de;
  int found = 0;
  fd = open("/", O_RDONLY);
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum != 0 && memcmp(de.name, "xv6demo", 8) == 0)
      found = 1;
  }
  close(fd);

  uint64 big = 1UL << 40;
  printf("xv6demo: %l %d %x %p %s %c%%\n", big, -7, 255, (void*)0x1000, "str", 'c');
  printf("xv6demo: NOFILE %d MAXARG %d DIRSIZ %d found %d elapsed>0 %d\n",
         NOFILE, MAXARG, DIRSIZ, found, rdtime() > t0);
  exit(0);
}
