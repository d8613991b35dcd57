/*
 * run.c — one scenario run on the model simulator (see run.h).
 *
 * The scenario becomes the world's plan (plan.c), played by the one
 * timeline player (platform/world/world_player.c): management requests go
 * onto the root's management API (VMMS carries them out in the root
 * partition), device interrupts become physical interrupts on an LP,
 * device actions go to the device models (run_dev.c), samples mark where
 * state expectations are judged. Every trace record passes through
 * run_sink(): the digest, the trace files and the verdict (sim/verdict)
 * all see the same sequence.
 */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_int.h"
#include "sim/trace/sha256.h"

static uint64_t run_cycles(const struct run *r, uint64_t ns) { return ns * r->scn->machine.cpu_mhz / 1000; }

static void run_sink(void *ctx, const struct hv_trace_rec *rec) {
  struct run *r = ctx;
  if (!r->opts.silent || r->opts.digest_out) /* a silent run without a digest wanted skips the hashing */
    trace_digest_update(&r->digest, rec);
  if (r->writer)
    trace_writer_rec(r->writer, rec);
  verdict_rec(&r->verdict, rec);
  if (r->opts.stop_at && r->verdict.events >= r->opts.stop_at)
    r->sim.stop = true;
  if (r->host.on_rec)
    r->host.on_rec(r->host.on_rec_ctx, rec);
  if (r->host.pause_at && r->verdict.events >= r->host.pause_at)
    r->sim.pause = true;
}

/* ---- the world's hooks on this level ---------------------------------- */

static void run_world_trace(void *ctx, uint16_t kind, uint16_t partition, uint64_t a, uint64_t b, uint64_t c) {
  struct run *r = ctx;
  struct hv_trace_rec rec = {r->sim.now, kind, HV_TRACE_NONE, HV_TRACE_NONE, partition, a, b, c};
  run_sink(r, &rec);
}

static void run_world_irq(void *ctx, uint32_t lp, uint8_t vector) {
  struct run *r = ctx;
  sim_irq(&r->sim, lp, vector);
}

static struct mgmt_channel *run_world_channel(void *ctx) { return &((struct run *)ctx)->sim.mgmt; }

static void run_world_device(void *ctx, const struct world_event *e) {
  struct run *r = ctx;
  run_dev_action(r, &r->scn->actions[e->arg]);
}

static const struct world_hooks run_hooks = {0, run_world_trace, run_world_irq, run_world_channel,
                                             run_world_device};

/* The next world event time after handling everything due at now. */
static uint64_t run_world(void *ctx, struct sim *s, uint64_t now) {
  struct run *r = ctx;
  (void)s;
  struct world_hooks h = run_hooks;
  h.ctx = r;
  uint64_t next = world_play(&r->player, now, &h);
  uint64_t dev_next = run_dev_step(r, now);
  return dev_next < next ? dev_next : next;
}

/* ---- progress lines ------------------------------------------------------ */

static double run_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* progress lines only: never reaches the simulation */
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_progress(void *ctx, struct sim *s) {
  struct run *r = ctx;
  double now = run_wall();
  if (!r->opts.progress || now - r->wall_last < 2.0)
    return;
  r->wall_last = now;
  fprintf(stderr, "hvsim: progress: %.3f ms simulated of %.3f, %llu events, %.1f s wall\n",
          (double)sim_time(s) / (double)r->scn->machine.cpu_mhz / 1000.0, (double)r->plan.until_ns / 1e6,
          (unsigned long long)r->verdict.events, now - r->wall_start);
}

/* ---- set-up and end ------------------------------------------------------ */

static void run_teardown(struct run *r) {
  if (r->writer)
    trace_writer_close(r->writer);
  r->writer = 0;
  verdict_free(&r->verdict);
  plan_free(&r->plan);
}

static int run_setup(struct run *r, const struct scenario *scn, const struct run_opts *o) {
  struct run_host host = r->host;
  memset(r, 0, sizeof *r);
  r->host = host;
  r->scn = scn;
  r->opts = *o;
  if (plan_build(scn, o->until_ns, &r->plan) != 0 || verdict_init(&r->verdict, scn) != 0) {
    fprintf(stderr, "hvsim: out of memory\n");
    run_teardown(r);
    return -1;
  }
  world_player_init(&r->player, r->plan.ev, r->plan.nev, r->plan.reqs, r->plan.nreqs, scn->machine.cpu_mhz,
                    scn->machine.lps);
  trace_digest_init(&r->digest);
  struct sim_config cfg = {scn->machine.lps, scn->machine.memory_bytes, scn->machine.cpu_mhz,
                           scn->machine.slice_us, o->seed, true, scn->machine.wall_filetime, &r->host.arena};
  char err[256];
  if (o->trace_dir) {
    struct trace_meta *m = calloc(1, sizeof *m);
    if (!m || trace_meta_init(m, scn, o->seed, o->options) != 0) {
      free(m);
      fprintf(stderr, "hvsim: %s: cannot read the scenario file to hash it\n", scn->path);
      run_teardown(r);
      return -1;
    }
    r->writer = trace_writer_open(o->trace_dir, m, err, sizeof err);
    free(m);
    if (!r->writer) {
      fprintf(stderr, "hvsim: %s\n", err);
      run_teardown(r);
      return -1;
    }
  }
  if (sim_create(&r->sim, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: %s: machine: %s\n", scn->path, err);
    run_teardown(r);
    return -1;
  }
  r->sim.trace_fn = run_sink;
  r->sim.trace_ctx = r;
  for (uint32_t i = 0; i < scn->npartitions && i + 1 < SIM_MAX_VDISKS; i++) /* the caller's, else the file's */
    r->sim.payloads[i + 1] = o->payload[i].len ? o->payload[i]
                                               : (struct sim_payload){scn->partitions[i].payload,
                                                                      scn->partitions[i].payload_bytes};
  bool dev_ok = run_dev_setup(r) == 0;
  if (!dev_ok || run_vmbus_setup(r) != 0) {
    for (uint32_t i = 0; dev_ok && i < r->ndevs; i++)
      nvme_close(&r->devs[i]);
    sim_destroy(&r->sim);
    run_teardown(r);
    return -1;
  }
  return 0;
}

/* Every VP's counters, the deleted ones' too, for the verdict. */
static struct verdict_vp *run_vp_rows(const struct run *r, uint32_t *n) {
  const struct hv *hv = r->sim.hv;
  struct verdict_vp *rows = calloc(HV_MAX_VPS + r->sim.ngone + 1, sizeof *rows);
  *n = 0;
  if (!rows)
    return 0;
  for (uint32_t i = 0; i < r->sim.ngone; i++) {
    const struct sim_vp_stats_row *g = &r->sim.gone[i];
    const struct hv_vp_stats *s = &g->stats;
    rows[(*n)++] = (struct verdict_vp){g->partition, g->vp, 0, s->guest_cycles, s->hv_cycles, s->exit_cycles,
                                       s->exits, s->hypercalls, s->dispatches};
  }
  for (uint32_t i = 0; i < hv->vps_hi; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    const struct hv_vp_stats *s = &vp->stats;
    rows[(*n)++] = (struct verdict_vp){hv->partitions[vp->partition].id, vp->index, 0, s->guest_cycles,
                                       s->hv_cycles, s->exit_cycles, s->exits, s->hypercalls, s->dispatches};
  }
  return rows;
}

/* Judge, print, write result.json and close the trace. Returns the exit
 * code (0/1, 2 on an I/O error). */
static int run_finish(struct run *r, uint64_t end_cycles) {
  if (r->sim.stop)
    run_state_dump(r);
  hv_check_isolation(r->sim.hv, 0); /* the end-of-run oracle: its findings are records */
  uint32_t n;
  struct verdict_vp *rows = run_vp_rows(r, &n);
  struct verdict *v = &r->verdict;
  verdict_finish(v, end_cycles, rows, n, 0);
  free(rows);
  int code = verdict_exit_code(v);
  for (uint32_t i = 0; i < r->scn->nexpects; i++) {
    struct hv_trace_rec rec = verdict_record(v, i);
    run_sink(r, &rec);
  }
  char digest[65];
  trace_digest_final(&r->digest, digest);
  if (r->writer && trace_writer_close(r->writer) != 0) {
    fprintf(stderr, "hvsim: %s: writing the trace failed\n", r->opts.trace_dir);
    code = 2;
  }
  r->writer = 0;
  if (r->opts.digest_out)
    memcpy(r->opts.digest_out, digest, sizeof digest);
  if (r->opts.silent)
    return code;
  double wall = r->wall_end - r->wall_start;
  printf("hvsim run %s  seed %llu  backend sim\n", r->scn->path, (unsigned long long)r->opts.seed);
  printf("simulated %.3f ms on %u LPs\n", (double)r->plan.until_ns / 1e6, r->scn->machine.lps);
  /* wall time on stderr: stdout is a function of the inputs only */
  fprintf(stderr, "hvsim: %llu events in %.2f s wall (%.2f M events/s)\n", (unsigned long long)v->events, wall,
          wall > 0 ? (double)v->events / wall / 1e6 : 0.0);
  if (!r->opts.quiet)
    report_table(stdout, v);
  report_verdicts(stdout, v);
  printf("digest: %s events: %llu\n", digest, (unsigned long long)v->events);
  char path[1024];
  const char *rp = r->opts.result_path;
  if (!rp && r->opts.trace_dir) {
    snprintf(path, sizeof path, "%s/result.json", r->opts.trace_dir);
    rp = path;
  }
  if (rp && report_json(rp, v, r->opts.seed, code, digest, "sim") != 0) {
    fprintf(stderr, "hvsim: %s: cannot write the result\n", rp);
    code = 2;
  }
  return code;
}

/* Address space for a run's objects: struct hv and struct run (~0.9 MB)
 * and one 1 MiB stack per VP (at most HV_MAX_VPS); reserved, not used. */
#define RUN_ARENA_RESERVE (2ull << 30)

struct run *run_open(const struct scenario *scn, const struct run_opts *o) {
  struct arena a;
  if (arena_create(&a, RUN_ARENA_RESERVE) != 0) {
    fprintf(stderr, "hvsim: cannot reserve the run's address space\n");
    return 0;
  }
  struct run *r = arena_alloc(&a, sizeof *r);
  if (!r) {
    arena_destroy(&a);
    fprintf(stderr, "hvsim: out of memory\n");
    return 0;
  }
  r->host.arena = a;
  if (run_setup(r, scn, o) != 0) {
    arena_destroy(&a);
    return 0;
  }
  r->wall_start = r->wall_last = run_wall();
  return r;
}

bool run_advance(struct run *r, uint64_t events) {
  if (r->sim.ended)
    return true;
  if (events != UINT64_MAX && r->verdict.events >= events)
    return false;
  r->host.pause_at = events == UINT64_MAX ? 0 : events;
  sim_run(&r->sim, run_cycles(r, r->plan.until_ns), run_world, r, 0, run_progress, r);
  r->host.pause_at = 0;
  r->sim.pause = false;
  if (r->sim.ended)
    r->wall_end = run_wall();
  return r->sim.ended;
}

uint64_t run_events(const struct run *r) { return r->verdict.events; }
struct sim *run_sim(struct run *r) { return &r->sim; }
const struct scenario *run_scn(const struct run *r) { return r->scn; }

void run_on_record(struct run *r, run_rec_fn fn, void *ctx) {
  r->host.on_rec = fn;
  r->host.on_rec_ctx = ctx;
}

int run_end(struct run *r, char digest[65]) {
  char *keep = r->opts.digest_out;
  r->opts.digest_out = digest;
  int code = run_finish(r, run_cycles(r, r->plan.until_ns));
  free(r->verdict.vps); /* the rows of the report just printed */
  r->verdict.vps = 0;
  r->opts.digest_out = keep;
  if (keep)
    memcpy(keep, digest, 65);
  r->host.finished = true;
  return code;
}

int run_close(struct run *r) {
  char digest[65];
  int code = 0;
  if (!r->host.finished) {
    run_advance(r, UINT64_MAX);
    code = run_end(r, digest);
  }
  run_free(r);
  return code;
}

void run_free(struct run *r) {
  if (r->host.ckpts) {
    ckpt_set_free(r->host.ckpts);
    free(r->host.ckpts);
  }
  run_dev_finish(r);
  run_vmbus_finish(r);
  sim_destroy(&r->sim);
  run_teardown(r);
  struct arena a = r->host.arena;
  arena_destroy(&a);
}

int run_checkpoints_enable(struct run *r) {
  if (r->host.ckpts)
    return 0;
  struct ckpt_set *cs = malloc(sizeof *cs);
  if (!cs || ckpt_set_init(cs, &r->sim, &r->host.arena) != 0 ||
      ckpt_region(cs, r->verdict.pid_vm, VERDICT_MAX_PIDS * sizeof *r->verdict.pid_vm) != 0 ||
      ckpt_region(cs, r->verdict.exp, (r->scn->nexpects + 1) * sizeof *r->verdict.exp) != 0) {
    if (cs)
      ckpt_set_free(cs);
    free(cs);
    return -1;
  }
  r->host.ckpts = cs;
  return 0;
}

int run_checkpoint(struct run *r) {
  if (!r->host.ckpts || r->host.finished)
    return -1;
  return ckpt_take(r->host.ckpts, r->verdict.events);
}

int run_restore(struct run *r, uint32_t k) {
  if (!r->host.ckpts)
    return -1;
  if (r->writer) {
    trace_writer_close(r->writer);
    r->writer = 0;
  }
  free(r->verdict.vps); /* the end's rows (C heap): a checkpoint is taken before any end */
  r->verdict.vps = 0;
  struct run_host host = r->host;
  struct run_opts opts = r->opts;
  double w0 = r->wall_start, w1 = r->wall_last, w2 = r->wall_end;
  int rc = ckpt_restore(host.ckpts, k);
  r->host = host;
  r->host.finished = false;
  r->opts = opts;
  r->writer = 0;
  r->wall_start = w0, r->wall_last = w1, r->wall_end = w2;
  return rc;
}

struct ckpt_set *run_ckpts(struct run *r) { return r->host.ckpts; }

void run_set_silent(struct run *r, bool silent) { r->opts.silent = silent; }

int run_scenario(const struct scenario *scn, const struct run_opts *o) {
  struct run *r = run_open(scn, o);
  if (!r)
    return 2;
  return run_close(r);
}
