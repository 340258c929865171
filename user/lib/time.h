// time.h: the clock user programs can read. weft has no wall clock: both
// clocks count from when the machine started, on the time CSR (10 MHz,
// which rdtime() in user.h reads directly).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

struct timespec {
  long tv_sec;
  long tv_nsec;
};

#define CLOCK_REALTIME 0   // the same clock: there is no time of day
#define CLOCK_MONOTONIC 1
#define WEFT_TIME_HZ 10000000L  // time CSR counts per second

// 0, or -1 with errno EINVAL for an unknown clock.
int clock_gettime(int clock, struct timespec *ts);
// The time CSR value of a timespec on that clock (what futex_wait_until
// takes); a negative time gives 1 (long past), a huge one ~0UL.
unsigned long timespec_to_time(const struct timespec *ts);

#ifdef __cplusplus
}
#endif
