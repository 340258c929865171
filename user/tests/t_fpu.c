// t_fpu: the user's floating-point state (f0-f31 and fcsr).
//
// The kernel never uses the FP registers itself; it saves and loads them
// only when it switches threads. Bugs this catches:
// - fork: the child's saved FP state was zeroed instead of copied from the
//   parent, so after fork() the child read 0 in every f register and in
//   fcsr (rounding mode and accrued flags lost) - the parent was fine.
// - exec: a new program started with whatever FP state the old one left
//   behind. The fixed kernel starts every new program (and every thread it
//   creates) with f0-f31 and fcsr all 0. Threads from tspawn/clone are not
//   tested here: whether they inherit anything is not part of the contract.
// Checked as well (these passed before the fix and must keep passing):
// - threads of one process, each with its own pattern in all 32 registers
//   and its own fcsr, running on every hart at once, spinning long enough
//   to be preempted, yielding and making system calls: each always finds
//   its own values;
// - a program that never writes an FP register sees its values stay
//   exactly as they were while another process's threads use FP heavily.
//
// Registers are set, used across the system call and read back inside one
// asm block wherever the compiler could otherwise move things; between the
// blocks of the thread loop there is only integer code (the test's object
// code has FP instructions only in these asm blocks).
// timeout: 60
#include "t_thr_util.h"
#include "weft/syscall.h"

#define FREGS_LOAD(base)                                                      \
  ".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"   \
  "24,25,26,27,28,29,30,31\n"                                                 \
  "fld f\\i, (\\i * 8)(" base ")\n"                                           \
  ".endr\n"
#define FREGS_STORE(base)                                                     \
  ".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"   \
  "24,25,26,27,28,29,30,31\n"                                                 \
  "fsd f\\i, (\\i * 8)(" base ")\n"                                           \
  ".endr\n"
#define FCLOBBERS                                                             \
  "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11",    \
      "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21",   \
      "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31"

#define RM_RTZ 1            // round towards zero
#define FL_NX 0x01          // inexact
#define FL_OF 0x04          // overflow
#define FL_NV 0x10          // invalid

// A register value that names who wrote it and which register it is.
static unsigned long pattern(unsigned seed, int reg) {
  return 0x4000000000000000UL ^ ((unsigned long)seed << 24) ^
         ((unsigned long)(reg + 1) * 0x0101010101UL);
}

static void fill(unsigned long *v, unsigned seed) {
  for (int i = 0; i < 32; i++)
    v[i] = pattern(seed, i);
}

static int count_diff(const unsigned long *got, const unsigned long *want) {
  int n = 0;
  for (int i = 0; i < 32; i++)
    if (got[i] != want[i])
      n++;
  return n;
}

// Loads all 32 registers and fcsr, forks in the same asm block, and reads
// them back on both sides of the fork. Returns fork's result.
static long fork_with_fp(const unsigned long *in, unsigned rm, unsigned fl,
                         unsigned long *out, unsigned long *fcsr) {
  long r;
  unsigned long csr;
  __asm__ volatile(FREGS_LOAD("%[in]")
                   "fsrm %[rm]\n"
                   "fsflags %[fl]\n"
                   "li a7, %[nr]\n"
                   "ecall\n"
                   "mv %[r], a0\n"
                   "frcsr %[csr]\n"
                   FREGS_STORE("%[out]")
                   : [r] "=&r"(r), [csr] "=&r"(csr)
                   : [in] "r"(in), [out] "r"(out), [rm] "r"(rm), [fl] "r"(fl),
                     [nr] "i"(SYS_fork)
                   : "a0", "a7", "memory", FCLOBBERS);
  *fcsr = csr;
  return r;
}

static void test_fork(void) {
  static unsigned long want[32], got[32];
  fill(want, 0x5a);
  unsigned long want_csr = RM_RTZ << 5 | FL_NX | FL_OF;
  unsigned long csr = 0;
  long pid = fork_with_fp(want, RM_RTZ, FL_NX | FL_OF, got, &csr);
  if (pid == 0) {
    // Child: exit code = number of wrong registers, +64 if fcsr is wrong,
    // +128 if every register read 0 (the state was dropped, not mixed up).
    int n = count_diff(got, want);
    int zeros = 1;
    for (int i = 0; i < 32; i++)
      if (got[i])
        zeros = 0;
    exit(n + (csr != want_csr ? 64 : 0) + (zeros ? 128 : 0));
  }
  ASSERT_GT(pid, 0, "fork");
  EXPECT_EQ(count_diff(got, want), 0, "parent: f0-f31 kept across fork");
  EXPECT_EQ(csr, want_csr, "parent: fcsr (RTZ, NX|OF) kept across fork");
  int st = -1;
  ASSERT_EQ(wait(&st), pid, "wait for the child");
  if (st < 0)
    st = 1000;
  EXPECT_EQ(st & 63, 0, "child: f0-f31 hold the parent's values (%d differ%s)",
            st & 63, st & 128 ? ", all 0" : "");
  EXPECT_EQ(st & 64, 0, "child: fcsr holds the parent's (RTZ, NX|OF)");
}

// --- Many threads, each with its own state, preempted and switching.
#define NTHREADS 4
#define RUN_MS 600
static int stop, done[NTHREADS + 1];
static int bad_regs[NTHREADS + 1], bad_csr[NTHREADS + 1], checks[NTHREADS + 1];

static void set_state(const unsigned long *v, unsigned long csr) {
  __asm__ volatile(FREGS_LOAD("%[v]") "fscsr %[c]\n"
                   :
                   : [v] "r"(v), [c] "r"(csr)
                   : "memory", FCLOBBERS);
}

// Only fsd/frcsr: reading changes nothing (no flags are raised).
static unsigned long get_state(unsigned long *v) {
  unsigned long csr;
  __asm__ volatile("frcsr %[c]\n" FREGS_STORE("%[v]")
                   : [c] "=&r"(csr)
                   : [v] "r"(v)
                   : "memory");
  return csr;
}

static volatile unsigned long sink;

// Spins, yields and makes system calls with its state in the registers;
// checks it after every step. Changes its values now and then, so that a
// stale copy from an earlier switch would show too.
static void fp_loop(int me) {
  unsigned long want[32], got[32];
  unsigned long t0 = rdtime();
  for (unsigned round = 0; !LOAD(&stop); round++) {
    unsigned seed = (unsigned)me * 1000 + (round / 8);
    fill(want, seed);
    unsigned long csr = ((unsigned long)(me % 5) << 5) | ((round + me) & 0x1f);
    set_state(want, csr);
    for (long j = 0; j < 20000 + 3000L * me; j++)
      sink += j;
    switch (round % 4) {
    case 0: yield(-1); break;
    case 1: getpid(); break;
    case 2: yield(gettid()); break;
    case 3: break;
    }
    unsigned long c = get_state(got);
    int n = count_diff(got, want);
    if (n)
      ADD(&bad_regs[me], n);
    if (c != csr)
      ADD(&bad_csr[me], 1);
    ADD(&checks[me], 1);
    if (me == 0 && thr_ms_since(t0) > RUN_MS)
      STORE(&stop, 1);
  }
}

static void fp_thread(void *arg) {
  int me = (int)(long)arg;
  fp_loop(me);
  texit(&done[me], 1);
}

// --- A program that never writes FP: `t_fpu child-exec`, reached through
// exec from a child whose registers were full of a pattern.
#define CHILD_RUN_MS 400
static int child_exec_main(unsigned long *entry, unsigned long entry_csr) {
  int nonzero = 0;
  for (int i = 0; i < 32; i++)
    if (entry[i])
      nonzero++;
  if (entry_csr)
    nonzero++;
  // Stay unchanged while the parent's threads switch FP state around us.
  unsigned long now[32];
  int changed = 0;
  unsigned long t0 = rdtime();
  for (int round = 0; thr_ms_since(t0) < CHILD_RUN_MS; round++) {
    for (unsigned long j = 0; j < 20000; j++)
      sink += j;
    if (round % 2)
      yield(-1);
    else
      getpid();
    unsigned long c = get_state(now);
    if (count_diff(now, entry) || c != entry_csr)
      changed = 1;
  }
  return (nonzero > 63 ? 63 : nonzero) | (changed ? 64 : 0);
}

static void exec_with_fp(const unsigned long *in) {
  static char a0[] = "t_fpu", a1[] = "child-exec";
  static char *argv[] = {a0, a1, 0};
  register long x0 __asm__("a0") = (long)"/t_fpu";
  register long x1 __asm__("a1") = (long)argv;
  __asm__ volatile(FREGS_LOAD("%[in]")
                   "li t0, %[csr]\n"
                   "fscsr t0\n"
                   "li a7, %[nr]\n"
                   "ecall\n"
                   : "+r"(x0)
                   : "r"(x1), [in] "r"(in), [nr] "i"(SYS_exec),
                     [csr] "i"(RM_RTZ << 5 | FL_NV)
                   : "a7", "t0", "memory", FCLOBBERS);
  exit(200);  // exec failed
}

static void test_threads_and_exec(void) {
  static unsigned long dirty[32];
  fill(dirty, 0xdd);
  int cpid = fork();
  if (cpid == 0)
    exec_with_fp(dirty);
  ASSERT_GT(cpid, 0, "fork the exec child");

  char *stacks = thr_pages(NTHREADS);
  ASSERT_TRUE(stacks != 0, "stack pages");
  int started = 0, ran[NTHREADS + 1] = {1};  // which spawns worked
  for (long i = 1; i <= NTHREADS; i++) {
    ran[i] = thr_spawn(stacks + (i - 1) * PGSIZE, fp_thread, (void *)i) > 0;
    started += ran[i];
  }
  EXPECT_EQ(started, NTHREADS, "spawn %d FP threads", NTHREADS);
  fp_loop(0);
  for (int i = 1; i <= NTHREADS; i++)
    if (ran[i])
      thr_wait_change(&done[i], 0);
  int regs = 0, csrs = 0, total = 0;
  for (int i = 0; i <= NTHREADS; i++) {
    regs += bad_regs[i];
    csrs += bad_csr[i];
    total += checks[i];
  }
  test_note("%d checks by %d threads", total, NTHREADS + 1);
  EXPECT_EQ(regs, 0, "every thread always found its own f0-f31");
  EXPECT_EQ(csrs, 0, "every thread always found its own fcsr");
  for (int i = 0; i <= NTHREADS; i++)
    if (ran[i] && checks[i] < 3)
      test_note("thread %d made only %d checks", i, checks[i]);

  int st = -1;
  ASSERT_EQ(wait(&st), cpid, "wait for the exec child");
  if (st == 200)
    test_note("exec of /t_fpu failed");
  EXPECT_TRUE(st >= 0 && st != 200 && (st & 63) == 0,
              "a new program starts with f0-f31 and fcsr 0 (%d were not)",
              st >= 0 && st != 200 ? st & 63 : -1);
  EXPECT_TRUE(st >= 0 && st != 200 && (st & 64) == 0,
              "its registers did not change while other threads used FP");
}

int main(int argc, char **argv) {
  // First thing: nothing has touched the FP registers yet.
  unsigned long entry[32];
  unsigned long entry_csr = get_state(entry);
  if (argc == 2 && strcmp(argv[1], "child-exec") == 0)
    exit(child_exec_main(entry, entry_csr));
  test_fork();
  test_threads_and_exec();
  test_done();
}
