/*
 * run_report.h — the state of one scenario run (run.c) and what is
 * reported from it (run_report.c): the summary table, the expectation
 * verdicts, result.json and the trace header.
 */
#ifndef SIM_RUN_REPORT_H
#define SIM_RUN_REPORT_H

#include "sim/devices/nvme.h"
#include "sim/world/run.h"
#include "sim/machine/sim.h"
#include "sim/trace/trace_file.h"

#define RUN_MAX_PIDS 65536
#define RUN_MAX_STORMS 64
#define RUN_MAX_EXPECTS 256
#define RUN_MAX_HCROWS 512
#define RUN_MAX_MGMT_ERRORS 256

struct run_storm {
  uint64_t next, left, period;
  uint32_t lp;
  uint8_t vector;
};

struct run_hcrow {
  uint32_t vm; /* 0 root */
  uint16_t code, status;
  uint64_t count;
};

struct run_mgmt_error {
  uint64_t time;
  uint32_t vm, action, error;
};

struct run {
  const struct scenario *scn;
  struct run_opts opts;
  struct sim sim;
  uint64_t until_ns, end_cycles;
  double wall_start, wall_last, wall_end;
  bool creates_done;
  uint32_t next_action;
  struct run_storm storms[RUN_MAX_STORMS];
  uint32_t nstorms;
  uint32_t probes[RUN_MAX_EXPECTS];
  uint32_t nprobes, next_probe;
  uint16_t pid_vm[RUN_MAX_PIDS];          /* partition id -> VM id */
  uint8_t vm_state[SCN_MAX_PARTITIONS + 1];
  struct trace_digest digest;
  struct trace_writer *writer;
  uint64_t events;
  uint64_t kind_counts[HV_TR_KIND_COUNT];
  struct run_hcrow hc[RUN_MAX_HCROWS];
  uint32_t nhc;
  struct run_mgmt_error merr[RUN_MAX_MGMT_ERRORS];
  uint32_t nmerr;
  uint64_t isolation_violations;
  uint64_t exp_count[RUN_MAX_EXPECTS]; /* count, or the largest latency (cycles) */
  uint64_t exp_seen[RUN_MAX_EXPECTS];  /* latency: matching events */
  bool exp_held[RUN_MAX_EXPECTS];
  char exp_detail[RUN_MAX_EXPECTS][160];
  struct nvme_dev devs[SCN_MAX_DEVICES]; /* the devices: section (run_dev.c) */
  uint32_t ndevs;
};

/* run_dev.c — devices of the run: open images (0, or -1 with a message),
 * timeline actions on them, world step (returns the next event time),
 * summary lines and close. */
int run_dev_setup(struct run *r);
/* run_vmbus.c — the root's disks (partitions' disk:): open or create the
 * images (0, or -1 with a file:line:col message); close them. */
int run_vmbus_setup(struct run *r);
void run_vmbus_finish(struct run *r);
void run_dev_action(struct run *r, const struct scn_action *a);
uint64_t run_dev_step(struct run *r, uint64_t now);
void run_dev_finish(struct run *r);

void report_count_hypercall(struct run *r, uint32_t vm, uint16_t control_code, uint16_t status);
void report_mgmt_error(struct run *r, const struct hv_trace_rec *rec);
/* Fill the trace header from the run. Returns 0 or -1 (scenario unreadable). */
int report_meta(const struct run *r, struct trace_meta *m);
/* Evaluate the end-of-run expectations, print the summary, write
 * result.json, close the trace. Returns the exit code (0/1, 2 on I/O error). */
int report_finish(struct run *r);

#endif /* SIM_RUN_REPORT_H */
