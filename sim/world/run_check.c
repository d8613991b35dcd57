/*
 * run_check.c — the restore oracle of whole-simulation checkpoints (see
 * run_check_restore in run.h): a run restored from a checkpoint at event
 * K continues byte-identically to the uninterrupted run. Three runs'
 * worth of work for n checkpoints: the reference run, the run that takes
 * the checkpoints (whose own records must equal the reference's too:
 * taking a checkpoint must not perturb the run), then each restore
 * continued to the end, the last checkpoint first (each restore goes
 * back across the ones after it) and the first one restored again after
 * the last (forward across all of them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_int.h"

struct check_log {
  struct hv_trace_rec *rec; /* the reference run's records */
  uint64_t n, cap;
  bool compare;             /* false: record; true: compare with rec */
  struct run *r;
  uint64_t first_diff;      /* event number of the first difference (UINT64_MAX none) */
  struct hv_trace_rec got;
};

static void check_rec(void *ctx, const struct hv_trace_rec *rec) {
  struct check_log *l = ctx;
  uint64_t i = run_events(l->r) - 1;
  if (!l->compare) {
    if (l->n == l->cap) {
      uint64_t cap = l->cap ? l->cap * 2 : 4096;
      struct hv_trace_rec *n = realloc(l->rec, cap * sizeof *n);
      if (!n) {
        fprintf(stderr, "hvsim: out of memory\n");
        exit(2);
      }
      l->rec = n, l->cap = cap;
    }
    l->rec[l->n++] = *rec;
    return;
  }
  if (l->first_diff == UINT64_MAX && (i >= l->n || memcmp(&l->rec[i], rec, sizeof *rec) != 0)) {
    l->first_diff = i;
    l->got = *rec;
  }
}

static double check_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* the restore's cost, reported on stderr only */
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Continue r to its end comparing with the reference; 0 equal, 1 not. */
static int check_continue(struct run *r, struct check_log *l, uint64_t from, const char *ref_digest, int ref_code,
                          const char *what) {
  l->compare = true;
  l->first_diff = UINT64_MAX;
  run_on_record(r, check_rec, l);
  run_advance(r, UINT64_MAX);
  char digest[65];
  int code = run_end(r, digest);
  uint64_t end = run_events(r);
  if (l->first_diff == UINT64_MAX && end != l->n)
    l->first_diff = end < l->n ? end : l->n;
  if (l->first_diff != UINT64_MAX) {
    const struct hv_trace_rec *w = l->first_diff < l->n ? &l->rec[l->first_diff] : 0;
    printf("restore-check: %s: FAIL: event %llu differs (got kind %u t %llu a 0x%llx; uninterrupted: kind %u t "
           "%llu a 0x%llx)\n",
           what, (unsigned long long)l->first_diff, l->got.kind, (unsigned long long)l->got.time,
           (unsigned long long)l->got.a, w ? w->kind : 0, w ? (unsigned long long)w->time : 0,
           w ? (unsigned long long)w->a : 0);
    return 1;
  }
  if (strcmp(digest, ref_digest) != 0 || code != ref_code) {
    printf("restore-check: %s: FAIL: digest %s exit %d, uninterrupted %s exit %d\n", what, digest, code,
           ref_digest, ref_code);
    return 1;
  }
  printf("restore-check: %s: %llu events re-run, equal, digest equal\n", what, (unsigned long long)(end - from));
  return 0;
}

int run_check_restore(const struct scenario *scn, const struct run_opts *o, uint32_t n) {
  struct run_opts q = *o;
  q.silent = true;
  q.quiet = true;
  q.trace_dir = 0;
  q.result_path = 0;
  q.stop_at = 0;
  char sink[65];
  q.digest_out = sink; /* hash every record (a silent run hashes only when asked) */
  struct check_log l = {0};
  l.first_diff = UINT64_MAX;
  /* 1. the reference; its disks are rolled back to how it found them
   * (checkpoint 0, before the first step), for the second run */
  struct run *r = run_open(scn, &q);
  if (!r || run_checkpoints_enable(r) != 0 || run_checkpoint(r) != 0) {
    fprintf(stderr, "hvsim: cannot set up checkpoints\n");
    if (r)
      run_free(r);
    return 2;
  }
  l.r = r;
  run_on_record(r, check_rec, &l);
  run_advance(r, UINT64_MAX);
  char ref[65];
  int ref_code = run_end(r, ref);
  if (run_restore(r, 0) != 0) {
    fprintf(stderr, "hvsim: cannot roll the disks back\n");
    run_free(r);
    free(l.rec);
    return 2;
  }
  run_free(r);
  printf("restore-check: %s: %llu events, digest %s, exit %d\n", scn->path, (unsigned long long)l.n, ref, ref_code);
  /* 2. the run with checkpoints */
  r = run_open(scn, &q);
  if (!r || run_checkpoints_enable(r) != 0) {
    fprintf(stderr, "hvsim: cannot set up checkpoints\n");
    free(l.rec);
    return 2;
  }
  l.r = r;
  int bad = 0;
  uint32_t taken = 0;
  uint64_t at[64];
  if (n > 64)
    n = 64;
  for (uint32_t i = 0; i < n; i++) {
    if (run_advance(r, l.n * (i + 1) / (n + 1)))
      break;
    int k = run_checkpoint(r);
    if (k < 0) {
      fprintf(stderr, "hvsim: checkpoint failed (out of memory)\n");
      bad = 2;
      break;
    }
    at[taken++] = run_events(r);
    printf("restore-check: checkpoint %d at event %llu: %llu bytes\n", k, (unsigned long long)at[taken - 1],
           (unsigned long long)ckpt_bytes(run_ckpts(r), (uint32_t)k));
  }
  char what[96];
  if (!bad)
    bad = check_continue(r, &l, 0, ref, ref_code, "with checkpoints taken");
  /* 3. every checkpoint restored, the last first, then the first again */
  for (uint32_t j = 0; j <= taken && !bad && taken; j++) {
    uint32_t k = taken - 1 - (j < taken ? j : 0);
    if (j == taken && taken < 2)
      break;
    double t0 = check_wall();
    if (run_restore(r, k) != 0) {
      printf("restore-check: checkpoint %u: FAIL: cannot restore\n", k);
      bad = 1;
      break;
    }
    double us = (check_wall() - t0) * 1e6;
    fprintf(stderr, "hvsim: restore of checkpoint %u (event %llu) took %.0f us\n", k, (unsigned long long)at[k], us);
    snprintf(what, sizeof what, "restored checkpoint %u (event %llu)%s", k, (unsigned long long)at[k],
             j == taken ? " forward" : "");
    if (run_events(r) != at[k]) {
      printf("restore-check: %s: FAIL: event counter %llu\n", what, (unsigned long long)run_events(r));
      bad = 1;
      break;
    }
    bad = check_continue(r, &l, at[k], ref, ref_code, what);
  }
  run_close(r);
  free(l.rec);
  printf("restore-check: %s\n", bad ? "FAIL" : "PASS");
  return bad;
}
