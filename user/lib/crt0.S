# Program entry. exec starts us here with a0 = argc, a1 = argv and a 16-byte
# aligned stack. We set up the thread-local block, run the C++ global
# constructors, then main, and hand main's return value to exit, so
# returning from main ends the program.
  .section .text.start, "ax", @progbits
  .global _start
  .type _start, @function
_start:
  # A zero frame pointer and return address mark the outermost frame, so a
  # debugger's backtrace stops here instead of wandering into garbage.
  li fp, 0
  li ra, 0
  # argc and argv live in callee-saved registers across the constructors.
  mv s1, a0
  mv s2, a1
  # This thread's thread-local block (tls.c), before any code can use one.
  call weft_tls_main
  lla s3, __init_array_start
  lla s4, __init_array_end
1:
  bgeu s3, s4, 2f
  ld t0, 0(s3)
  jalr t0
  addi s3, s3, 8
  j 1b
2:
  mv a0, s1
  mv a1, s2
  call main
  call exit
  .size _start, . - _start
