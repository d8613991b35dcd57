/*
 * mbtest.S — entry of the multiboot test kernel (see mbtest.c): the
 * multiboot v1 header (page-aligned modules, memory information), then
 * from the loader's 32-bit protected-mode, paging-off state a stack and
 * mb_main(EAX, EBX).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .globl _start
_start:
        cli
        movl $stack_top, %esp
        pushl %ebx
        pushl %eax
        call mb_main
1:      hlt
        jmp 1b

        .bss
        .align 16
        .space 16384
stack_top:
