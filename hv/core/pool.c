/*
 * pool.c — per-partition page pools fed by HvCallDepositMemory.
 *
 * The hypervisor allocates nothing of its own after boot: every page it
 * needs on behalf of a partition (SLAT tables, VP state) comes from that
 * partition's pool, deposited by the root. Free pool pages are chained
 * through their first 8 bytes (a pfn, 0 ends the chain). Running out is
 * HV_STATUS_INSUFFICIENT_MEMORY to the caller, so the root deposits and
 * retries, as the TLFS describes.
 */
#include "objects.h"

void pool_add_free(struct hv *hv, uint16_t part, uint64_t pfn) {
  struct hv_partition *p = &hv->partitions[part];
  uint32_t *e = pfn_entry(hv, pfn);
  HV_CHECK(e != 0);
  uint64_t *page = arch_phys_page(hv, spa_from_pfn(pfn), true);
  HV_CHECK(page != 0);
  page[0] = p->pool_free_head;
  p->pool_free_head = pfn;
  p->pool_free++;
  *e = pfn_make(PFN_POOL_FREE, part);
}

bool pool_take_free(struct hv *hv, uint16_t part, uint64_t *pfn) {
  struct hv_partition *p = &hv->partitions[part];
  if (p->pool_free_head == 0)
    return false;
  uint64_t head = p->pool_free_head;
  uint64_t *page = arch_phys_page(hv, spa_from_pfn(head), false);
  HV_CHECK(page != 0);
  uint32_t *e = pfn_entry(hv, head);
  HV_CHECK(e && pfn_type_of(*e) == PFN_POOL_FREE && pfn_owner_of(*e) == part);
  p->pool_free_head = page[0];
  p->pool_free--;
  *pfn = head;
  return true;
}

/* Take a zeroed page from the pool for hypervisor use on part's behalf.
 * Returns HV_STATUS_INSUFFICIENT_MEMORY when the pool is empty. */
hv_status_t pool_alloc(struct hv *hv, uint16_t part, spa_t *out) {
  uint64_t pfn;
  if (!pool_take_free(hv, part, &pfn))
    return HV_STATUS_INSUFFICIENT_MEMORY;
  void *page = arch_phys_page(hv, spa_from_pfn(pfn), true);
  hv_memset(page, 0, HV_PAGE_SIZE);
  *pfn_entry(hv, pfn) = pfn_make(PFN_POOL_USED, part);
  hv->partitions[part].pool_used++;
  *out = spa_from_pfn(pfn);
  return HV_STATUS_SUCCESS;
}

/* Return a used pool page to the free list of the same partition. */
void pool_free(struct hv *hv, uint16_t part, spa_t page) {
  uint32_t *e = pfn_entry(hv, spa_pfn(page));
  HV_CHECK(e && pfn_type_of(*e) == PFN_POOL_USED && pfn_owner_of(*e) == part);
  hv->partitions[part].pool_used--;
  pool_add_free(hv, part, spa_pfn(page));
}
