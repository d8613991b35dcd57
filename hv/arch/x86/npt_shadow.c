/*
 * npt_shadow.c — nested page tables for the AMD-V backend, derived from
 * the core's EPT-format SLAT tables.
 *
 * The core owns one SLAT format (EPT entries: R/W/X in bits 0-2, Intel SDM
 * Vol. 3C 29.3.2). AMD's nested paging walks ordinary long-mode page
 * tables (AMD APM Vol. 2 15.25.5: P, RW, US — nested accesses are user
 * accesses — and NX), so this file keeps, per partition, a shadow NPT
 * filled on demand: it starts empty; a nested page fault walks the core's
 * tables and, if they allow the access, copies that one leaf (4 KiB or
 * 2 MiB) and the guest retries; if they do not, the fault is a real GPA
 * violation for the core. arch_slat_flush drops the partition's shadow
 * (the core changed its tables) — a flush costs nothing, and refilling
 * costs one exit per page touched afterwards. The EPT tables remain the
 * one source of truth, so the isolation oracle checks what the hardware
 * may use.
 *
 * Shadow pages come from a fixed platform pool; when it runs out, every
 * shadow is dropped (generation bump) and refilled on demand.
 */
#include "npt_shadow.h"

#include "x86.h"

#define NPT_POOL_PAGES 1024
#define NPT_NONE 0xFFFFu

static uint8_t npt_pool[NPT_POOL_PAGES][4096] __attribute__((aligned(4096), section(".noinit")));
static uint16_t npt_next[NPT_POOL_PAGES]; /* free list / per-partition chain */
static uint16_t npt_free_head = NPT_NONE;
static uint32_t npt_used; /* pages handed out since the last global reset */
static uint16_t npt_part_head[HV_MAX_PARTITIONS];
static uint64_t npt_part_root[HV_MAX_PARTITIONS]; /* PA of the shadow PML4, 0 none */
static uint64_t npt_part_gen[HV_MAX_PARTITIONS];  /* bumps on every drop */
static uint64_t npt_fills, npt_drops;

void npt_init(void) {
  npt_free_head = NPT_NONE;
  for (int i = NPT_POOL_PAGES - 1; i >= 0; i--) {
    npt_next[i] = npt_free_head;
    npt_free_head = (uint16_t)i;
  }
  for (int p = 0; p < HV_MAX_PARTITIONS; p++) {
    npt_part_head[p] = NPT_NONE;
    npt_part_root[p] = 0;
    npt_part_gen[p] = 1;
  }
}

static uint64_t npt_alloc(uint16_t part) {
  uint16_t i = npt_free_head;
  if (i == NPT_NONE)
    return 0;
  npt_free_head = npt_next[i];
  npt_next[i] = npt_part_head[part];
  npt_part_head[part] = i;
  npt_used++;
  hv_memset(npt_pool[i], 0, 4096);
  return (uint64_t)(uintptr_t)npt_pool[i];
}

void npt_drop(uint16_t part) {
  uint16_t i = npt_part_head[part];
  while (i != NPT_NONE) {
    uint16_t next = npt_next[i];
    npt_next[i] = npt_free_head;
    npt_free_head = i;
    npt_used--;
    i = next;
  }
  npt_part_head[part] = NPT_NONE;
  npt_part_root[part] = 0;
  npt_part_gen[part]++;
  npt_drops++;
}

uint64_t npt_root(uint16_t part, uint64_t *gen) {
  if (!npt_part_root[part])
    npt_part_root[part] = npt_alloc(part);
  *gen = npt_part_gen[part];
  return npt_part_root[part];
}

/* The core's leaf for gpa: its entry and level (1 = 4 KiB, 2 = 2 MiB), or
 * false when nothing is mapped. */
static bool npt_ept_leaf(struct hv *hv, uint64_t ept_root, uint64_t gpa, uint64_t *leaf,
                         int *level) {
  uint64_t table = ept_root;
  for (int lvl = 4; lvl >= 1; lvl--) {
    const uint64_t *t = arch_phys_page(hv, spa(table), false);
    if (!t)
      return false;
    uint64_t e = t[(gpa >> (12 + 9 * (lvl - 1))) & 511];
    if (!(e & 7))
      return false;
    if (lvl == 1 || (e & PTE_PS)) {
      if (lvl > 2)
        return false; /* 1 GiB leaves are not produced by the core */
      *leaf = e;
      *level = lvl;
      return true;
    }
    table = e & PTE_ADDR_MASK;
  }
  return false;
}

static uint64_t npt_leaf_from_ept(uint64_t e, int level) {
  uint64_t n = (e & PTE_ADDR_MASK) | PTE_P | PTE_U;
  if (e & 2)
    n |= PTE_W;
  if (!(e & 4))
    n |= PTE_NX;
  if (level == 2)
    n = (n & ~0x1FF000ull) | PTE_PS;
  return n;
}

int npt_fault(struct hv *hv, uint16_t part, uint64_t gpa, uint32_t access) {
  uint64_t leaf;
  int level;
  const struct hv_partition *p = &hv->partitions[part];
  if (!p->slat_root.v || !npt_ept_leaf(hv, p->slat_root.v, gpa, &leaf, &level))
    return NPT_VIOLATION;
  uint32_t allowed = (uint32_t)(leaf & 7);
  if ((access & allowed) != access)
    return NPT_VIOLATION;
  if (npt_used + 4 > NPT_POOL_PAGES) {
    for (uint16_t q = 0; q < HV_MAX_PARTITIONS; q++)
      if (npt_part_head[q] != NPT_NONE)
        npt_drop(q);
    return NPT_RETRY_NEW_ROOT;
  }
  uint64_t gen;
  uint64_t table = npt_root(part, &gen);
  for (int lvl = 4; lvl > level; lvl--) {
    uint64_t *t = (uint64_t *)(uintptr_t)table;
    uint64_t *e = &t[(gpa >> (12 + 9 * (lvl - 1))) & 511];
    if (!(*e & PTE_P))
      *e = npt_alloc(part) | PTE_P | PTE_W | PTE_U;
    table = *e & PTE_ADDR_MASK;
  }
  uint64_t *t = (uint64_t *)(uintptr_t)table;
  t[(gpa >> (12 + 9 * (level - 1))) & 511] = npt_leaf_from_ept(leaf, level);
  npt_fills++;
  return NPT_FILLED;
}

void npt_stats(uint64_t *fills, uint64_t *drops, uint32_t *pages) {
  *fills = npt_fills;
  *drops = npt_drops;
  *pages = npt_used;
}
