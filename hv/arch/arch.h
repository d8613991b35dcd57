/*
 * arch.h — the one boundary between the hypervisor core and a CPU backend.
 *
 * The core (hv/core) calls these functions and nothing else of the
 * machine; each backend provides all of them and the build links exactly
 * one: the model simulator's (sim/machine/arch_sim.c, level 1) or the bare-metal
 * VT-x / AMD-V backends (hv/arch/x86, levels 2 and 3). A backend that
 * forgets one fails to link.
 *
 * Backends translate, the core decides: arch_vp_run() returns a
 * vendor-neutral exit record (struct hv_exit); the one exit dispatch
 * lives in the core (hv/core/exit.c).
 *
 * Per-object backend state is embedded by value: struct hv holds a
 * struct arch_hv, each struct hv_lp a struct arch_lp, each struct hv_vp a
 * struct arch_vp. Each backend defines those three in its own
 * "arch_types.h", found through the include path of that build.
 */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include "hvsim/trace.h"
#include "hv/types.h"

struct hv;
struct hv_lp;
struct hv_vp;
struct hv_partition;

/* The vendor-neutral exit record (TLFS intercept-message shaped). */
struct hv_exit {
  uint32_t reason;      /* enum hv_exit_reason */
  uint32_t instr_len;   /* length of the exiting instruction, for RIP advance */
  uint64_t guest_cycles;/* cycles in guest mode since the last entry */
  union {
    struct { uint32_t msr; uint64_t value; } msr;                /* MSR_READ/WRITE */
    struct { uint32_t leaf, subleaf; } cpuid;                    /* CPUID */
    struct { uint16_t port; uint8_t size; uint8_t write; uint32_t value; } io;
    struct { uint64_t gpa; uint32_t access; } mem;               /* GPA_VIOLATION: 1 r, 2 w, 4 x */
    struct { uint8_t vector; uint32_t error; } exc;              /* EXCEPTION */
  } u;
};

/* Cost categories the core charges (level 1 advances the LP clock by the
 * documented table in sim/machine/cost.c; hardware backends ignore them: real
 * time passes by itself). */
enum hv_cost {
  HV_COST_HYPERCALL_BASE,  /* decode + dispatch of one hypercall */
  HV_COST_HYPERCALL_REP,   /* per rep element */
  HV_COST_SLAT_UPDATE,     /* per SLAT entry written */
  HV_COST_SCHED,           /* a scheduling decision / VP switch */
  HV_COST_MSR,             /* synthetic MSR emulation */
  HV_COST_IRQ_DELIVERY,    /* virtual interrupt delivery */
  HV_COST_EXIT_HANDLING,   /* generic exit handling */
  HV_COST_PAGE_ZERO,       /* zeroing one page */
  HV_COST_MSG_POST,        /* queueing one SynIC message */
  HV_COST_COUNT
};

/* ---- initialisation -------------------------------------------------- */
/* Prepare backend state of a VP (VMCS/VMCB or simulated context) in the
 * zeroed pool page state_page, taken from the partition's pool.
 * Returns HV_STATUS_SUCCESS or HV_STATUS_INSUFFICIENT_MEMORY. */
hv_status_t arch_vp_init(struct hv *hv, struct hv_partition *p, struct hv_vp *vp,
                         spa_t state_page);
/* Release it; the VP is not running anywhere. */
void arch_vp_destroy(struct hv *hv, struct hv_vp *vp);

/* ---- running a VP ---------------------------------------------------- */
/* Enter the VP on this LP and run it until it exits or the LP clock
 * reaches deadline (then reason HV_EXIT_PREEMPT). Fills *exit. */
void arch_vp_run(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp,
                 uint64_t deadline, struct hv_exit *exit);

/* Register access by TLFS register name (HV_X64_REGISTER_*). Returns
 * false for a name the backend does not hold (the core handles synthetic
 * registers itself). */
bool arch_vp_reg_get(struct hv_vp *vp, uint32_t name, uint64_t *value);
bool arch_vp_reg_set(struct hv_vp *vp, uint32_t name, uint64_t value);

/* Queue an event for injection at the next entry: an exception (with an
 * error code when has_error) or an external interrupt vector. An
 * interrupt is refused (false) while the backend still holds an event it
 * has not injected (one waiting for an interrupt window, or an exception):
 * the core then leaves the vector in the virtual APIC's IRR. */
void arch_vp_inject_exception(struct hv_vp *vp, uint8_t vector, bool has_error, uint32_t error);
bool arch_vp_inject_interrupt(struct hv_vp *vp, uint8_t vector);
/* True while the backend holds an interrupt the core handed over (it left
 * the IRR) that the guest has not yet taken: it waits for RFLAGS.IF. */
bool arch_vp_interrupt_held(const struct hv_vp *vp);
/* A startup IPI's state (SDM 3A 8.4.4, 10.4.7.3): real mode, CS selector
 * vector << 8 and base vector << 12, IP 0, paging and protection off,
 * every other segment at 0 with a 64 KiB limit, RDX the processor's
 * signature; applied at the VP's next entry. */
void arch_vp_start_real(struct hv_vp *vp, uint8_t vector);

/* ---- second level address translation ------------------------------- */
/* Point the VP's SLAT at the PML4 at root (EPTP / nCR3). */
void arch_slat_install(struct hv_vp *vp, spa_t root);
/* Invalidate cached translations of a partition (INVEPT / ASID flush). */
void arch_slat_flush(struct hv *hv, struct hv_partition *p);

/* ---- IOMMU (DMA and interrupt remapping, VT-d layout) ---------------- */
/* Point the remapping hardware at the root table and the interrupt
 * remapping table the core built (RTADDR_REG / IRTA_REG, VT-d 10.4.6 and
 * 10.4.29; 0 = none). */
void arch_iommu_install(struct hv *hv, spa_t root_table, spa_t irt);
/* Invalidate cached remapping state (VT-d 6.5): the context cache of
 * requester id rid, the IOTLB of domain did (whole domain, or one page
 * iova_pfn), or the interrupt entry cache (entry iova_pfn). */
enum arch_iommu_flush {
  ARCH_IOMMU_FLUSH_CONTEXT,
  ARCH_IOMMU_FLUSH_DOMAIN,
  ARCH_IOMMU_FLUSH_PAGE,
  ARCH_IOMMU_FLUSH_IRTE,
};
void arch_iommu_flush(struct hv *hv, enum arch_iommu_flush what, uint16_t did, uint16_t rid,
                      uint64_t iova_pfn);

/* ---- physical memory ------------------------------------------------- */
/* The hypervisor's direct map: a pointer to the 4 KiB page at spa (page
 * aligned), or NULL if spa is outside physical memory. The map is linear
 * over RAM: the page after spa is at the returned pointer + 4096. write says the
 * caller will modify it (the simulator tracks dirty pages for cheap
 * fuzzer resets). */
void *arch_phys_page(struct hv *hv, spa_t spa, bool write);

/* Fill the hypercall page the guest enabled through HV_X64_MSR_HYPERCALL
 * with this vendor's sequence (VMCALL; RET or VMMCALL; RET — TLFS 3.13). */
void arch_hypercall_page_fill(uint8_t *page);

/* ---- time, LPs, tracing, stops --------------------------------------- */
/* The LP's cycle counter (virtual cycles in the simulator, TSC on hardware). */
uint64_t arch_cycles(struct hv_lp *lp);
/* Charge n units of a cost category to the LP. */
void arch_charge(struct hv_lp *lp, enum hv_cost c, uint64_t n);
/* Around work of the test harness inside the hypervisor (the isolation
 * oracle of debug builds): its time is not the machine's. The simulator
 * charges nothing for it anyway; on hardware and instruction-level CPUs
 * every LP's clock stops from pause to resume, so a checked run keeps the
 * timing of an unchecked one. */
void arch_clock_pause(struct hv *hv);
void arch_clock_resume(struct hv *hv);
/* Wake an idle LP (IPI): something became runnable for it at the
 * current time of from. */
void arch_lp_kick(struct hv *hv, struct hv_lp *from, struct hv_lp *lp);
/* Ask for the LP to leave idle at cycle deadline (one timer per LP;
 * 0 disarms). */
void arch_lp_timer(struct hv *hv, struct hv_lp *lp, uint64_t deadline);
/* Emit one trace record. */
void arch_trace(struct hv *hv, const struct hv_trace_rec *rec);
/* A hypervisor bug: stop with file and line; never returns. */
_Noreturn void arch_panic(const char *file, int line, const char *msg);

#endif /* HV_ARCH_H */
