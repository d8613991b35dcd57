/*
 * child_image.S — the child guest image inside the root's image: what the
 * root's worker process (VMWP) copies to GUEST_ENTRY_RIP of a new VM, the
 * way a host keeps a VM's firmware and boot disk. Linked into the root
 * image only; CHILD_BIN is the flat binary of the child link.
 */
        .section .rodata
        .balign 16
        .globl bare_child_image_start, bare_child_image_end
bare_child_image_start:
        .incbin CHILD_BIN
bare_child_image_end:
