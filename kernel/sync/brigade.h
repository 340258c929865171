// The bucket brigade: a grace period made by travelling, not by interrupts.
//
// The calling thread visits the other harts one after another, in ring
// order (Cpu::index, starting after its own), by moving itself into each
// one's queue of pinned threads (sched.cpp, hop_to), and at last comes home.
// When it runs on hart h, h has passed through its scheduler since the trip
// began: whatever h ran before has been switched out, and the trip's
// `arrive` step runs there, on h, with interrupts off (a shootdown flushes
// the TLB). So once the thread is home, every hart on the route has done
// the step since the trip began. No busy hart is interrupted: it takes the
// traveller when it next reschedules (its next tick at the latest); an idle
// one gets an IPI, which is scheduling, as for any thread made runnable
// there, not a shootdown.
//
// The traveller holds no spin lock (it switches away at every hop). It may
// hold sleep locks, which stay held for the whole trip: a shootdown holds
// its space's map lock, so the process's other threads that want it (sbrk,
// fork, breaking a copy-on-write page) wait for the trip. A kill does not
// stop a trip: the thread notices it at its return to user mode, after the
// trip is done and the pages it guarded are freed. docs/design.md has the
// trade-off against the IPI shootdown.
#pragma once

#include <atomic>

#include "lib/types.h"

// The harts to visit: bit h set for hart id h. The set is read again just
// before each hop, so a hart that has left it meanwhile is skipped; ~0 is
// every hart. arrive(arg) runs at home when the thread sets out, on each
// hart it visits, and at home again if it went anywhere.
void brigade(const std::atomic<u64>& route, void (*arrive)(void* arg), void* arg);
