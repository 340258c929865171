// The clock (time.h).
#include "time.h"

#include "user.h"

int clock_gettime(int clock, struct timespec *ts) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    errno = EINVAL;
    return -1;
  }
  unsigned long t = rdtime();
  ts->tv_sec = (long)(t / WEFT_TIME_HZ);
  ts->tv_nsec = (long)(t % WEFT_TIME_HZ) * (1000000000L / WEFT_TIME_HZ);
  return 0;
}

unsigned long timespec_to_time(const struct timespec *ts) {
  if (ts->tv_sec < 0)
    return 1;  // long past (0 would mean no deadline to futex_wait_until)
  // Far-off times stay far off instead of wrapping round to the past.
  if ((unsigned long)ts->tv_sec > ~0UL / WEFT_TIME_HZ - 1)
    return ~0UL;
  return (unsigned long)ts->tv_sec * WEFT_TIME_HZ +
         (unsigned long)ts->tv_nsec / (1000000000L / WEFT_TIME_HZ);
}
