/*
 * hc_iommu.c — the device-domain hypercalls (layouts in
 * hv/include/hv/iommu_abi.h): HvCallCreateDeviceDomain, DeleteDeviceDomain,
 * AttachDeviceDomain, DetachDeviceDomain, MapDeviceGpaPages,
 * UnmapDeviceGpaPages, and our HvCallHvsimMapDeviceMsi / UnmapDeviceMsi
 * for interrupt remapping entries.
 *
 * All are the root's (privilege CreatePartitions) and act on a child: a
 * domain belongs to one child partition and maps that child's own RAM at
 * device address = GPA. Decode, then apply: every field and reserved bit
 * is checked before anything changes. Pages the child does not own, a
 * device already in a domain, a domain with devices still attached are
 * refused with their HV_STATUS.
 */
#include "hc.h"
#include "iommu.h"
#include "objects.h"

#define HC_IOMMU_GPA_LIMIT_PFN (1ull << 36)

struct hc_domain_in {
  uint16_t part;
  uint32_t id;
};

/* HV_INPUT_DEVICE_DOMAIN at offset 0: resolve the child, check VTL, pad,
 * type and reserved bits. */
static hv_status_t hc_domain_decode(struct hc_ctx *c, struct hc_domain_in *d) {
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &d->part);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (d->part == 0)
    return HV_STATUS_ACCESS_DENIED; /* defence: hc_child never yields the root */
  if (c->hv->partitions[d->part].state != PART_ACTIVE)
    return HV_STATUS_INVALID_PARTITION_STATE;
  uint64_t dom = hc_in_u64(c, 16);
  if (hc_in_u64(c, 8) != 0 || (dom & 0xFFFFFFFFull) != HV_DEVICE_DOMAIN_TYPE_S2)
    return HV_STATUS_INVALID_PARAMETER; /* VTL 0 only, pad zero, stage-2 type, reserved zero */
  d->id = (uint32_t)(dom >> 32);
  return HV_STATUS_SUCCESS;
}

/* HV_DEVICE_ID, PCI form, segment 0, no shadowing or phantom functions. */
static hv_status_t hc_device_decode(uint64_t id, uint16_t *rid) {
  if ((id >> HV_DEVICE_ID_TYPE_SHIFT) != HV_DEVICE_TYPE_PCI ||
      (id & ~(HV_DEVICE_ID_RID_MASK | (3ull << HV_DEVICE_ID_TYPE_SHIFT))))
    return HV_STATUS_INVALID_DEVICE_ID;
  *rid = (uint16_t)(id & HV_DEVICE_ID_RID_MASK);
  return HV_STATUS_SUCCESS;
}

/* Input: HV_INPUT_DEVICE_DOMAIN, flags u32 @24. */
hv_status_t hc_create_device_domain(struct hc_ctx *c) {
  struct hc_domain_in d;
  hv_status_t st = hc_domain_decode(c, &d);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (hc_in_u32(c, 24) & ~HV_CREATE_DEVICE_DOMAIN_FLAGS_MASK)
    return HV_STATUS_INVALID_PARAMETER;
  st = iommu_domain_create(c->hv, c->lp, d.part, d.id);
  c->ram_changed = st == HV_STATUS_SUCCESS;
  return st;
}

/* Input: HV_INPUT_DEVICE_DOMAIN. */
hv_status_t hc_delete_device_domain(struct hc_ctx *c) {
  struct hc_domain_in d;
  hv_status_t st = hc_domain_decode(c, &d);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int dom = iommu_domain_find(c->hv, d.part, d.id);
  if (dom < 0)
    return HV_STATUS_INVALID_PARAMETER;
  st = iommu_domain_delete(c->hv, c->lp, dom);
  c->ram_changed = st == HV_STATUS_SUCCESS;
  return st;
}

/* Input: HV_INPUT_DEVICE_DOMAIN, HV_DEVICE_ID @24. */
hv_status_t hc_attach_device_domain(struct hc_ctx *c) {
  struct hc_domain_in d;
  uint16_t rid;
  hv_status_t st = hc_domain_decode(c, &d);
  if (st == HV_STATUS_SUCCESS)
    st = hc_device_decode(hc_in_u64(c, 24), &rid);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int dom = iommu_domain_find(c->hv, d.part, d.id);
  if (dom < 0)
    return HV_STATUS_INVALID_PARAMETER;
  st = iommu_attach(c->hv, c->lp, dom, rid);
  c->ram_changed = st == HV_STATUS_SUCCESS;
  return st;
}

/* The attached device id of partition part, or a status. */
static hv_status_t hc_owned_device(struct hc_ctx *c, uint16_t part, uint64_t id, int *dev) {
  uint16_t rid;
  hv_status_t st = hc_device_decode(id, &rid);
  if (st != HV_STATUS_SUCCESS)
    return st;
  *dev = iommu_device_find(c->hv, rid);
  if (*dev < 0 || c->hv->iommu.domains[c->hv->iommu.devices[*dev].domain].part != part)
    return HV_STATUS_INVALID_DEVICE_STATE;
  return HV_STATUS_SUCCESS;
}

/* Input: PartitionId u64 @0, HV_DEVICE_ID @8. */
hv_status_t hc_detach_device_domain(struct hc_ctx *c) {
  uint16_t part;
  int dev;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &part);
  if (st == HV_STATUS_SUCCESS)
    st = hc_owned_device(c, part, hc_in_u64(c, 8), &dev);
  if (st != HV_STATUS_SUCCESS)
    return st;
  iommu_detach(c->hv, c->lp, dev);
  c->ram_changed = true;
  return HV_STATUS_SUCCESS;
}

/* Input: HV_INPUT_DEVICE_DOMAIN, TargetVtl u8 @24, pad @25, MapFlags u32
 * @28, TargetDeviceVaBase u64 @32, then one GPA page number per rep. The
 * page must be the child's RAM and its device address its GPA. */
hv_status_t hc_map_device_gpa_pages(struct hc_ctx *c) {
  struct hc_domain_in d;
  hv_status_t st = hc_domain_decode(c, &d);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t flags = hc_in_u32(c, 28);
  uint64_t base = hc_in_u64(c, 32);
  if ((hc_in_u32(c, 24)) || (base & HV_PAGE_MASK) || !(flags & HV_MAP_GPA_READABLE) ||
      (flags & ~(HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE)))
    return HV_STATUS_INVALID_PARAMETER;
  int dom = iommu_domain_find(c->hv, d.part, d.id);
  if (dom < 0)
    return HV_STATUS_INVALID_PARAMETER;
  uint64_t perms = VTD_SL_READ | ((flags & HV_MAP_GPA_WRITABLE) ? VTD_SL_WRITE : 0);
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t iova = (base >> 12) + c->reps_done, gpfn = hc_in_u64(c, 40 + 8ull * c->reps_done);
    spa_t s;
    uint32_t *e;
    if (gpfn != iova || gpfn >= HC_IOMMU_GPA_LIMIT_PFN ||
        !slat_lookup(c->hv, d.part, gpa_from_pfn(gpfn), &s, 0) ||
        !(e = pfn_entry(c->hv, spa_pfn(s))) || pfn_type_of(*e) != PFN_RAM ||
        pfn_owner_of(*e) != d.part || iommu_lookup(c->hv, dom, iova, 0, 0)) {
      st = HV_STATUS_INVALID_PARAMETER;
      break;
    }
    st = iommu_prepare(c->hv, dom, iova);
    if (st != HV_STATUS_SUCCESS)
      break;
    arch_charge(c->lp, HV_COST_SLAT_UPDATE, 1);
    iommu_commit(c->hv, dom, iova, spa_pfn(s), perms);
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    hv_trace_part(c->hv, c->lp, d.part, HV_TR_IOMMU, 5,
             d.id, c->reps_done - first);
  }
  return st;
}

/* Input: HV_INPUT_DEVICE_DOMAIN, TargetDeviceVaBase u64 @24; one page per rep. */
hv_status_t hc_unmap_device_gpa_pages(struct hc_ctx *c) {
  struct hc_domain_in d;
  hv_status_t st = hc_domain_decode(c, &d);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint64_t base = hc_in_u64(c, 24);
  int dom = iommu_domain_find(c->hv, d.part, d.id);
  if ((base & HV_PAGE_MASK) || dom < 0)
    return HV_STATUS_INVALID_PARAMETER;
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t iova = (base >> 12) + c->reps_done;
    if (iova >= HC_IOMMU_GPA_LIMIT_PFN || !iommu_unmap(c->hv, c->lp, dom, iova)) { /* 48-bit: no aliasing */
      st = HV_STATUS_INVALID_PARAMETER;
      break;
    }
    arch_charge(c->lp, HV_COST_SLAT_UPDATE, 1);
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    hv_trace_part(c->hv, c->lp, d.part, HV_TR_IOMMU, 6,
             d.id, c->reps_done - first);
  }
  return st;
}

/* Input: PartitionId u64 @0, HV_DEVICE_ID @8, VpIndex u32 @16, Vector u32
 * @20. Output: MSI address u32 @0 (remappable format, the entry's
 * handle), MSI data u32 @4 (0), to be programmed into the device. */
hv_status_t hc_hvsim_map_device_msi(struct hc_ctx *c) {
  uint16_t part, slot;
  int dev;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &part);
  if (st == HV_STATUS_SUCCESS)
    st = hc_owned_device(c, part, hc_in_u64(c, 8), &dev);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t vector = hc_in_u32(c, 20);
  if (vector < 16 || vector > 255)
    return HV_STATUS_INVALID_PARAMETER;
  if (!vp_get(c->hv, part, hc_in_u32(c, 16), &slot))
    return HV_STATUS_INVALID_VP_INDEX;
  uint16_t handle;
  st = iommu_msi_map(c->hv, c->lp, dev, slot, (uint8_t)vector, &handle);
  if (st != HV_STATUS_SUCCESS)
    return st;
  c->ram_changed = true;
  hc_out_u64(c, 0, vtd_msi_address(handle));
  return HV_STATUS_SUCCESS;
}

/* Input: PartitionId u64 @0, HV_DEVICE_ID @8, MSI address u32 @16, pad u32 @20. */
hv_status_t hc_hvsim_unmap_device_msi(struct hc_ctx *c) {
  uint16_t part;
  int dev;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &part);
  if (st == HV_STATUS_SUCCESS)
    st = hc_owned_device(c, part, hc_in_u64(c, 8), &dev);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int handle = vtd_msi_handle(hc_in_u32(c, 16));
  if (handle < 0 || hc_in_u32(c, 20))
    return HV_STATUS_INVALID_PARAMETER;
  st = iommu_msi_unmap(c->hv, c->lp, dev, (uint16_t)handle);
  c->ram_changed = st == HV_STATUS_SUCCESS;
  return st;
}
