/*
 * test_slat.c — the second-level page tables (hv/core/slat.c), checked by
 * walking them as the hardware would: from the partition's SLAT root
 * through four levels of EPT entries (Intel SDM Vol. 3C 29.3.2) read
 * straight from simulated physical memory, never through the core's
 * functions. Every mapped GPA must reach a page the PFN database says the
 * partition owns, with the permissions it was mapped with; everything
 * else must be not present.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(slat, .init = tl_setup, .fini = tl_teardown);

#define E_RWX 0x7ull
#define E_MEMTYPE (7ull << 3)
#define E_PS (1ull << 7)
#define E_ADDR 0x000FFFFFFFFFF000ull

static uint64_t ept_entry(uint64_t table_spa, unsigned i) {
  cr_assert_lt(table_spa + 4096, tl_d.sim.mem_bytes + 1, "table outside memory");
  uint64_t e;
  memcpy(&e, tl_d.sim.mem + table_spa + 8ull * i, 8);
  return e;
}

/* Hardware translation of gpa by partition slot; false = not present
 * (an EPT violation). */
static bool hw_translate(uint16_t slot, uint64_t gpa_v, uint64_t *spa_v, uint64_t *perms) {
  uint64_t table = tl_part(slot)->slat_root.v;
  if (!table)
    return false;
  for (int level = 3; level >= 0; level--) {
    uint64_t e = ept_entry(table, (unsigned)((gpa_v >> (12 + 9 * level)) & 0x1FF));
    if (!(e & E_RWX))
      return false;
    cr_assert_eq(e & E_PS, 0, "no large pages");
    if (level == 0) {
      *spa_v = (e & E_ADDR) | (gpa_v & 0xFFF);
      *perms = e & E_RWX;
      cr_assert_eq(e & E_MEMTYPE, 6ull << 3, "leaf memory type WB");
      return true;
    }
    cr_assert_eq(e & ~E_ADDR, E_RWX, "table entries: RWX, no other bits");
    table = e & E_ADDR;
  }
  return false;
}

struct walk {
  uint16_t slot;
  uint64_t leaves, tables;
  uint64_t gpas[64], spas[64], perms[64];
  unsigned nrec;
};

/* Visit every present leaf; check each against the PFN database. */
static void hw_walk_level(struct walk *w, uint64_t table, int level, uint64_t base) {
  w->tables++;
  uint32_t te = *pfn_entry(tl_hv(), table >> 12);
  cr_assert_eq(pfn_type_of(te), PFN_POOL_USED, "table page is a used pool page");
  cr_assert_eq(pfn_owner_of(te), w->slot, "table page from the partition's own pool");
  for (unsigned i = 0; i < 512; i++) {
    uint64_t e = ept_entry(table, i);
    if (!(e & E_RWX)) {
      cr_assert_eq(e, 0, "not-present entries are zero");
      continue;
    }
    uint64_t g = base | ((uint64_t)i << (12 + 9 * level));
    if (level > 0) {
      hw_walk_level(w, e & E_ADDR, level - 1, g);
      continue;
    }
    uint64_t s = e & E_ADDR;
    uint32_t *pe = pfn_entry(tl_hv(), s >> 12);
    cr_assert_not_null(pe, "leaf outside RAM");
    cr_assert_eq(pfn_type_of(*pe), PFN_RAM, "gpa %#llx -> spa %#llx not RAM", (unsigned long long)g,
                 (unsigned long long)s);
    cr_assert_eq(pfn_owner_of(*pe), w->slot, "gpa %#llx reaches another owner's page",
                 (unsigned long long)g);
    if (w->nrec < 64) {
      w->gpas[w->nrec] = g;
      w->spas[w->nrec] = s;
      w->perms[w->nrec] = e & E_RWX;
      w->nrec++;
    }
    w->leaves++;
  }
}

static struct walk hw_walk(uint16_t slot) {
  struct walk w;
  memset(&w, 0, sizeof w);
  w.slot = slot;
  if (tl_part(slot)->slat_root.v)
    hw_walk_level(&w, tl_part(slot)->slat_root.v, 3, 0);
  return w;
}

Test(slat, root_identity_map) {
  struct walk w = hw_walk(0);
  cr_assert_eq(w.leaves, tl_part(0)->ram_pages);
  cr_assert_eq(w.tables, 32 + 1 + 1 + 1);
  for (unsigned i = 0; i < w.nrec; i++) {
    cr_assert_eq(w.gpas[i], w.spas[i], "the root's GPA space is the SPA space");
    cr_assert_eq(w.perms[i], E_RWX);
  }
  uint64_t s, p;
  cr_assert_not(hw_translate(0, 0, &s, &p), "PFN database page not mapped");
  cr_assert_not(hw_translate(0, tl_d.sim.mem_bytes, &s, &p), "past RAM");
  cr_assert_not(hw_translate(0, 1ull << 40, &s, &p));
  uint64_t g = tl_d.root_base_gpfn << 12;
  cr_assert(hw_translate(0, g + 0x123, &s, &p));
  cr_assert_eq(s, g + 0x123);
}

Test(slat, child_maps_translate_to_owned_pages) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 16), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  uint16_t s = tl_slot(id);
  /* four regions: low, across a PT boundary, above 1 GiB, above 512 GiB */
  const uint64_t bases[] = {0, 510, 1ull << 18, (1ull << 27) + 7};
  const uint32_t counts[] = {4, 4, 2, 3};
  const uint32_t flags[] = {HV_MAP_GPA_READABLE,
                            HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                            HV_MAP_GPA_READABLE | HV_MAP_GPA_KERNEL_EXECUTABLE,
                            HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_USER_EXECUTABLE};
  const uint64_t perms[] = {1, 3, 5, 7};
  uint64_t src[4][4];
  for (int r = 0; r < 4; r++) {
    uint64_t g = tl_root_pages(counts[r]);
    for (uint32_t i = 0; i < counts[r]; i++)
      src[r][i] = g + i;
    cr_assert_eq(tl_map_list(id, bases[r], flags[r], src[r], counts[r]),
                 HV_STATUS_SUCCESS | ((uint64_t)counts[r] << 32));
  }
  for (int r = 0; r < 4; r++) {
    for (uint32_t i = 0; i < counts[r]; i++) {
      uint64_t sp, p, gpa_v = ((bases[r] + i) << 12) | 0x9A8;
      cr_assert(hw_translate(s, gpa_v, &sp, &p), "region %d page %u", r, i);
      cr_assert_eq(sp, (src[r][i] << 12) | 0x9A8);
      cr_assert_eq(p, perms[r]);
      cr_assert_eq(*pfn_entry(tl_hv(), src[r][i]), pfn_make(PFN_RAM, s));
      uint64_t rs, rp;
      cr_assert_not(hw_translate(0, src[r][i] << 12, &rs, &rp), "the root lost the page");
    }
    uint64_t sp, p;
    cr_assert_not(hw_translate(s, (bases[r] + counts[r]) << 12, &sp, &p), "past the region");
  }
  cr_assert_not(hw_translate(s, 509ull << 12, &(uint64_t){0}, &(uint64_t){0}));
  struct walk w = hw_walk(s);
  cr_assert_eq(w.leaves, 13);
  cr_assert_eq(w.leaves, tl_part(s)->ram_pages);
  /* PML4; PDPT 0 (+ PD 0: PT 0, PT 1; PD 1: PT); PDPT 1, PD, PT */
  cr_assert_eq(w.tables, 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1);
  cr_assert_eq(w.tables, tl_part(s)->pool_used);
  /* the root's tables stayed coherent too */
  struct walk wr = hw_walk(0);
  cr_assert_eq(wr.leaves, tl_part(0)->ram_pages);
}

Test(slat, unmap_makes_not_present) {
  uint16_t s;
  uint64_t id = tl_child(16, 1, &s), sp, p;
  cr_assert(hw_translate(s, 5 << 12, &sp, &p));
  uint64_t page = sp >> 12;
  cr_assert_eq(tl_unmap(id, 5, 2), HV_STATUS_SUCCESS | (2ull << 32));
  cr_assert_not(hw_translate(s, 5 << 12, &sp, &p));
  cr_assert_not(hw_translate(s, 6 << 12, &sp, &p));
  cr_assert(hw_translate(s, 7 << 12, &sp, &p));
  cr_assert(hw_translate(0, page << 12, &sp, &p), "back in the root at its identity GPA");
  cr_assert_eq(sp, page << 12);
  cr_assert_eq(p, E_RWX);
  struct walk w = hw_walk(s);
  cr_assert_eq(w.leaves, 14);
}

Test(slat, deleted_partition_pages_return) {
  uint16_t s;
  uint64_t id = tl_child(40, 1, &s), sp, p;
  uint64_t pages[40];
  for (int i = 0; i < 40; i++) {
    cr_assert(hw_translate(s, (uint64_t)i << 12, &sp, &p));
    pages[i] = sp >> 12;
  }
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(s)->slat_root.v, 0);
  for (int i = 0; i < 40; i++) {
    cr_assert(hw_translate(0, pages[i] << 12, &sp, &p));
    cr_assert_eq(sp, pages[i] << 12);
  }
  struct walk w = hw_walk(0);
  cr_assert_eq(w.leaves, tl_part(0)->ram_pages);
}

Test(slat, core_lookup_agrees_with_hardware_walk) {
  uint16_t s;
  tl_child(600, 1, &s);
  for (uint64_t g = 0; g < 700; g += 7) {
    uint64_t hs = 0, hp = 0, cp = 0;
    spa_t cs;
    bool hw = hw_translate(s, g << 12, &hs, &hp);
    bool core = slat_lookup(tl_hv(), s, gpa_from_pfn(g), &cs, &cp);
    cr_assert_eq(hw, core, "gpfn %llu", (unsigned long long)g);
    cr_assert_eq(hw, g < 600);
    if (hw) {
      cr_assert_eq(hs, cs.v);
      cr_assert_eq(hp, cp);
    }
  }
}
