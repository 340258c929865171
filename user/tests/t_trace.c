// t_trace: the trace system call refuses what it must. Without `trace` on
// the kernel command line (every make test configuration) each operation
// is ENODEV. With it (tools/tracetest.py boots that way and runs this test
// too): bad operations, harts, name ids and buffers are refused with
// EINVAL or EFAULT and no record is harmed; reading while recording is
// EBUSY; the rings fill with this thread's own system calls, records come
// out oldest first, and START forgets what was recorded.
// timeout: 60
#include "test.h"
#include "weft/syscall.h"
#include "weft/trace.h"

static struct trace_rec recs[64];

int main(void) {
  struct trace_info info;
  char *bad = (char *)0x10;
  if (trace(TRACE_INFO, 0, &info, 0) < 0) {
    EXPECT_EQ(errno, ENODEV, "without `trace' on the command line: ENODEV");
    for (int op = TRACE_STOP; op <= TRACE_NAME + 1; op++)
      EXPECT_EQ(trace(op, 0, recs, 1), -1L, "op %d refused", op);
    test_done();
  }
  ASSERT_GE(info.harts, 1, "harts with rings: %d", info.harts);
  EXPECT_EQ(info.hz, 10000000UL, "the time CSR's rate");
  EXPECT_GE(info.capacity, 1000UL, "records per ring");

  errno = 0;
  EXPECT_EQ(trace(99, 0, 0, 0), -1L, "an unknown op fails");
  EXPECT_EQ(errno, EINVAL, "with EINVAL");
  EXPECT_EQ(trace(TRACE_INFO, 0, bad, 0), -1L, "INFO into a bad buffer fails");
  EXPECT_EQ(errno, EFAULT, "with EFAULT");
  EXPECT_EQ(trace(TRACE_READ, 0, recs, 1), -1L, "READ while recording fails");
  EXPECT_EQ(errno, EBUSY, "with EBUSY");

  // Some records of our own: each getpid is one system call record.
  ASSERT_EQ(trace(TRACE_START, 0, 0, 0), 0L, "START");
  for (int i = 0; i < 10; i++)
    getpid();
  ASSERT_EQ(trace(TRACE_STOP, 0, 0, 0), 0L, "STOP");
  ASSERT_EQ(trace(TRACE_INFO, 0, &info, 0), 0L, "INFO");
  unsigned long total = 0;
  for (int h = 0; h < info.harts; h++)
    total += info.recorded[h];
  EXPECT_GE(total, 10UL, "at least the 10 getpid calls were recorded (%lu)", total);

  int getpids = 0;
  for (int h = 0; h < info.harts; h++) {
    unsigned long last = 0;
    long n, seen = 0;
    while ((n = trace(TRACE_READ, h | (unsigned long)seen << 8, recs, 64)) > 0) {
      for (long i = 0; i < n; i++) {
        EXPECT_TRUE(recs[i].time >= last, "hart %d: records in time order", h);
        EXPECT_EQ(recs[i].hart, h, "a record of hart %d says so", h);
        last = recs[i].time;
        getpids += recs[i].type == TR_SYSCALL && recs[i].aux == SYS_getpid &&
                   recs[i].tid == gettid() && recs[i].b == getpid();
      }
      seen += n;
    }
    EXPECT_EQ((unsigned long)seen, info.recorded[h] < info.capacity ? info.recorded[h]
                                                                    : info.capacity,
              "hart %d: READ hands out every record kept", h);
  }
  EXPECT_EQ(getpids, 10, "the 10 getpid calls, with their tid and result");

  EXPECT_EQ(trace(TRACE_READ, info.harts, recs, 1), -1L, "READ of a hart past the last");
  EXPECT_EQ(errno, EINVAL, "with EINVAL");
  int busiest = 0;  // a hart with records, or there is nothing to copy
  for (int h = 1; h < info.harts; h++)
    if (info.recorded[h] > info.recorded[busiest])
      busiest = h;
  EXPECT_EQ(trace(TRACE_READ, busiest, bad, 64), -1L, "READ into a bad buffer");
  EXPECT_EQ(errno, EFAULT, "with EFAULT");
  EXPECT_EQ(trace(TRACE_READ, 0 | 1000000UL << 8, recs, 64), 0L, "READ past the end: 0");
  char name[64];
  EXPECT_EQ(trace(TRACE_NAME, 0, name, sizeof(name)), -1L, "name id 0 is none");
  EXPECT_EQ(trace(TRACE_NAME, info.names + 1, name, sizeof(name)), -1L, "nor one past the last");
  if (info.names >= 1) {
    EXPECT_GE(trace(TRACE_NAME, 1, name, sizeof(name)), 1L, "name 1: %s", name);
    EXPECT_EQ(trace(TRACE_NAME, 1, name, 1), -1L, "a buffer too small for it");
    EXPECT_EQ(trace(TRACE_NAME, 1, bad, sizeof(name)), -1L, "a bad buffer");
  }

  ASSERT_EQ(trace(TRACE_START, 0, 0, 0), 0L, "START again");
  ASSERT_EQ(trace(TRACE_STOP, 0, 0, 0), 0L, "STOP at once");
  ASSERT_EQ(trace(TRACE_INFO, 0, &info, 0), 0L, "INFO");
  total = 0;
  for (int h = 0; h < info.harts; h++)
    total += info.recorded[h];
  EXPECT_LE(total, 4UL, "START forgot the older records (%lu left)", total);
  trace(TRACE_START, 0, 0, 0);  // recording on again for whoever comes next
  test_done();
}
