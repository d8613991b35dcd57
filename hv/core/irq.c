/*
 * irq.c — virtual interrupt delivery into VPs.
 *
 * An interrupt for a VP (a routed physical interrupt, a remapped device
 * interrupt, a SINT, a timer, an IPI) becomes a request in the target
 * VP's virtual APIC (IRR), so nothing is lost while the VP is not running;
 * it is injected at the VP's next entry when the APIC's priority rules
 * allow, and a halted VP wakes. Physical interrupts enter through
 * hw_event.c.
 */
#include "objects.h"
#include "vic.h"

bool irq_pending(const struct hv_vp *vp) { return vapic_deliverable(&vp->apic, 0); }

void irq_post(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint8_t vector) {
  struct hv_vp *vp = &hv->vps[slot];
  vp->apic.irr[vector >> 6] |= 1ull << (vector & 63);
  if (vp->halted && irq_pending(vp)) {
    vp->halted = false;
    vp_update_runnable(hv, lp, slot);
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
  hv_trace_vp(hv, lp, vp, HV_TR_IRQ_VIRT, vector,
           0, 0);
}
