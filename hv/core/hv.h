/*
 * hv.h — the hypervisor core's state: every struct of one hypervisor
 * instance, and the few helpers every file of the core shares (memory
 * primitives, HV_CHECK, the trace record writers, the reset state of a
 * VP's interrupt controllers). No module's functions are declared here:
 * each tier of the core has its own header, a reader studies one alone.
 *
 * All mutable state of one hypervisor instance lives in one struct hv
 * (no other globals), so two instances can share a process (two
 * simulated hosts) and a fuzzer can reset one. Models the "hypervisor"
 * box of the architecture: partitions, VPs, logical processors, the page
 * pool and the system-physical-page ownership table (PFN database).
 *
 * The tiers, each calling only downward (scripts/callcycles measures it,
 * scripts/layering checks the includes):
 *   entry.h    what the platform calls: boot, the LP loop, exit dispatch,
 *              hardware events, the isolation oracle (boot.c lp.c exit.c
 *              hw_event.c invariant.c)
 *   hc.h       the hypercall API and the MSR interface (hypercall.c
 *              hc_*.c msr.c)
 *   vic.h      the virtual interrupt controller: irq, vAPIC, SynIC,
 *              synthetic timers, intercepts (one box: cycles allowed inside)
 *   iommu.h    the IOMMU: device domains, interrupt remapping, its oracle
 *   objects.h  PFN database, pools, SLAT, GPA access, partitions, VPs, the
 *              run queue
 *   hv.h       the state and lib.c
 *
 * Lock order: none — one LP runs core code at a time in the simulator;
 * the bare-metal image serialises core entry with one lock (arch/x86).
 */
#ifndef HV_CORE_HV_H
#define HV_CORE_HV_H

#include <arch_types.h>
#include "hv/hvgdk.h"
#include "hv/iommu_abi.h"
#include "hvsim/trace.h"
#include "hv/types.h"

#include "hv/arch/arch.h"

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
   HV_ACCESS_PARTITION_REF_TSC | HV_ACCESS_FREQUENCY_MSRS | HV_CREATE_PARTITIONS | \
   HV_ACCESS_PARTITION_ID | HV_ACCESS_MEMORY_POOL | HV_POST_MESSAGES |         \
   HV_SIGNAL_EVENTS | HV_CREATE_PORT | HV_CONNECT_PORT | HV_CPU_MANAGEMENT |   \
   HV_ACCESS_VP_REGISTERS | HV_START_VIRTUAL_PROCESSOR)
/* Default privileges of a child partition (a guest OS's set). */
#define HV_CHILD_PRIVILEGES                                                    \
  (HV_ACCESS_VP_RUNTIME_REG | HV_ACCESS_PARTITION_REF_COUNTER |                \
   HV_ACCESS_SYNIC_REGS | HV_ACCESS_SYNTHETIC_TIMER_REGS |                     \
   HV_ACCESS_INTR_CTRL_REGS | HV_ACCESS_HYPERCALL_MSRS | HV_ACCESS_VP_INDEX |  \
   HV_ACCESS_PARTITION_REF_TSC | HV_ACCESS_FREQUENCY_MSRS | HV_POST_MESSAGES |  \
   HV_SIGNAL_EVENTS)

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

/* ---- per-VP interrupt state, ports, connections, intercepts ----------- */
/* The virtual local APIC, the synthetic interrupt controller (SynIC) and
 * the synthetic timers of each VP; the hypervisor-wide ports and
 * connections of inter-partition communication (TLFS "Virtual Interrupt
 * Controller", "Inter-Partition Communication", "Timers"). Their code is
 * the virtual interrupt controller tier (vic.h).
 *
 * Messages are never copied into guest memory before their slot is free:
 * they wait in hypervisor buffers (16 per port, in a page of the port
 * owner's pool; one per synthetic timer; one intercept message per VP)
 * and each carries a global sequence number, so the oldest pending
 * message for a (VP, SINT) is always delivered first. */
#define HV_SINT_COUNT 16
#define HV_STIMER_COUNT 4
#define HV_MAX_PORTS 256
#define HV_MAX_CONNECTIONS 256
#define HV_PORT_BUFFERS 16
#define HV_MESSAGE_SIZE 256
#define HV_MESSAGE_PAYLOAD 240

/* TLFS SINTx register bits */
#define HV_SINT_VECTOR_MASK 0xFFull
#define HV_SINT_MASKED (1ull << 16)
#define HV_SINT_AUTO_EOI (1ull << 17)
#define HV_SINT_POLLING (1ull << 18)
/* TLFS STIMERx_CONFIG bits */
#define HV_STIMER_ENABLE (1ull << 0)
#define HV_STIMER_PERIODIC (1ull << 1)
#define HV_STIMER_LAZY (1ull << 2)
#define HV_STIMER_AUTO_ENABLE (1ull << 3)
#define HV_STIMER_APIC_VECTOR_SHIFT 4
#define HV_STIMER_DIRECT (1ull << 12)
#define HV_STIMER_SINT_SHIFT 16

struct hv_vapic {
  uint64_t irr[4], isr[4]; /* 256-bit request and in-service sets */
  uint8_t tpr;             /* task priority (class in bits 7:4) */
  uint32_t svr;            /* spurious vector register, bit 8 = enabled */
  uint32_t lvt_timer;      /* vector 7:0, mask 16, mode 18:17 */
  uint32_t timer_initial, timer_divide;
  uint64_t timer_deadline; /* cycle of the next expiry, 0 = stopped */
  uint64_t timer_period;   /* cycles, periodic mode */
  uint64_t icr;            /* last ICR written */
  uint32_t lvt[6];         /* CMCI, thermal, PMI, LINT0, LINT1, error */
  uint32_t esr;            /* error status */
};

struct hv_stimer {
  uint64_t config, count;
  uint64_t deadline;        /* cycle of expiry, 0 = not armed */
  uint64_t deadline_fired;  /* cycle of the expiry whose message waits */
  uint64_t expiration_ref;  /* reference time (100 ns) of the pending expiry */
  bool msg_pending;         /* a timer message waits for its slot */
  uint64_t msg_seq;
};

struct hv_synic {
  uint64_t scontrol, siefp, simp;
  uint64_t sint[HV_SINT_COUNT];
  struct hv_stimer stimer[HV_STIMER_COUNT];
  /* the intercept message this VP (a child) waits on, for the root */
  bool icpt_pending;       /* queued, not yet in the root's slot */
  bool icpt_suspended;     /* HvRegisterInterceptSuspend */
  uint64_t icpt_seq;
  uint32_t icpt_type;      /* HVMSG_X64_* */
  uint16_t icpt_port;      /* I/O port, or the MSR / CPUID leaf in icpt_param */
  uint8_t icpt_access;     /* 0 read, 1 write */
  uint8_t icpt_len;        /* instruction length */
  uint8_t icpt_size;       /* access size in bytes */
  uint32_t icpt_param;
  uint64_t icpt_rax, icpt_rip;
};

enum hv_port_type { HV_PORT_TYPE_MESSAGE = 1, HV_PORT_TYPE_EVENT = 2 };

struct hv_port {
  bool in_use;
  uint32_t id;         /* HV_PORT_ID, per port partition */
  uint16_t partition;  /* port (receiving) partition slot */
  uint16_t conn_partition; /* the only partition allowed to connect */
  uint8_t type;        /* enum hv_port_type */
  uint8_t sint;
  uint32_t vp;         /* target VP index */
  uint16_t base_flag, flag_count;
  spa_t buffers;       /* message ports: 16 x 256-byte buffers (owner's pool) */
  uint16_t pending;    /* message buffers holding an undelivered message */
  uint64_t seq[HV_PORT_BUFFERS];
  uint64_t posted_at[HV_PORT_BUFFERS]; /* cycle of the post, for latency */
};

struct hv_connection {
  bool in_use;
  uint32_t id;         /* HV_CONNECTION_ID, per connection partition */
  uint16_t partition;  /* the sending partition */
  uint16_t port;       /* index in hv->ports */
};

/* Intercept routes installed by the root (HvCallInstallIntercept). */
#define HV_MAX_INTERCEPTS 128
struct hv_intercept {
  bool in_use;
  uint16_t partition;
  uint8_t type;        /* HV_INTERCEPT_TYPE_X64_* */
  uint8_t access;      /* HV_INTERCEPT_ACCESS_MASK_* */
  uint64_t parameter;  /* port, MSR or CPUID leaf */
};


/* ---- the IOMMU: device domains and interrupt remapping ---------------- */
/* One second-level DMA address space per domain, owned by a child
 * partition; which device (PCI requester id) is attached to which domain;
 * the interrupt remapping entries of attached devices. The remapping
 * structures themselves live in pool pages (iommu.c, tier iommu.h). */
#define HV_IOMMU_MAX_DOMAINS 32 /* hardware domain id = index + 1 */
#define HV_IOMMU_MAX_DEVICES 32
#define HV_IOMMU_NO_DOMAIN 0xFFFFu

struct hv_iommu_domain {
  bool in_use;
  uint16_t part;     /* owning partition slot (a child) */
  uint32_t id;       /* DomainId.id chosen by the root */
  spa_t sl_root;     /* PML4 of its second-level tables (owner's pool) */
  uint64_t pages;    /* leaves mapped */
  uint32_t ndevices; /* devices attached */
};

struct hv_iommu_device {
  bool in_use;       /* attached to a domain */
  uint16_t rid;      /* PCI requester id: bus 15:8, dev 7:3, fn 2:0 */
  uint16_t domain;   /* index into domains */
};

struct hv_iommu {
  spa_t root_table;  /* VT-d root table (root's pool), 0 until first attach */
  spa_t irt;         /* interrupt remapping table (root's pool), 0 until first map */
  struct hv_iommu_domain domains[HV_IOMMU_MAX_DOMAINS];
  struct hv_iommu_device devices[HV_IOMMU_MAX_DEVICES];
  uint16_t irte_dev[VTD_IRT_ENTRIES]; /* device index + 1 owning the entry, 0 free */
  uint64_t faults;   /* DMA and interrupt remapping faults reported */
  uint64_t remapped; /* remapped interrupts delivered */
};

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
  bool wait_for_sipi;    /* INIT received (or created startup-suspended):
                            only a startup IPI starts it (SDM 3A 8.4) */
  uint64_t assist_msr;   /* HV_X64_MSR_VP_ASSIST_PAGE */
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

/* ---- shared by every file of the core (lib.c and inline) -------------- */
void hv_memset(void *d, int c, size_t n);
void hv_memcpy(void *d, const void *s, size_t n);
int hv_memcmp(const void *a, const void *b, size_t n);

#define HV_CHECK(hv_cond)                                                      \
  do {                                                                         \
    if (!(hv_cond))                                                            \
      arch_panic(__FILE__, __LINE__, #hv_cond);                                \
  } while (0)

/* The record's partition field holds a partition id in 16 bits
 * (hvsim/trace.h); the core narrows ids here and nowhere else. Ids count
 * up from the root's (1), one per partition ever created: the 65,535th
 * would read as HV_TRACE_NONE, far beyond any run's count. */
static inline uint16_t hv_trace_partition_id(uint64_t id) { return (uint16_t)id; }

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

/* The slot of a VP in struct hv (its run-queue and routing name). */
static inline uint16_t vp_slot(struct hv *hv, struct hv_vp *vp) { return (uint16_t)(vp - hv->vps); }

/* A record about partition slot part as a whole (no VP). */
static inline void hv_trace_part(struct hv *hv, struct hv_lp *lp, uint16_t part, uint16_t kind,
                                 uint64_t a, uint64_t b, uint64_t c) {
  hv_trace(hv, lp, hv_trace_partition_id(hv->partitions[part].id), HV_TRACE_NONE, kind, a, b, c);
}

/* A record about VP vp: its partition's id and its index. */
static inline void hv_trace_vp(struct hv *hv, struct hv_lp *lp, const struct hv_vp *vp,
                               uint16_t kind, uint64_t a, uint64_t b, uint64_t c) {
  hv_trace(hv, lp, hv_trace_partition_id(hv->partitions[vp->partition].id), (uint16_t)vp->index,
           kind, a, b, c);
}

/* The reset state of a VP's interrupt controllers (vp_create): the
 * virtual APIC software-enabled (SVR 0x1FF) with its timer and other LVTs masked, as
 * vapic.c's legend says it comes up; every SINT masked (TLFS SINTx). */
#define VAPIC_LVT_MASKED (1u << 16)
static inline void vapic_reset(struct hv_vapic *a) {
  hv_memset(a, 0, sizeof *a);
  a->svr = 0x1FF;
  a->lvt_timer = VAPIC_LVT_MASKED;
  for (unsigned i = 0; i < 6; i++)
    a->lvt[i] = VAPIC_LVT_MASKED;
}
static inline void synic_reset(struct hv_synic *s) {
  hv_memset(s, 0, sizeof *s);
  for (unsigned i = 0; i < HV_SINT_COUNT; i++)
    s->sint[i] = HV_SINT_MASKED;
}

#endif /* HV_CORE_HV_H */
