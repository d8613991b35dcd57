/*
 * irq.c — interrupt redirection: physical interrupts to partitions, and
 * virtual interrupt delivery into VPs.
 *
 * The hypervisor takes every physical interrupt; a routing table that the
 * root sets (HvCallMapDeviceInterrupt) says which partition, VP and
 * virtual vector owns a physical vector (all belong to the root's VP 0 at
 * boot). The interrupt becomes a request in the target VP's virtual APIC
 * (IRR), so nothing is lost while the VP is not running; it is injected at
 * the VP's next entry when the APIC's priority rules allow, and a halted
 * VP wakes.
 */
#include "hv.h"

bool irq_pending(const struct hv_vp *vp) { return vapic_deliverable(&vp->apic, 0); }

void irq_post(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint8_t vector) {
  struct hv_vp *vp = &hv->vps[slot];
  vp->apic.irr[vector >> 6] |= 1ull << (vector & 63);
  if (vp->halted && irq_pending(vp)) {
    vp->halted = false;
    sched_wake(hv, lp, slot);
  } else if (vp->queued && (irq_pending(vp) || arch_vp_interrupt_held(vp))) {
    /* Still waiting for an LP: ask for one — also when the new request is
     * masked behind one the backend already holds for the guest (in the
     * ISR, waiting for RFLAGS.IF): the VP has an interrupt to take either way. */
    sched_preempt(hv, lp);
  }
}

void irq_deliver_pending(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  uint8_t vector;
  if (!vapic_deliverable(&vp->apic, &vector))
    return;
  /* Accepted (out of the IRR, into the ISR unless auto-EOI) only once the
   * backend has taken it: while it still holds an earlier event — an
   * interrupt waiting for the guest's RFLAGS.IF, an exception — the
   * vector stays requested for a later entry instead of being lost. */
  if (!arch_vp_inject_interrupt(vp, vector))
    return;
  vapic_accept(hv, vp, vector);
  arch_charge(lp, HV_COST_IRQ_DELIVERY, 1);
  hv_trace(hv, lp, (uint16_t)hv->partitions[vp->partition].id, (uint16_t)vp->index, HV_TR_IRQ_VIRT, vector,
           0, 0);
}

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
