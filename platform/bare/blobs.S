/*
 * blobs.S — the root partition's image, embedded in the hypervisor image
 * (the "module" a loader would hand over). GUEST_BIN is the flat binary of
 * models/guest/bare linked for the root (guest.ld at PLATFORM_ROOT_IMAGE_GPA).
 */
        .section .rodata
        .balign 4096
        .globl root_image_start, root_image_end
root_image_start:
        .incbin GUEST_BIN
root_image_end:
