// The kernel event trace (see trace.h): one ring of records per hart.
#include "trace.h"

#include <weft/errno.h>
#include <weft/param.h>

#include "kalloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc.h"
#include "uaccess.h"

std::atomic<bool> g_trace_on{false};

namespace {

static_assert(sizeof(trace_rec) == 32);
static_assert(NCPU <= sizeof(trace_info::recorded) / sizeof(u64));

constexpr u64 kPerPage = PGSIZE / sizeof(trace_rec);
constexpr u64 kMaxPages = PGSIZE / sizeof(void*);  // one page of page pointers
constexpr u64 kDefaultRecords = 32768;              // 1 MiB per hart
constexpr int kMaxNames = 64;

// A hart's ring. Only its own hart writes records and head, with
// interrupts off; a reader looks only while recording is stopped.
struct Ring {
  trace_rec** pages = nullptr;  // npages pages of kPerPage records
  std::atomic<u64> head{0};     // records ever written; the next goes at head
  u64 base = 0;                 // head at the last TRACE_START
};

Ring g_rings[NCPU];
u64 g_npages = 0;  // per ring; set at boot
bool g_have_rings = false;

// Name ids: index + 1 into g_names. Entries are only ever added.
std::atomic<int> g_nnames{0};
std::atomic<const char*> g_names[kMaxNames];

u64 capacity() { return g_npages * kPerPage; }

trace_rec* slot(Ring& r, u64 i) {
  i %= capacity();
  return &r.pages[i / kPerPage][i % kPerPage];
}

// "trace" or "trace=N" among the words of the command line: N, the default
// for a bare "trace", 0 if absent.
u64 wanted_records(const char* s) {
  for (const char* w = s; *w;) {
    while (*w == ' ') w++;
    if (strncmp(w, "trace", 5) == 0 && (w[5] == ' ' || w[5] == 0)) return kDefaultRecords;
    if (strncmp(w, "trace=", 6) == 0) {
      u64 n = 0;  // (kept below the most a ring holds, so it cannot wrap)
      for (const char* d = w + 6; *d >= '0' && *d <= '9' && n < kMaxPages * kPerPage; d++)
        n = n * 10 + (*d - '0');
      return n;
    }
    while (*w && *w != ' ') w++;
  }
  return 0;
}

}  // namespace

void trace_init(const char* bootargs) {
  u64 want = wanted_records(bootargs);
  if (want == 0) return;
  u64 npages = (want + kPerPage - 1) / kPerPage;
  if (npages > kMaxPages) npages = kMaxPages;
  g_npages = npages;
  g_have_rings = true;
  kprintf("weft: tracing, %lu records per hart\n", capacity());
  trace_init_hart();
  g_trace_on.store(true);
}

// Each hart makes its own ring as it starts, so that only harts that exist
// take memory. A hart that finds no memory records nothing.
void trace_init_hart() {
  if (!g_have_rings) return;
  Ring& r = g_rings[mycpu()->index];
  auto** pages = static_cast<trace_rec**>(kzalloc());
  u64 got = 0;
  while (pages && got < g_npages && (pages[got] = static_cast<trace_rec*>(kzalloc()))) got++;
  if (got < g_npages) {
    for (u64 i = 0; i < got; i++) kfree(pages[i]);
    if (pages) kfree(pages);
    kprintf("trace: no memory for hart %d's ring; it records nothing\n", mycpu()->index);
    return;
  }
  r.pages = pages;
}

void trace_put(u8 type, u16 aux, i64 a, i64 b) {
  // Looked at again: a system call that began before TRACE_STOP records
  // when it ends, and a reader may be copying the ring by then.
  if (!tracing()) return;
  push_off();  // the record, this hart and its head belong together
  Cpu* c = mycpu();
  Ring& r = g_rings[c->index];
  if (!r.pages) {  // (no memory for it)
    pop_off();
    return;
  }
  u64 h = r.head.load(std::memory_order_relaxed);
  trace_rec* e = slot(r, h);
  e->time = read_time();
  e->type = type;
  e->hart = static_cast<u8>(c->index);
  e->aux = aux;
  e->tid = c->thread ? c->thread->tid : 0;
  e->a = a;
  e->b = b;
  r.head.store(h + 1, std::memory_order_release);  // the record is whole
  pop_off();
}

u16 trace_name(const char* name) {
  for (;;) {
    int n = g_nnames.load();
    for (int i = 0; i < n; i++)
      if (g_names[i].load() == name) return static_cast<u16>(i + 1);
    if (n == kMaxNames) return 0;  // (0: no name)
    // Take slot n unless another hart took it meanwhile (then look again):
    // the count never passes the table. Two harts may still both add one
    // name (the second looked before the first stored it): two ids, one text.
    if (g_nnames.compare_exchange_weak(n, n + 1)) {
      g_names[n].store(name);
      return static_cast<u16>(n + 1);
    }
  }
}

void trace_on_cpu(const Thread* t) {
  i64 part[2];
  memcpy(part, t->proc->name, sizeof(part));
  trace_put(TR_ON, static_cast<u16>(t->proc->pid), part[0], part[1]);
}

void trace_off_cpu(const Thread* t) {
  ThreadState s = t->state.load();
  u16 now = s == ThreadState::Runnable ? TR_OFF_RUNNABLE
            : s == ThreadState::Sleeping ? TR_OFF_SLEEPING : TR_OFF_ENDED;
  trace_put(TR_OFF, now, 0, 0);
}

u64 trace_hart_mask(u64 hartids) {
  u64 m = 0;
  for (int i = 0; i < g_ncpu; i++)
    if (hartids >> g_cpus[i].hartid & 1) m |= 1ull << i;
  return m;
}

i64 trace_syscall(int op, u64 arg, u64 buf, u64 len) {
  if (!g_have_rings) return -ENODEV;
  switch (op) {
    case TRACE_STOP:
      g_trace_on.store(false);
      return 0;
    case TRACE_START:
      g_trace_on.store(false);
      for (Ring& r : g_rings) r.base = r.head.load(std::memory_order_acquire);
      g_trace_on.store(true);
      return 0;
    case TRACE_INFO: {
      trace_info info = {};
      info.harts = g_ncpu;
      info.names = g_nnames.load();
      info.capacity = capacity();
      for (int i = 0; i < g_ncpu; i++)
        info.recorded[i] = g_rings[i].head.load(std::memory_order_acquire) - g_rings[i].base;
      info.hz = TIMEBASE_HZ;
      return copy_out(buf, &info, sizeof(info)) ? 0 : -EFAULT;
    }
    case TRACE_READ: {
      // Only a still ring can be read whole: a hart would overwrite what
      // is being copied.
      if (g_trace_on.load()) return -EBUSY;
      u64 hart = arg & 0xff, skip = arg >> 8;
      if (hart >= static_cast<u64>(g_ncpu)) return -EINVAL;
      Ring& r = g_rings[hart];
      if (!r.pages) return 0;
      u64 head = r.head.load(std::memory_order_acquire);
      u64 from = head - r.base > capacity() ? head - capacity() : r.base;
      from = skip < head - from ? from + skip : head;
      u64 n = head - from < len ? head - from : len;
      // The records of one ring page lie side by side: one copy per run.
      for (u64 i = 0, run; i < n; i += run) {
        u64 in_page = kPerPage - (from + i) % capacity() % kPerPage;
        run = n - i < in_page ? n - i : in_page;
        if (!copy_out(buf + i * sizeof(trace_rec), slot(r, from + i), run * sizeof(trace_rec)))
          return -EFAULT;
      }
      return static_cast<i64>(n);
    }
    case TRACE_NAME: {
      if (arg < 1 || arg > static_cast<u64>(g_nnames.load())) return -EINVAL;
      const char* name = g_names[arg - 1].load();
      if (!name) name = "?";  // being added right now
      u64 size = strlen(name) + 1;
      if (size > len) return -EINVAL;
      if (!copy_out(buf, name, size)) return -EFAULT;
      return static_cast<i64>(size - 1);
    }
  }
  return -EINVAL;
}
