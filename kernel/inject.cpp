// Allocation-failure injection and schedule chaos; inject.h says what they
// do. Both are decided by a small hash of a seed and a counter, so that the
// decisions can be replayed, and both cost one flag test when off.
#include "inject.h"

#include <atomic>

#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc.h"

bool g_chaos_on = false;  // set once by inject_init at boot

namespace {
struct {
  // set once by inject_init at boot, constant afterwards:
  bool on = false;
  u64 every = 0;  // fail one in `every`
  u64 seed = 0;   // 0: every Nth, in order; else seeded at random
  // atomic, no lock:
  std::atomic<u64> calls{0};
  std::atomic<u64> injected[static_cast<int>(AllocSite::Count)] = {};
} g_fail;

struct {  // set once by inject_init at boot, constant afterwards
  u64 seed = 0;
  u64 permille = 125;
} g_chaos;

// A 64-bit mix (the finaliser of splitmix64): good enough to turn a seed
// and a counter into independent-looking decisions.
u64 mix(u64 x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// "name=A[,B]": A and B (B stays as it was if absent). False if no such word.
bool parse_pair(const char* s, const char* name, u64* a, u64* b) {
  size_t n = strlen(name);
  for (const char* w = s; *w;) {
    while (*w == ' ') w++;
    if (strncmp(w, name, n) == 0 && w[n] == '=') {
      const char* d = w + n + 1;
      *a = 0;
      while (*d >= '0' && *d <= '9') *a = *a * 10 + static_cast<u64>(*d++ - '0');
      if (*d == ',') {
        d++;
        *b = 0;
        while (*d >= '0' && *d <= '9') *b = *b * 10 + static_cast<u64>(*d++ - '0');
      }
      return true;
    }
    while (*w && *w != ' ') w++;
  }
  return false;
}
}  // namespace

void inject_init(const char* bootargs) {
  u64 every = 0, seed = 0;
  if (parse_pair(bootargs, "failalloc", &every, &seed) && every > 0) {
    g_fail.every = every;
    g_fail.seed = seed;
    g_fail.on = true;
    kprintf("weft: failing one in %lu allocations of test programs%s\n", every,
            seed ? " (seeded)" : "");
  }
  u64 cseed = 0, permille = g_chaos.permille;
  if (parse_pair(bootargs, "chaos", &cseed, &permille)) {
    g_chaos.seed = cseed;
    g_chaos.permille = permille > 1000 ? 1000 : permille;
    g_chaos_on = true;
    kprintf("weft: schedule chaos, seed %lu, %lu per mille\n", cseed, g_chaos.permille);
  }
}

bool inject_wanted_for(const char* name) { return g_fail.on && strncmp(name, "t_", 2) == 0; }

bool inject_failure(AllocSite site) {
  if (!g_fail.on) return false;
  Thread* t = current();
  if (!t || !t->proc || !t->proc->inject) return false;
  u64 n = g_fail.calls.fetch_add(1) + 1;
  bool fail = g_fail.seed ? mix(g_fail.seed ^ mix(n)) % g_fail.every == 0 : n % g_fail.every == 0;
  if (fail) g_fail.injected[static_cast<int>(site)].fetch_add(1);
  return fail;
}

u64 injected_count(AllocSite site) { return g_fail.injected[static_cast<int>(site)].load(); }

void inject_report() {
  if (!g_fail.on) return;
  static const char* const names[] = {"page",  "thread", "process",    "file",
                                      "inode", "space",  "disk block", "disk inode"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(AllocSite::Count));
  kprintf("weft: %lu allocations of test programs, failures injected:", g_fail.calls.load());
  for (int i = 0; i < static_cast<int>(AllocSite::Count); i++)
    kprintf(" %s %lu%s", names[i], g_fail.injected[i].load(),
            i + 1 < static_cast<int>(AllocSite::Count) ? "," : "\n");
}

// Only where a preemption could happen anyway (a thread running with
// interrupts on, holding no spin lock), so chaos adds interleavings that
// are possible without it, just rare.
void chaos_point(ChaosPoint where) {
  push_off();
  Cpu* c = mycpu();
  Thread* t = c->thread;
  // Not again inside the yield this point makes (its own lock releases are
  // points too): that would nest yields without end.
  bool may = t && c->locks.noff == 1 && c->locks.intena && c->locks.spin_held == 0 &&
             t->state == ThreadState::Running && !t->in_chaos;
  u64 n = may ? ++t->chaos_events : 0;
  pop_off();
  if (!may) return;
  u64 h = mix(g_chaos.seed ^ mix(static_cast<u64>(t->tid) << 32 ^ n) ^ static_cast<u64>(where));
  if (h % 1000 >= g_chaos.permille) return;
  t->in_chaos = true;
  yield();
  t->in_chaos = false;
}
