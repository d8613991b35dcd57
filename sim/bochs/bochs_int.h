/*
 * bochs_int.h — shared by the level-2 runner's files (sim/bochs): the run
 * description built from the world's plan, and what the image printed.
 */
#ifndef SIM_BOCHS_INT_H
#define SIM_BOCHS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvsim/bare_cfg.h"
#include "hvsim/trace.h"
#include "sim/scenario/scenario.h"
#include "sim/verdict/verdict.h"
#include "sim/world/plan.h"
#include "sim/world/run.h"

#define BOCHS_PATH_MAX 1024

/* What the image printed (the debug port protocol, hvsim/debug_port.h). */
struct bochs_output {
  struct verdict_vp *vps; /* "@S" lines */
  size_t nvps, vps_cap;
  struct hv_trace_rec *recs; /* "@T" lines */
  size_t nrecs, cap;
  int end_status;        /* "@END status=N", -1 if the run never ended */
  uint64_t first_entry;  /* TSC (= instructions) at the first VM entry */
  uint64_t end_tsc;      /* TSC at the end of the run */
  uint64_t hv_init_done; /* TSC when hv_init returned */
  uint64_t hc_exits, hc_hv_cycles; /* hypercall exits and their exit-to-entry cycles */
  char figures[1024];    /* the "@F" lines, joined */
  char panic[256];       /* the first "hvsim: PANIC" or exception line */
};

/* A refusal: "file:line:col: what (level 2, backend)" in err (no
 * position: "file: what ..."); returns -1. */
int bochs_refuse(char *err, size_t errlen, const struct scenario *scn, struct scn_pos pos, const char *backend,
                 const char *what);

/* The plan as the image's run description; -1 with "file:line:col: ...
 * (level 2, BACKEND)" in err for what level 2 cannot play. */
int bochs_cfg_build(const struct scenario *scn, const struct plan *plan, const struct run_opts *opts,
                    const char *backend, struct bare_cfg *c, char *err, size_t errlen);

/* The machine's storage (bochs_storage.c). plan: which ATA drive backs
 * which VM's disk, the files image's drive and size; -1 with the refusal
 * in err. make: create or grow the disk images (as level 1 does) and write
 * the files image into work; the drives' absolute paths in out. Then the
 * bochsrc lines, or QEMU's options (into argv, strings in args; returns
 * their count, -1 if they do not fit). */
struct bochs_drives {
  char path[BARE_MAX_DRIVES][BOCHS_PATH_MAX];
};
int bochs_storage_plan(const struct scenario *scn, const struct run_opts *opts, const char *backend,
                       struct bare_storage *st, char *err, size_t errlen);
int bochs_storage_make(const struct scenario *scn, const struct run_opts *opts, const struct bare_storage *st,
                       const char *work, struct bochs_drives *out);
void bochs_storage_bochsrc(FILE *f, const struct bare_storage *st, const struct bochs_drives *drives);
int bochs_storage_qemu(const struct bare_storage *st, const struct bochs_drives *drives, char *args, size_t len,
                       char **argv, int max);
int bochs_cfg_write_rom(const char *path, const struct bare_cfg *c);

/* Read the image's output (Bochs's standard output). Returns 0, or -1
 * with err set. */
int bochs_output_parse(const char *path, struct bochs_output *o, char *err, size_t errlen);
void bochs_output_free(struct bochs_output *o);

#endif /* SIM_BOCHS_INT_H */
