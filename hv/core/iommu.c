/*
 * iommu.c — device domains and the remapping structures the IOMMU reads
 * (the "IOMMU" box of the architecture, hypervisor side).
 *
 * The hypervisor builds the VT-d structures in memory (Intel VT-d spec
 * rev. 4, ch. 9): one root table (256 root entries, one per PCI bus),
 * a context table per bus in use (256 context entries, one per
 * device:function), and per device domain a 4-level second-level table
 * in the EPT entry format of the SLAT (bits 0/1 read/write, 51:12 the
 * next table or the page). Root and context tables and the interrupt
 * remapping table are pages of the root partition's pool (the root asks
 * for them, as it asks for partitions); a domain's second-level tables
 * are pages of its owning partition's pool, so deleting the partition
 * reclaims them. Domains map guest physical addresses: device address =
 * GPA, the way DDA presents a device to the guest that owns it.
 *
 * Invariant (checked by iommu_check_isolation): a domain reaches only
 * RAM its owner owns; every unmap is followed by an IOTLB invalidation
 * before the page can change hands (arch_iommu_flush), so no stale
 * translation survives it. Updates are prepare (may fail, changes no
 * translation) then commit (cannot fail), as in slat.c.
 */
#include "iommu.h"
#include "objects.h"

#define IOMMU_TABLE_PERMS (VTD_SL_READ | VTD_SL_WRITE)

static uint64_t *iommu_page(struct hv *hv, uint64_t addr, bool write) {
  uint64_t *t = arch_phys_page(hv, spa(addr & VTD_ADDR_MASK), write);
  HV_CHECK(t != 0);
  return t;
}

static inline unsigned iommu_index(uint64_t iova_pfn, int level) {
  return (unsigned)((iova_pfn >> (9 * level)) & 0x1FF);
}

static uint16_t iommu_did(int dom) { return (uint16_t)(dom + 1); }

int iommu_domain_find(struct hv *hv, uint16_t part, uint32_t id) {
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS; i++)
    if (hv->iommu.domains[i].in_use && hv->iommu.domains[i].part == part &&
        hv->iommu.domains[i].id == id)
      return i;
  return -1;
}

int iommu_device_find(struct hv *hv, uint16_t rid) {
  for (int i = 0; i < HV_IOMMU_MAX_DEVICES; i++)
    if (hv->iommu.devices[i].in_use && hv->iommu.devices[i].rid == rid)
      return i;
  return -1;
}

static void iommu_trace(struct hv *hv, struct hv_lp *lp, uint16_t part, uint64_t op, uint64_t b,
                        uint64_t c) {
  hv_trace_part(hv, lp, part, HV_TR_IOMMU, op, b, c);
}

hv_status_t iommu_domain_create(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t id) {
  if (id == HV_DEVICE_DOMAIN_ID_S2_DEFAULT || id == HV_DEVICE_DOMAIN_ID_S2_NULL ||
      iommu_domain_find(hv, part, id) >= 0)
    return HV_STATUS_INVALID_PARAMETER;
  int dom = -1;
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS && dom < 0; i++)
    if (!hv->iommu.domains[i].in_use)
      dom = i;
  if (dom < 0)
    return HV_STATUS_INSUFFICIENT_DEVICE_DOMAINS;
  spa_t root;
  hv_status_t st = pool_alloc(hv, part, &root);
  if (st != HV_STATUS_SUCCESS)
    return st;
  struct hv_iommu_domain *d = &hv->iommu.domains[dom];
  hv_memset(d, 0, sizeof *d);
  d->in_use = true;
  d->part = part;
  d->id = id;
  d->sl_root = root;
  iommu_trace(hv, lp, part, 1, id, 0);
  return HV_STATUS_SUCCESS;
}

/* Walk to the leaf entry of iova_pfn; NULL when a table is missing. */
static uint64_t *iommu_leaf(struct hv *hv, int dom, uint64_t iova_pfn, bool write) {
  uint64_t table = hv->iommu.domains[dom].sl_root.v;
  for (int level = VTD_SL_LEVELS - 1; level > 0; level--) {
    uint64_t e = iommu_page(hv, table, false)[iommu_index(iova_pfn, level)];
    if (!(e & IOMMU_TABLE_PERMS))
      return 0;
    table = e & VTD_ADDR_MASK;
  }
  return &iommu_page(hv, table, write)[iommu_index(iova_pfn, 0)];
}

hv_status_t iommu_prepare(struct hv *hv, int dom, uint64_t iova_pfn) {
  struct hv_iommu_domain *d = &hv->iommu.domains[dom];
  uint64_t table = d->sl_root.v;
  for (int level = VTD_SL_LEVELS - 1; level > 0; level--) {
    uint64_t e = iommu_page(hv, table, false)[iommu_index(iova_pfn, level)];
    if (!(e & IOMMU_TABLE_PERMS)) {
      spa_t next;
      hv_status_t st = pool_alloc(hv, d->part, &next);
      if (st != HV_STATUS_SUCCESS)
        return st;
      e = next.v | IOMMU_TABLE_PERMS;
      iommu_page(hv, table, true)[iommu_index(iova_pfn, level)] = e;
    }
    table = e & VTD_ADDR_MASK;
  }
  return HV_STATUS_SUCCESS;
}

void iommu_commit(struct hv *hv, int dom, uint64_t iova_pfn, uint64_t spa_pfn, uint64_t perms) {
  uint64_t *leaf = iommu_leaf(hv, dom, iova_pfn, true);
  HV_CHECK(leaf != 0);
  if (!(*leaf & IOMMU_TABLE_PERMS))
    hv->iommu.domains[dom].pages++;
  *leaf = (spa_pfn << 12) | (perms & IOMMU_TABLE_PERMS);
}

bool iommu_lookup(struct hv *hv, int dom, uint64_t iova_pfn, uint64_t *spa_pfn, uint64_t *perms) {
  uint64_t *leaf = iommu_leaf(hv, dom, iova_pfn, false);
  if (!leaf || !(*leaf & IOMMU_TABLE_PERMS))
    return false;
  if (spa_pfn)
    *spa_pfn = (*leaf & VTD_ADDR_MASK) >> 12;
  if (perms)
    *perms = *leaf & IOMMU_TABLE_PERMS;
  return true;
}

/* Invariant: the IOTLB is invalidated for the page before this returns,
 * so the caller may hand the page to someone else. */
bool iommu_unmap(struct hv *hv, struct hv_lp *lp, int dom, uint64_t iova_pfn) {
  uint64_t *leaf = iommu_leaf(hv, dom, iova_pfn, false);
  if (!leaf || !(*leaf & IOMMU_TABLE_PERMS))
    return false;
  *iommu_leaf(hv, dom, iova_pfn, true) = 0;
  hv->iommu.domains[dom].pages--;
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_PAGE, iommu_did(dom), 0, iova_pfn);
  (void)lp;
  return true;
}

void iommu_gpa_unmapped(struct hv *hv, struct hv_lp *lp, uint16_t part, uint64_t gpfn) {
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS; i++)
    if (hv->iommu.domains[i].in_use && hv->iommu.domains[i].part == part &&
        iommu_unmap(hv, lp, i, gpfn))
      iommu_trace(hv, lp, part, 6, hv->iommu.domains[i].id, 1);
}

/* Free the tables below table (level > 0 holds pointers); leaves are
 * cleared, not returned: their pages stay with the owner. */
static void iommu_free_level(struct hv *hv, uint16_t part, uint64_t table, int level) {
  if (level > 0) {
    uint64_t *t = iommu_page(hv, table, false);
    for (unsigned i = 0; i < 512; i++)
      if (t[i] & IOMMU_TABLE_PERMS)
        iommu_free_level(hv, part, t[i] & VTD_ADDR_MASK, level - 1);
  }
  pool_free(hv, part, spa(table & VTD_ADDR_MASK));
}

hv_status_t iommu_domain_delete(struct hv *hv, struct hv_lp *lp, int dom) {
  struct hv_iommu_domain *d = &hv->iommu.domains[dom];
  if (d->ndevices)
    return HV_STATUS_INVALID_DEVICE_STATE;
  iommu_free_level(hv, d->part, d->sl_root.v, VTD_SL_LEVELS - 1);
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_DOMAIN, iommu_did(dom), 0, 0);
  iommu_trace(hv, lp, d->part, 2, d->id, d->pages);
  hv_memset(d, 0, sizeof *d);
  return HV_STATUS_SUCCESS;
}

/* The context entry slot of rid (allocating the root table and the bus's
 * context table from the root's pool when alloc). NULL: not present /
 * INSUFFICIENT_MEMORY in *st. */
static uint64_t *iommu_context(struct hv *hv, uint16_t rid, bool alloc, hv_status_t *st) {
  bool installed = hv->iommu.root_table.v != 0;
  if (!installed) {
    if (!alloc || (*st = pool_alloc(hv, 0, &hv->iommu.root_table)) != HV_STATUS_SUCCESS)
      return 0;
    arch_iommu_install(hv, hv->iommu.root_table, hv->iommu.irt);
  }
  uint64_t *root = iommu_page(hv, hv->iommu.root_table.v, alloc);
  uint64_t *re = &root[2 * (rid >> 8)];
  if (!(re[0] & VTD_ROOT_PRESENT)) {
    spa_t ctx;
    if (!alloc || (*st = pool_alloc(hv, 0, &ctx)) != HV_STATUS_SUCCESS)
      return 0;
    re[0] = ctx.v | VTD_ROOT_PRESENT;
    re[1] = 0;
  }
  return &iommu_page(hv, re[0], alloc)[2 * (rid & 0xFF)];
}

hv_status_t iommu_attach(struct hv *hv, struct hv_lp *lp, int dom, uint16_t rid) {
  if (iommu_device_find(hv, rid) >= 0)
    return HV_STATUS_DEVICE_ALREADY_IN_DOMAIN;
  int dev = -1;
  for (int i = 0; i < HV_IOMMU_MAX_DEVICES && dev < 0; i++)
    if (!hv->iommu.devices[i].in_use)
      dev = i;
  if (dev < 0)
    return HV_STATUS_INVALID_DEVICE_ID;
  hv_status_t st = HV_STATUS_SUCCESS;
  uint64_t *ce = iommu_context(hv, rid, true, &st);
  if (!ce)
    return st;
  struct hv_iommu_domain *d = &hv->iommu.domains[dom];
  ce[1] = VTD_CTX_AW_48 | ((uint64_t)iommu_did(dom) << VTD_CTX_DID_SHIFT);
  ce[0] = d->sl_root.v | VTD_CTX_PRESENT; /* translation type 00: untranslated requests */
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_CONTEXT, iommu_did(dom), rid, 0);
  hv->iommu.devices[dev] = (struct hv_iommu_device){true, rid, (uint16_t)dom};
  d->ndevices++;
  iommu_trace(hv, lp, d->part, 3, rid, d->id);
  return HV_STATUS_SUCCESS;
}

void iommu_detach(struct hv *hv, struct hv_lp *lp, int dev) {
  struct hv_iommu_device *v = &hv->iommu.devices[dev];
  struct hv_iommu_domain *d = &hv->iommu.domains[v->domain];
  hv_status_t st;
  uint64_t *ce = iommu_context(hv, v->rid, false, &st);
  HV_CHECK(ce != 0);
  ce[0] = 0;
  ce[1] = 0;
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_CONTEXT, iommu_did(v->domain), v->rid, 0);
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_DOMAIN, iommu_did(v->domain), 0, 0);
  for (uint16_t h = 0; h < VTD_IRT_ENTRIES; h++)
    if (hv->iommu.irte_dev[h] == dev + 1)
      iommu_msi_unmap(hv, lp, dev, h);
  d->ndevices--;
  iommu_trace(hv, lp, d->part, 4, v->rid, d->id);
  hv_memset(v, 0, sizeof *v);
}

void iommu_partition_delete(struct hv *hv, struct hv_lp *lp, uint16_t part) {
  for (int i = 0; i < HV_IOMMU_MAX_DEVICES; i++)
    if (hv->iommu.devices[i].in_use && hv->iommu.domains[hv->iommu.devices[i].domain].part == part)
      iommu_detach(hv, lp, i);
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS; i++)
    if (hv->iommu.domains[i].in_use && hv->iommu.domains[i].part == part)
      HV_CHECK(iommu_domain_delete(hv, lp, i) == HV_STATUS_SUCCESS);
}

hv_status_t iommu_msi_map(struct hv *hv, struct hv_lp *lp, int dev, uint16_t vp_slot,
                          uint8_t vector, uint16_t *handle) {
  if (!hv->iommu.irt.v) {
    hv_status_t st = pool_alloc(hv, 0, &hv->iommu.irt);
    if (st != HV_STATUS_SUCCESS)
      return st;
    arch_iommu_install(hv, hv->iommu.root_table, hv->iommu.irt);
  }
  int h = -1;
  for (int i = 0; i < VTD_IRT_ENTRIES && h < 0; i++)
    if (!hv->iommu.irte_dev[i])
      h = i;
  if (h < 0)
    return HV_STATUS_INSUFFICIENT_BUFFERS;
  uint64_t *irt = iommu_page(hv, hv->iommu.irt.v, true);
  irt[2 * h + 1] = hv->iommu.devices[dev].rid | (VTD_IRTE_SVT_VERIFY_SID << VTD_IRTE_SVT_SHIFT);
  irt[2 * h] = VTD_IRTE_PRESENT | ((uint64_t)vector << VTD_IRTE_VECTOR_SHIFT) |
               ((uint64_t)vp_slot << VTD_IRTE_DEST_SHIFT);
  hv->iommu.irte_dev[h] = (uint16_t)(dev + 1);
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_IRTE, 0, hv->iommu.devices[dev].rid, (uint64_t)h);
  *handle = (uint16_t)h;
  iommu_trace(hv, lp, hv->iommu.domains[hv->iommu.devices[dev].domain].part, 7,
              hv->iommu.devices[dev].rid, (uint64_t)h);
  return HV_STATUS_SUCCESS;
}

hv_status_t iommu_msi_unmap(struct hv *hv, struct hv_lp *lp, int dev, uint16_t handle) {
  if (handle >= VTD_IRT_ENTRIES || hv->iommu.irte_dev[handle] != dev + 1)
    return HV_STATUS_INVALID_PARAMETER;
  uint64_t *irt = iommu_page(hv, hv->iommu.irt.v, true);
  irt[2 * handle] = 0;
  irt[2 * handle + 1] = 0;
  hv->iommu.irte_dev[handle] = 0;
  arch_iommu_flush(hv, ARCH_IOMMU_FLUSH_IRTE, 0, hv->iommu.devices[dev].rid, handle);
  iommu_trace(hv, lp, hv->iommu.domains[hv->iommu.devices[dev].domain].part, 8,
              hv->iommu.devices[dev].rid, handle);
  return HV_STATUS_SUCCESS;
}
