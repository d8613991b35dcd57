; rom.asm — the image's own boot ROM for Bochs (no BIOS at all).
;
; Bochs maps a romimage given without an address so that it ends at 4 GiB,
; and aliases its last 128 KiB at 0xE0000-0xFFFFF. The ROM is the kernel
; (a flat binary of hvsim.elf, linked at 1 MiB) followed by this 4 KiB stub;
; the CPU starts at F000:FFF0 in real mode (Intel SDM Vol. 3A 9.1.4, "First
; Instruction Executed"). The stub enters flat 32-bit protected mode (SDM
; 3A 9.9.1), copies the kernel to 1 MiB and jumps to it with EAX = ROM_MAGIC
; and EBX = 0 — the same state a multiboot loader leaves, minus the
; information structure (the kernel then reads the memory size from CMOS).
;
; Built by mkrom.sh with -DKERNEL_SIZE=<bytes> -DROM_SIZE=<bytes>.

%define ROM_BASE (0x100000000 - ROM_SIZE)
%define LOW 0xF0000                ; real-mode CS base of the low alias
%define KERNEL_LOAD 0x100000
%define ROM_MAGIC 0x4D4F5248       ; "HROM"

        bits 16
        org 0xF000                 ; the stub is the last 4 KiB: F000:F000..FFFF
start16:
        cli
        cld
        o32 lgdt [cs:gdt_desc]
        mov eax, cr0
        or eax, 1                  ; CR0.PE
        mov cr0, eax
        jmp dword 0x08:(pm32 + LOW)

        bits 32
pm32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esi, ROM_BASE
        mov edi, KERNEL_LOAD
        mov ecx, (KERNEL_SIZE + 3) / 4
        rep movsd
        mov eax, ROM_MAGIC
        xor ebx, ebx
        jmp 0x08:KERNEL_LOAD

        align 8
gdt:    dq 0
        dq 0x00CF9B000000FFFF      ; 0x08: 32-bit code, flat, 4 GiB
        dq 0x00CF93000000FFFF      ; 0x10: data, flat, 4 GiB
gdt_desc:
        dw gdt_desc - gdt - 1
        dd gdt + LOW

        times 0xFF0 - ($ - $$) db 0xF4
reset:                             ; F000:FFF0 (linear 0xFFFFFFF0)
        db 0xEA                    ; jmp far F000:start16
        dw start16
        dw 0xF000
        times 0x1000 - ($ - $$) db 0xF4
