/*
 * boot.c — bringing the hypervisor up on a machine.
 *
 * The hypervisor takes the first pages of RAM for itself (the PFN
 * database, the root's SLAT tables and VP state), gives every other page
 * to the root partition, identity-mapped (the root's GPA space is the SPA
 * space, as in Hyper-V), and creates one root VP per logical processor.
 * The root's tables cover all of RAM, so pages that come back to the root
 * later never need a new table.
 */
#include "entry.h"
#include "objects.h"

static uint64_t boot_div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* Table pages for an identity map over n pages (PT + PD + PDPT + PML4). */
static uint64_t boot_table_pages(uint64_t n) {
  uint64_t pt = boot_div_up(n, 512), pd = boot_div_up(pt, 512), pdpt = boot_div_up(pd, 512);
  return pt + pd + pdpt + 1;
}

static void boot_root_partition(struct hv *hv) {
  struct hv_partition *root = &hv->partitions[0];
  root->id = HV_ROOT_PARTITION_ID;
  root->parent = 0;
  root->privileges = HV_ROOT_PRIVILEGES;
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++)
    root->vps[i] = HV_NO_VP;
  root->state = PART_ACTIVE;
}

/* Returns SUCCESS or INSUFFICIENT_MEMORY (machine too small). */
hv_status_t hv_init(struct hv *hv, const struct hv_boot *boot) {
  struct arch_hv arch = hv->arch;
  hv_memset(hv, 0, sizeof *hv);
  hv->arch = arch;
  hv->boot = *boot;
  hv->rq_head = hv->rq_tail = HV_NO_VP;
  hv->next_partition_id = HV_ROOT_PARTITION_ID + 1;
  if (boot->nlps == 0 || boot->nlps > HV_MAX_LPS || (boot->mem_base & HV_PAGE_MASK))
    return HV_STATUS_INVALID_PARAMETER;
  uint64_t n = boot->mem_pages;
  uint64_t db_pages = boot_div_up(n * sizeof(uint32_t), HV_PAGE_SIZE);
  uint64_t pool_pages = boot_table_pages(n) + boot->nlps + 1;
  if (n < db_pages + pool_pages + 16)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  hv->pfn_first = boot->mem_base >> HV_PAGE_SHIFT;
  hv->pfndb = arch_phys_page(hv, spa(boot->mem_base), true);
  for (uint64_t k = 1; k < db_pages; k++) /* mark the whole database dirty */
    (void)arch_phys_page(hv, spa(boot->mem_base + k * HV_PAGE_SIZE), true);
  HV_CHECK(hv->pfndb != 0);
  hv->hv_pages = db_pages;
  for (uint64_t k = 0; k < n; k++)
    hv->pfndb[k] = pfn_make(k < db_pages ? PFN_HV : PFN_RAM, 0);
  boot_root_partition(hv);
  /* The root's pool starts with the boot reserve; its tables come from it. */
  for (uint64_t k = db_pages; k < db_pages + pool_pages; k++)
    pool_add_free(hv, 0, hv->pfn_first + k);
  HV_CHECK(slat_create(hv, 0) == HV_STATUS_SUCCESS);
  /* Tables for all of RAM, in GPA order (one prepare per page table: the
   * pages of a PT share its upper tables), then the leaves in one run. */
  for (uint64_t k = 0; k < n; k += 512 - ((hv->pfn_first + k) & 511))
    HV_CHECK(slat_prepare(hv, 0, gpa_from_pfn(hv->pfn_first + k)) == HV_STATUS_SUCCESS);
  uint64_t first = db_pages + pool_pages;
  slat_commit_run(hv, 0, gpa_from_pfn(hv->pfn_first + first), spa_from_pfn(hv->pfn_first + first),
                  n - first, EPT_READ | EPT_WRITE | EPT_EXEC);
  hv->partitions[0].ram_pages += n - first;
  for (uint32_t i = 0; i < boot->nlps; i++) {
    hv->lps[i].index = i;
    hv->lps[i].current = HV_NO_VP;
    hv->lps[i].idle = false;
  }
  for (uint32_t i = 0; i < boot->nlps; i++)
    HV_CHECK(vp_create(hv, &hv->lps[0], 0, i) == HV_STATUS_SUCCESS);
#ifdef HV_DEBUG_CHECKS
  hv->debug_checks = true;
#endif
  return hv_check_isolation(hv, 0) == 0 ? HV_STATUS_SUCCESS : HV_STATUS_OPERATION_FAILED;
}

/* The contiguous range of RAM the root owns after boot (for the loader's
 * boot block). */
void hv_root_ram(struct hv *hv, uint64_t *first_pfn, uint64_t *npages) {
  uint64_t k = 0;
  while (k < hv->boot.mem_pages && pfn_type_of(hv->pfndb[k]) != PFN_RAM)
    k++;
  uint64_t start = k;
  while (k < hv->boot.mem_pages && pfn_type_of(hv->pfndb[k]) == PFN_RAM && pfn_owner_of(hv->pfndb[k]) == 0)
    k++;
  *first_pfn = hv->pfn_first + start;
  *npages = k - start;
}
