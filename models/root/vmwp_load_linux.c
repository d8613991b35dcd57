/*
 * vmwp_load_linux.c — Linux through its PVH entry (see vmwp_load.h).
 *
 * The ELF's PT_LOAD segments go to their physical addresses (16 MiB up for
 * x86-64 Linux; the vmlinux runs where it was linked, no relocation); the
 * initrd (module 0) and further modules go top-down from the end of RAM
 * (below 4 GiB), page-aligned, above the kernel; in the boot information
 * area: hvm_start_info (56 bytes, version 1), the module list (32 bytes an
 * entry: paddr, size, cmdline_paddr, reserved), the memory map (24 bytes
 * an entry: addr, size, type, reserved; e820 types), then the command
 * lines. EBX = the start info's GPA at the entry named by the
 * XEN_ELFNOTE_PHYS32_ENTRY note (a physical address below 4 GiB).
 */
#include "vmwp_elf.h"
#include "vmwp_load.h"
#include "vmwp_platform.h"

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* The PVH entry: the note's 4- or 8-byte physical address, inside a
 * loaded segment and below 4 GiB. */
static enum vmwp_load_err linux_entry(const struct vmwp_elf *e, uint64_t *entry, uint64_t *detail) {
  uint8_t d[8] = {0};
  uint32_t len = 0;
  enum vmwp_load_err err = vmwp_elf_note(e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, d, sizeof d, &len, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  if (len != 4 && len != 8)
    return VMWP_LOAD_BAD_NOTE;
  *entry = 0;
  for (int i = (int)len - 1; i >= 0; i--)
    *entry = *entry << 8 | d[i];
  *detail = *entry;
  if (*entry >= 0x100000000ull)
    return VMWP_LOAD_ENTRY;
  for (uint32_t i = 0; i < e->nload; i++)
    if (*entry >= e->load[i].paddr && *entry - e->load[i].paddr < e->load[i].memsz)
      return VMWP_LOAD_OK;
  return VMWP_LOAD_ENTRY;
}

/* Modules top-down from the end of RAM (or 4 GiB), above kernel_end. */
static enum vmwp_load_err linux_place_modules(const struct vmwp_kernel_in *in, uint64_t ram_bytes,
                                              uint64_t kernel_end, uint64_t *gpa, uint64_t *detail) {
  uint64_t top = (ram_bytes < 0x100000000ull ? ram_bytes : 0x100000000ull) & ~0xFFFull;
  uint64_t floor = (kernel_end + 0xFFF) & ~0xFFFull;
  for (uint32_t i = 0; i < in->nmodules; i++) {
    uint64_t size = in->modules[i].size;
    if (size > top || ((top - size) & ~0xFFFull) < floor) {
      *detail = size;
      return VMWP_LOAD_NO_ROOM;
    }
    top = gpa[i] = (top - size) & ~0xFFFull;
  }
  return VMWP_LOAD_OK;
}

/* Module list, memory map and command lines into the boot information
 * area; the start info last, at its start. */
static enum vmwp_load_err linux_start_info(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                           const uint64_t *module_gpa, uint64_t *detail) {
  struct vmwp_boot_area a = {VMWP_BOOT_INFO_GPA + PVH_START_INFO_BYTES,
                             VMWP_BOOT_INFO_GPA + VMWP_BOOT_INFO_BYTES};
  uint8_t si[PVH_START_INFO_BYTES] = {0}, e[PVH_MODLIST_ENTRY_BYTES];
  struct vmwp_mem_range map[VMWP_MEMMAP_MAX];
  uint32_t nmap = vmwp_memmap(m->ram_bytes, map);
  uint64_t modlist = vmwp_boot_alloc(&a, (uint64_t)in->nmodules * PVH_MODLIST_ENTRY_BYTES, 8);
  uint64_t memmap = vmwp_boot_alloc(&a, (uint64_t)nmap * PVH_MEMMAP_ENTRY_BYTES, 8), cmdline = 0;
  if (!modlist || !memmap)
    return VMWP_LOAD_NO_ROOM;
  enum vmwp_load_err err = vmwp_boot_string(m, &a, in->cmdline, &cmdline, detail);
  for (uint32_t i = 0; i < nmap && err == VMWP_LOAD_OK; i++) {
    put_le(e, map[i].base, 8);
    put_le(e + 8, map[i].len, 8);
    put_le(e + 16, map[i].type, 4);
    put_le(e + 20, 0, 4);
    err =
        vmwp_boot_write(m, memmap + (uint64_t)i * PVH_MEMMAP_ENTRY_BYTES, e, PVH_MEMMAP_ENTRY_BYTES, detail);
  }
  for (uint32_t i = 0; i < in->nmodules && err == VMWP_LOAD_OK; i++) {
    uint64_t str = 0;
    if (in->module_cmdlines && in->module_cmdlines[i].size)
      err = vmwp_boot_string(m, &a, &in->module_cmdlines[i], &str, detail);
    put_le(e, module_gpa[i], 8);
    put_le(e + 8, in->modules[i].size, 8);
    put_le(e + 16, str, 8);
    put_le(e + 24, 0, 8);
    if (err == VMWP_LOAD_OK)
      err = vmwp_boot_write(m, modlist + (uint64_t)i * PVH_MODLIST_ENTRY_BYTES, e, PVH_MODLIST_ENTRY_BYTES,
                            detail);
  }
  if (err != VMWP_LOAD_OK)
    return err;
  put_le(si, PVH_START_MAGIC, 4);
  put_le(si + 4, 1, 4); /* version 1: the memory map fields are valid */
  put_le(si + 12, in->nmodules, 4);
  put_le(si + 16, in->nmodules ? modlist : 0, 8);
  put_le(si + 24, cmdline, 8);
  put_le(si + 32, in->rsdp_gpa, 8);
  put_le(si + 40, memmap, 8);
  put_le(si + 48, nmap, 4);
  return vmwp_boot_write(m, VMWP_BOOT_INFO_GPA, si, sizeof si, detail);
}

enum vmwp_load_err vmwp_load_linux(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                   struct vmwp_boot_regs *regs, struct vmwp_boot_layout *layout,
                                   uint64_t *detail) {
  struct vmwp_elf e;
  struct vmwp_boot_layout l = {0};
  uint64_t entry = 0;
  *detail = 0;
  if (in->nmodules > VMWP_MAX_MODULES)
    return VMWP_LOAD_MODULES;
  if (m->ram_bytes < 2 * VMWP_HIGH_RAM_GPA)
    return VMWP_LOAD_NOT_IN_RAM;
  enum vmwp_load_err err = vmwp_elf_parse(&e, in->kernel, detail);
  if (err == VMWP_LOAD_OK)
    err = linux_entry(&e, &entry, detail);
  if (err == VMWP_LOAD_OK)
    err = vmwp_elf_place(&e, m->ram_bytes, &l.kernel_lo, &l.kernel_hi, detail);
  if (err == VMWP_LOAD_OK)
    err = linux_place_modules(in, m->ram_bytes, l.kernel_hi, l.module_gpa, detail);
  if (err == VMWP_LOAD_OK)
    err = vmwp_elf_load_with_modules(&e, in, m, l.module_gpa, detail);
  if (err == VMWP_LOAD_OK)
    err = linux_start_info(in, m, l.module_gpa, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  l.info_gpa = VMWP_BOOT_INFO_GPA;
  *regs = (struct vmwp_boot_regs){entry, 0, VMWP_BOOT_INFO_GPA};
  if (layout)
    *layout = l;
  return VMWP_LOAD_OK;
}
