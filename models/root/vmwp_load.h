/*
 * vmwp_load.h — the worker's kernel loaders: an unmodified Linux through
 * its PVH entry (vmwp_load_linux.c) and a multiboot v1 kernel with modules
 * (vmwp_load_multiboot.c). Both leave the bootstrap processor in flat
 * 32-bit protected mode with paging off at the kernel's entry (the state
 * a new VP starts in on the bare-metal backends), place the boot
 * information in the area at VMWP_BOOT_INFO_GPA, and hand the kernel the
 * memory map of vmwp_platform.h. See vmwp_boot.h for the contract on
 * untrusted input.
 *
 * Why PVH for Linux, not the 64-bit boot protocol: the PVH entry is a
 * 32-bit protected-mode, paging-off entry with one structure
 * (hvm_start_info: command line, initrd as module 0, memory map, RSDP),
 * from which Linux builds its own boot_params, page tables and GDT; the
 * 64-bit protocol would have the loader build identity page tables and a
 * GDT in guest memory and start the VP in long mode with segment state
 * the register interface must carry. Debian's kernel has CONFIG_PVH=y, the
 * uncompressed vmlinux carries the note, and QEMU boots the same image
 * through the same entry (tests/platform/test_linux_image.py).
 */
#ifndef MODELS_ROOT_VMWP_LOAD_H
#define MODELS_ROOT_VMWP_LOAD_H

#include "vmwp_boot.h"

/* PVH (Xen's x86/HVM direct boot ABI, xen/include/public/arch-x86/hvm/
 * start_info.h; Linux arch/x86/platform/pvh): hvm_start_info version 1. */
#define PVH_START_MAGIC 0x336EC578u
#define PVH_START_INFO_BYTES 56u
#define PVH_MODLIST_ENTRY_BYTES 32u
#define PVH_MEMMAP_ENTRY_BYTES 24u
#define XEN_ELFNOTE_PHYS32_ENTRY 18u

/* Multiboot 0.6.96 (GNU "Multiboot Specification" version 0.6.96). */
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH_BYTES 8192u
#define MULTIBOOT_INFO_BYTES 116u

/* Load the kernel in `in` into m and return the entry registers in *regs
 * (and where things went in *layout, which may be NULL). On an error
 * nothing is promised about m's contents; *detail as vmwp_boot.h says. */
enum vmwp_load_err vmwp_load_linux(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                   struct vmwp_boot_regs *regs, struct vmwp_boot_layout *layout,
                                   uint64_t *detail);
enum vmwp_load_err vmwp_load_multiboot(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                       struct vmwp_boot_regs *regs, struct vmwp_boot_layout *layout,
                                       uint64_t *detail);

#endif /* MODELS_ROOT_VMWP_LOAD_H */
