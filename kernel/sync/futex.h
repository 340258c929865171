// Futexes: sleep on a user word until another thread wakes that word. The
// key is (address space, user address), so threads of one process and
// clones sharing an address space meet on the same word.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

// Sleep while *uaddr == expected. 0 when woken or when the word already
// differs; error for a bad or misaligned address or when killed.
Result<void> futex_wait(u64 uaddr, int expected);
// The same with a deadline, a time CSR value (10 MHz, what rdtime reads):
// TimedOut once it has passed. The clock notices it at its next tick.
Result<void> futex_wait_until(u64 uaddr, int expected, u64 deadline);
// Wake up to n sleepers on uaddr; returns how many were woken.
Result<int> futex_wake(u64 uaddr, int n);
// texit: store v to *uaddr and wake every sleeper on it, as one step with
// respect to futex_wait's check.
Result<void> futex_store_and_wake_all(u64 uaddr, u32 v);
