/*
 * pfn.c — the PFN database: one ownership entry per system physical page.
 *
 * Models the hypervisor's view of machine memory: every page of RAM has
 * exactly one owner — the hypervisor itself, a partition's RAM, or a
 * partition's pool (free or holding its SLAT tables and VP state). The
 * database lives in hypervisor-reserved pages at the start of RAM.
 */
#include "objects.h"

uint32_t *pfn_entry(struct hv *hv, uint64_t pfn) {
  if (pfn < hv->pfn_first || pfn - hv->pfn_first >= hv->boot.mem_pages)
    return 0;
  return &hv->pfndb[pfn - hv->pfn_first];
}
