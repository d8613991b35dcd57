/*
 * world.h — the world's plan: a scenario's timeline as one time-sorted list
 * of world events, the form every level executes.
 *
 * The simulator builds the plan from a scenario (sim/world/plan.c) and
 * plays it itself; the level-2 runner serialises it into the bare-metal
 * run description (bare_cfg.h), refusing the kinds that level lacks, and
 * the bare platform plays the same events. Both play it with the one
 * player in platform/world/. Each event leaves a world record in the trace
 * (HV_TR_WORLD, sub-codes enum hv_world_op in trace.h) when it acts.
 * Little-endian, fixed-size, no pointers.
 */
#ifndef HVSIM_WORLD_H
#define HVSIM_WORLD_H

#include <stdint.h>

#include "mgmt.h"

enum world_event_kind {
  WORLD_EV_MGMT = 1,      /* push reqs[arg] onto the root's management queue, raise MGMT_API_VECTOR on LP 0 */
  WORLD_EV_INTERRUPT = 2, /* physical interrupt `vector` on `lp`; `count` of them `period_ns` apart */
  WORLD_EV_DEVICE = 3,    /* a device action (assign, unassign, DMA storm, fault): scenario action `arg` */
  WORLD_EV_SAMPLE = 4,    /* an observation point: the state expectation `arg` is judged here */
};

struct world_event {
  uint64_t at_ns;
  uint32_t kind; /* enum world_event_kind */
  uint32_t arg;  /* MGMT: request index; DEVICE: action index; SAMPLE: expectation index */
  uint32_t vector;
  uint32_t lp;
  uint32_t count; /* INTERRUPT: >= 1 */
  uint32_t reserved;
  uint64_t period_ns;
};
_Static_assert(sizeof(struct world_event) == 40, "world events are 40 bytes");

/* Times in the plan are nanoseconds of the scenario; a level converts with
 * its cycles per microsecond (the scenario's cpu_mhz). Events are sorted by
 * time, stably: VMs the timeline does not create are created first, at 0;
 * samples come after every other event of the same time. */

#endif /* HVSIM_WORLD_H */
