/*
 * vmwp_boot.c — what the kernel loaders share (see vmwp_boot.h): the
 * error texts, the boot information area's allocator, checked writes into
 * the VM's RAM, copies of whole files and command lines.
 */
#include "vmwp_boot.h"

static const char *const vmwp_load_texts[] = {
    [VMWP_LOAD_OK] = "loaded",
    [VMWP_LOAD_READ] = "the file could not be read",
    [VMWP_LOAD_NOT_ELF] = "not an ELF file",
    [VMWP_LOAD_ELF_FORMAT] = "not a little-endian ELF32 or ELF64 file of version 1",
    [VMWP_LOAD_ELF_MACHINE] = "not an x86 ELF file (EM_386 or EM_X86_64)",
    [VMWP_LOAD_ELF_TYPE] = "not an ELF executable (ET_EXEC)",
    [VMWP_LOAD_ELF_PHDRS] = "ELF program headers outside the file, of the wrong size, or more than 64",
    [VMWP_LOAD_ELF_SEGMENT] = "an ELF segment lies outside the file or is larger in the file than in memory",
    [VMWP_LOAD_NO_SEGMENTS] = "the ELF file has nothing to load",
    [VMWP_LOAD_NOT_IN_RAM] = "it does not fit the VM's memory",
    [VMWP_LOAD_LOW_AREA] =
        "an ELF segment lies below 1 MiB (the loader's boot information and the BIOS area)",
    [VMWP_LOAD_NO_PVH_ENTRY] = ("no PVH entry point (ELF note \"Xen\" type 18, XEN_ELFNOTE_PHYS32_ENTRY): "
                                "a Linux built without CONFIG_PVH"),
    [VMWP_LOAD_BAD_NOTE] = "a malformed ELF note",
    [VMWP_LOAD_NO_MULTIBOOT] = "no multiboot header (magic 0x1BADB002) in the first 8 KiB",
    [VMWP_LOAD_MB_CHECKSUM] = "the multiboot header's checksum is wrong",
    [VMWP_LOAD_MB_FLAGS] = "the multiboot header asks for features this loader does not provide",
    [VMWP_LOAD_MB_ADDRESS] = "the multiboot header's address fields are inconsistent",
    [VMWP_LOAD_ENTRY] = "the entry point is not inside a loaded segment below 4 GiB",
    [VMWP_LOAD_MODULES] = "too many modules",
    [VMWP_LOAD_CMDLINE] = "a command line longer than 4095 bytes or holding a NUL",
    [VMWP_LOAD_NO_ROOM] = "the modules or the boot information do not fit the VM's memory",
    [VMWP_LOAD_WRITE] = "writing the VM's memory failed",
};

const char *vmwp_load_error_text(enum vmwp_load_err err) {
  if ((unsigned)err >= sizeof vmwp_load_texts / sizeof vmwp_load_texts[0] || !vmwp_load_texts[err])
    return "unknown loader error";
  return vmwp_load_texts[err];
}

uint64_t vmwp_boot_alloc(struct vmwp_boot_area *a, uint64_t len, uint64_t align) {
  uint64_t at = (a->next + align - 1) & ~(align - 1);
  if (at < a->next || at > a->end || len > a->end - at)
    return 0;
  a->next = at + len;
  return at;
}

enum vmwp_load_err vmwp_boot_write(const struct vmwp_mem *m, uint64_t gpa, const void *src, uint32_t len,
                                   uint64_t *detail) {
  if (gpa > m->ram_bytes || len > m->ram_bytes - gpa) {
    *detail = gpa + len;
    return VMWP_LOAD_NOT_IN_RAM;
  }
  if (m->write && len && !m->write(m->ctx, gpa, src, len)) {
    *detail = gpa;
    return VMWP_LOAD_WRITE;
  }
  return VMWP_LOAD_OK;
}

enum vmwp_load_err vmwp_boot_copy(const struct vmwp_mem *m, uint64_t gpa, const struct vmwp_file *f,
                                  uint64_t *detail) {
  uint8_t buf[4096];
  if (gpa > m->ram_bytes || f->size > m->ram_bytes - gpa) {
    *detail = gpa + f->size < gpa ? ~0ull : gpa + f->size;
    return VMWP_LOAD_NOT_IN_RAM;
  }
  for (uint64_t off = 0; m->write && off < f->size;) {
    uint32_t n = f->size - off < sizeof buf ? (uint32_t)(f->size - off) : (uint32_t)sizeof buf;
    if (!f->read(f->ctx, off, buf, n))
      return VMWP_LOAD_READ;
    enum vmwp_load_err err = vmwp_boot_write(m, gpa + off, buf, n, detail);
    if (err != VMWP_LOAD_OK)
      return err;
    off += n;
  }
  return VMWP_LOAD_OK;
}

enum vmwp_load_err vmwp_boot_string(const struct vmwp_mem *m, struct vmwp_boot_area *a,
                                    const struct vmwp_file *s, uint64_t *gpa, uint64_t *detail) {
  uint8_t buf[VMWP_CMDLINE_MAX + 1];
  uint32_t n = 0;
  if (s && s->size > VMWP_CMDLINE_MAX) {
    *detail = s->size;
    return VMWP_LOAD_CMDLINE;
  }
  if (s && s->size) {
    n = (uint32_t)s->size;
    if (!s->read(s->ctx, 0, buf, n))
      return VMWP_LOAD_READ;
    for (uint32_t i = 0; i < n; i++)
      if (buf[i] == 0) {
        *detail = i;
        return VMWP_LOAD_CMDLINE;
      }
  }
  buf[n] = 0;
  *gpa = vmwp_boot_alloc(a, n + 1u, 1);
  if (!*gpa) {
    *detail = n + 1u;
    return VMWP_LOAD_NO_ROOM;
  }
  return vmwp_boot_write(m, *gpa, buf, n + 1u, detail);
}

bool vmwp_bytes_read(void *ctx, uint64_t off, void *buf, uint32_t len) {
  const uint8_t *p = (const uint8_t *)ctx + off;
  for (uint32_t i = 0; i < len; i++)
    ((uint8_t *)buf)[i] = p[i];
  return true;
}
