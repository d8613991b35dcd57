/*
 * svm_entry.S — the world switch of the AMD-V backend.
 *
 * void svm_enter(uint64_t gpr[16], uint64_t vmcb_pa, uint64_t host_vmcb_pa):
 * with the global interrupt flag clear, VMSAVE the host's hidden state
 * (FS, GS, TR, LDTR, KernelGsBase, STAR..., SYSENTER) into its own VMCB,
 * VMLOAD the guest's, load the guest GPRs (RAX and RSP live in the VMCB),
 * VMRUN; after #VMEXIT save the guest GPRs, VMSAVE the guest's hidden
 * state, VMLOAD the host's, STGI (AMD APM Vol. 2 15.5 "VMRUN", 15.5.2
 * "VMSAVE and VMLOAD", 15.17 "Global Interrupt Flag"). The host's RFLAGS.IF
 * is 1 across VMRUN: with V_INTR_MASKING it is what lets a physical
 * interrupt (the LAPIC timer ending a slice) exit the guest (APM 15.21.1).
 */
        .text
        .code64
        .globl svm_enter
svm_enter:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        pushq %rdx                  /* 24(%rsp): host VMCB */
        pushq %rdi                  /* 16(%rsp): gpr pointer */
        pushq %rsi                  /*  8(%rsp): guest VMCB */
        subq $8, %rsp               /*  0(%rsp): scratch, keeps 16-byte alignment */
        clgi
        movq %rdx, %rax
        vmsave %rax
        movq %rsi, %rax
        vmload %rax
        movq %rdi, %rax
        movq 0x08(%rax), %rcx
        movq 0x10(%rax), %rdx
        movq 0x18(%rax), %rbx
        movq 0x28(%rax), %rbp
        movq 0x30(%rax), %rsi
        movq 0x38(%rax), %rdi
        movq 0x40(%rax), %r8
        movq 0x48(%rax), %r9
        movq 0x50(%rax), %r10
        movq 0x58(%rax), %r11
        movq 0x60(%rax), %r12
        movq 0x68(%rax), %r13
        movq 0x70(%rax), %r14
        movq 0x78(%rax), %r15
        movq 8(%rsp), %rax
        sti                         /* GIF = 0 holds interrupts; VMRUN sets GIF */
        vmrun %rax
        cli
        movq 16(%rsp), %rax
        movq %rcx, 0x08(%rax)
        movq %rdx, 0x10(%rax)
        movq %rbx, 0x18(%rax)
        movq %rbp, 0x28(%rax)
        movq %rsi, 0x30(%rax)
        movq %rdi, 0x38(%rax)
        movq %r8, 0x40(%rax)
        movq %r9, 0x48(%rax)
        movq %r10, 0x50(%rax)
        movq %r11, 0x58(%rax)
        movq %r12, 0x60(%rax)
        movq %r13, 0x68(%rax)
        movq %r14, 0x70(%rax)
        movq %r15, 0x78(%rax)
        movq 8(%rsp), %rax
        vmsave %rax
        movq 24(%rsp), %rax
        vmload %rax
        stgi
        addq $32, %rsp
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret
