/*
 * plan.h — a scenario turned into the world's plan (hvsim/world.h): the
 * management requests for the root's VMMS, device interrupts and storms,
 * device actions and observation points, time-sorted, and the run's end.
 * Built once here; the simulator plays it (run.c), the level-2 runner
 * serialises it for the bare-metal image (sim/bochs/bochs_cfg.c).
 */
#ifndef SIM_WORLD_PLAN_H
#define SIM_WORLD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hvsim/world.h"
#include "sim/scenario/scenario.h"

#define PLAN_DEFAULT_TAIL_NS 100000000ull /* the run goes on 100 ms after the last timed item */

struct plan {
  struct world_event *ev;
  struct scn_pos *pos; /* per event: where the scenario asks for it */
  uint32_t nev;
  struct mgmt_request *reqs;
  uint32_t nreqs;
  uint64_t until_ns; /* the end of the run */
};

/* Build the plan of scn; until_ns overrides the end when non-zero. Returns
 * 0, or -1 when out of memory (nothing allocated then). */
int plan_build(const struct scenario *scn, uint64_t until_ns, struct plan *p);
void plan_free(struct plan *p);

#endif /* SIM_WORLD_PLAN_H */
