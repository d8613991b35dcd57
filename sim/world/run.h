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
  const char *files_dir;   /* relative disk images under here (NULL: trace_dir's, else the
                              current directory) */
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

/* ---- a run in steps (checkpoints, hvsim debug, the restore oracle) ------
 * run_scenario is run_open, run_advance(UINT64_MAX), run_close. Every
 * object of the run lives in one arena (sim/machine/arena.h), so the run
 * can be checkpointed whole at any pause and continued from there. */
struct run;
struct hv_trace_rec;
typedef void (*run_rec_fn)(void *ctx, const struct hv_trace_rec *rec);
/* Set up the machine and the world (nothing runs yet); NULL after a
 * message on stderr. */
struct run *run_open(const struct scenario *scn, const struct run_opts *o);
/* Run until `events` records have been emitted (then pause at the next
 * step boundary: a few more may have been) or to the end. Returns true
 * when the run has reached its end. */
bool run_advance(struct run *r, uint64_t events);
/* Records emitted so far (the event number of the next one). */
uint64_t run_events(const struct run *r);
/* The run's machine (for inspection: hvsim debug). */
struct sim *run_sim(struct run *r);
const struct scenario *run_scn(const struct run *r);
/* Call fn for every record from now on (NULL: none). */
void run_on_record(struct run *r, run_rec_fn fn, void *ctx);
/* Judge the run at its end (run_advance returned true): the verdict
 * records, the digest (65 bytes) and, unless silent, the printed report.
 * Returns the exit code as run_scenario's. The machine stays (a
 * checkpoint can still be restored). */
int run_end(struct run *r, char digest[65]);
/* Free everything; returns run_end's code (running it when not yet). */
int run_close(struct run *r);
/* Free everything as it is (no end, no verdict). */
void run_free(struct run *r);

/* Checkpoints of the whole run in memory (sim/machine/checkpoint.h). */
int run_checkpoints_enable(struct run *r);
/* Take one at the current pause; its index, or -1. */
int run_checkpoint(struct run *r);
/* Back (or forward) to checkpoint k; 0, or -1. Trace files being written
 * are closed first (they hold the recording, not the restored run). */
int run_restore(struct run *r, uint32_t k);
struct ckpt_set *run_ckpts(struct run *r);
/* Print the report at run_end (false) or not (true). */
void run_set_silent(struct run *r, bool silent);

/* Checkpoint k as a state file (include/hvsim/state_file.h; run_state.c).
 * Returns 0, or -1 with a message. */
int run_checkpoint_write(struct run *r, uint32_t k, const char *path, char *err, size_t errlen);
/* The header a state file of scn's run with seed must carry (this build);
 * 0, or -1 when the scenario file cannot be hashed. */
struct state_header;
int run_state_header(const struct scenario *scn, uint64_t seed, struct state_header *h);
/* `hvsim run --checkpoint-every N --checkpoint-dir DIR`: the run, with a
 * checkpoint file DIR/ckpt-<events>.hvstate every N events. Returns the
 * exit code. */
int run_with_checkpoint_files(const struct scenario *scn, const struct run_opts *o, uint64_t every, const char *dir);

/* The restore oracle (run_check.c): the run uninterrupted, then with n
 * checkpoints spread over it, each restored and continued to the end;
 * every record after a restore and the final digest must equal the
 * uninterrupted run's. Prints one line per checkpoint; returns 0 (all
 * equal), 1 (a difference, the first event named) or 2 (set-up). */
int run_check_restore(const struct scenario *scn, const struct run_opts *o, uint32_t n);

#endif /* SIM_RUN_H */
