// Boot: every hart enters kentry() from entry.S. The first to arrive (slot
// 0) sets the machine up and starts the others through SBI HSM.
#include "arch/riscv64/plic.h"
#include "arch/riscv64/riscv.h"
#include "arch/riscv64/sbi.h"
#include "boot.h"
#include "dev/console.h"
#include "dev/virtio_blk.h"
#include "fs/buf.h"
#include "fs/file.h"
#include "inject.h"
#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "selftest.h"
#include "trace.h"
#include "vm.h"

BootInfo g_boot;
bool g_test_mode = false;
bool g_test_lock_order_panic = false;

extern "C" char kernel_end[];
extern "C" void _entry();
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
void kprintf_use_uart();

namespace {
// "tick=N" sets the timer frequency, "test" turns on test mode,
// "lockorder-panic" makes the self tests end with a deliberate lock-order
// violation, "icount" shares the harts fairly under QEMU's -icount,
// "shootdown=brigade" (or "=ipi", the default) picks how a TLB shootdown
// reaches the other harts (vm.h).
void parse_bootargs(const char* s) {
  while (*s) {
    while (*s == ' ') s++;
    const char* word = s;
    while (*s && *s != ' ') s++;
    size_t len = s - word;
    if (len == 4 && strncmp(word, "test", 4) == 0) g_test_mode = true;
    if (len == 15 && strncmp(word, "lockorder-panic", 15) == 0) g_test_lock_order_panic = true;
    if (len == 6 && strncmp(word, "icount", 6) == 0) g_icount_mode = true;
    if (len == 17 && strncmp(word, "shootdown=brigade", 17) == 0)
      g_shootdown = Shootdown::Brigade;
    if (len == 13 && strncmp(word, "shootdown=ipi", 13) == 0) g_shootdown = Shootdown::Ipi;
    if (len > 5 && strncmp(word, "tick=", 5) == 0) {
      u64 hz = 0;
      for (const char* d = word + 5; d < s && *d >= '0' && *d <= '9'; d++)
        hz = hz * 10 + (*d - '0');
      if (hz >= 10 && hz <= 100000) g_tick_interval = TIMEBASE_HZ / hz;
    }
  }
}

void hart_setup() {
  vm_init_hart();
  trap_init_hart();
  plic_init_hart();
}

[[noreturn]] void boot_hart(u64 hartid, u64 dtb) {
  clock_init();
  fdt_parse(dtb, &g_boot);
  if (g_boot.ram_size == 0) {
    g_boot.ram_base = RAMBASE;
    g_boot.ram_size = DEFAULT_RAMSIZE;
  }
  parse_bootargs(g_boot.bootargs);
  inject_init(g_boot.bootargs);
  // Free RAM is what lies above the kernel, below the device tree (which
  // OpenSBI puts near the top of RAM).
  u64 free_end = g_boot.ram_base + g_boot.ram_size;
  if (free_end > USER_TOP + (1ull << 30)) free_end = USER_TOP + (1ull << 30);
  u64 kend = reinterpret_cast<u64>(kernel_end);
  if (g_boot.dtb_start > kend && g_boot.dtb_start < free_end)
    free_end = pg_round_down(g_boot.dtb_start);
  kalloc_init(kend, free_end);
  trace_init(g_boot.bootargs);
  vm_init();
  console_init();
  kprintf_use_uart();
  kprintf("weft: hart %lu booting, %lu MiB free, tick %lu Hz%s\n", hartid,
          free_page_count() * PGSIZE >> 20, TIMEBASE_HZ / g_tick_interval,
          g_test_mode ? ", test mode" : "");
  kprintf("weft: TLB shootdown by %s\n", g_shootdown == Shootdown::Brigade
                                              ? "bucket brigade (shootdown=brigade)"
                                              : "SBI remote fence (shootdown=ipi)");
  plic_init();
  hart_setup();
  binit();
  file_init();
  virtio_blk_init();
  if (g_test_mode) run_selftests();
  user_init();
  // Start the other harts; ids that do not exist just fail.
  for (u64 h = 0; h < NCPU; h++)
    if (h != hartid) sbi_hart_start(h, reinterpret_cast<u64>(_entry), 0);
  scheduler();
}
}  // namespace

extern "C" [[noreturn]] void kentry(u64 hartid, u64 dtb, u64 slot) {
  // Global constructors first: they (re)initialize g_cpus among others.
  // Nothing else runs yet, and no constructor takes a lock.
  if (slot == 0)
    for (auto* f = __init_array_start; f != __init_array_end; f++) (*f)();
  Cpu* c = &g_cpus[slot];
  c->hartid = static_cast<int>(hartid);
  c->index = static_cast<int>(slot);
  asm volatile("mv tp, %0" ::"r"(c));
  // g_ncpu counts harts that have arrived; wake_idle_hart looks at those.
  __atomic_fetch_add(&g_ncpu, 1, __ATOMIC_SEQ_CST);
  if (slot == 0) boot_hart(hartid, dtb);
  hart_setup();
  trace_init_hart();
  scheduler();
}
