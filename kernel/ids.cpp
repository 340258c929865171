// Ids and table slots: which thread or process an id names, and which slots
// are free. One lock guards both, so that "the id names this slot" and "the
// slot is in use" always change together.
//
// Ids are handed out in increasing order from 1, wrap around after
// INT_MAX, and skip every id that still names a live thread or process (a
// pid stays taken until the process is reaped, even after its first thread
// is gone). So an id is never negative and never names two live things.
#include <limits.h>

#include "inject.h"
#include "lib/kprintf.h"
#include "proc.h"

Spinlock g_id_lock{"ids", LockRank::Ids};

namespace {
constexpr u32 kBuckets = 64;

struct Ids {
  // guarded by g_id_lock:
  IntrusiveList<Thread, &Thread::id_node> tids[kBuckets];
  IntrusiveList<Process, &Process::id_node> pids[kBuckets];
  IntrusiveList<Thread, &Thread::id_node> free_threads;
  IntrusiveList<Process, &Process::id_node> free_procs;
  int nfree_threads = 0;
  int nfree_procs = 0;
  int next = 1;
  bool ready = false;
};
Ids g_ids;

u32 bucket(int id) { return static_cast<u32>(id) % kBuckets; }

// Every slot starts free. Done on first use rather than at boot so that no
// boot step has to remember it.
void ensure_ready_locked() {
  if (g_ids.ready) return;
  for (Thread& t : g_threads) g_ids.free_threads.push_back(&t);
  for (Process& p : g_procs) g_ids.free_procs.push_back(&p);
  g_ids.nfree_threads = NTHR;
  g_ids.nfree_procs = NPROC;
  g_ids.ready = true;
}

int alloc_id_locked() {
  for (;;) {
    int id = g_ids.next;
    g_ids.next = id == INT_MAX ? 1 : id + 1;
    if (!find_thread_locked(id) && !find_process_locked(id)) return id;
  }
}
}  // namespace

Thread* find_thread_locked(int tid) {
  auto& list = g_ids.tids[bucket(tid)];
  for (Thread* t = list.front(); t; t = list.next(t))
    if (t->tid == tid && t->state != ThreadState::Unused) return t;
  return nullptr;
}

Process* find_process_locked(int pid) {
  auto& list = g_ids.pids[bucket(pid)];
  for (Process* p = list.front(); p; p = list.next(p))
    if (p->pid == pid) return p;
  return nullptr;
}

Thread* thread_slot_alloc(Process* p, int tid) {
  if (inject_failure(AllocSite::Thread)) return nullptr;
  SpinGuard g(g_id_lock);
  ensure_ready_locked();
  Thread* t = g_ids.free_threads.pop_front();
  if (!t) return nullptr;
  g_ids.nfree_threads--;
  t->tid = tid ? tid : alloc_id_locked();
  t->proc = p;
  t->state = ThreadState::Embryo;
  g_ids.tids[bucket(t->tid)].push_back(t);
  return t;
}

void thread_slot_free(Thread* t) {
  SpinGuard g(g_id_lock);
  g_ids.tids[bucket(t->tid)].remove(t);
  t->tid = 0;
  t->proc = nullptr;
  g_ids.free_threads.push_back(t);
  g_ids.nfree_threads++;
}

void set_tid(Thread* t, int tid) {
  SpinGuard g(g_id_lock);
  g_ids.tids[bucket(t->tid)].remove(t);
  t->tid = tid;
  g_ids.tids[bucket(tid)].push_back(t);
}

Process* process_slot_alloc() {
  if (inject_failure(AllocSite::Process)) return nullptr;
  SpinGuard g(g_id_lock);
  ensure_ready_locked();
  Process* p = g_ids.free_procs.pop_front();
  if (!p) return nullptr;
  g_ids.nfree_procs--;
  // Nobody else can reach a free slot, so its fields are reset here; the
  // process lock is taken for the fields it guards all the same.
  SpinGuard pl(p->lock);
  p->pid = alloc_id_locked();
  p->state = ProcState::Alive;
  p->killed = false;
  p->decided = false;
  p->xstatus = 0;
  p->live = 0;
  p->nthreads = 0;
  p->ending_others = false;
  p->inject = false;
  p->clone_stack = 0;
  p->as = nullptr;
  p->name[0] = 0;
  g_ids.pids[bucket(p->pid)].push_back(p);
  return p;
}

void process_slot_free(Process* p) {
  SpinGuard g(g_id_lock);
  g_ids.pids[bucket(p->pid)].remove(p);
  {
    SpinGuard pl(p->lock);
    p->pid = 0;
    p->state = ProcState::Unused;
  }
  g_ids.free_procs.push_back(p);
  g_ids.nfree_procs++;
}

void free_slot_counts(int* threads, int* procs) {
  SpinGuard g(g_id_lock);
  ensure_ready_locked();
  *threads = g_ids.nfree_threads;
  *procs = g_ids.nfree_procs;
}

// Self test (boot in test mode, before the first process): ids wrap around
// to 1 past INT_MAX and skip an id that is still taken.
void ids_selftest(void (*check)(bool, const char*)) {
  int saved;
  {
    SpinGuard g(g_id_lock);
    saved = g_ids.next;
    g_ids.next = INT_MAX - 1;
  }
  Thread* a = thread_slot_alloc(nullptr, 0);
  Thread* b = thread_slot_alloc(nullptr, 0);
  Thread* c = thread_slot_alloc(nullptr, 0);
  check(a && b && c && a->tid == INT_MAX - 1 && b->tid == INT_MAX && c->tid == 1,
        "ids wrap from INT_MAX to 1, never negative");
  {
    SpinGuard g(g_id_lock);
    g_ids.next = INT_MAX;  // taken by b
  }
  Thread* d = thread_slot_alloc(nullptr, 0);
  check(d && d->tid == 2, "an id still in use is skipped");
  {
    SpinGuard g(g_id_lock);
    check(find_thread_locked(INT_MAX) == b && find_thread_locked(5) == nullptr,
          "a tid finds its thread");
  }
  Thread* made[] = {a, b, c, d};
  for (Thread* t : made) {
    if (!t) continue;
    t->state = ThreadState::Unused;
    thread_slot_free(t);
  }
  SpinGuard g(g_id_lock);
  g_ids.next = saved;
}
