# The one trap vector, for traps from user mode and from the kernel.
#
# sscratch tells them apart: while a hart runs user code, sscratch holds the
# running thread's TrapFrame; while it runs kernel code, sscratch is 0.
# Because the kernel is mapped in every page table, no satp switch is needed.

#define REG_OFF(i) ((i) - 1) * 8
#define TF_EPC 248
#define TF_KSP 256
#define TF_KTP 264

.macro SAVE_GPRS base
    sd x1, REG_OFF(1)(\base)
    sd x3, REG_OFF(3)(\base)
    sd x4, REG_OFF(4)(\base)
    sd x5, REG_OFF(5)(\base)
    sd x6, REG_OFF(6)(\base)
    sd x7, REG_OFF(7)(\base)
    sd x8, REG_OFF(8)(\base)
    sd x9, REG_OFF(9)(\base)
    sd x10, REG_OFF(10)(\base)
    sd x11, REG_OFF(11)(\base)
    sd x12, REG_OFF(12)(\base)
    sd x13, REG_OFF(13)(\base)
    sd x14, REG_OFF(14)(\base)
    sd x15, REG_OFF(15)(\base)
    sd x16, REG_OFF(16)(\base)
    sd x17, REG_OFF(17)(\base)
    sd x18, REG_OFF(18)(\base)
    sd x19, REG_OFF(19)(\base)
    sd x20, REG_OFF(20)(\base)
    sd x21, REG_OFF(21)(\base)
    sd x22, REG_OFF(22)(\base)
    sd x23, REG_OFF(23)(\base)
    sd x24, REG_OFF(24)(\base)
    sd x25, REG_OFF(25)(\base)
    sd x26, REG_OFF(26)(\base)
    sd x27, REG_OFF(27)(\base)
    sd x28, REG_OFF(28)(\base)
    sd x29, REG_OFF(29)(\base)
    sd x30, REG_OFF(30)(\base)
    sd x31, REG_OFF(31)(\base)
.endm

.macro LOAD_GPRS_EXCEPT_SP_A0 base
    ld x1, REG_OFF(1)(\base)
    ld x3, REG_OFF(3)(\base)
    ld x4, REG_OFF(4)(\base)
    ld x5, REG_OFF(5)(\base)
    ld x6, REG_OFF(6)(\base)
    ld x7, REG_OFF(7)(\base)
    ld x8, REG_OFF(8)(\base)
    ld x9, REG_OFF(9)(\base)
    ld x11, REG_OFF(11)(\base)
    ld x12, REG_OFF(12)(\base)
    ld x13, REG_OFF(13)(\base)
    ld x14, REG_OFF(14)(\base)
    ld x15, REG_OFF(15)(\base)
    ld x16, REG_OFF(16)(\base)
    ld x17, REG_OFF(17)(\base)
    ld x18, REG_OFF(18)(\base)
    ld x19, REG_OFF(19)(\base)
    ld x20, REG_OFF(20)(\base)
    ld x21, REG_OFF(21)(\base)
    ld x22, REG_OFF(22)(\base)
    ld x23, REG_OFF(23)(\base)
    ld x24, REG_OFF(24)(\base)
    ld x25, REG_OFF(25)(\base)
    ld x26, REG_OFF(26)(\base)
    ld x27, REG_OFF(27)(\base)
    ld x28, REG_OFF(28)(\base)
    ld x29, REG_OFF(29)(\base)
    ld x30, REG_OFF(30)(\base)
    ld x31, REG_OFF(31)(\base)
.endm

.section .text
.globl trap_vector
.align 4
trap_vector:
    csrrw sp, sscratch, sp       # sp <-> sscratch
    bnez sp, from_user
    # From the kernel: sscratch was 0, so swap back to get the kernel sp.
    csrrw sp, sscratch, sp
    # Kernel frame: the TrapFrame layout, plus sepc and sstatus, on the
    # current kernel stack. Saving everything keeps the backtrace simple and
    # lets the handler switch threads (timer preemption) before returning.
    addi sp, sp, -288
    SAVE_GPRS sp
    addi t0, sp, 288
    sd t0, REG_OFF(2)(sp)        # the interrupted sp
    csrr t0, sepc
    sd t0, TF_EPC(sp)
    csrr t0, sstatus
    sd t0, 272(sp)
    mv a0, sp
    call kernel_trap
    ld t0, TF_EPC(sp)
    csrw sepc, t0
    ld t0, 272(sp)
    csrw sstatus, t0
    # Keep tp: the thread may have been preempted and resumed on another
    # hart, and tp must name the hart it is on now.
    sd tp, REG_OFF(4)(sp)
    LOAD_GPRS_EXCEPT_SP_A0 sp
    ld a0, REG_OFF(10)(sp)
    addi sp, sp, 288
    sret

from_user:
    # sp = this thread's TrapFrame, sscratch = user sp.
    SAVE_GPRS sp
    csrr t0, sscratch
    sd t0, REG_OFF(2)(sp)
    csrr t0, sepc
    sd t0, TF_EPC(sp)
    csrw sscratch, zero          # now in the kernel
    ld tp, TF_KTP(sp)
    mv a0, sp
    ld sp, TF_KSP(sp)
    call user_trap               # does not return here; see user_return

# user_return(TrapFrame* tf): back to user mode with tf's registers.
# Called with interrupts off and sstatus.SPP = 0, SPIE = 1 already set.
.globl user_return
user_return:
    ld t0, TF_EPC(a0)
    csrw sepc, t0
    csrw sscratch, a0
    ld sp, REG_OFF(2)(a0)
    LOAD_GPRS_EXCEPT_SP_A0 a0
    ld a0, REG_OFF(10)(a0)
    sret
