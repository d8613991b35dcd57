/*
 * loadlib.h — what the kernel-loader unit tests (test_vmwp_elf.c,
 * test_vmwp_load_linux.c, test_vmwp_load_multiboot.c) share: a VM's RAM
 * as a host buffer behind struct vmwp_mem (every write bounds-asserted),
 * files over byte buffers, and builders of small ELF32/ELF64 images with
 * PT_LOAD and PT_NOTE segments.
 */
#ifndef TESTS_UNIT_LOADLIB_H
#define TESTS_UNIT_LOADLIB_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/root/vmwp_boot.h"

struct ll_ram {
  uint8_t *bytes;
  uint64_t size;
  uint64_t writes;
};

static inline bool ll_ram_write(void *ctx, uint64_t gpa, const void *src, uint32_t len) {
  struct ll_ram *r = ctx;
  cr_assert(gpa <= r->size && len <= r->size - gpa, "write of %u at 0x%llx outside RAM", len,
            (unsigned long long)gpa);
  memcpy(r->bytes + gpa, src, len);
  r->writes++;
  return true;
}

static inline struct vmwp_mem ll_mem(struct ll_ram *r, uint64_t size) {
  r->bytes = calloc(1, size);
  cr_assert_not_null(r->bytes);
  r->size = size;
  r->writes = 0;
  return (struct vmwp_mem){size, ll_ram_write, r};
}

static inline struct vmwp_file ll_file(const void *bytes, uint64_t size) {
  return (struct vmwp_file){size, vmwp_bytes_read, (void *)bytes};
}

static inline uint64_t ll_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static inline void ll_put(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* An ELF image under construction: header, program headers at 64, data after. */
struct ll_elf {
  uint8_t b[1 << 16];
  uint32_t len, nph;
  bool is64;
};

static inline void ll_elf_init(struct ll_elf *e, bool is64, uint64_t entry) {
  memset(e, 0, sizeof *e);
  e->is64 = is64;
  memcpy(e->b,
         "\x7f"
         "ELF",
         4);
  e->b[4] = is64 ? 2 : 1;
  e->b[5] = 1;
  e->b[6] = 1;
  ll_put(e->b + 16, 2, 2);             /* ET_EXEC */
  ll_put(e->b + 18, is64 ? 62 : 3, 2); /* EM_X86_64 / EM_386 */
  ll_put(e->b + 20, 1, 4);
  if (is64) {
    ll_put(e->b + 24, entry, 8);
    ll_put(e->b + 32, 64, 8);
    ll_put(e->b + 52, 64, 2);
    ll_put(e->b + 54, 56, 2);
  } else {
    ll_put(e->b + 24, entry, 4);
    ll_put(e->b + 28, 64, 4);
    ll_put(e->b + 40, 52, 2);
    ll_put(e->b + 42, 32, 2);
  }
  e->len = 64 + 8 * 56; /* room for 8 program headers, data after */
}

/* A program header; data (n bytes) appended to the file. Returns its offset. */
static inline uint32_t ll_elf_seg(struct ll_elf *e, uint32_t type, uint64_t vaddr, uint64_t paddr,
                                  const void *data, uint32_t n, uint64_t memsz) {
  uint32_t off = (e->len + 15) & ~15u;
  memcpy(e->b + off, data, n);
  e->len = off + n;
  uint8_t *p = e->b + 64 + e->nph * (e->is64 ? 56 : 32);
  ll_put(p, type, 4);
  if (e->is64) {
    ll_put(p + 8, off, 8);
    ll_put(p + 16, vaddr, 8);
    ll_put(p + 24, paddr, 8);
    ll_put(p + 32, n, 8);
    ll_put(p + 40, memsz, 8);
    e->nph++;
    ll_put(e->b + 56, e->nph, 2);
  } else {
    ll_put(p + 4, off, 4);
    ll_put(p + 8, vaddr, 4);
    ll_put(p + 12, paddr, 4);
    ll_put(p + 16, n, 4);
    ll_put(p + 20, memsz, 4);
    e->nph++;
    ll_put(e->b + 44, e->nph, 2);
  }
  return off;
}

/* A PT_NOTE segment of one note (name, type, desc of dlen bytes). */
static inline uint32_t ll_elf_note(struct ll_elf *e, const char *name, uint32_t type, const void *desc,
                                   uint32_t dlen) {
  uint8_t n[256] = {0};
  uint32_t nsz = (uint32_t)strlen(name) + 1, at = 12;
  ll_put(n, nsz, 4);
  ll_put(n + 4, dlen, 4);
  ll_put(n + 8, type, 4);
  memcpy(n + at, name, nsz);
  at += (nsz + 3) & ~3u;
  memcpy(n + at, desc, dlen);
  at += (dlen + 3) & ~3u;
  return ll_elf_seg(e, 4, 0, 0, n, at, 0);
}

#endif /* TESTS_UNIT_LOADLIB_H */
