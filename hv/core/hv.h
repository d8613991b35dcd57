/*
 * hv.h — the hypervisor core's state and its internal interfaces.
 *
 * All mutable state of one hypervisor instance lives in one struct hv
 * (no other globals), so two instances can share a process (two
 * simulated hosts) and a fuzzer can reset one. Models the "hypervisor"
 * box of the architecture: partitions, VPs, logical processors, the page
 * pool and the system-physical-page ownership table (PFN database).
 *
 * Lock order: none — one LP runs core code at a time in the simulator;
 * the bare-metal image serialises core entry with one lock (arch/x86).
 */
#ifndef HV_CORE_HV_H
#define HV_CORE_HV_H

#include <arch_types.h>
#include "hv/hvgdk.h"
#include "hvsim/trace.h"
#include "hv/types.h"

#include "hv/arch/arch.h"
#include "iommu.h"
#include "synic.h"

#define HV_MAX_LPS 64
#define HV_MAX_PARTITIONS 128 /* slot 0 is the root */
#define HV_MAX_VPS_PER_PARTITION 64
#define HV_MAX_VPS 512
#define HV_NO_VP 0xFFFFu
#define HV_ROOT_PARTITION_ID 1ull

/* Privileges of the root partition: everything we implement. */
#define HV_ROOT_PRIVILEGES                                                     \
  (HV_ACCESS_VP_RUNTIME_REG | HV_ACCESS_PARTITION_REF_COUNTER |                \
   HV_ACCESS_SYNIC_REGS | HV_ACCESS_SYNTHETIC_TIMER_REGS |                     \
   HV_ACCESS_INTR_CTRL_REGS | HV_ACCESS_HYPERCALL_MSRS | HV_ACCESS_VP_INDEX |  \
   HV_ACCESS_PARTITION_REF_TSC | HV_CREATE_PARTITIONS |                        \
   HV_ACCESS_PARTITION_ID | HV_ACCESS_MEMORY_POOL | HV_POST_MESSAGES |         \
   HV_SIGNAL_EVENTS | HV_CREATE_PORT | HV_CONNECT_PORT | HV_CPU_MANAGEMENT |   \
   HV_ACCESS_VP_REGISTERS | HV_START_VIRTUAL_PROCESSOR)
/* Default privileges of a child partition (a guest OS's set). */
#define HV_CHILD_PRIVILEGES                                                    \
  (HV_ACCESS_VP_RUNTIME_REG | HV_ACCESS_PARTITION_REF_COUNTER |                \
   HV_ACCESS_SYNIC_REGS | HV_ACCESS_SYNTHETIC_TIMER_REGS |                     \
   HV_ACCESS_INTR_CTRL_REGS | HV_ACCESS_HYPERCALL_MSRS | HV_ACCESS_VP_INDEX |  \
   HV_ACCESS_PARTITION_REF_TSC | HV_POST_MESSAGES | HV_SIGNAL_EVENTS)

/* ---- system physical pages: the PFN database -------------------------- */
/* One u32 per page of physical memory, in hypervisor-reserved pages.
 * Invariant: every page has exactly one owner (checked by invariant.c). */
enum pfn_type {
  PFN_HV = 0,        /* hypervisor image, PFN database, boot reserve */
  PFN_RAM = 1,       /* partition memory, mapped in the owner's SLAT */
  PFN_POOL_FREE = 2, /* deposited into the owner's pool, unused */
  PFN_POOL_USED = 3, /* pool page holding the owner's SLAT tables / VP state */
};
#define PFN_TYPE_MASK 0xFu
#define PFN_OWNER_SHIFT 8
#define PFN_OWNER_MASK (0xFFu << PFN_OWNER_SHIFT)
#define PFN_SEEN (1u << 31) /* scratch bit of the invariant check */

/* ---- logical processors ------------------------------------------------ */
struct hv_lp {
  uint32_t index;
  uint16_t current;  /* VP slot running here, or HV_NO_VP */
  bool idle;
  uint64_t slice_end; /* cycle at which the current VP's slice ends */
  uint64_t slice_start; /* cycle the current VP was put on this LP */
  struct arch_lp arch;
};

/* ---- virtual processors ------------------------------------------------ */
enum vp_run_state {
  VP_RUNNABLE = 0, /* on the run queue or running */
  VP_HALTED = 1,   /* HLT: parked until an interrupt */
  VP_SUSPENDED = 2,/* explicit suspend, partition suspend or not started */
  VP_STOPPED = 3,  /* the partition was stopped (fault) or finalized */
};

struct hv_vp_stats {
  uint64_t guest_cycles;    /* in guest mode */
  uint64_t hv_cycles;       /* in the hypervisor handling this VP's exits */
  uint64_t exit_cycles;     /* exit and entry transitions */
  uint64_t exits;
  uint64_t hypercalls;
  uint64_t dispatches;      /* times put on an LP */
};

struct hv_vp {
  bool in_use;
  uint16_t partition; /* partition slot */
  uint32_t index;     /* VP index within the partition */
  uint8_t run_state;  /* enum vp_run_state, derived by vp_update_runnable */
  bool explicit_suspend; /* HV_REGISTER_EXPLICIT_SUSPEND */
  bool halted;           /* executed HLT, waits for an interrupt */
  uint16_t on_lp;     /* LP index running it, or HV_NO_VP */
  uint16_t rq_next;   /* run-queue link (slot), HV_NO_VP at the end */
  bool queued;
  spa_t state_page;   /* pool page holding the VP's backend state */
  struct hv_vapic apic;
  struct hv_synic synic;
  struct hv_vp_stats stats;
  struct arch_vp arch;
};

/* ---- partitions -------------------------------------------------------- */
enum partition_state {
  PART_FREE = 0,
  PART_CREATED = 1,     /* HvCallCreatePartition done, properties settable */
  PART_ACTIVE = 2,      /* HvCallInitializePartition done: VPs, memory, run */
  PART_FINALIZED = 3,   /* HvCallFinalizePartition: nothing runs, delete next */
  PART_STOPPED = 4,     /* stopped by the hypervisor (guest fault) */
};

struct hv_partition {
  uint8_t state; /* enum partition_state */
  uint64_t id;
  uint16_t parent;       /* parent slot */
  uint64_t privileges;   /* HV_PARTITION_PRIVILEGE_MASK */
  bool suspended;        /* HV_PARTITION_PROPERTY_SUSPEND */
  uint64_t guest_os_id;  /* HV_X64_MSR_GUEST_OS_ID (partition wide) */
  uint64_t hypercall_msr;/* HV_X64_MSR_HYPERCALL (partition wide) */
  uint64_t ref_time_base;/* cycle at creation: TIME_REF_COUNT origin */
  spa_t slat_root;       /* PML4 of its SLAT (pool page), 0 if none */
  uint64_t slat_pt_tag[2]; /* the last two page tables walked to: GPA >> 21, */
  uint64_t slat_pt[2];     /* and their SPAs (0: none; tables live until slat_destroy) */
  uint8_t slat_pt_next;    /* the entry the next walk replaces */
  uint64_t pool_free;    /* pages available in its pool */
  uint64_t pool_used;    /* pool pages in use (tables, VP state) */
  uint64_t pool_free_head; /* pfn of the first free pool page, 0 = none */
  uint64_t ram_pages;    /* pages of RAM it owns (mapped in its SLAT) */
  uint32_t nvps;
  uint16_t vps[HV_MAX_VPS_PER_PARTITION]; /* VP slot by VP index */
  spa_t state_page;      /* parent's pool page holding the partition state */
  uint64_t ref_tsc_msr;  /* HV_X64_MSR_REFERENCE_TSC (partition wide) */
  uint64_t stop_reason;  /* why the hypervisor stopped it (PART_STOPPED) */
};

/* ---- boot description (given by the platform) ------------------------- */
struct hv_boot {
  uint32_t nlps;
  uint64_t mem_base;   /* first byte of physical RAM (page aligned) */
  uint64_t mem_pages;  /* pages of physical RAM */
  uint64_t slice_cycles; /* scheduler time slice */
  uint64_t cycles_per_100ns; /* for the reference counter (TLFS time unit) */
};

/* Counters the tools read (all deterministic). */
struct hv_counters {
  uint64_t hypercalls;
  uint64_t exits;
  uint64_t isolation_checks;
  uint64_t isolation_violations;
};

struct hv {
  struct hv_boot boot;
  uint32_t *pfndb;       /* direct-map pointer to the PFN database */
  uint64_t pfn_first;    /* pfn of mem_base */
  uint64_t hv_pages;     /* pages reserved by the hypervisor at boot */
  uint64_t next_partition_id;
  struct hv_lp lps[HV_MAX_LPS];
  struct hv_partition partitions[HV_MAX_PARTITIONS];
  struct hv_vp vps[HV_MAX_VPS];
  uint16_t rq_head, rq_tail; /* global FIFO run queue of VP slots */
  struct {
    uint16_t partition;      /* owner slot (0: the root, the default) */
    uint8_t vector;          /* virtual vector delivered */
    uint32_t vp;             /* target VP index */
  } irq_route[256];          /* physical vector -> owner (HvCallMapDeviceInterrupt) */
  struct hv_port ports[HV_MAX_PORTS];
  struct hv_connection connections[HV_MAX_CONNECTIONS];
  struct hv_intercept intercepts[HV_MAX_INTERCEPTS];
  uint64_t msg_seq;          /* global order of queued messages */
  uint16_t vps_hi;           /* one past the highest VP slot used since boot: scans stop there */
  uint16_t ports_hi;         /* one past the highest port slot used since boot */
  uint64_t timer_next;       /* earliest armed VP timer (cycles), 0 = none */
  struct hv_iommu iommu;     /* device domains, remapping tables (iommu.c) */
  struct hv_counters counters;
  bool debug_checks;         /* isolation invariant after every hypercall */
  struct arch_hv arch;
};

/* ---- entry points used by the platform (the simulator, the image) ----- */
/* Boot the hypervisor on the described machine: PFN database, the root
 * partition with an identity SLAT over all RAM not reserved, one root VP
 * per LP. Returns HV_STATUS_SUCCESS or HV_STATUS_INSUFFICIENT_MEMORY. */
hv_status_t hv_init(struct hv *hv, const struct hv_boot *boot);
/* Run one step of LP lp: pick a VP (or stay idle), run it to its next
 * exit, handle the exit. Returns false when the LP is idle. */
bool hv_lp_step(struct hv *hv, uint32_t lp);
/* A physical interrupt arrives on LP lp (device or timer). */
void hv_irq_raise(struct hv *hv, uint32_t lp, uint8_t vector);
/* The contiguous range of RAM the root owns right after boot. */
void hv_root_ram(struct hv *hv, uint64_t *first_pfn, uint64_t *npages);
/* Run the isolation invariant; returns the number of violations found
 * (each also traced as HV_TR_ISOLATION). */
uint64_t hv_check_isolation(struct hv *hv, struct hv_lp *lp);

/* ---- internal: shared by the core's files ----------------------------- */
void hv_memset(void *d, int c, size_t n);
void hv_memcpy(void *d, const void *s, size_t n);
int hv_memcmp(const void *a, const void *b, size_t n);

#define HV_CHECK(hv_cond)                                                      \
  do {                                                                         \
    if (!(hv_cond))                                                            \
      arch_panic(__FILE__, __LINE__, #hv_cond);                                \
  } while (0)

static inline void hv_trace(struct hv *hv, struct hv_lp *lp, uint16_t part,
                            uint16_t vp, uint16_t kind, uint64_t a, uint64_t b,
                            uint64_t c) {
  struct hv_trace_rec r;
  r.time = lp ? arch_cycles(lp) : 0;
  r.kind = kind;
  r.lp = lp ? (uint16_t)lp->index : HV_TRACE_NONE;
  r.vp = vp;
  r.partition = part;
  r.a = a;
  r.b = b;
  r.c = c;
  arch_trace(hv, &r);
}

/* pfn.c */
uint32_t *pfn_entry(struct hv *hv, uint64_t pfn); /* NULL outside RAM */
static inline uint32_t pfn_make(enum pfn_type t, uint16_t owner) {
  return (uint32_t)t | ((uint32_t)owner << PFN_OWNER_SHIFT);
}
static inline enum pfn_type pfn_type_of(uint32_t e) { return (enum pfn_type)(e & PFN_TYPE_MASK); }
static inline uint16_t pfn_owner_of(uint32_t e) { return (uint16_t)((e & PFN_OWNER_MASK) >> PFN_OWNER_SHIFT); }

/* pool.c */
hv_status_t pool_alloc(struct hv *hv, uint16_t part, spa_t *out);
void pool_free(struct hv *hv, uint16_t part, spa_t page);
void pool_add_free(struct hv *hv, uint16_t part, uint64_t pfn);
bool pool_take_free(struct hv *hv, uint16_t part, uint64_t *pfn);

/* slat.c — 4-level tables in EPT entry format (Intel SDM 29.3.2) */
#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXEC (1ull << 2)
#define EPT_MEMTYPE_WB (6ull << 3)
#define EPT_ADDR_MASK 0x000FFFFFFFFFF000ull
hv_status_t slat_create(struct hv *hv, uint16_t part);
hv_status_t slat_prepare(struct hv *hv, uint16_t part, gpa_t gpa);
void slat_commit(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t perms);
void slat_commit_run(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t n,
                     uint64_t perms);
bool slat_unmap(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *was);
bool slat_lookup(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *out, uint64_t *perms);
void slat_destroy(struct hv *hv, uint16_t part);
/* Visit every leaf: fn(ctx, gpa, spa, perms). Table pages: tfn(ctx, spa). */
void slat_walk_all(struct hv *hv, uint16_t part,
                   void (*leaf)(void *ctx, uint64_t gpa, uint64_t spa, uint64_t perms),
                   void (*table)(void *ctx, uint64_t spa), void *ctx);

/* partition.c */
struct hv_partition *partition_by_id(struct hv *hv, uint64_t id, uint16_t *slot);
hv_status_t partition_create(struct hv *hv, struct hv_lp *lp, uint16_t parent, uint64_t *id);
hv_status_t partition_initialize(struct hv *hv, struct hv_lp *lp, uint16_t slot);
hv_status_t partition_finalize(struct hv *hv, struct hv_lp *lp, uint16_t slot);
hv_status_t partition_delete(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void partition_stop(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint64_t reason);
void partition_set_state(struct hv *hv, struct hv_lp *lp, uint16_t slot, enum partition_state s);
/* The caller may act on target: it is the target itself or its parent. */
bool partition_is_parent(struct hv *hv, uint16_t caller, uint16_t target);

/* vp.c */
hv_status_t vp_create(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index);
hv_status_t vp_delete(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index);
struct hv_vp *vp_get(struct hv *hv, uint16_t part, uint32_t index, uint16_t *slot);
hv_status_t vp_reg_get(struct hv *hv, struct hv_vp *vp, uint32_t name, uint64_t *value);
hv_status_t vp_reg_set(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t name, uint64_t value);
/* Recompute whether the VP may run; queue and kick an LP if so. */
void vp_update_runnable(struct hv *hv, struct hv_lp *lp, uint16_t slot);
static inline uint16_t vp_slot(struct hv *hv, struct hv_vp *vp) { return (uint16_t)(vp - hv->vps); }

/* sched.c */
void sched_enqueue(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void sched_remove(struct hv *hv, uint16_t slot);
/* A halted VP woken by an interrupt: to the head of the queue, and an LP
 * that has run its VP long enough ends that slice early (wake-up
 * preemption), so interrupt latency does not wait for a whole slice. */
void sched_wake(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void sched_preempt(struct hv *hv, struct hv_lp *lp);

/* exit.c / hypercall.c / msr.c / irq.c */
void exit_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
void hypercall_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
bool msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *value);
bool msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t value);
bool irq_pending(const struct hv_vp *vp);
void irq_deliver_pending(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
/* A fixed interrupt for a VP: into its APIC's IRR, waking it from HLT. */
void irq_post(struct hv *hv, struct hv_lp *lp, uint16_t vp_slot, uint8_t vector);

/* vapic.c — the virtual local APIC (Intel SDM Vol. 3A ch. 10/11, x2APIC) */
void vapic_reset(struct hv_vapic *a);
bool vapic_deliverable(const struct hv_vapic *a, uint8_t *vector);
void vapic_accept(struct hv *hv, struct hv_vp *vp, uint8_t vector); /* IRR -> ISR (or auto-EOI) */
void vapic_eoi(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
bool vapic_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v);
bool vapic_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v);
void vapic_timer_fire(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);

/* synic.c — SynIC registers, message slots, event flags */
void synic_reset(struct hv_synic *s);
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
void synic_port_release(struct hv *hv, uint16_t part);

/* stimer.c — synthetic timers, reference time, the VP timer list */
uint64_t stimer_ref_time(struct hv *hv, struct hv_lp *lp, uint16_t part);
bool stimer_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v);
bool stimer_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v);
/* Fire every VP timer due at the LP's time; re-arm the LP wake-up. */
void timers_run(struct hv *hv, struct hv_lp *lp);
void timers_update(struct hv *hv, struct hv_lp *lp);

/* intercept.c — intercepts installed by the root, completed through registers */
bool intercept_io(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
bool intercept_msr(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);
bool intercept_cpuid(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex);

/* gpa.c — the core's reads and writes of a partition's memory, through its SLAT */
hv_status_t gpa_read(struct hv *hv, uint16_t part, gpa_t gpa, void *buf, size_t len);
hv_status_t gpa_write(struct hv *hv, uint16_t part, gpa_t gpa, const void *buf, size_t len);

#endif /* HV_CORE_HV_H */
