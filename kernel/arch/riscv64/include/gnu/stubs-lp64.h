/* The kernel is built for the soft-float ABI (lp64) so that the compiler can
 * never use a floating-point register. The C++ headers it includes (cstdint,
 * atomic) pull in the C library's <gnu/stubs.h>, which wants this file for
 * lp64; Debian ships only the lp64d one. It lists unimplemented C library
 * functions, none of which the kernel calls, so it may be empty. */
