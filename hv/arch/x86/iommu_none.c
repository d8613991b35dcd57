/*
 * iommu_none.c — the IOMMU hooks of hv/arch/arch.h for the bare-metal
 * image (levels 2 and 3): no remapping hardware is programmed yet. The
 * core still builds its VT-d structures in memory; with no DMAR unit
 * behind them, no device is assigned on these levels (issue 8 leaves the
 * real DMAR register programming for later).
 */
#include "hv/arch/arch.h"

void arch_iommu_install(struct hv *hv, spa_t root_table, spa_t irt) {
  (void)hv;
  (void)root_table;
  (void)irt;
}

void arch_iommu_flush(struct hv *hv, enum arch_iommu_flush what, uint16_t did, uint16_t rid,
                      uint64_t iova_pfn) {
  (void)hv;
  (void)what;
  (void)did;
  (void)rid;
  (void)iova_pfn;
}
