/*
 * verdict.h — the one judge of a run, at every level: a scenario's
 * expectations evaluated over the run's record stream (and, for fairness,
 * the per-VP counters at the end), with the summary figures that come from
 * the same stream.
 *
 * A level feeds every record in the order it has them (verdict_rec), then
 * the per-VP counters and how the run ended (verdict_finish). Meanings:
 *   count      matching records (sim/verdict/filter.c);
 *   latency    the largest field b of matching records; fails when none;
 *   state      the VM states the records had set when the world's sample
 *              record for that expectation went by (HV_WORLD_SAMPLE); a
 *              sample that never came is "unreached" and fails;
 *   isolation  no HV_TR_ISOLATION record;
 *   fair       spread of the VMs' guest cycles within the tolerance.
 * A VM's state before VMMS reports one is Deleted (it does not exist yet).
 */
#ifndef SIM_VERDICT_H
#define SIM_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hvsim/trace.h"
#include "sim/scenario/scenario.h"

#define VERDICT_MAX_PIDS 65536
#define VERDICT_MAX_HCROWS 512
#define VERDICT_MAX_MGMT_ERRORS 256

/* One VP's counters at the end of a run (a deleted VP's too). */
struct verdict_vp {
  uint64_t pid; /* partition id */
  uint32_t vp;
  uint32_t vm; /* filled by verdict_finish: 0 root, else the VM id */
  uint64_t guest_cycles, hv_cycles, exit_cycles, exits, hypercalls, dispatches;
};

struct verdict_hcrow {
  uint32_t vm; /* 0 root */
  uint16_t code, status;
  uint64_t count;
};

struct verdict_mgmt_error {
  uint64_t time;
  uint32_t vm, action, error;
};

struct verdict_exp {
  bool held, reached;
  uint64_t count; /* count, or the largest latency (cycles) */
  uint64_t seen;  /* latency: matching records; console: the VM's bytes */
  char tail[64];  /* console: the VM's last bytes, up to the text's length */
  char detail[160];
};

struct verdict {
  const struct scenario *scn;
  uint16_t *pid_vm; /* partition id -> VM id (0: root or unknown) */
  uint8_t vm_state[SCN_MAX_PARTITIONS + 1];
  uint64_t events, end_time;
  uint64_t kind_counts[HV_TR_KIND_COUNT];
  uint64_t isolation_violations;
  struct verdict_hcrow hc[VERDICT_MAX_HCROWS];
  uint32_t nhc;
  struct verdict_mgmt_error merr[VERDICT_MAX_MGMT_ERRORS];
  uint32_t nmerr;
  struct verdict_exp *exp; /* per expectation */
  struct verdict_vp *vps;  /* verdict_finish: sorted by VM, VP */
  uint32_t nvps;
  char error[1280]; /* why the run did not finish ("" when it did) */
  uint32_t held, failed;
};

/* The filter of a count / latency expectation over trace records
 * (filter.c): pid_vm maps a partition id to its VM id (scenario partition
 * index + 1, 0 for the root or none), as VMMS's vm_bind records set it. */
uint32_t scn_record_vm(const uint16_t *pid_vm, const struct hv_trace_rec *r);
bool scn_filter_match(const struct scn_filter *f, const uint16_t *pid_vm, const struct hv_trace_rec *r);

/* Returns 0, or -1 when out of memory. */
int verdict_init(struct verdict *v, const struct scenario *scn);
void verdict_free(struct verdict *v);
/* One record of the run, in stream order. */
void verdict_rec(struct verdict *v, const struct hv_trace_rec *rec);
/* The run ended at end_time (cycles): judge. vps: every VP's counters (n of
 * them, copied); error: why the run did not finish, or NULL. */
void verdict_finish(struct verdict *v, uint64_t end_time, const struct verdict_vp *vps, uint32_t n,
                    const char *error);
/* The process exit code: 0 every expectation holds, 1 otherwise (a run
 * that did not finish is a failure whatever its expectations say). */
int verdict_exit_code(const struct verdict *v);
/* The EXPECT records (a = index, b = held) a run's trace ends with. */
struct hv_trace_rec verdict_record(const struct verdict *v, uint32_t i);

/* A VM's name (0: root). */
const char *verdict_vm_name(const struct verdict *v, uint32_t vm);
/* Guest cycles of VM vm, over all its VPs (deleted ones too). */
uint64_t verdict_vm_guest(const struct verdict *v, uint32_t vm);

/* ---- what is printed (report.c) --------------------------------------- */
/* The summary table: per VP, hypercalls by call and status, interrupts,
 * events, management errors. */
void report_table(FILE *f, const struct verdict *v);
/* The expectation lines and the verdict line (ERROR with the reason first
 * when the run did not finish). */
void report_verdicts(FILE *f, const struct verdict *v);
/* result.json. Returns 0 or -1. */
int report_json(const char *path, const struct verdict *v, uint64_t seed, int code, const char *digest,
                const char *backend);

#endif /* SIM_VERDICT_H */
