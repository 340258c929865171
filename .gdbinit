# gdb-multiarch reads this in the repository root (you may need
# "set auto-load safe-path /" in ~/.gdbinit). One gdb thread per hart.
set architecture riscv:rv64
file build/kernel.elf
target remote :26001
# `harts`: which thread each hart runs (tp holds the hart's Cpu).
define harts
  info threads
  set $i = 0
  while $i < g_ncpu
    printf "cpu %d: hart %d thread %p\n", $i, g_cpus[$i].hartid, g_cpus[$i].thread
    if g_cpus[$i].thread != 0
      printf "        tid %d name %s\n", g_cpus[$i].thread->tid, g_cpus[$i].thread->proc->name
    end
    set $i = $i + 1
  end
end
document harts
List each hart with the thread it is running (tid, process name).
end
