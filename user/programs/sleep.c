// sleep: wait the given number of seconds (a fraction like 0.25 too), on
// the time CSR's clock.
#include "user.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(2, "usage: sleep seconds\n");
    return 1;
  }
  unsigned long whole = 0, frac = 0, scale = 1;
  const char *p = argv[1];
  for (; *p >= '0' && *p <= '9'; p++)
    whole = whole * 10 + (unsigned long)(*p - '0');
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9' && scale < WEFT_TIME_HZ; p++, scale *= 10)
      frac = frac * 10 + (unsigned long)(*p - '0');
  if (*p != '\0' || p == argv[1]) {
    fprintf(2, "sleep: bad number of seconds: %s\n", argv[1]);
    return 1;
  }
  unsigned long end = rdtime() + whole * WEFT_TIME_HZ + frac * WEFT_TIME_HZ / scale;
  while (rdtime() < end)
    sleep(1);
  return 0;
}
