/*
 * vmwp_platform.h — the machine a VM's worker (VMWP) gives a guest that
 * boots as on hardware (a kernel, or a program asking for the platform
 * devices): where things are in its guest-physical and I/O space, and its
 * memory map. One place for the numbers the loaders, the ACPI tables and
 * the device models share.
 *
 * Guest-physical layout (RAM from GPA 0 up to the VM's memory size):
 *   0x00000-0x0FFFF  RAM (Linux keeps its trampoline and the first page)
 *   0x10000-0x1FFFF  boot information the loader writes (start info or
 *                    boot_params, multiboot info, memory map, command
 *                    line, module list) — RAM, the kernel copies it early
 *   0x20000-0x9EFFF  RAM
 *   0x9F000-0xFFFFF  reserved: the ACPI tables at 0xE0000 (RSDP first,
 *                    16-byte aligned, where the BIOS-area scan finds it)
 *   0x100000-end     RAM: the kernel (its ELF's physical addresses),
 *                    modules and the initrd above it
 *   MMIO window      VMBus's MMIO (the _CRS of \_SB.VMOD): 0xF0000000-
 *                    0xFBFFFFFF, or from the first 1 GiB boundary above RAM
 *                    when RAM reaches past 0xF0000000
 *   0xFC000000       the worker's MMIO test register (outside the window)
 *   0xFEE00000       the local APIC page (the hypervisor's)
 * I/O ports: COM1 0x3F8-0x3FF (16550), ACPI PM1a control 0x404 (16-bit),
 * the HW-reduced sleep control / status registers 0x408 / 0x409 (8-bit),
 * the worker's test port 0x600.
 */
#ifndef MODELS_ROOT_VMWP_PLATFORM_H
#define MODELS_ROOT_VMWP_PLATFORM_H

#include <stdint.h>

/* Devices a VM's worker emulates beside the test port (struct
 * mgmt_vm_config.platform). */
#define VMWP_PLATFORM_COM1 0x1u /* a 16550 UART at 0x3F8: console-<vm>.log */
#define VMWP_PLATFORM_ACPI 0x2u /* ACPI tables at 0xE0000, PM1 control and sleep registers */
#define VMWP_PLATFORM_RTC 0x4u  /* the CMOS clock at 0x70/0x71 (vmwp_rtc.h) */
#define VMWP_PLATFORM_ALL (VMWP_PLATFORM_COM1 | VMWP_PLATFORM_ACPI | VMWP_PLATFORM_RTC)

/* What a VM boots (struct mgmt_vm_config.kernel). */
#define VMWP_KERNEL_NONE 0u      /* one of our guest programs */
#define VMWP_KERNEL_LINUX 1u     /* Linux through its PVH entry (vmwp_load_linux.c) */
#define VMWP_KERNEL_MULTIBOOT 2u /* a multiboot v1 kernel (vmwp_load_multiboot.c) */

#define VMWP_COM1_PORT 0x3F8u
#define VMWP_PM1A_CNT_PORT 0x404u      /* FADT PM1a_CNT_BLK, 2 bytes */
#define VMWP_SLEEP_CONTROL_PORT 0x408u /* FADT SLEEP_CONTROL_REG, 1 byte */
#define VMWP_SLEEP_STATUS_PORT 0x409u  /* FADT SLEEP_STATUS_REG, 1 byte */
/* SLP_TYP of S5 (soft off) in the DSDT's \_S5_ package. */
#define VMWP_SLP_TYP_S5 5u

#define VMWP_BOOT_INFO_GPA 0x10000ull
#define VMWP_BOOT_INFO_BYTES 0x10000ull
#define VMWP_LOW_RAM_END 0x9F000ull
#define VMWP_ACPI_GPA 0xE0000ull
#define VMWP_ACPI_BYTES 0x20000ull
#define VMWP_HIGH_RAM_GPA 0x100000ull
#define VMWP_MMIO_LOW_BASE 0xF0000000ull
#define VMWP_MMIO_BYTES 0x0C000000ull /* 192 MiB */
#define VMWP_TESTDEV_MMIO_GPA 0xFC000000ull
#define VMWP_LAPIC_GPA 0xFEE00000ull

/* The MMIO window of a VM with ram_bytes of RAM. */
static inline uint64_t vmwp_mmio_base(uint64_t ram_bytes) {
  if (ram_bytes <= VMWP_MMIO_LOW_BASE)
    return VMWP_MMIO_LOW_BASE;
  return (ram_bytes + (1ull << 30) - 1) & ~((1ull << 30) - 1);
}

/* Memory map entry types (ACPI 6.4 §15, the e820 numbering). */
#define VMWP_MEM_RAM 1u
#define VMWP_MEM_RESERVED 2u

struct vmwp_mem_range {
  uint64_t base, len;
  uint32_t type;
};

#define VMWP_MEMMAP_MAX 3
/* The VM's memory map (RAM below 0x9F000, the reserved BIOS area with the
 * ACPI tables, RAM from 1 MiB). Returns the entries written (0 when the
 * VM has less than 2 MiB). */
static inline uint32_t vmwp_memmap(uint64_t ram_bytes, struct vmwp_mem_range *m) {
  if (ram_bytes < 2 * VMWP_HIGH_RAM_GPA)
    return 0;
  m[0] = (struct vmwp_mem_range){0, VMWP_LOW_RAM_END, VMWP_MEM_RAM};
  m[1] = (struct vmwp_mem_range){VMWP_LOW_RAM_END, VMWP_HIGH_RAM_GPA - VMWP_LOW_RAM_END, VMWP_MEM_RESERVED};
  m[2] = (struct vmwp_mem_range){VMWP_HIGH_RAM_GPA, ram_bytes - VMWP_HIGH_RAM_GPA, VMWP_MEM_RAM};
  return 3;
}

#endif /* MODELS_ROOT_VMWP_PLATFORM_H */
