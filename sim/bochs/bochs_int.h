/*
 * bochs_int.h — shared by the Bochs runner's files (sim/bochs): the run
 * description, the parsed output of a run, the expectation evaluation.
 */
#ifndef SIM_BOCHS_INT_H
#define SIM_BOCHS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvsim/bare_cfg.h"
#include "sim/scenario/scenario.h"
#include "hvsim/trace.h"

#define BOCHS_DEFAULT_TAIL_NS 100000000ull /* as the simulator: 100 ms after the last item */

/* One VP's counters at the end of a run ("@S" lines). */
struct bochs_vp_stats {
  uint64_t pid;
  uint32_t vp;
  uint64_t guest, hv, exit, exits, hypercalls, dispatches;
};

/* What the image printed (console protocol of hv/arch/x86/console.h). */
struct bochs_output {
  struct bochs_vp_stats *stats;
  size_t nstats, stats_cap;
  struct hv_trace_rec *recs;
  size_t nrecs, cap;
  int end_status;        /* @END status=N, -1 if the run never ended */
  uint64_t first_entry;  /* TSC (= instructions) at the first VM entry */
  uint64_t end_tsc;      /* TSC at the end of the run */
  uint64_t hv_init_done; /* TSC when hv_init returned */
  uint64_t hc_exits, hc_hv_cycles; /* hypercall exits and their exit-to-entry cycles */
  char figures[1024];    /* the @F lines, joined */
  char panic[256];       /* the first "hvsim: PANIC" or exception line */
};

int bochs_cfg_build(const struct scenario *scn, uint64_t seed, struct bare_cfg *c, char *err,
                    size_t errlen);
int bochs_cfg_write_rom(const char *path, const struct bare_cfg *c);
uint64_t bochs_until_ns(const struct scenario *scn);

/* Read the image's output (Bochs's standard output). Returns 0, or -1
 * with err set. */
int bochs_output_parse(const char *path, struct bochs_output *o, char *err, size_t errlen);
void bochs_output_free(struct bochs_output *o);

/* Evaluate the scenario's expectations over the records; prints the
 * verdict lines, sets held[i] (nexpects entries) and returns the number
 * that failed. */
uint32_t bochs_expect_eval(const struct scenario *scn, const struct bochs_output *o, bool *held);
/* The per-VM table (guest/hypervisor cycles, exits, hypercalls). */
void bochs_print_vms(const struct scenario *scn, const struct bochs_output *o);

#endif /* SIM_BOCHS_INT_H */
