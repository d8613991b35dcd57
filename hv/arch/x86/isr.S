/*
 * isr.S — the hypervisor's own interrupt and exception entry stubs.
 *
 * The hypervisor runs with interrupts disabled; it takes exceptions only
 * on a bug (panic with the frame) and interrupts only while an idle LP
 * waits in HLT (the local APIC timer, vector X86_VEC_TIMER). Each stub
 * pushes a dummy error code where the CPU pushes none (Intel SDM Vol. 3A
 * 6.13, "Error Code"; 6.14.1 for the 64-bit frame), then the vector.
 */
        .text
        .code64
.macro ISR_NOERR vec
        .globl isr_\vec
isr_\vec:
        pushq $0
        pushq $\vec
        jmp isr_common
.endm
.macro ISR_ERR vec
        .globl isr_\vec
isr_\vec:
        pushq $\vec
        jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
ISR_NOERR 32
ISR_NOERR 255

isr_common:                     /* frame: r15..rax, vector, error, rip, cs, rflags, rsp, ss */
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, %rdi
        call cpu_trap
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
        addq $16, %rsp
        iretq

        .section .rodata
        .align 8
        .globl isr_table
isr_table:                      /* stubs for vectors 0..32, then 255 */
        .quad isr_0, isr_1, isr_2, isr_3, isr_4, isr_5, isr_6, isr_7
        .quad isr_8, isr_9, isr_10, isr_11, isr_12, isr_13, isr_14, isr_15
        .quad isr_16, isr_17, isr_18, isr_19, isr_20, isr_21, isr_22, isr_23
        .quad isr_24, isr_25, isr_26, isr_27, isr_28, isr_29, isr_30, isr_31
        .quad isr_32, isr_255
