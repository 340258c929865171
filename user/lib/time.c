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
  return (unsigned long)ts->tv_sec * WEFT_TIME_HZ +
         (unsigned long)ts->tv_nsec / (1000000000L / WEFT_TIME_HZ);
}
