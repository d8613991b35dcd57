/*
 * crt0.S — first instructions of a bare-metal guest (root or child).
 *
 * Every VP starts at the image's first byte in flat 32-bit protected mode
 * with paging off (the VP start state of hv/arch/x86), RSI = GPA of its
 * boot block. It takes a stack slot (an atomic counter: no exit, so the
 * guest's events match the simulator's runtime one for one), builds
 * identity page tables over the first 512 GiB
 * of its GPA space (1 GiB pages, Intel SDM Vol. 3A 4.5: any address the
 * guest touches reaches the SLAT, so a GPA it does not own is the
 * hypervisor's to refuse; every VP writes the same values, so VPs
 * starting together do not race in any way that matters), enables long
 * mode (Intel SDM Vol. 3A 9.8.5) and calls bare_main(boot_gpa, slot) on
 * its own stack: slot 0 (the first VP to start: VP 0 of a VM, the one root
 * VP of a one-LP machine) on bare_stack0, whose size comes from the link
 * (the root's VMMS keeps large structures on it), the others on 16 KiB
 * slots. Also the 256 interrupt stubs of the guest's IDT.
 */
#define BARE_MAX_VPS 16
#define BARE_STACK 16384

        .section .text.entry, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        movl %esi, %ebp
        movl $1, %ebx               /* a stack slot: first come, first served */
        lock xaddl %ebx, bare_slots
        cmpl $BARE_MAX_VPS, %ebx
        jae 9f
        movl $bare_pdpt, %eax
        orl $3, %eax
        movl %eax, bare_pml4
        movl $bare_pdpt, %edi       /* PDPT[i] = i GiB, 1 GiB pages (P, RW, PS) */
        xorl %edx, %edx             /* high half of the address */
        xorl %ecx, %ecx
1:      movl %ecx, %eax
        shll $30, %eax
        orl $0x83, %eax
        movl %eax, (%edi)
        movl %ecx, %eax
        shrl $2, %eax
        movl %eax, 4(%edi)
        addl $8, %edi
        incl %ecx
        cmpl $512, %ecx
        jb 1b
        lgdt bare_gdt_desc
        ljmp $0x08, $3f
3:      movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movl %cr4, %eax
        orl $0x20, %eax             /* CR4.PAE */
        movl %eax, %cr4
        movl $bare_pml4, %eax
        movl %eax, %cr3
        movl $0xC0000080, %ecx      /* EFER.LME */
        rdmsr
        orl $0x100, %eax
        wrmsr
        movl %cr0, %eax
        orl $0x80000021, %eax       /* PG, NE, PE */
        movl %eax, %cr0
        ljmp $0x18, $long64
9:      cli
        hlt
        jmp 9b

        .code64
long64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorl %eax, %eax
        movw %ax, %fs
        movw %ax, %gs
        leaq bare_stack0_top(%rip), %rsp /* VP 0: the big stack (guest.ld) */
        testl %ebx, %ebx
        jz 11f
        movl %ebx, %eax
        imull $BARE_STACK, %eax
        leaq bare_stacks(%rip), %rsp
        addq %rax, %rsp
11:
        movl %ebp, %edi
        movl %ebx, %esi
        xorl %ebp, %ebp
        call bare_main
10:     cli
        hlt
        jmp 10b

/* Interrupt stubs: 16 bytes each, vector v at bare_isr_stubs + 16 * v;
 * a dummy error code where the CPU pushes none (SDM 3A 6.13). */
        .text
        .align 16
        .globl bare_isr_stubs
bare_isr_stubs:
        .set vec, 0
        .rept 256
        .align 16
        .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushq $0
        .endif
        pushq $vec
        jmp bare_isr_common
        .set vec, vec + 1
        .endr

bare_isr_common:
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
        call bare_trap
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

        .section .data
        .align 16
bare_gdt:
        .quad 0
        .quad 0x00CF9A000000FFFF    /* 0x08: 32-bit code */
        .quad 0x00CF92000000FFFF    /* 0x10: data */
        .quad 0x00AF9A000000FFFF    /* 0x18: 64-bit code */
bare_gdt_desc:
        .word bare_gdt_desc - bare_gdt - 1
        .long bare_gdt
        .align 4
bare_slots: .long 0

        .section .bss
        .align 4096
        .globl bare_pml4, bare_stacks
bare_pml4: .skip 4096
bare_pdpt: .skip 4096
        .align 16
bare_stacks: .skip BARE_STACK * BARE_MAX_VPS /* VPs 1..15: slot vp ends at +vp*BARE_STACK */
