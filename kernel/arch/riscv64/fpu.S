# fp_save(FpState* s) / fp_restore(const FpState* s): the user's
# floating-point registers f0..f31 and fcsr (FpState in proc.h). The kernel
# is compiled without the F and D extensions, so that no kernel code can
# touch these registers by accident; only this file enables them, for these
# two routines. sstatus.FS must not be Off when they run.
.option push
.option arch, +d
.section .text
.globl fp_save
fp_save:
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\i, (\i * 8)(a0)
    .endr
    frcsr t0
    sd t0, 256(a0)
    ret

.globl fp_restore
fp_restore:
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\i, (\i * 8)(a0)
    .endr
    ld t0, 256(a0)
    fscsr t0
    ret
.option pop
