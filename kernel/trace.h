// The kernel event trace: what each hart did, and when, for `make trace`.
//
// Off unless the command line says `trace` (or `trace=N`, N records per
// hart). Each hart appends fixed-size records to its own ring, with
// interrupts off for the few stores it takes, so no lock and no atomic
// read-modify-write is needed, and a hart never waits for another to
// record. A full ring overwrites its oldest records.
//
// Every event point is `if (tracing()) trace_put(...)`: with tracing off,
// one load and one branch that always goes the same way.
//
// The records leave through the `trace` system call (weft/trace.h), which
// the user program `trace` uses to run a command and print what happened.
#pragma once

#include <weft/trace.h>

#include <atomic>

#include "lib/types.h"

struct Thread;

// Set at boot and by the trace system call. Read relaxed (a plain load):
// a hart that sees a change late records an event more or fewer, and
// trace_put looks again before it writes.
extern std::atomic<bool> g_trace_on;
inline bool tracing() { return g_trace_on.load(std::memory_order_relaxed); }

void trace_init(const char* bootargs);  // after kalloc_init
void trace_init_hart();                 // on each other hart as it starts
// Append one record on this hart, stamped with the time CSR; tid is the
// running thread's (0 in the scheduler or before the first thread).
void trace_put(u8 type, u16 aux, i64 a, i64 b);
// A small number for a kernel string (a lock or queue name) whose text the
// trace system call hands out; records carry the number.
u16 trace_name(const char* name);
// A thread starts running on this hart: its tid, pid and process name.
void trace_on_cpu(const Thread* t);
// The running thread leaves this hart: runnable, sleeping or ended.
void trace_off_cpu(const Thread* t);
// A mask of hart ids (as SBI takes them) as a mask of hart indices.
u64 trace_hart_mask(u64 hartids);

// The system call: stop, start, read records and names (weft/trace.h).
i64 trace_syscall(int op, u64 arg, u64 buf, u64 len);
