/*
 * run.c — one scenario run on the model simulator (see run.h).
 *
 * The world: management actions become requests on the root's management
 * API (VMMS carries them out in the root partition), device interrupts
 * become physical interrupts on an LP, state probes sample the VM states
 * that VMMS reported. Every trace record passes through run_sink(): the
 * digest, the trace files, the summary counters and the count
 * expectations all see the same sequence.
 */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_report.h"
#include "scenario_kernel.h"
#include "sha256.h"
#include "sim.h"
#include "trace_file.h"

#define RUN_DEFAULT_TAIL_NS 100000000ull /* 100 ms after the last timed item */

static uint64_t run_cycles(const struct run *r, uint64_t ns) {
  return ns * r->scn->machine.cpu_mhz / 1000;
}

static uint32_t run_vm_of(const struct run *r, const struct hv_trace_rec *rec) {
  return scn_record_vm(r->pid_vm, rec);
}

static bool run_filter_match(const struct run *r, const struct scn_filter *f, const struct hv_trace_rec *rec) {
  return scn_filter_match(f, r->pid_vm, rec);
}

static void run_sink(void *ctx, const struct hv_trace_rec *rec) {
  struct run *r = ctx;
  r->events++;
  if (!r->opts.silent || r->opts.digest_out) /* a silent run without a digest wanted skips the hashing */
    trace_digest_update(&r->digest, rec);
  if (r->writer)
    trace_writer_rec(r->writer, rec);
  if (rec->kind < HV_TR_KIND_COUNT)
    r->kind_counts[rec->kind]++;
  switch (rec->kind) {
  case HV_TR_VM_BIND:
    if (rec->b < RUN_MAX_PIDS)
      r->pid_vm[rec->b] = (uint16_t)rec->a;
    break;
  case HV_TR_VM_STATE:
    if (rec->a <= SCN_MAX_PARTITIONS)
      r->vm_state[rec->a] = (uint8_t)rec->c;
    break;
  case HV_TR_MGMT:
    if (rec->b != 0)
      report_mgmt_error(r, rec);
    break;
  case HV_TR_HYPERCALL:
    if (!(rec->b >> 63))
      report_count_hypercall(r, run_vm_of(r, rec), (uint16_t)rec->a, (uint16_t)rec->b);
    break;
  case HV_TR_ISOLATION:
    r->isolation_violations++;
    break;
  default:
    break;
  }
  for (uint32_t i = 0; i < r->scn->nexpects; i++) {
    const struct scn_expect *e = &r->scn->expects[i];
    if (e->kind == SCN_EXP_COUNT && run_filter_match(r, &e->filter, rec)) {
      r->exp_count[i]++;
    } else if (e->kind == SCN_EXP_LATENCY && run_filter_match(r, &e->filter, rec)) {
      r->exp_seen[i]++;
      if (rec->b > r->exp_count[i])
        r->exp_count[i] = rec->b; /* the largest latency, cycles */
    }
  }
  if (r->opts.stop_at && r->events >= r->opts.stop_at)
    r->sim.stop = true;
}

/* A record from the world itself (not the hypervisor). */
static void run_world_trace(struct run *r, uint64_t a, uint64_t b, uint64_t c) {
  struct hv_trace_rec rec = {run_cycles(r, 0) + r->sim.now, HV_TR_WORLD, HV_TRACE_NONE, HV_TRACE_NONE,
                             HV_TRACE_NONE, a, b, c};
  run_sink(r, &rec);
}

static void run_mgmt(struct run *r, uint32_t action, uint32_t part, const struct scn_action *a) {
  struct mgmt_request q;
  memset(&q, 0, sizeof q);
  q.action = action;
  q.vm_id = part + 1;
  if (a && action == MGMT_CONNECT) {
    q.peer_vm = a->targets[1] + 1;
    q.conn_id = a->conn.id;
    q.sint = (uint8_t)a->conn.sint;
    q.flags = (uint16_t)a->conn.flags;
  } else if (a && action == MGMT_ROUTE) {
    q.vector = (uint8_t)a->route.vector;
    q.to_vector = (uint8_t)a->route.to_vector;
    q.vp = a->route.vp;
  }
  if (action == MGMT_CREATE) {
    const struct scn_partition *p = &r->scn->partitions[part];
    snprintf(q.config.name, sizeof q.config.name, "%s", p->name);
    snprintf(q.config.program, sizeof q.config.program, "%s", p->program);
    q.config.memory_bytes = p->memory_bytes;
    q.config.vps = p->vps;
    scn_kernel_vm_config(p, &q.config);
    for (uint32_t i = 0; i < p->nparams && q.config.nparams < GUEST_MAX_PARAMS; i++) {
      if (p->params[i].is_string)
        continue;
      struct guest_boot_param *bp = &q.config.params[q.config.nparams++];
      snprintf(bp->key, sizeof bp->key, "%s", p->params[i].key);
      bp->value = p->params[i].value;
    }
  }
  run_world_trace(r, 2, action, q.vm_id);
  if (!mgmt_channel_push(&r->sim.mgmt, &q)) {
    struct hv_trace_rec rec = {r->sim.now, HV_TR_MGMT, HV_TRACE_NONE, HV_TRACE_NONE,
                               TRACE_ROOT_PARTITION, action, MGMT_FAILED, q.vm_id};
    run_sink(r, &rec);
    return;
  }
  sim_irq(&r->sim, 0, MGMT_API_VECTOR);
}

static const uint32_t run_action_mgmt[] = {
    [SCN_ACT_CREATE] = MGMT_CREATE, [SCN_ACT_START] = MGMT_START, [SCN_ACT_STOP] = MGMT_STOP,
    [SCN_ACT_PAUSE] = MGMT_PAUSE,   [SCN_ACT_RESUME] = MGMT_RESUME, [SCN_ACT_DELETE] = MGMT_DELETE,
    [SCN_ACT_CONNECT] = MGMT_CONNECT, [SCN_ACT_ROUTE] = MGMT_ROUTE, [SCN_ACT_SHUTDOWN] = MGMT_SHUTDOWN,
};

static void run_action(struct run *r, const struct scn_action *a) {
  if (a->kind >= SCN_ACT_ASSIGN && a->kind != SCN_ACT_SHUTDOWN) {
    run_dev_action(r, a); /* devices: assign, unassign, DMA storm, fault (run_dev.c) */
    return;
  }
  if (a->kind == SCN_ACT_INTERRUPT) {
    if (a->irq.count > 1 && r->nstorms < RUN_MAX_STORMS) {
      struct run_storm *st = &r->storms[r->nstorms++];
      st->next = r->sim.now + run_cycles(r, a->irq.period_ns);
      st->left = a->irq.count - 1;
      st->period = run_cycles(r, a->irq.period_ns);
      st->lp = a->irq.lp;
      st->vector = (uint8_t)a->irq.vector;
    }
    run_world_trace(r, 1, a->irq.vector, a->irq.lp);
    sim_irq(&r->sim, a->irq.lp, (uint8_t)a->irq.vector);
    return;
  }
  if (a->kind == SCN_ACT_CONNECT || a->kind == SCN_ACT_ROUTE) {
    run_mgmt(r, run_action_mgmt[a->kind], a->targets[0], a);
    return;
  }
  for (uint32_t i = 0; i < a->ntargets; i++)
    run_mgmt(r, run_action_mgmt[a->kind], a->targets[i], 0);
}

static void run_probe(struct run *r, uint32_t i) {
  const struct scn_expect *e = &r->scn->expects[i];
  r->exp_held[i] = true;
  size_t off = 0;
  for (uint32_t k = 0; k < e->ntargets; k++) {
    uint8_t got = r->vm_state[e->targets[k] + 1];
    if (got != e->states[k]) {
      r->exp_held[i] = false;
      off += (size_t)snprintf(r->exp_detail[i] + off, sizeof r->exp_detail[i] - off, "%s%s is %s",
                              off ? ", " : "", r->scn->partitions[e->targets[k]].name,
                              scn_vm_state_name((enum scn_vm_state)got));
      if (off >= sizeof r->exp_detail[i])
        break;
    }
  }
}

/* The next world event time after handling everything due at now. */
static uint64_t run_world(void *ctx, struct sim *s, uint64_t now) {
  struct run *r = ctx;
  (void)s;
  if (!r->creates_done) {
    r->creates_done = true;
    for (uint32_t i = 0; i < r->scn->npartitions; i++)
      if (!r->scn->partitions[i].explicit_create)
        run_mgmt(r, MGMT_CREATE, i, 0);
  }
  while (r->next_action < r->scn->nactions &&
         run_cycles(r, r->scn->actions[r->next_action].at_ns) <= now)
    run_action(r, &r->scn->actions[r->next_action++]);
  for (uint32_t i = 0; i < r->nstorms; i++) {
    struct run_storm *st = &r->storms[i];
    while (st->left && st->next <= now) {
      sim_irq(&r->sim, st->lp, st->vector);
      st->left--;
      st->next += st->period;
    }
  }
  while (r->next_probe < r->nprobes && run_cycles(r, r->scn->expects[r->probes[r->next_probe]].at_ns) <= now)
    run_probe(r, r->probes[r->next_probe++]);
  uint64_t next = UINT64_MAX;
  if (r->next_action < r->scn->nactions)
    next = run_cycles(r, r->scn->actions[r->next_action].at_ns);
  for (uint32_t i = 0; i < r->nstorms; i++)
    if (r->storms[i].left && r->storms[i].next < next)
      next = r->storms[i].next;
  uint64_t dev_next = run_dev_step(r, now);
  if (dev_next < next)
    next = dev_next;
  if (r->next_probe < r->nprobes) {
    uint64_t t = run_cycles(r, r->scn->expects[r->probes[r->next_probe]].at_ns);
    if (t < next)
      next = t;
  }
  return next;
}

static int run_probe_cmp(const void *a, const void *b, void *ctx) {
  const struct scenario *s = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (s->expects[x].at_ns != s->expects[y].at_ns)
    return s->expects[x].at_ns < s->expects[y].at_ns ? -1 : 1;
  return x < y ? -1 : x > y;
}

static uint64_t run_until_ns(const struct run *r) {
  if (r->opts.until_ns)
    return r->opts.until_ns;
  if (r->scn->until_ns)
    return r->scn->until_ns;
  uint64_t last = 0;
  for (uint32_t i = 0; i < r->scn->nactions; i++) {
    const struct scn_action *a = &r->scn->actions[i];
    uint64_t t = a->at_ns + (a->irq.count > 1 ? a->irq.period_ns * a->irq.count : 0);
    if (t > last)
      last = t;
  }
  for (uint32_t i = 0; i < r->nprobes; i++)
    if (r->scn->expects[r->probes[i]].at_ns > last)
      last = r->scn->expects[r->probes[i]].at_ns;
  return last + RUN_DEFAULT_TAIL_NS;
}

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
          (double)sim_time(s) / (double)r->scn->machine.cpu_mhz / 1000.0, (double)r->until_ns / 1e6,
          (unsigned long long)r->events, now - r->wall_start);
}

static int run_setup(struct run *r, const struct scenario *scn, const struct run_opts *o) {
  memset(r, 0, sizeof *r);
  r->scn = scn;
  r->opts = *o;
  for (uint32_t i = 0; i < scn->nexpects; i++)
    if (scn->expects[i].kind == SCN_EXP_STATE)
      r->probes[r->nprobes++] = i;
  qsort_r(r->probes, r->nprobes, sizeof r->probes[0], run_probe_cmp, (void *)scn);
  r->until_ns = run_until_ns(r);
  for (uint32_t i = 0; i <= SCN_MAX_PARTITIONS; i++)
    r->vm_state[i] = SCN_VM_DELETED;
  trace_digest_init(&r->digest);
  struct sim_config cfg = {scn->machine.lps, scn->machine.memory_bytes, scn->machine.cpu_mhz,
                           scn->machine.slice_us, o->seed, true};
  char err[256];
  if (o->trace_dir) {
    struct trace_meta *m = calloc(1, sizeof *m);
    if (!m || report_meta(r, m) != 0) {
      free(m);
      fprintf(stderr, "hvsim: %s: cannot read the scenario file to hash it\n", scn->path);
      return -1;
    }
    r->writer = trace_writer_open(o->trace_dir, m, err, sizeof err);
    free(m);
    if (!r->writer) {
      fprintf(stderr, "hvsim: %s\n", err);
      return -1;
    }
  }
  if (sim_create(&r->sim, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: %s: machine: %s\n", scn->path, err);
    if (r->writer)
      trace_writer_close(r->writer);
    r->writer = 0;
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
    if (r->writer)
      trace_writer_close(r->writer);
    r->writer = 0;
    return -1;
  }
  return 0;
}

int run_scenario(const struct scenario *scn, const struct run_opts *o) {
  struct run *r = calloc(1, sizeof *r);
  if (!r) {
    fprintf(stderr, "hvsim: out of memory\n");
    return 2;
  }
  if (run_setup(r, scn, o) != 0) {
    free(r);
    return 2;
  }
  r->wall_start = r->wall_last = run_wall();
  uint64_t until = run_cycles(r, r->until_ns);
  sim_run(&r->sim, until, run_world, r, 0, run_progress, r);
  r->end_cycles = until;
  r->wall_end = run_wall();
  int code = report_finish(r);
  run_dev_finish(r);
  run_vmbus_finish(r);
  sim_destroy(&r->sim);
  free(r);
  return code;
}
