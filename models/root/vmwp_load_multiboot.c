/*
 * vmwp_load_multiboot.c — multiboot v1 kernels (see vmwp_load.h), the way
 * hypervisor test kernels (kvm-unit-tests, XTF) and small operating
 * systems boot. Multiboot Specification 0.6.96:
 *
 * Header (32-bit aligned in the first 8 KiB): magic 0x1BADB002 @0, flags
 * @4, checksum @8 (magic + flags + checksum = 0); with flags bit 16 the
 * image is loaded by address fields (header_addr @12, load_addr @16,
 * load_end_addr @20, bss_end_addr @24, entry_addr @28), else as an ELF
 * (ELF32, or ELF64 as GRUB loads it). Flag bits 0 (page-aligned modules)
 * and 1 (memory information) are honoured; bit 2 (a video mode) and the
 * other "required" bits 3-15 are refused, as the specification tells a
 * loader that cannot honour them.
 *
 * Information structure (116 bytes) at the boot information area: flags
 * @0 (mem 0x1, cmdline 0x4, mods 0x8, mmap 0x40, boot_loader_name 0x200),
 * mem_lower @4 and mem_upper @8 (KiB below 640 KiB / from 1 MiB),
 * cmdline @16, mods_count @20, mods_addr @24 (16-byte entries: mod_start,
 * mod_end, string, reserved), mmap_length @44, mmap_addr @48 (entries
 * size = 20 @0, base_addr u64 @4, length u64 @12, type @20),
 * boot_loader_name @64. Modules go bottom-up after the kernel, each
 * page-aligned; everything lies below 4 GiB. EAX = 0x2BADB002, EBX = the
 * information's GPA.
 */
#include "vmwp_elf.h"
#include "vmwp_load.h"
#include "vmwp_platform.h"

#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_ADDRESSES (1u << 16)
#define MB_LIMIT 0x100000000ull

struct mb_image {
  uint32_t flags;
  uint64_t header_off;
  uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static uint32_t mb_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* The header: the first 4-byte aligned magic in the first 8 KiB. */
static enum vmwp_load_err mb_header(const struct vmwp_file *f, struct mb_image *h, uint64_t *detail) {
  uint8_t buf[MULTIBOOT_SEARCH_BYTES];
  uint32_t n = f->size < sizeof buf ? (uint32_t)f->size : (uint32_t)sizeof buf;
  if (n && !f->read(f->ctx, 0, buf, n))
    return VMWP_LOAD_READ;
  for (uint32_t off = 0; off + 12 <= n; off += 4) {
    if (mb_le32(buf + off) != MULTIBOOT_HEADER_MAGIC)
      continue;
    h->header_off = off;
    h->flags = mb_le32(buf + off + 4);
    if ((uint32_t)(MULTIBOOT_HEADER_MAGIC + h->flags + mb_le32(buf + off + 8)) != 0)
      return VMWP_LOAD_MB_CHECKSUM;
    uint32_t unknown = h->flags & 0xFFFFu & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
    if (unknown) {
      *detail = unknown;
      return VMWP_LOAD_MB_FLAGS;
    }
    if (h->flags & MB_FLAG_ADDRESSES) {
      if (off + 32 > n)
        return VMWP_LOAD_MB_ADDRESS;
      h->header_addr = mb_le32(buf + off + 12);
      h->load_addr = mb_le32(buf + off + 16);
      h->load_end_addr = mb_le32(buf + off + 20);
      h->bss_end_addr = mb_le32(buf + off + 24);
      h->entry_addr = mb_le32(buf + off + 28);
    }
    return VMWP_LOAD_OK;
  }
  return VMWP_LOAD_NO_MULTIBOOT;
}

/* The address-field ("a.out kludge") image as one segment: text and data
 * from the file at header_off - (header_addr - load_addr), then bss. */
static enum vmwp_load_err mb_segment(const struct vmwp_file *f, const struct mb_image *h,
                                     struct vmwp_elf *e) {
  if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > h->header_off)
    return VMWP_LOAD_MB_ADDRESS;
  uint64_t off = h->header_off - (h->header_addr - h->load_addr);
  uint64_t filesz = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr : f->size - off;
  uint64_t memsz = h->bss_end_addr ? (uint64_t)h->bss_end_addr - h->load_addr : filesz;
  if ((h->load_end_addr && h->load_end_addr < h->load_addr) || filesz > f->size - off ||
      (h->bss_end_addr && h->bss_end_addr < h->load_addr + filesz) || memsz == 0)
    return VMWP_LOAD_MB_ADDRESS;
  e->file = f;
  e->nload = 1;
  e->nnote = 0;
  e->load[0] = (struct vmwp_elf_seg){off, filesz, h->load_addr, h->load_addr, memsz};
  e->entry = h->entry_addr;
  return VMWP_LOAD_OK;
}

/* The kernel as segments, its entry as a GPA below 4 GiB inside one. */
static enum vmwp_load_err mb_kernel(const struct vmwp_kernel_in *in, struct vmwp_elf *e, uint64_t *entry,
                                    uint64_t *detail) {
  struct mb_image h = {0};
  enum vmwp_load_err err = mb_header(in->kernel, &h, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  err = (h.flags & MB_FLAG_ADDRESSES) ? mb_segment(in->kernel, &h, e) : vmwp_elf_parse(e, in->kernel, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  *detail = e->entry;
  if (!vmwp_elf_to_phys(e, e->entry, entry) || *entry >= MB_LIMIT)
    return VMWP_LOAD_ENTRY;
  return VMWP_LOAD_OK;
}

static enum vmwp_load_err mb_place_modules(const struct vmwp_kernel_in *in, uint64_t limit,
                                           uint64_t kernel_end, uint64_t *gpa, uint64_t *detail) {
  uint64_t at = (kernel_end + 0xFFF) & ~0xFFFull;
  for (uint32_t i = 0; i < in->nmodules; i++) {
    if (at > limit || in->modules[i].size > limit - at) {
      *detail = in->modules[i].size;
      return VMWP_LOAD_NO_ROOM;
    }
    gpa[i] = at;
    at = (at + in->modules[i].size + 0xFFF) & ~0xFFFull;
  }
  return VMWP_LOAD_OK;
}

/* Module list, memory map, strings, then the information structure. */
static enum vmwp_load_err mb_info(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                  const uint64_t *mod, uint64_t limit, uint64_t *detail) {
  struct vmwp_boot_area a = {VMWP_BOOT_INFO_GPA + MULTIBOOT_INFO_BYTES,
                             VMWP_BOOT_INFO_GPA + VMWP_BOOT_INFO_BYTES};
  uint8_t mbi[MULTIBOOT_INFO_BYTES] = {0}, e[24];
  struct vmwp_mem_range map[VMWP_MEMMAP_MAX];
  uint32_t nmap = vmwp_memmap(m->ram_bytes, map);
  uint64_t mods = vmwp_boot_alloc(&a, (uint64_t)in->nmodules * 16, 16),
           mmap = vmwp_boot_alloc(&a, nmap * 24ull, 8);
  uint64_t cmdline = 0, name = vmwp_boot_alloc(&a, 6, 1);
  if (!mods || !mmap || !name)
    return VMWP_LOAD_NO_ROOM;
  enum vmwp_load_err err = vmwp_boot_write(m, name, "hvsim", 6, detail);
  if (err == VMWP_LOAD_OK)
    err = vmwp_boot_string(m, &a, in->cmdline, &cmdline, detail);
  for (uint32_t i = 0; i < nmap && err == VMWP_LOAD_OK; i++) {
    put_le(e, 20, 4);
    put_le(e + 4, map[i].base, 8);
    put_le(e + 12, map[i].len, 8);
    put_le(e + 20, map[i].type, 4);
    err = vmwp_boot_write(m, mmap + 24ull * i, e, 24, detail);
  }
  for (uint32_t i = 0; i < in->nmodules && err == VMWP_LOAD_OK; i++) {
    uint64_t str = 0;
    err = vmwp_boot_string(m, &a, in->module_cmdlines ? &in->module_cmdlines[i] : 0, &str, detail);
    put_le(e, mod[i], 4);
    put_le(e + 4, mod[i] + in->modules[i].size, 4);
    put_le(e + 8, str, 4);
    put_le(e + 12, 0, 4);
    if (err == VMWP_LOAD_OK)
      err = vmwp_boot_write(m, mods + 16ull * i, e, 16, detail);
  }
  if (err != VMWP_LOAD_OK)
    return err;
  put_le(mbi, 0x1 | 0x4 | 0x8 | 0x40 | 0x200, 4);
  put_le(mbi + 4, VMWP_LOW_RAM_END / 1024, 4);
  put_le(mbi + 8, (limit - VMWP_HIGH_RAM_GPA) / 1024, 4);
  put_le(mbi + 16, cmdline, 4);
  put_le(mbi + 20, in->nmodules, 4);
  put_le(mbi + 24, mods, 4);
  put_le(mbi + 44, nmap * 24ull, 4);
  put_le(mbi + 48, mmap, 4);
  put_le(mbi + 64, name, 4);
  return vmwp_boot_write(m, VMWP_BOOT_INFO_GPA, mbi, sizeof mbi, detail);
}

enum vmwp_load_err vmwp_load_multiboot(const struct vmwp_kernel_in *in, const struct vmwp_mem *m,
                                       struct vmwp_boot_regs *regs, struct vmwp_boot_layout *layout,
                                       uint64_t *detail) {
  struct vmwp_elf e;
  struct vmwp_boot_layout l = {0};
  uint64_t entry = 0, limit = m->ram_bytes < MB_LIMIT ? m->ram_bytes : MB_LIMIT;
  *detail = 0;
  if (in->nmodules > VMWP_MAX_MODULES)
    return VMWP_LOAD_MODULES;
  if (m->ram_bytes < 2 * VMWP_HIGH_RAM_GPA)
    return VMWP_LOAD_NOT_IN_RAM;
  enum vmwp_load_err err = mb_kernel(in, &e, &entry, detail);
  if (err == VMWP_LOAD_OK)
    err = vmwp_elf_place(&e, limit, &l.kernel_lo, &l.kernel_hi, detail);
  if (err == VMWP_LOAD_OK)
    err = mb_place_modules(in, limit, l.kernel_hi, l.module_gpa, detail);
  if (err == VMWP_LOAD_OK)
    err = vmwp_elf_load_with_modules(&e, in, m, l.module_gpa, detail);
  if (err == VMWP_LOAD_OK)
    err = mb_info(in, m, l.module_gpa, limit, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  l.info_gpa = VMWP_BOOT_INFO_GPA;
  *regs = (struct vmwp_boot_regs){entry, MULTIBOOT_BOOTLOADER_MAGIC, VMWP_BOOT_INFO_GPA};
  if (layout)
    *layout = l;
  return VMWP_LOAD_OK;
}
