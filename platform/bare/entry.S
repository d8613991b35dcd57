/*
 * entry.S — the image's first instructions: multiboot v1 header, 32-bit
 * entry, switch to long mode, 64-bit jump to platform_main().
 *
 * Entered at 1 MiB in flat 32-bit protected mode with paging off, either
 * from our Bochs ROM (EAX = "HROM", EBX = 0) or from a multiboot loader
 * (EAX = 0x2BADB002, EBX = multiboot information). Long mode is enabled
 * as Intel SDM Vol. 3A 9.8.5 ("Initializing IA-32e Mode") describes: PAE
 * page tables, CR4.PAE, EFER.LME, CR0.PG, then a far jump to a 64-bit code
 * segment. The first 4 GiB are identity mapped with 2 MiB pages (SDM 3A
 * 4.5), which is the hypervisor's direct map (arch_phys_page).
 */
#include "hv/arch/x86/x86.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010003 /* page align, memory info, address fields */

        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        jmp start32

        .align 4
mb_header:                      /* Multiboot spec 0.6.96, 3.1.1 */
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
        .long mb_header         /* header_addr */
        .long __image_start     /* load_addr */
        .long __data_end        /* load_end_addr */
        .long __image_end       /* bss_end_addr: also .noinit, so no module lands there */
        .long _start            /* entry_addr */

start32:
        cli
        cld
        movl %eax, boot_magic
        movl %ebx, boot_info
        lgdt gdt_desc32
        ljmp $GDT_CODE32, $1f
1:      movw $GDT_DATA, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $(boot_stack + BOOT_STACK_SIZE), %esp

        /* Zero .bss (the ROM copies only the file image; multiboot
         * loaders zero it already — doing it twice is harmless). */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        shrl $2, %ecx
        xorl %eax, %eax
        rep stosl

        /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[i] = 2 MiB pages. */
        movl $boot_pdpt, %eax
        orl $(PTE_P | PTE_W), %eax
        movl %eax, boot_pml4
        movl $boot_pd, %eax
        orl $(PTE_P | PTE_W), %eax
        movl $boot_pdpt, %edi
        movl $4, %ecx
2:      movl %eax, (%edi)
        addl $4096, %eax
        addl $8, %edi
        loop 2b
        movl $boot_pd, %edi
        movl $(PTE_P | PTE_W | PTE_PS), %eax
        movl $2048, %ecx
3:      movl %eax, (%edi)
        addl $0x200000, %eax
        addl $8, %edi
        loop 3b

        movl %cr4, %eax
        orl $CR4_PAE, %eax
        movl %eax, %cr4
        movl $boot_pml4, %eax
        movl %eax, %cr3
        movl $MSR_EFER, %ecx
        rdmsr
        orl $(EFER_LME | EFER_NXE), %eax
        wrmsr
        movl %cr0, %eax
        orl $(CR0_PG | CR0_PE | CR0_WP | CR0_NE), %eax
        movl %eax, %cr0
        ljmp $GDT_CODE64, $long64

        .code64
long64:
        movw $GDT_DATA, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorl %eax, %eax
        movw %ax, %fs
        movw %ax, %gs
        movq $(boot_stack + BOOT_STACK_SIZE), %rsp
        xorl %ebp, %ebp
        movl boot_magic, %edi
        movl boot_info, %esi
        call platform_main
4:      cli
        hlt
        jmp 4b

        .section .data
        .align 16
        .globl gdt_table
gdt_table:                      /* SDM 3A 3.4.5; TSS slots filled by cpu.c */
        .quad 0
        .quad 0x00CF9A000000FFFF /* GDT_CODE32 */
        .quad 0x00CF92000000FFFF /* GDT_DATA */
        .quad 0x00AF9A000000FFFF /* GDT_CODE64 */
        .fill 2 * HV_X86_MAX_LPS, 8, 0 /* GDT_TSS: 16-byte descriptors */
        .globl gdt_table_end
gdt_table_end:
gdt_desc32:
        .word gdt_table_end - gdt_table - 1
        .long gdt_table
boot_magic: .long 0
boot_info:  .long 0

        .section .bss
        .align 4096
        .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
        .align 16
        .globl boot_stack
boot_stack: .skip BOOT_STACK_SIZE
