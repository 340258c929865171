// The kernel event trace, as user programs see it (kernel/trace.h records
// it; the `trace` program prints it; tools/timeline.py draws it).
#pragma once

#include <stdint.h>

// One event on one hart. `time` is the time CSR (10 MHz on QEMU virt).
struct trace_rec {
  uint64_t time;
  uint8_t type;   // TR_*
  uint8_t hart;   // the hart's index (0 = the boot hart)
  uint16_t aux;   // per type, below
  int32_t tid;    // the thread running on the hart; 0 in the scheduler
  int64_t a, b;   // per type, below
};

//                   aux              a                  b
#define TR_ON 1      // pid           name bytes 0-7     name bytes 8-15
#define TR_OFF 2     // TR_OFF_*: what the thread does now
#define TR_SYSCALL 3 // call number   entry time         result
#define TR_SLEEP 4   // queue name id key
#define TR_WAKE 5    // hart queued on  the woken tid
#define TR_IPI_SEND 6 //              hart mask
#define TR_IPI_RECV 7
#define TR_FENCE 8   //               hart mask          address-space id
#define TR_FAULT 9   // scause        address            1 if handled (copy-on-write)
#define TR_THREAD_NEW 10 //           the new tid        its pid
#define TR_THREAD_EXIT 11 //          exit status
#define TR_LOCK_SPIN 12 // lock name id  time spun (time CSR  the hart that held it
                        //                units)              when the spin began
                        //                                    (-1: unknown)

#define TR_OFF_RUNNABLE 1  // waits for a hart (preempted, yielded)
#define TR_OFF_SLEEPING 2  // waits for an event
#define TR_OFF_ENDED 3     // exited

// trace(op, arg, buf, len): -1 with errno ENODEV unless booted with `trace`.
#define TRACE_STOP 0   // stop recording (so that a reader sees still rings)
#define TRACE_START 1  // forget every record and record again
#define TRACE_INFO 2   // buf: struct trace_info
#define TRACE_READ 3   // arg: hart + (skip << 8); buf: up to len records,
                       // oldest first, after skipping `skip` of them;
                       // returns how many (0 at the end)
#define TRACE_NAME 4   // arg: name id; buf: its text (len bytes at most, NUL
                       // included); returns its length, or -1 (EINVAL) past
                       // the last id

struct trace_info {
  int32_t harts;       // harts with a ring
  int32_t names;       // name ids in use (1..names)
  uint64_t capacity;   // records per ring
  uint64_t recorded[8];  // records each hart wrote since START (more than
                         // capacity: the oldest were overwritten)
  uint64_t hz;         // time CSR ticks per second
};
