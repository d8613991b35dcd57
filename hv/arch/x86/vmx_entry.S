/*
 * vmx_entry.S — the world switch of the VT-x backend.
 *
 * int vmx_enter(uint64_t gpr[16], int launched): loads the guest's general
 * registers (RSP and RIP come from the VMCS), VMLAUNCH or VMRESUME; the VM
 * exit lands at vmx_exit (the VMCS host RIP) with the host RSP written
 * here, saves the guest registers and returns 0. Returns 1 when the
 * instruction failed (VMfailInvalid / VMfailValid: CF or ZF set, Intel SDM
 * Vol. 3C 31.2 "Conventions"). A VM exit loads host state only as the
 * VMCS host area says (SDM 3C 28.5): callee-saved registers are pushed.
 */
#define VMCS_HOST_RSP 0x6C14

        .text
        .code64
        .globl vmx_enter, vmx_exit
vmx_enter:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        pushq %rdi                  /* gpr pointer, found again at exit */
        movq $VMCS_HOST_RSP, %rax
        vmwrite %rsp, %rax
        testl %esi, %esi            /* ZF = !launched; MOVs keep the flags */
        movq 0x00(%rdi), %rax
        movq 0x08(%rdi), %rcx
        movq 0x10(%rdi), %rdx
        movq 0x18(%rdi), %rbx
        movq 0x28(%rdi), %rbp
        movq 0x30(%rdi), %rsi
        movq 0x40(%rdi), %r8
        movq 0x48(%rdi), %r9
        movq 0x50(%rdi), %r10
        movq 0x58(%rdi), %r11
        movq 0x60(%rdi), %r12
        movq 0x68(%rdi), %r13
        movq 0x70(%rdi), %r14
        movq 0x78(%rdi), %r15
        movq 0x38(%rdi), %rdi
        jnz 1f
        vmlaunch
        jmp 2f
1:      vmresume
2:      popq %rdi                   /* entry failed: nothing was loaded */
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        movl $1, %eax
        ret

vmx_exit:
        pushq %rdi
        movq 8(%rsp), %rdi
        movq %rax, 0x00(%rdi)
        movq %rcx, 0x08(%rdi)
        movq %rdx, 0x10(%rdi)
        movq %rbx, 0x18(%rdi)
        movq %rbp, 0x28(%rdi)
        movq %rsi, 0x30(%rdi)
        movq %r8, 0x40(%rdi)
        movq %r9, 0x48(%rdi)
        movq %r10, 0x50(%rdi)
        movq %r11, 0x58(%rdi)
        movq %r12, 0x60(%rdi)
        movq %r13, 0x68(%rdi)
        movq %r14, 0x70(%rdi)
        movq %r15, 0x78(%rdi)
        popq %rax
        movq %rax, 0x38(%rdi)
        popq %rdi
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        xorl %eax, %eax
        ret
