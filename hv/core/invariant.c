/*
 * invariant.c — the isolation oracle.
 *
 * Invariant: every system physical page has exactly one owner, and a
 * partition's SLAT reaches only RAM it owns: each leaf of partition P
 * points at a PFN_RAM page owned by P, no page is mapped twice, every
 * PFN_RAM page is mapped by its owner, every table page is a pool page in
 * use by the same partition, and every pool's counters match the PFN
 * database. Run after every ownership-changing hypercall in debug builds
 * (hv_hypercall, exit.c) and by the fuzzers; a violation is a hypervisor
 * bug.
 */
#include "entry.h"
#include "iommu.h"
#include "objects.h"

struct iso {
  struct hv *hv;
  struct hv_lp *lp;
  uint16_t part;
  uint64_t violations;
  uint64_t leaves, tables;
};

static void iso_violation(struct iso *s, uint64_t pfn, uint64_t owner) {
  s->violations++;
  hv_trace(s->hv, s->lp, HV_TRACE_NONE, HV_TRACE_NONE, HV_TR_ISOLATION, pfn, owner,
           s->hv->partitions[s->part].id);
}

/* The database entry of an SPA's page, NULL outside RAM (pfn_entry,
 * inlined: the oracle looks up every leaf of every SLAT). */
static inline uint32_t *iso_entry(const struct iso *s, uint64_t spa_v) {
  uint64_t k = (spa_v >> 12) - s->hv->pfn_first;
  return k < s->hv->boot.mem_pages ? &s->hv->pfndb[k] : 0;
}

static void iso_leaf(void *ctx, uint64_t gpa_v, uint64_t spa_v, uint64_t perms) {
  struct iso *s = ctx;
  uint32_t *e = iso_entry(s, spa_v);
  s->leaves++;
  /* RAM of this partition, not yet seen: one compare */
  if (e && (*e & (PFN_TYPE_MASK | PFN_OWNER_MASK | PFN_SEEN)) == pfn_make(PFN_RAM, s->part)) {
    *e |= PFN_SEEN;
    return;
  }
  if (!e) {
    iso_violation(s, spa_v >> 12, 0xFFFF);
    return;
  }
  iso_violation(s, spa_v >> 12, pfn_owner_of(*e));
  *e |= PFN_SEEN;
}

static void iso_table(void *ctx, uint64_t spa_v) {
  struct iso *s = ctx;
  uint32_t *e = iso_entry(s, spa_v);
  s->tables++;
  if (!e || pfn_type_of(*e) != PFN_POOL_USED || pfn_owner_of(*e) != s->part)
    iso_violation(s, spa_v >> 12, e ? pfn_owner_of(*e) : 0xFFFF);
}

/* Returns the number of violations (each traced as HV_TR_ISOLATION). */
uint64_t hv_check_isolation(struct hv *hv, struct hv_lp *lp) {
  struct iso s = {hv, lp, 0, 0, 0, 0};
  uint64_t pool_free[HV_MAX_PARTITIONS] = {0}, pool_used[HV_MAX_PARTITIONS] = {0};
  uint64_t ram[HV_MAX_PARTITIONS] = {0}, hv_pages = 0;
  hv->counters.isolation_checks++;
  for (uint16_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    if (hv->partitions[i].state == PART_FREE)
      continue;
    s.part = i;
    slat_walk_all(hv, i, iso_leaf, iso_table, &s);
  }
  s.part = 0;
  /* Every page: counted by type and owner; a RAM page must have been
   * seen by its owner's walk. The common case (an owned, live page of a
   * known type) takes one pass with no call. */
  uint32_t *db = hv->pfndb;
  for (uint64_t k = 0, n = hv->boot.mem_pages; k < n; k++) {
    uint32_t e = db[k];
    uint16_t owner = pfn_owner_of(e);
    if (e & PFN_SEEN)
      db[k] = e & ~PFN_SEEN;
    if (owner >= HV_MAX_PARTITIONS || (pfn_type_of(e) != PFN_HV && hv->partitions[owner].state == PART_FREE)) {
      iso_violation(&s, hv->pfn_first + k, owner);
      continue;
    }
    switch (pfn_type_of(e)) {
    case PFN_HV: hv_pages++; break;
    case PFN_RAM:
      ram[owner]++;
      if (!(e & PFN_SEEN))
        iso_violation(&s, hv->pfn_first + k, owner); /* owned but unreachable: lost */
      break;
    case PFN_POOL_FREE: pool_free[owner]++; break;
    case PFN_POOL_USED: pool_used[owner]++; break;
    default: iso_violation(&s, hv->pfn_first + k, owner); break;
    }
  }
  if (hv_pages != hv->hv_pages)
    iso_violation(&s, 0, 0);
  for (uint16_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    const struct hv_partition *p = &hv->partitions[i];
    if (p->state == PART_FREE)
      continue;
    if (ram[i] != p->ram_pages || pool_free[i] != p->pool_free || pool_used[i] != p->pool_used) {
      s.part = i;
      iso_violation(&s, 0, i);
    }
  }
  s.violations += iommu_check_isolation(hv, lp); /* device domains, remapping tables */
  hv->counters.isolation_violations += s.violations;
  return s.violations;
}
