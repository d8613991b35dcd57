/*
 * run.h — running a scenario on the model simulator: the world (timeline
 * actions, device interrupts, state probes), the trace outputs, the
 * summary table and the expectation verdicts. Used by `hvsim run`.
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"
#include "sim/machine/sim.h"

struct run_opts {
  uint64_t seed;
  uint64_t until_ns;       /* 0: the scenario's, else derived */
  const char *trace_dir;   /* NULL: no trace files (the digest is still computed) */
  const char *result_path; /* NULL: DIR/result.json when trace_dir is set */
  bool quiet;              /* no summary table */
  bool progress;           /* progress lines on stderr for long runs */
  char options[512];       /* the options as given, recorded in the trace header */
  uint64_t stop_at;        /* stop after this event number (0: never) */
  bool silent;             /* print nothing, not even the verdict (the fuzz harness); no
                              digest is computed unless digest_out asks for it */
  char *digest_out;        /* when set: receives the trace digest (65 bytes, hex) */
  /* Per partition (scenario order): the payload its VM's worker loads
   * into its RAM (models/guest/guest.h, GUEST_PAYLOAD_GPA); the bytes
   * stay the caller's and must outlive the run. */
  struct sim_payload payload[SCN_MAX_PARTITIONS];
};

/* The raw image behind partition p's `disk:` (run_disks.c): its path in
 * path (relative paths under trace_dir when given, else the current
 * directory), its folders made, the file created or grown to the size.
 * Returns an open descriptor (>= 3), or -1 after printing
 * "hvsim: file:line:col: disk: PATH: reason". */
int run_disk_image(const struct scenario *scn, const struct scn_partition *p, const char *trace_dir, char *path,
                   size_t len);

/* Returns the process exit code: 0 every expectation holds, 1 one fails,
 * 2 the run could not be set up (message on stderr). */
int run_scenario(const struct scenario *scn, const struct run_opts *o);

#endif /* SIM_RUN_H */
