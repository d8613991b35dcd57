/*
 * entry.h — the entry tier of the hypervisor core: everything the
 * platform (the simulator's machine, the bare-metal image) calls, and
 * nothing else calls. Boot (boot.c), the logical processor's loop
 * (lp.c), the one dispatch of VP exits and the hypercall entry with its
 * isolation-oracle hook (exit.c), the hardware's events — physical
 * interrupts, DMA faults, remapped interrupts (hw_event.c) — and the
 * isolation oracle itself (invariant.c). Calls the tiers below: the
 * hypercall API (hc.h), the virtual interrupt controller (vic.h), the
 * IOMMU (iommu.h), the objects (objects.h).
 */
#ifndef HV_CORE_ENTRY_H
#define HV_CORE_ENTRY_H

#include "hv.h"

/* boot.c — Boot the hypervisor on the described machine: PFN database,
 * the root partition with an identity SLAT over all RAM not reserved, one
 * root VP per LP. Returns HV_STATUS_SUCCESS or HV_STATUS_INSUFFICIENT_MEMORY. */
hv_status_t hv_init(struct hv *hv, const struct hv_boot *boot);
/* The contiguous range of RAM the root owns right after boot. */
void hv_root_ram(struct hv *hv, uint64_t *first_pfn, uint64_t *npages);

/* lp.c — Run one step of LP lp: pick a VP (or stay idle), run it to its
 * next exit, handle the exit. Returns false when the LP is idle. */
bool hv_lp_step(struct hv *hv, uint32_t lp);

/* exit.c — handle one exit of vp on lp (the backend's translated record) */
void exit_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
/* The hypercall vp has made; with debug checks, the isolation oracle
 * after every call that may have changed memory ownership. */
void hv_hypercall(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);

/* hw_event.c — A physical interrupt arrives on LP lp (device or timer). */
void hv_irq_raise(struct hv *hv, uint32_t lp, uint8_t vector);
/* A DMA request of device rid was blocked: access 1 read / 2 write, addr
 * the device address, reason a VTD_FR_* code. Traced (HV_TR_DMA_FAULT)
 * against the partition owning the device, counted. */
void hv_iommu_fault(struct hv *hv, uint32_t lp, uint16_t rid, uint64_t addr, uint32_t access,
                    uint32_t reason);
/* A remapped interrupt: the entry handle of device rid names VP slot dest
 * and vector. Posted to that VP when it belongs to the partition owning
 * the device (else counted as a fault); traced (HV_TR_IRQ_REMAP). */
void hv_iommu_interrupt(struct hv *hv, uint32_t lp, uint16_t rid, uint16_t handle, uint32_t dest,
                        uint8_t vector);

/* invariant.c — Run the isolation invariant; returns the number of
 * violations found (each also traced as HV_TR_ISOLATION). */
uint64_t hv_check_isolation(struct hv *hv, struct hv_lp *lp);

#endif /* HV_CORE_ENTRY_H */
