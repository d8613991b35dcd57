/*
 * hw_event.c — the hardware's events entering the hypervisor: physical
 * interrupts (the interrupt controller's vectors), and what the IOMMU's
 * remapping hardware reports — DMA faults from its fault recording
 * registers and remapped device interrupts. Entry tier (entry.h).
 *
 * Physical interrupts: the hypervisor takes every one; a routing table
 * that the root sets (HvCallMapDeviceInterrupt) says which partition, VP
 * and virtual vector owns a physical vector (all belong to the root's VP
 * 0 at boot), and the interrupt is posted to that VP's virtual APIC.
 */
#include "entry.h"
#include "iommu.h"
#include "objects.h"
#include "vic.h"

void hv_irq_raise(struct hv *hv, uint32_t lp_index, uint8_t vector) {
  struct hv_lp *lp = &hv->lps[lp_index];
  uint16_t part = hv->irq_route[vector].partition;
  uint32_t vpi = hv->irq_route[vector].vp;
  uint8_t vvec = hv->irq_route[vector].vector ? hv->irq_route[vector].vector : vector; /* 0: never mapped */
  struct hv_partition *p = &hv->partitions[part];
  uint16_t slot;
  struct hv_vp *vp = (p->state == PART_ACTIVE) ? vp_get(hv, part, vpi, &slot) : 0;
  hv_trace(hv, lp, HV_TRACE_NONE, HV_TRACE_NONE, HV_TR_IRQ_PHYS, vector, vp ? p->id : 0, vp ? vpi : 0);
  if (vp)
    irq_post(hv, lp, slot, vvec);
}

static uint64_t event_owner_id(struct hv *hv, int dev) {
  if (dev < 0)
    return HV_TRACE_NONE;
  return hv->partitions[hv->iommu.domains[hv->iommu.devices[dev].domain].part].id;
}

void hv_iommu_fault(struct hv *hv, uint32_t lp, uint16_t rid, uint64_t addr, uint32_t access,
                    uint32_t reason) {
  int dev = iommu_device_find(hv, rid);
  hv->iommu.faults++;
  hv_trace(hv, &hv->lps[lp], hv_trace_partition_id(event_owner_id(hv, dev)), HV_TRACE_NONE, HV_TR_DMA_FAULT,
           rid, addr, ((uint64_t)reason << 8) | access);
}

void hv_iommu_interrupt(struct hv *hv, uint32_t lp, uint16_t rid, uint16_t handle, uint32_t dest,
                        uint8_t vector) {
  int dev = iommu_device_find(hv, rid);
  struct hv_lp *l = &hv->lps[lp];
  uint16_t part = dev < 0 ? 0 : hv->iommu.domains[hv->iommu.devices[dev].domain].part;
  bool ok = dev >= 0 && dest < HV_MAX_VPS && hv->vps[dest].in_use &&
            hv->vps[dest].partition == part && hv->partitions[part].state == PART_ACTIVE;
  if (!ok) {
    hv_iommu_fault(hv, lp, rid, handle, 4, VTD_FR_IR_SID);
    return;
  }
  hv->iommu.remapped++;
  hv_trace_vp(hv, l, &hv->vps[dest], HV_TR_IRQ_REMAP, rid, vector, handle);
  irq_post(hv, l, (uint16_t)dest, vector);
}
