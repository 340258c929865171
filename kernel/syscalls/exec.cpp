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
  auto got = arg_str(0, path, sizeof(path));
  if (!got) return sysret(got);
  u64 uargv = arg_raw(1);
  char* argv[MAXARG + 1] = {};
  i64 result = syserr(Error::TooBig);
  int argc = 0;
  for (;; argc++) {
    u64 uarg;
    if (!copy_in(&uarg, uargv + argc * sizeof(u64), sizeof(uarg))) {
      result = syserr(Error::Fault);
      goto out;
    }
    if (uarg == 0) break;
    if (argc == MAXARG) goto out;  // TooBig
    argv[argc] = static_cast<char*>(kalloc());  // one page per argument
    if (!argv[argc]) {
      result = syserr(Error::NoMemory);
      goto out;
    }
    auto arg = copy_in_str(argv[argc], uarg, PGSIZE);
    if (!arg) {
      result = syserr(arg.error() == Error::NameTooLong ? Error::TooBig : arg.error());
      goto out;
    }
  }
  result = sysret(exec(path, argv));
out:
  for (int i = 0; i <= MAXARG && argv[i]; i++) kfree(argv[i]);
  return result;
}
