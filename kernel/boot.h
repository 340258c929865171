// What boot learned: the device tree's facts and the command line options.
#pragma once

#include "lib/fdt.h"

extern BootInfo g_boot;
extern bool g_test_mode;  // "test" on the command line: run self tests
// "lockorder-panic" (with "test"): after the self tests, take two locks in
// the wrong order; the lock-order check must panic.
extern bool g_test_lock_order_panic;
