/*
 * run_int.h — the state of one scenario run on the model simulator,
 * shared by the run's files (run.c: the machine, the plan and the trace;
 * run_dev.c: the devices; run_disks.c: the root's disks; run_stop.c: the
 * state dump of --stop-at).
 */
#ifndef SIM_WORLD_RUN_INT_H
#define SIM_WORLD_RUN_INT_H

#include "platform/world/world_player.h"
#include "plan.h"
#include "run.h"
#include "sim/devices/nvme.h"
#include "sim/machine/arena.h"
#include "sim/machine/checkpoint.h"
#include "sim/machine/sim.h"
#include "sim/trace/trace_file.h"
#include "sim/verdict/verdict.h"

/* What belongs to the host, not to the simulation: kept as it is across a
 * restore (run_restore), never part of a checkpoint. */
struct run_host {
  struct arena arena;        /* where this struct run and the machine live */
  struct ckpt_set *ckpts;    /* NULL until run_checkpoints_enable */
  uint64_t pause_at;         /* return from run_advance once this many events happened */
  run_rec_fn on_rec;         /* every record, after the verdict counted it */
  void *on_rec_ctx;
  bool finished;             /* run_end ran (the machine is past its end) */
};

struct run {
  struct run_host host;
  const struct scenario *scn;
  struct run_opts opts;
  struct sim sim;
  struct plan plan;
  struct world_player player;
  struct verdict verdict; /* fed every record */
  double wall_start, wall_last, wall_end;
  struct trace_digest digest;
  struct trace_writer *writer;
  struct nvme_dev devs[SCN_MAX_DEVICES]; /* the devices: section (run_dev.c) */
  uint32_t ndevs;
};

/* run_dev.c — devices of the run: open images (0, or -1 with a message),
 * timeline actions on them, world step (returns the next event time),
 * summary lines and close. */
int run_dev_setup(struct run *r);
void run_dev_action(struct run *r, const struct scn_action *a);
uint64_t run_dev_step(struct run *r, uint64_t now);
void run_dev_finish(struct run *r);
/* run_disks.c — the root's disks (partitions' disk:): open or create the
 * images (0, or -1 with a file:line:col message); close them. */
int run_vmbus_setup(struct run *r);
void run_vmbus_finish(struct run *r);
/* run_stop.c — --stop-at: the machine's state where the run stopped. */
void run_state_dump(const struct run *r);

#endif /* SIM_WORLD_RUN_INT_H */
