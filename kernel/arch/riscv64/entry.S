# First instructions of every hart. OpenSBI enters here in S-mode with
# a0 = hart id, a1 = device tree (boot hart) or the opaque value given to
# sbi_hart_start (other harts), paging off.
#
# The boot hart is whichever hart OpenSBI picks; the first to arrive here
# claims boot_claimed and becomes it. Every hart gets a boot stack indexed by
# arrival order so no two harts share one.
.section .text.entry
.globl _entry
_entry:
    # Interrupts and paging are already off. Pick a stack slot.
    la t0, boot_stack_next
    li t1, 1
    amoadd.w t2, t1, (t0)        # t2 = my slot (0 for the first hart in)
    li t1, 8                     # NCPU
    bgeu t2, t1, park
    li t1, 16384                 # boot stack bytes per hart
    addi t3, t2, 1
    mul t3, t3, t1
    la sp, boot_stacks
    add sp, sp, t3
    mv tp, zero
    # a0 = hart id, a1 = dtb or opaque, a2 = arrival slot
    mv a2, t2
    call kentry
park:
    wfi
    j park

.section .bss
.align 12
.globl boot_stacks
boot_stacks:
    .space 16384 * 8
.section .data
.align 2
boot_stack_next:
    .word 0
