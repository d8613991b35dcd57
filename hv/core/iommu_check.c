/*
 * iommu_check.c — the IOMMU half of the isolation oracle (hv_check_isolation,
 * invariant.c, runs it). What the remapping hardware reports is hw_event.c.
 *
 * Invariant checked: every second-level leaf of a domain points at a
 * PFN_RAM page owned by the domain's partition; every table page of a
 * domain is a pool page in use by that partition; the root table, the
 * context tables and the interrupt remapping table are pool pages in use
 * by the root; every present context entry belongs to an attached device
 * and points at its domain's tables with its domain id; every present
 * interrupt remapping entry belongs to an attached device, carries its
 * requester id and targets a VP of the partition owning the device.
 */
#include "iommu.h"
#include "objects.h"

#define CHECK_PERMS (VTD_SL_READ | VTD_SL_WRITE)

struct check {
  struct hv *hv;
  struct hv_lp *lp;
  uint64_t violations;
};

static void check_fail(struct check *c, uint64_t pfn, uint64_t owner, uint16_t reacher) {
  c->violations++;
  hv_trace(c->hv, c->lp, HV_TRACE_NONE, HV_TRACE_NONE, HV_TR_ISOLATION, pfn, owner,
           c->hv->partitions[reacher].id);
}

/* A page must be of type t and owned by slot part. */
static bool check_page(struct check *c, uint64_t addr, enum pfn_type t, uint16_t part) {
  uint32_t *e = pfn_entry(c->hv, addr >> 12);
  if (e && pfn_type_of(*e) == t && pfn_owner_of(*e) == part)
    return true;
  check_fail(c, addr >> 12, e ? pfn_owner_of(*e) : 0xFFFF, part);
  return false;
}

static void check_level(struct check *c, uint16_t part, uint64_t table, int level) {
  if (!check_page(c, table, PFN_POOL_USED, part))
    return;
  const uint64_t *t = arch_phys_page(c->hv, spa(table & VTD_ADDR_MASK), false);
  for (unsigned i = 0; i < 512; i++) {
    if (!(t[i] & CHECK_PERMS))
      continue;
    if (level == 0)
      check_page(c, t[i] & VTD_ADDR_MASK, PFN_RAM, part);
    else
      check_level(c, part, t[i] & VTD_ADDR_MASK, level - 1);
  }
}

static void check_contexts(struct check *c) {
  struct hv *hv = c->hv;
  if (!hv->iommu.root_table.v || !check_page(c, hv->iommu.root_table.v, PFN_POOL_USED, 0))
    return;
  const uint64_t *root = arch_phys_page(hv, hv->iommu.root_table, false);
  for (unsigned bus = 0; bus < 256; bus++) {
    if (!(root[2 * bus] & VTD_ROOT_PRESENT))
      continue;
    if (!check_page(c, root[2 * bus] & VTD_ADDR_MASK, PFN_POOL_USED, 0))
      continue;
    const uint64_t *ctx = arch_phys_page(hv, spa(root[2 * bus] & VTD_ADDR_MASK), false);
    for (unsigned df = 0; df < 256; df++) {
      if (!(ctx[2 * df] & VTD_CTX_PRESENT))
        continue;
      int dev = iommu_device_find(hv, (uint16_t)(bus << 8 | df));
      const struct hv_iommu_domain *d = dev < 0 ? 0 : &hv->iommu.domains[hv->iommu.devices[dev].domain];
      if (!d || (ctx[2 * df] & VTD_ADDR_MASK) != d->sl_root.v ||
          ((ctx[2 * df + 1] >> VTD_CTX_DID_SHIFT) & VTD_CTX_DID_MASK) != hv->iommu.devices[dev].domain + 1u)
        check_fail(c, (ctx[2 * df] & VTD_ADDR_MASK) >> 12, bus << 8 | df, d ? d->part : 0);
    }
  }
}

static void check_irt(struct check *c) {
  struct hv *hv = c->hv;
  if (!hv->iommu.irt.v || !check_page(c, hv->iommu.irt.v, PFN_POOL_USED, 0))
    return;
  const uint64_t *irt = arch_phys_page(hv, hv->iommu.irt, false);
  for (unsigned h = 0; h < VTD_IRT_ENTRIES; h++) {
    if (!(irt[2 * h] & VTD_IRTE_PRESENT))
      continue;
    int dev = (int)hv->iommu.irte_dev[h] - 1;
    uint64_t dest = irt[2 * h] >> VTD_IRTE_DEST_SHIFT;
    bool ok = dev >= 0 && hv->iommu.devices[dev].in_use &&
              (irt[2 * h + 1] & VTD_IRTE_SID_MASK) == hv->iommu.devices[dev].rid && dest < HV_MAX_VPS &&
              (!hv->vps[dest].in_use || /* a deleted VP: delivery refuses it */
               hv->vps[dest].partition == hv->iommu.domains[hv->iommu.devices[dev].domain].part);
    if (!ok)
      check_fail(c, h, dest, 0);
  }
}

uint64_t iommu_check_isolation(struct hv *hv, struct hv_lp *lp) {
  struct check c = {hv, lp, 0};
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS; i++) {
    const struct hv_iommu_domain *d = &hv->iommu.domains[i];
    if (!d->in_use)
      continue;
    if (d->part == 0 || hv->partitions[d->part].state == PART_FREE)
      check_fail(&c, d->sl_root.v >> 12, 0xFFFF, d->part);
    else
      check_level(&c, d->part, d->sl_root.v, VTD_SL_LEVELS - 1);
  }
  check_contexts(&c);
  check_irt(&c);
  return c.violations;
}
