/*
 * sim.h — the model simulator (level 1): a simulated machine (logical
 * processors with virtual cycle clocks, physical memory) that drives the
 * hypervisor core through the sim backend (arch_sim.c) and runs guest
 * programs as coroutines (guest_sim.c).
 *
 * Determinism: one thread; LPs step in the total order (clock, LP index);
 * every input (scenario actions, the seed) enters as an event; no wall
 * clock reaches the simulation.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "coro.h"
#include "iommu.h"
#include "hv/core/hv.h"
#include "hv/core/entry.h"
#include "hvsim/mgmt.h"

/* The documented cost table (sim/machine/cost.c), in cycles. */
struct sim_costs {
  uint64_t vm_entry, vm_exit;           /* transition costs (exit overhead) */
  uint64_t hv[HV_COST_COUNT];           /* hypervisor work, by enum hv_cost */
  uint64_t guest_mem_per_8b;            /* guest memory access, per 8 bytes */
  uint64_t guest_tlb_miss;              /* a SLAT walk on a guest TLB miss */
  uint64_t guest_instr;                 /* the exiting instruction itself */
};
extern const struct sim_costs sim_default_costs;

#define SIM_TLB_SIZE 64
struct sim_vcpu {
  struct sim *sim;
  struct hv_vp *vp;
  struct hv_lp *lp;        /* LP running it now */
  struct coro coro;
  struct hv_exit exit;     /* the exit being reported */
  uint64_t deadline;       /* this run may not pass this clock */
  uint64_t core_deadline;  /* the core's (slice) deadline */
  uint64_t entry_clock;
  bool entered_by_exit;    /* last return was an architectural exit */
  bool exc_pending;
  uint8_t exc_vector;
  uint64_t irq_taken[4];   /* vectors injected, not yet seen by guest_halt */
  struct { uint64_t gpfn, spfn, perms; } tlb[SIM_TLB_SIZE];
};

struct sim_vp_stats_row {
  uint16_t partition;   /* partition id */
  uint32_t vp;
  struct hv_vp_stats stats;
};

/* A physical disk of the root (guest_root_disk_*): a raw image file. */
#define SIM_MAX_VDISKS 257
struct sim_vdisk {
  int fd;           /* 0: none (fds 0..2 are never images) */
  uint64_t sectors;
  uint64_t reads, writes, flushes, bytes; /* for the summary and bench */
};

/* A VM's payload (guest_root_payload_*): bytes the run owns. */
struct sim_payload {
  const uint8_t *data;
  uint64_t len;
};

struct arena;
struct sim_journal;
struct sim {
  struct arena *arena;  /* where the run's objects live (arena.h), or NULL: the C heap */
  struct sim_journal *journal; /* undo log of disk writes while checkpoints exist (journal.h) */
  struct hv *hv;
  uint8_t *mem;
  uint64_t mem_bytes;
  uint8_t *dirty;       /* one byte per page: written since boot (or the fuzzer's last reset) */
  bool recycle;         /* the dirty marks are complete: sim_destroy zeroes those pages and keeps
                           the memory for the next machine of the same size (engine.c) */
  uint32_t nlps;
  bool parked[HV_MAX_LPS];
  uint64_t lp_timer[HV_MAX_LPS];
  struct sim_costs costs;
  uint64_t boundary;    /* the stepping LP may not pass this clock */
  uint64_t now;         /* time of the world event being processed */
  struct coro host;
  struct sim_vcpu *current;
  struct mgmt_channel mgmt;
  uint64_t root_boot_gpa;
  uint64_t seed;
  uint64_t wall_filetime; /* UTC at time 0 (FILETIME), for the root boot block */
  uint64_t steps;
  /* trace sink */
  void (*trace_fn)(void *ctx, const struct hv_trace_rec *r);
  void *trace_ctx;
  /* per-VP statistics of VPs that were deleted, kept for the summary */
  struct sim_vp_stats_row *gone;
  uint32_t ngone, capgone;
  bool stop;            /* end sim_run at the next step (set by a trace consumer) */
  bool pause;           /* return from sim_run at the next step boundary; a later sim_run
                           continues exactly there (checkpoints, hvsim debug) */
  bool running, ended;  /* sim_run started / reached its end (or stop) */
  uint64_t next_ev;     /* the world's next event time, kept across a pause */
  struct sim_iommu iommu; /* DMA and interrupt remapping hardware (iommu.c) */
  struct sim_vdisk vdisks[SIM_MAX_VDISKS]; /* the root's disks, by VM id (run_vmbus.c) */
  struct sim_payload payloads[SIM_MAX_VDISKS]; /* the VMs' payloads, by VM id (run.c) */
};

struct sim_config {
  uint32_t lps;
  uint64_t memory_bytes;
  uint64_t cpu_mhz;     /* cycles per microsecond */
  uint64_t slice_us;
  uint64_t seed;
  bool boot_root;       /* start the root partition's program (VMMS) */
  uint64_t wall_filetime; /* UTC at time 0 (FILETIME), handed to the root */
  struct arena *arena;  /* NULL: objects from the C heap, memory mmap'ed */
};

/* Zeroed host memory for an object of the run: from the machine's arena
 * when it has one, else calloc. NULL when out of memory. */
void *sim_alloc(struct sim *s, size_t n);
void *sim_realloc(struct sim *s, void *p, size_t n);
void sim_free(struct sim *s, void *p);
/* pwrite on a disk image of the machine (every device model writes its
 * medium through this), logged in s->journal when set (journal.h).
 * Returns what pwrite returns. */
long sim_disk_pwrite(struct sim *s, int fd, const void *buf, size_t len, uint64_t off);

/* Build the machine and boot the hypervisor and the root partition.
 * Returns 0, or -1 with a message in err. */
int sim_create(struct sim *s, const struct sim_config *cfg, char *err, size_t errlen);
void sim_destroy(struct sim *s);
/* For programs that build many machines (the vmbus fuzzer, benchmarks):
 * sim_destroy zeroes the pages the machine wrote and keeps its memory for
 * the next sim_create of the same size, instead of unmapping it (and the
 * VPs' coroutine stacks likewise, coro_recycle_stacks). Off by
 * default (one run needs no zeroing at exit). HVSIM_VERIFY_RECYCLE=1
 * checks that every page written was marked (all memory zero after). */
void sim_recycle_memory(bool on);

/* Run until every LP is idle with nothing scheduled, or until the
 * smallest LP clock reaches until, or until s->pause is set (then a
 * second call continues where it left off; first_event is used by the
 * first call only). The callback, if given, runs world
 * events due: it returns the time of its next event (UINT64_MAX for none)
 * and is called with now = that time. */
typedef uint64_t (*sim_world_fn)(void *ctx, struct sim *s, uint64_t now);
void sim_run(struct sim *s, uint64_t until, sim_world_fn world, void *ctx,
             uint64_t first_event, void (*progress)(void *ctx, struct sim *s), void *pctx);

/* The smallest clock among LPs (the simulation's "now"). */
uint64_t sim_time(const struct sim *s);
/* Wake a parked LP at time t (a device interrupt arriving). */
void sim_lp_wake(struct sim *s, uint32_t lp, uint64_t t);
/* Raise a physical interrupt on lp at the current world time. */
void sim_irq(struct sim *s, uint32_t lp, uint8_t vector);

/* Guest runtime entry (guest_sim.c): the coroutine body of a VP. */
void sim_vcpu_main(void *arg);
/* Flush one VP's guest TLB. */
void sim_vcpu_tlb_flush(struct sim_vcpu *v);

#endif /* SIM_SIM_H */
