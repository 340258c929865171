// In-kernel self tests, run at boot in test mode ("test" on the command
// line). They print TAP lines and power off with a failure status if any
// fails, before any user program runs.
#pragma once

void run_selftests();
