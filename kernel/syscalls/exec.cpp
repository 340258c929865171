// exec(path, argv): copy the path and every argument into kernel pages
// first (the user's memory may change under us), then load from the copies.
#include <weft/param.h>

#include "exec.h"
#include "kalloc.h"
#include "arch/riscv64/riscv.h"
#include "syscall.h"
#include "syscalls/syscalls.h"
#include "uaccess.h"

i64 sys_exec() {
  char path[MAXPATH];
  if (!arg_str(0, path, sizeof(path))) return -1;
  u64 uargv = arg_raw(1);
  char* argv[MAXARG + 1] = {};
  i64 result = -1;
  int argc = 0;
  for (;; argc++) {
    if (argc > MAXARG) goto out;
    u64 uarg;
    if (!copy_in(&uarg, uargv + argc * sizeof(u64), sizeof(uarg))) goto out;
    if (uarg == 0) break;
    if (argc == MAXARG) goto out;
    argv[argc] = static_cast<char*>(kalloc());  // one page per argument
    if (!argv[argc] || !copy_in_str(argv[argc], uarg, PGSIZE)) goto out;
  }
  result = sysret(exec(path, argv));
out:
  for (int i = 0; i <= MAXARG && argv[i]; i++) kfree(argv[i]);
  return result;
}
