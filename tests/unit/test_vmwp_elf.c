/*
 * test_vmwp_elf.c — unit tests of the loaders' ELF reader
 * (models/root/vmwp_elf.c): ELF32 and ELF64 headers and segments, notes,
 * placement in RAM, loading with zeroed bss, and every malformed header,
 * program header and note refused with its error — plus thousands of
 * mutated images that must each end in an error or a load inside RAM,
 * never a read or write out of bounds (the asan preset runs this too).
 */
#include "loadlib.h"

#include "models/root/vmwp_elf.h"

static struct ll_elf img;
static struct vmwp_elf elf;
static uint64_t detail;

static enum vmwp_load_err parse(void) {
  static struct vmwp_file f;
  f = ll_file(img.b, img.len);
  return vmwp_elf_parse(&elf, &f, &detail);
}

static void two_segments(bool is64) {
  uint8_t text[100], data[40];
  memset(text, 0xC3, sizeof text);
  memset(data, 0x5A, sizeof data);
  ll_elf_init(&img, is64, 0x200010);
  ll_elf_seg(&img, 1, 0x200000, 0x200000, text, sizeof text, sizeof text);
  ll_elf_seg(&img, 1, 0x300000, 0x300000, data, sizeof data, 0x2000); /* 0x2000 - 40 bytes of bss */
}

Test(vmwp_elf, elf64_and_elf32_segments) {
  for (int is64 = 0; is64 < 2; is64++) {
    two_segments(is64);
    ll_elf_seg(&img, 6, 0, 0, "x", 1, 1); /* PT_PHDR: ignored */
    cr_assert_eq(parse(), VMWP_LOAD_OK);
    cr_assert_eq(elf.is64, is64);
    cr_assert_eq(elf.nload, 2);
    cr_assert_eq(elf.entry, 0x200010);
    cr_assert_eq(elf.load[1].paddr, 0x300000);
    cr_assert_eq(elf.load[1].filesz, 40);
    cr_assert_eq(elf.load[1].memsz, 0x2000);
  }
}

Test(vmwp_elf, load_copies_and_zeroes_bss) {
  two_segments(true);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 4 << 20);
  memset(r.bytes, 0xEE, r.size);
  uint64_t lo, hi;
  cr_assert_eq(vmwp_elf_place(&elf, m.ram_bytes, &lo, &hi, &detail), VMWP_LOAD_OK);
  cr_assert_eq(lo, 0x200000);
  cr_assert_eq(hi, 0x302000);
  cr_assert_eq(vmwp_elf_load(&elf, &m, &detail), VMWP_LOAD_OK);
  cr_assert_eq(r.bytes[0x200000], 0xC3);
  cr_assert_eq(r.bytes[0x200063], 0xC3);
  cr_assert_eq(r.bytes[0x200064], 0xEE); /* memsz == filesz: nothing after */
  cr_assert_eq(r.bytes[0x300027], 0x5A);
  for (uint32_t i = 40; i < 0x2000; i++)
    cr_assert_eq(r.bytes[0x300000 + i], 0, "bss byte %u", i);
  cr_assert_eq(r.bytes[0x302000], 0xEE);
  free(r.bytes);
}

Test(vmwp_elf, dry_run_writes_nothing) {
  two_segments(true);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  struct vmwp_mem m = {4 << 20, 0, 0};
  cr_assert_eq(vmwp_elf_load(&elf, &m, &detail), VMWP_LOAD_OK);
}

Test(vmwp_elf, notes_are_found_by_name_and_type) {
  two_segments(true);
  uint8_t pvh[8] = {0x10, 0, 0x20, 0, 0, 0, 0, 0}, d[8];
  ll_elf_note(&img, "GNU", 18, "abcd", 4);
  ll_elf_note(&img, "Xen", 17, "zz", 2);
  ll_elf_note(&img, "Xen", 18, pvh, 8);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  uint32_t len = 0;
  cr_assert_eq(vmwp_elf_note(&elf, "Xen", 18, d, sizeof d, &len, &detail), VMWP_LOAD_OK);
  cr_assert_eq(len, 8);
  cr_assert_arr_eq(d, pvh, 8);
  cr_assert_eq(vmwp_elf_note(&elf, "Xen", 99, d, sizeof d, &len, &detail), VMWP_LOAD_NO_PVH_ENTRY);
  cr_assert_eq(vmwp_elf_note(&elf, "Xe", 18, d, sizeof d, &len, &detail), VMWP_LOAD_NO_PVH_ENTRY);
}

Test(vmwp_elf, a_note_running_past_its_segment_is_refused) {
  two_segments(true);
  uint32_t off = ll_elf_note(&img, "Xen", 18, "12345678", 8);
  ll_put(img.b + off + 4, 0x7FFFFFF0u, 4); /* descsz far past the segment */
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  uint8_t d[8];
  uint32_t len;
  cr_assert_eq(vmwp_elf_note(&elf, "Xen", 18, d, sizeof d, &len, &detail), VMWP_LOAD_BAD_NOTE);
  cr_assert_eq(detail, off);
}

Test(vmwp_elf, malformed_headers) {
  struct {
    int at, bytes;
    uint64_t value;
    enum vmwp_load_err want;
  } c[] = {
      {0, 1, 0x7E, VMWP_LOAD_NOT_ELF},         {4, 1, 3, VMWP_LOAD_ELF_FORMAT},
      {5, 1, 2, VMWP_LOAD_ELF_FORMAT},         {20, 4, 2, VMWP_LOAD_ELF_FORMAT},
      {18, 2, 40, VMWP_LOAD_ELF_MACHINE},      {16, 2, 3, VMWP_LOAD_ELF_TYPE},
      {54, 2, 64, VMWP_LOAD_ELF_PHDRS},        {56, 2, 0, VMWP_LOAD_ELF_PHDRS},
      {56, 2, 65, VMWP_LOAD_ELF_PHDRS},        {32, 8, 1 << 20, VMWP_LOAD_ELF_PHDRS},
      {32, 8, ~0ull - 8, VMWP_LOAD_ELF_PHDRS},
  };
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
    two_segments(true);
    ll_put(img.b + c[i].at, c[i].value, c[i].bytes);
    cr_assert_eq(parse(), c[i].want, "case %u: got %d", i, parse());
  }
  two_segments(true);
  img.len = 40; /* shorter than a header */
  cr_assert_eq(parse(), VMWP_LOAD_NOT_ELF);
}

Test(vmwp_elf, malformed_segments) {
  uint64_t phdr = 64 + 56; /* the second program header */
  struct {
    int at, bytes;
    uint64_t value;
  } c[] = {
      {8, 8, 1 << 20},   /* offset past the file */
      {8, 8, ~0ull - 4}, /* offset + size overflows */
      {32, 8, 1 << 20},  /* file size past the file */
      {32, 8, 0x3000},   /* file size > memory size */
  };
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
    two_segments(true);
    ll_put(img.b + phdr + c[i].at, c[i].value, c[i].bytes);
    cr_assert_eq(parse(), VMWP_LOAD_ELF_SEGMENT, "case %u", i);
    cr_assert_eq(detail, 1);
  }
  ll_elf_init(&img, true, 0);
  ll_elf_seg(&img, 1, 0x200000, 0x200000, "", 0, 0); /* memsz 0 only */
  cr_assert_eq(parse(), VMWP_LOAD_NO_SEGMENTS);
}

Test(vmwp_elf, placement_outside_ram_or_in_the_low_area) {
  uint64_t lo, hi;
  two_segments(true);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  cr_assert_eq(vmwp_elf_place(&elf, 0x301000, &lo, &hi, &detail), VMWP_LOAD_NOT_IN_RAM);
  cr_assert_eq(detail, 0x302000);
  ll_elf_init(&img, true, 0);
  ll_elf_seg(&img, 1, 0xE0000, 0xE0000, "x", 1, 1);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  cr_assert_eq(vmwp_elf_place(&elf, 4 << 20, &lo, &hi, &detail), VMWP_LOAD_LOW_AREA);
  ll_elf_init(&img, true, 0);
  ll_elf_seg(&img, 1, 0, ~0ull - 10, "x", 1, 100); /* paddr + memsz overflows */
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  cr_assert_eq(vmwp_elf_place(&elf, 4 << 20, &lo, &hi, &detail), VMWP_LOAD_NOT_IN_RAM);
}

Test(vmwp_elf, virtual_to_physical) {
  ll_elf_init(&img, true, 0);
  ll_elf_seg(&img, 1, 0xFFFFFFFF81000000ull, 0x1000000, "abc", 3, 0x1000);
  cr_assert_eq(parse(), VMWP_LOAD_OK);
  uint64_t gpa;
  cr_assert(vmwp_elf_to_phys(&elf, 0xFFFFFFFF81000850ull, &gpa));
  cr_assert_eq(gpa, 0x1000850);
  cr_assert(!vmwp_elf_to_phys(&elf, 0xFFFFFFFF81001000ull, &gpa));
}

/* Mutated images: each either fails or loads inside RAM; ASan and the
 * RAM writer's bounds assertion catch anything else. */
Test(vmwp_elf, mutated_images_never_escape) {
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 8 << 20);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  unsigned loaded = 0;
  for (int round = 0; round < 4000; round++) {
    two_segments(round & 1);
    ll_elf_note(&img, "Xen", 18, "\x10\x00\x20\x00", 4);
    for (int k = 0; k < 1 + round % 4; k++) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      uint32_t at = (uint32_t)(seed % 320); /* headers, program headers, the note */
      img.b[at] = (uint8_t)(seed >> 40);
    }
    if (round % 7 == 0)
      img.len = (uint32_t)(seed % img.len);
    uint64_t lo, hi;
    uint8_t d[8];
    uint32_t len;
    if (parse() != VMWP_LOAD_OK)
      continue;
    vmwp_elf_note(&elf, "Xen", 18, d, sizeof d, &len, &detail);
    if (vmwp_elf_place(&elf, m.ram_bytes, &lo, &hi, &detail) == VMWP_LOAD_OK &&
        vmwp_elf_load(&elf, &m, &detail) == VMWP_LOAD_OK)
      loaded++;
  }
  cr_assert_gt(loaded, 100); /* the mutations leave many images loadable */
  free(r.bytes);
}
