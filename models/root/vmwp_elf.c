/*
 * vmwp_elf.c — ELF executables for the kernel loaders (see vmwp_elf.h).
 * Layouts: ELF header and program header (gABI 4.1 Figures 4-3, 5-1; the
 * 64-bit forms from the ELF-64 Object File Format 1.5), note entries
 * (gABI "Note Section": namesz, descsz, type, name and desc each padded
 * to 4 bytes).
 */
#include "vmwp_elf.h"

#include "vmwp_platform.h"

#define ELF_ET_EXEC 2u
#define ELF_EM_386 3u
#define ELF_EM_X86_64 62u
#define ELF_PT_LOAD 1u
#define ELF_PT_NOTE 4u
#define ELF_NOTE_MAX (64u * 1024) /* a PT_NOTE segment larger than this is refused */

static uint64_t elf_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* Read len bytes at off, refusing ranges outside the file. */
static bool elf_read(const struct vmwp_file *f, uint64_t off, void *buf, uint32_t len) {
  return off <= f->size && len <= f->size - off && f->read(f->ctx, off, buf, len);
}

/* [off, off + len) inside a file of size bytes, without overflow. */
static bool elf_in_file(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

static enum vmwp_load_err elf_header(struct vmwp_elf *e, const uint8_t *h, uint64_t *phoff,
                                     uint32_t *phentsize, uint32_t *phnum, uint64_t *detail) {
  if (!(h[0] == 0x7F && h[1] == 'E' && h[2] == 'L' && h[3] == 'F'))
    return VMWP_LOAD_NOT_ELF;
  if ((h[4] != 1 && h[4] != 2) || h[5] != 1 || h[6] != 1)
    return VMWP_LOAD_ELF_FORMAT; /* class 32/64, little-endian, version 1 */
  e->is64 = h[4] == 2;
  uint32_t type = (uint32_t)elf_le(h + 16, 2), version = (uint32_t)elf_le(h + 20, 4);
  e->machine = (uint16_t)elf_le(h + 18, 2);
  if (version != 1)
    return VMWP_LOAD_ELF_FORMAT;
  if (e->machine != ELF_EM_X86_64 && e->machine != ELF_EM_386) {
    *detail = e->machine;
    return VMWP_LOAD_ELF_MACHINE;
  }
  if (type != ELF_ET_EXEC) {
    *detail = type;
    return VMWP_LOAD_ELF_TYPE;
  }
  if (e->is64) {
    e->entry = elf_le(h + 24, 8);
    *phoff = elf_le(h + 32, 8);
    *phentsize = (uint32_t)elf_le(h + 54, 2);
    *phnum = (uint32_t)elf_le(h + 56, 2);
  } else {
    e->entry = elf_le(h + 24, 4);
    *phoff = elf_le(h + 28, 4);
    *phentsize = (uint32_t)elf_le(h + 42, 2);
    *phnum = (uint32_t)elf_le(h + 44, 2);
  }
  return VMWP_LOAD_OK;
}

/* One program header at p into s; its type in *type. */
static void elf_phdr(const struct vmwp_elf *e, const uint8_t *p, uint32_t *type, struct vmwp_elf_seg *s) {
  *type = (uint32_t)elf_le(p, 4);
  if (e->is64) {
    *s = (struct vmwp_elf_seg){elf_le(p + 8, 8), elf_le(p + 32, 8), elf_le(p + 16, 8), elf_le(p + 24, 8),
                               elf_le(p + 40, 8)};
  } else {
    *s = (struct vmwp_elf_seg){elf_le(p + 4, 4), elf_le(p + 16, 4), elf_le(p + 8, 4), elf_le(p + 12, 4),
                               elf_le(p + 20, 4)};
  }
}

enum vmwp_load_err vmwp_elf_parse(struct vmwp_elf *e, const struct vmwp_file *f, uint64_t *detail) {
  uint8_t h[64];
  uint64_t phoff;
  uint32_t phentsize, phnum;
  e->file = f;
  e->nload = e->nnote = 0;
  if (f->size < 52)
    return VMWP_LOAD_NOT_ELF;
  if (!elf_read(f, 0, h, f->size < 64 ? 52 : 64))
    return VMWP_LOAD_READ;
  enum vmwp_load_err err = elf_header(e, h, &phoff, &phentsize, &phnum, detail);
  if (err != VMWP_LOAD_OK)
    return err;
  if ((e->is64 && f->size < 64) || phentsize != (e->is64 ? 56u : 32u) || phnum == 0 ||
      phnum > VMWP_ELF_MAX_SEGMENTS || !elf_in_file(phoff, (uint64_t)phnum * phentsize, f->size))
    return VMWP_LOAD_ELF_PHDRS;
  for (uint32_t i = 0; i < phnum; i++) {
    uint8_t p[56];
    uint32_t type;
    struct vmwp_elf_seg s;
    if (!elf_read(f, phoff + (uint64_t)i * phentsize, p, phentsize))
      return VMWP_LOAD_READ;
    elf_phdr(e, p, &type, &s);
    if (type != ELF_PT_LOAD && type != ELF_PT_NOTE)
      continue;
    if (!elf_in_file(s.offset, s.filesz, f->size) || (type == ELF_PT_LOAD && s.filesz > s.memsz)) {
      *detail = i;
      return VMWP_LOAD_ELF_SEGMENT;
    }
    if (type == ELF_PT_LOAD && s.memsz)
      e->load[e->nload++] = s;
    else if (type == ELF_PT_NOTE && e->nnote < sizeof e->note / sizeof e->note[0])
      e->note[e->nnote++] = s;
  }
  return e->nload ? VMWP_LOAD_OK : VMWP_LOAD_NO_SEGMENTS;
}

static uint64_t elf_align4(uint64_t x) { return (x + 3) & ~3ull; }

/* Walk the notes of one PT_NOTE segment. 1 found, 0 not here, or an error (negative). */
static int elf_note_in(const struct vmwp_elf *e, const struct vmwp_elf_seg *s, const char *name,
                       uint32_t type, void *desc, uint32_t cap, uint32_t *len, uint64_t *detail,
                       enum vmwp_load_err *err) {
  uint32_t want = 0;
  while (name[want])
    want++;
  uint64_t off = s->offset, end = s->offset + (s->filesz < ELF_NOTE_MAX ? s->filesz : ELF_NOTE_MAX);
  while (end - off >= 12) {
    uint8_t h[12], n[16];
    if (!elf_read(e->file, off, h, 12)) {
      *err = VMWP_LOAD_READ;
      return -1;
    }
    uint64_t namesz = elf_le(h, 4), descsz = elf_le(h + 4, 4), ntype = elf_le(h + 8, 4);
    uint64_t doff = off + 12 + elf_align4(namesz), next = doff + elf_align4(descsz);
    if (doff > end || next > end) {
      *detail = off;
      *err = VMWP_LOAD_BAD_NOTE;
      return -1;
    }
    if (ntype == type && namesz == want + 1u && namesz <= sizeof n) {
      if (!elf_read(e->file, off + 12, n, (uint32_t)namesz)) {
        *err = VMWP_LOAD_READ;
        return -1;
      }
      bool same = n[want] == 0;
      for (uint32_t i = 0; i < want && same; i++)
        same = n[i] == (uint8_t)name[i];
      if (same) {
        *len = (uint32_t)descsz;
        if (!elf_read(e->file, doff, desc, (uint32_t)(descsz < cap ? descsz : cap))) {
          *err = VMWP_LOAD_READ;
          return -1;
        }
        return 1;
      }
    }
    off = next;
  }
  return 0;
}

enum vmwp_load_err vmwp_elf_note(const struct vmwp_elf *e, const char *name, uint32_t type, void *desc,
                                 uint32_t cap, uint32_t *len, uint64_t *detail) {
  for (uint32_t i = 0; i < e->nnote; i++) {
    enum vmwp_load_err err = VMWP_LOAD_OK;
    int r = elf_note_in(e, &e->note[i], name, type, desc, cap, len, detail, &err);
    if (r < 0)
      return err;
    if (r > 0)
      return VMWP_LOAD_OK;
  }
  return VMWP_LOAD_NO_PVH_ENTRY;
}

enum vmwp_load_err vmwp_elf_place(const struct vmwp_elf *e, uint64_t ram_bytes, uint64_t *lo, uint64_t *hi,
                                  uint64_t *detail) {
  *lo = ~0ull;
  *hi = 0;
  for (uint32_t i = 0; i < e->nload; i++) {
    const struct vmwp_elf_seg *s = &e->load[i];
    if (s->paddr < VMWP_HIGH_RAM_GPA) {
      *detail = s->paddr;
      return VMWP_LOAD_LOW_AREA;
    }
    if (s->paddr > ram_bytes || s->memsz > ram_bytes - s->paddr) {
      *detail = s->paddr + s->memsz < s->paddr ? ~0ull : s->paddr + s->memsz;
      return VMWP_LOAD_NOT_IN_RAM;
    }
    if (s->paddr < *lo)
      *lo = s->paddr;
    if (s->paddr + s->memsz > *hi)
      *hi = s->paddr + s->memsz;
  }
  return VMWP_LOAD_OK;
}

enum vmwp_load_err vmwp_elf_load(const struct vmwp_elf *e, const struct vmwp_mem *m, uint64_t *detail) {
  uint8_t buf[4096];
  if (!m->write)
    return VMWP_LOAD_OK;
  for (uint32_t i = 0; i < e->nload; i++) {
    const struct vmwp_elf_seg *s = &e->load[i];
    for (uint64_t done = 0; done < s->memsz;) {
      uint32_t n = s->memsz - done < sizeof buf ? (uint32_t)(s->memsz - done) : (uint32_t)sizeof buf;
      uint32_t from_file = done >= s->filesz ? 0 : (s->filesz - done < n ? (uint32_t)(s->filesz - done) : n);
      if (from_file && !elf_read(e->file, s->offset + done, buf, from_file))
        return VMWP_LOAD_READ;
      for (uint32_t k = from_file; k < n; k++)
        buf[k] = 0;
      if (!m->write(m->ctx, s->paddr + done, buf, n)) {
        *detail = s->paddr + done;
        return VMWP_LOAD_WRITE;
      }
      done += n;
    }
  }
  return VMWP_LOAD_OK;
}

enum vmwp_load_err vmwp_elf_load_with_modules(const struct vmwp_elf *e, const struct vmwp_kernel_in *in,
                                              const struct vmwp_mem *m, const uint64_t *module_gpa,
                                              uint64_t *detail) {
  enum vmwp_load_err err = vmwp_elf_load(e, m, detail);
  for (uint32_t i = 0; i < in->nmodules && err == VMWP_LOAD_OK; i++)
    err = vmwp_boot_copy(m, module_gpa[i], &in->modules[i], detail);
  return err;
}

bool vmwp_elf_to_phys(const struct vmwp_elf *e, uint64_t vaddr, uint64_t *gpa) {
  for (uint32_t i = 0; i < e->nload; i++) {
    const struct vmwp_elf_seg *s = &e->load[i];
    if (vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz) {
      *gpa = s->paddr + (vaddr - s->vaddr);
      return true;
    }
  }
  return false;
}
