/*
 * fuzz_world.h — a simulated machine that is built once and reset cheaply
 * between fuzz inputs (the harness side of the "reset must be
 * cheap": restore only what changed).
 *
 * The world is an hcdrive machine (sim/machine/hcdrive.h: the root does not run
 * its program, hypercalls are driven as any VP). After the harness has
 * built its starting state, fz_world_snapshot() copies struct hv, the
 * simulated memory and the few simulator fields a hypercall can change.
 * fz_world_reset() then restores:
 *   - simulated memory: only the pages written since the last reset
 *     (struct sim's dirty map, one byte per page, set by arch_phys_page
 *     and guest writes), plus the PFN database pages, which the core
 *     writes through its direct pointer;
 *   - struct hv: the header, the LPs in use, and only the prefix of the
 *     partition and VP slot arrays that can have been touched (slots are
 *     taken lowest-first, so the prefix grows by at most one slot per
 *     creation, counted from the trace);
 *   - the VPs' backend objects (struct sim_vcpu, heap + coroutine stack):
 *     a snapshot VP deleted during the input gets a new one, VPs created
 *     during the input lose theirs, so nothing leaks or is freed twice.
 * HVSIM_FUZZ_VERIFY=1 compares the whole struct hv and all memory with
 * the snapshot after every reset (slow; used by the replay tests).
 */
#ifndef FUZZ_WORLD_H
#define FUZZ_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/hcdrive.h"

struct fz_world {
  struct hcdrive d;
  uint64_t mem_pages;
  /* pages written since the last reset, harvested from sim.dirty */
  uint32_t *touched;
  uint8_t *touched_mark;
  uint64_t ntouched;
  /* counted by the trace hook since the last reset */
  uint32_t vp_creations, partition_creations;
  /* the snapshot */
  struct hv *snap_hv;
  uint8_t *snap_mem;
  struct sim_vcpu *snap_vcpu; /* by VP slot, [0, snap_vhi) */
  uint32_t snap_phi, snap_vhi; /* one past the highest used partition / VP slot */
  bool snap_parked[HV_MAX_LPS];
  uint64_t snap_lp_timer[HV_MAX_LPS];
  uint64_t snap_boundary, snap_now, snap_steps;
  uint32_t snap_ngone;
  bool verify;
  /* optional: every trace record of the core (after the counting) */
  void (*trace_fn)(void *ctx, const struct hv_trace_rec *r);
  void *trace_ctx;
};

/* Boot the machine (lps, memory bytes) and start dirty tracking. Returns
 * 0, or -1 with a message on stderr. */
int fz_world_init(struct fz_world *w, uint32_t lps, uint64_t mem_bytes);
/* Take the snapshot that fz_world_reset returns to. */
void fz_world_snapshot(struct fz_world *w);
/* Back to the snapshot (see above). */
void fz_world_reset(struct fz_world *w);
/* Move the current dirty marks into the set restored at reset and clear
 * them, so that the marks that follow are one operation's writes. */
void fz_world_harvest(struct fz_world *w);
/* The next page >= from written since the last harvest, or UINT64_MAX. */
uint64_t fz_world_next_dirty(const struct fz_world *w, uint64_t from);

static inline struct hv *fz_hv(struct fz_world *w) { return w->d.sim.hv; }

#endif /* FUZZ_WORLD_H */
