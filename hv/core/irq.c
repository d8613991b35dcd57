/*
 * irq.c — interrupt redirection: physical interrupts to partitions.
 *
 * The hypervisor takes every physical interrupt; a routing table set up
 * for the root decides which partition owns a vector (all vectors belong
 * to the root at boot). The interrupt becomes pending on the owner's VP 0
 * and is injected at its next entry; a halted VP wakes. Pending vectors
 * are kept in a 256-bit set per VP, so nothing is lost while the VP is
 * not running. (The full virtual APIC — IRR/ISR/TPR, EOI — is the SynIC
 * issue's; this is its minimal core.)
 */
#include "hv.h"

bool irq_pending(const struct hv_vp *vp) {
  return (vp->pending_irq[0] | vp->pending_irq[1] | vp->pending_irq[2] | vp->pending_irq[3]) != 0;
}

void irq_post(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint8_t vector) {
  struct hv_vp *vp = &hv->vps[slot];
  vp->pending_irq[vector >> 6] |= 1ull << (vector & 63);
  if (vp->halted) {
    vp->halted = false;
    vp_update_runnable(hv, lp, slot);
  }
}

/* Inject the highest pending vector (x86 priority: higher vector first). */
void irq_deliver_pending(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  for (int w = 3; w >= 0; w--) {
    uint64_t bits = vp->pending_irq[w];
    if (!bits)
      continue;
    int bit = 63 - __builtin_clzll(bits);
    vp->pending_irq[w] &= ~(1ull << bit);
    uint8_t vector = (uint8_t)(w * 64 + bit);
    arch_charge(lp, HV_COST_IRQ_DELIVERY, 1);
    arch_vp_inject_interrupt(vp, vector);
    hv_trace(hv, lp, (uint16_t)hv->partitions[vp->partition].id, (uint16_t)vp->index,
             HV_TR_IRQ_VIRT, vector, 0, 0);
    return;
  }
}

void hv_irq_raise(struct hv *hv, uint32_t lp_index, uint8_t vector) {
  struct hv_lp *lp = &hv->lps[lp_index];
  uint16_t part = hv->irq_route[vector];
  struct hv_partition *p = &hv->partitions[part];
  uint16_t slot;
  struct hv_vp *vp = (p->state == PART_ACTIVE) ? vp_get(hv, part, 0, &slot) : 0;
  hv_trace(hv, lp, HV_TRACE_NONE, HV_TRACE_NONE, HV_TR_IRQ_PHYS, vector,
           vp ? p->id : 0, vp ? vp->index : 0);
  if (vp)
    irq_post(hv, lp, slot, vector);
}
