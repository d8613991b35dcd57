/*
 * vic.h — the virtual interrupt controller tier of the hypervisor core
 * (TLFS "Virtual Interrupt Controller", "Inter-Partition Communication",
 * "Timers", "Intercepts"): interrupt delivery into VPs (irq.c), the
 * virtual local APIC (vapic.c), the SynIC's registers, message slots and
 * event flags (synic.c), the synthetic timers and the VP timer list
 * (stimer.c), and the intercepts that suspend a child's VP and message
 * the root (intercept.c). One box: its files call each other (an EOI
 * rescans the message queues, a timer posts an interrupt). Calls the
 * objects tier below it; the state is in hv.h (struct hv_vapic,
 * hv_synic, hv_port, hv_connection, hv_intercept).
 */
#ifndef HV_CORE_VIC_H
#define HV_CORE_VIC_H

#include "hv.h"

/* irq.c — virtual interrupts into VPs */
bool irq_pending(const struct hv_vp *vp);
void irq_deliver_pending(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
/* A fixed interrupt for a VP: into its APIC's IRR, waking it from HLT. */
void irq_post(struct hv *hv, struct hv_lp *lp, uint16_t vp_slot, uint8_t vector);

/* vapic.c — the virtual local APIC (Intel SDM Vol. 3A ch. 10/11, x2APIC);
 * its reset state: vapic_reset in hv.h */
bool vapic_deliverable(const struct hv_vapic *a, uint8_t *vector);
void vapic_accept(struct hv *hv, struct hv_vp *vp, uint8_t vector); /* IRR -> ISR (or auto-EOI) */
void vapic_eoi(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
bool vapic_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v);
bool vapic_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v);
void vapic_timer_fire(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);

/* synic.c — SynIC registers, message slots, event flags; its reset state:
 * synic_reset in hv.h */
bool synic_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v);
bool synic_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v);
/* Try to move the oldest pending message of every SINT of vp into its slot. */
void synic_scan(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
/* Set a flag in vp's SIEF page for sint; raises the SINT if newly set.
 * Returns SUCCESS or INVALID_SYNIC_STATE. */
hv_status_t synic_signal(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint8_t sint, uint32_t flag);
uint64_t synic_next_seq(struct hv *hv);
/* The VP whose SINT a message/event goes to; NULL if none. */
struct hv_vp *synic_target(struct hv *hv, uint16_t part, uint32_t vp_index);
/* Partition part is being deleted: its ports, connections and intercepts go. */
void synic_port_release(struct hv *hv, uint16_t part);

/* stimer.c — synthetic timers, reference time, the VP timer list */
uint64_t stimer_ref_time(struct hv *hv, struct hv_lp *lp, uint16_t part);
bool stimer_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v);
bool stimer_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v);
/* Fire every VP timer due at the LP's time; re-arm the LP wake-up. */
void timers_run(struct hv *hv, struct hv_lp *lp);
/* Recompute the earliest armed VP timer (after any change of a timer or
 * of the set of VPs); LP 0's wake-up follows it. */
void timers_update(struct hv *hv, struct hv_lp *lp);

/* intercept.c — intercepts installed by the root, completed through registers */
bool intercept_io(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
bool intercept_msr(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
bool intercept_cpuid(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
/* The route of partition part for (type, parameter), or NULL. */
struct hv_intercept *intercept_find(struct hv *hv, uint16_t part, uint8_t type, uint64_t param);

#endif /* HV_CORE_VIC_H */
