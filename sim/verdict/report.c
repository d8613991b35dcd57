/*
 * run_report.c — what a scenario run reports (see run_report.h): the
 * summary table (per partition and per VP: cycles in guest, in the
 * hypervisor, in exit overhead; hypercalls by call and status;
 * interrupts; events), the expectation verdicts, result.json.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace/sha256.h"

static const char *const report_mgmt_actions[] = {"?",      "create", "start",   "stop", "pause",
                                                   "resume", "delete", "connect", "route",
                                                   "assign", "unassign", "shutdown"};

static const char *report_action_name(uint32_t a) {
  return a < sizeof report_mgmt_actions / sizeof report_mgmt_actions[0] ? report_mgmt_actions[a] : "?";
}

static const char *report_vm_name(const struct run *r, uint32_t vm) {
  if (vm == 0)
    return "root";
  return vm <= r->scn->npartitions ? r->scn->partitions[vm - 1].name : "?";
}

void report_count_hypercall(struct run *r, uint32_t vm, uint16_t code, uint16_t status) {
  for (uint32_t i = 0; i < r->nhc; i++) {
    struct run_hcrow *h = &r->hc[i];
    if (h->vm == vm && h->code == code && h->status == status) {
      h->count++;
      return;
    }
  }
  if (r->nhc < RUN_MAX_HCROWS)
    r->hc[r->nhc++] = (struct run_hcrow){vm, code, status, 1};
}

void report_mgmt_error(struct run *r, const struct hv_trace_rec *rec) {
  if (r->nmerr < RUN_MAX_MGMT_ERRORS)
    r->merr[r->nmerr++] = (struct run_mgmt_error){rec->time, (uint32_t)rec->c, (uint32_t)rec->a, (uint32_t)rec->b};
}

int report_meta(const struct run *r, struct trace_meta *m) {
  memset(m, 0, sizeof *m);
  m->seed = r->opts.seed;
  if (sha256_file(r->scn->path, m->scenario_sha256) != 0)
    return -1;
  snprintf(m->scenario_path, sizeof m->scenario_path, "%s", r->scn->path);
  snprintf(m->build_id, sizeof m->build_id, "%s", HVSIM_BUILD_ID);
  snprintf(m->options, sizeof m->options, "%s", r->opts.options);
  m->cycles_per_us = r->scn->machine.cpu_mhz;
  m->lps = r->scn->machine.lps;
  m->nvms = r->scn->npartitions;
  for (uint32_t i = 0; i < r->scn->npartitions && i < TRACE_MAX_VMS; i++)
    snprintf(m->vm_names[i], sizeof m->vm_names[i], "%s", r->scn->partitions[i].name);
  return 0;
}

/* ---- per-VP statistics, aggregated by VM and VP index ------------------ */

struct report_vp {
  uint32_t vm, vp;
  struct hv_vp_stats s;
};

static void report_add_stats(struct report_vp *rows, uint32_t *n, uint32_t cap, uint32_t vm, uint32_t vp,
                             const struct hv_vp_stats *s) {
  for (uint32_t i = 0; i < *n; i++) {
    if (rows[i].vm == vm && rows[i].vp == vp) {
      rows[i].s.guest_cycles += s->guest_cycles;
      rows[i].s.hv_cycles += s->hv_cycles;
      rows[i].s.exit_cycles += s->exit_cycles;
      rows[i].s.exits += s->exits;
      rows[i].s.hypercalls += s->hypercalls;
      rows[i].s.dispatches += s->dispatches;
      return;
    }
  }
  if (*n < cap)
    rows[(*n)++] = (struct report_vp){vm, vp, *s};
}

static int report_vp_cmp(const void *a, const void *b) {
  const struct report_vp *x = a, *y = b;
  if (x->vm != y->vm)
    return x->vm < y->vm ? -1 : 1;
  return x->vp < y->vp ? -1 : x->vp > y->vp;
}

static uint32_t report_collect(const struct run *r, struct report_vp *rows, uint32_t cap) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->sim.ngone; i++) {
    const struct sim_vp_stats_row *g = &r->sim.gone[i];
    uint32_t vm = g->partition == TRACE_ROOT_PARTITION ? 0 : r->pid_vm[g->partition];
    report_add_stats(rows, &n, cap, vm, g->vp, &g->stats);
  }
  const struct hv *hv = r->sim.hv;
  for (uint32_t i = 0; i < hv->vps_hi; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    uint64_t pid = hv->partitions[vp->partition].id;
    uint32_t vm = pid == TRACE_ROOT_PARTITION ? 0 : r->pid_vm[pid];
    report_add_stats(rows, &n, cap, vm, vp->index, &vp->stats);
  }
  qsort(rows, n, sizeof rows[0], report_vp_cmp);
  return n;
}

static uint64_t report_vm_guest(const struct report_vp *rows, uint32_t n, uint32_t vm) {
  uint64_t g = 0;
  for (uint32_t i = 0; i < n; i++)
    if (rows[i].vm == vm)
      g += rows[i].s.guest_cycles;
  return g;
}

/* ---- expectations ------------------------------------------------------ */

static void report_expect_end(struct run *r, const struct report_vp *rows, uint32_t n) {
  for (uint32_t i = 0; i < r->scn->nexpects; i++) {
    const struct scn_expect *e = &r->scn->expects[i];
    char *d = r->exp_detail[i];
    size_t dl = sizeof r->exp_detail[i];
    switch (e->kind) {
    case SCN_EXP_STATE:
      if (r->next_probe <= 0 || !r->exp_held[i]) {
        bool reached = false;
        for (uint32_t k = 0; k < r->next_probe; k++)
          reached |= r->probes[k] == i;
        if (!reached)
          snprintf(d, dl, "run ended before this time");
      }
      break;
    case SCN_EXP_COUNT: {
      uint64_t c = r->exp_count[i];
      r->exp_held[i] = e->cmp == SCN_CMP_EQ ? c == e->n : e->cmp == SCN_CMP_GE ? c >= e->n : c <= e->n;
      snprintf(d, dl, "counted %llu", (unsigned long long)c);
      break;
    }
    case SCN_EXP_LATENCY: {
      uint64_t mhz = r->scn->machine.cpu_mhz, max_ns = r->exp_count[i] * 1000 / mhz;
      uint64_t limit = e->n * mhz / 1000;
      r->exp_held[i] = r->exp_seen[i] > 0 &&
                       (e->cmp == SCN_CMP_LE ? r->exp_count[i] <= limit : r->exp_count[i] >= limit);
      snprintf(d, dl, "largest %llu ns over %llu events", (unsigned long long)max_ns,
               (unsigned long long)r->exp_seen[i]);
      break;
    }
    case SCN_EXP_ISOLATION:
      r->exp_held[i] = r->isolation_violations == 0;
      snprintf(d, dl, "%llu violations", (unsigned long long)r->isolation_violations);
      break;
    case SCN_EXP_FAIR: {
      uint64_t lo = UINT64_MAX, hi = 0;
      for (uint32_t k = 0; k < e->ntargets; k++) {
        uint64_t g = report_vm_guest(rows, n, e->targets[k] + 1);
        lo = g < lo ? g : lo;
        hi = g > hi ? g : hi;
      }
      uint64_t spread = hi ? (hi - lo) * 100 / hi : 0;
      r->exp_held[i] = hi > 0 && spread <= e->tolerance_pct;
      snprintf(d, dl, "guest cycles from %llu to %llu (spread %llu%%)", (unsigned long long)lo,
               (unsigned long long)hi, (unsigned long long)spread);
      break;
    }
    }
  }
}

/* ---- printing ---------------------------------------------------------- */

static void report_table(const struct run *r, const struct report_vp *rows, uint32_t n) {
  uint64_t total_guest = 0;
  for (uint32_t i = 0; i < n; i++)
    total_guest += rows[i].s.guest_cycles;
  printf("\n%-12s %4s %-9s %14s %12s %12s %9s %10s %10s %6s\n", "partition", "vp", "state", "guest-cycles",
         "hv-cycles", "exit-cycles", "exits", "hypercalls", "dispatches", "share");
  for (uint32_t i = 0; i < n; i++) {
    const struct report_vp *v = &rows[i];
    const char *state = v->vm == 0 ? "-" : scn_vm_state_name((enum scn_vm_state)r->vm_state[v->vm]);
    double share = total_guest ? 100.0 * (double)v->s.guest_cycles / (double)total_guest : 0.0;
    printf("%-12s %4u %-9s %14llu %12llu %12llu %9llu %10llu %10llu %5.1f%%\n", report_vm_name(r, v->vm), v->vp,
           state, (unsigned long long)v->s.guest_cycles, (unsigned long long)v->s.hv_cycles,
           (unsigned long long)v->s.exit_cycles, (unsigned long long)v->s.exits,
           (unsigned long long)v->s.hypercalls, (unsigned long long)v->s.dispatches, share);
  }
  printf("\nhypercalls by partition, call and status:\n");
  for (uint32_t i = 0; i < r->nhc; i++) {
    const struct run_hcrow *h = &r->hc[i];
    const char *call = scn_call_name(h->code);
    char codebuf[16];
    snprintf(codebuf, sizeof codebuf, "0x%04x", h->code);
    printf("  %-12s %-32s %-26s %10llu\n", report_vm_name(r, h->vm), call ? call : codebuf,
           scn_status_name(h->status) ? scn_status_name(h->status) : "?", (unsigned long long)h->count);
  }
  printf("\ninterrupts: %llu physical, %llu virtual delivered\n",
         (unsigned long long)r->kind_counts[HV_TR_IRQ_PHYS], (unsigned long long)r->kind_counts[HV_TR_IRQ_VIRT]);
  printf("events: %llu total:", (unsigned long long)r->events);
  for (int k = 1; k < HV_TR_KIND_COUNT; k++)
    if (r->kind_counts[k])
      printf(" %s %llu", scn_trace_kind_name(k), (unsigned long long)r->kind_counts[k]);
  printf("\nmanagement errors: %s\n", r->nmerr ? "" : "none");
  for (uint32_t i = 0; i < r->nmerr; i++)
    printf("  at %.3f ms: %s %s: %s\n", (double)r->merr[i].time / (double)r->scn->machine.cpu_mhz / 1000.0,
           report_action_name(r->merr[i].action), report_vm_name(r, r->merr[i].vm),
           scn_mgmt_status_name((int)r->merr[i].error) ? scn_mgmt_status_name((int)r->merr[i].error) : "?");
}

static void report_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", *s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

static int report_json(const struct run *r, const char *path, int code, const char *digest,
                       const struct report_vp *rows, uint32_t n) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "{\"scenario\": ");
  report_json_str(f, r->scn->path);
  fprintf(f, ", \"name\": ");
  report_json_str(f, r->scn->name);
  fprintf(f, ", \"seed\": %llu, \"exit\": %d, \"digest\": \"%s\", \"events\": %llu, \"verdicts\": [",
          (unsigned long long)r->opts.seed, code, digest, (unsigned long long)r->events);
  for (uint32_t i = 0; i < r->scn->nexpects; i++) {
    fprintf(f, "%s{\"index\": %u, \"text\": ", i ? ", " : "", i);
    report_json_str(f, r->scn->expects[i].text);
    fprintf(f, ", \"held\": %s, \"detail\": ", r->exp_held[i] ? "true" : "false");
    report_json_str(f, r->exp_detail[i]);
    fputc('}', f);
  }
  fprintf(f, "], \"mgmt_errors\": [");
  for (uint32_t i = 0; i < r->nmerr; i++) {
    const char *e = scn_mgmt_status_name((int)r->merr[i].error);
    fprintf(f, "%s{\"time_ns\": %llu, \"vm\": ", i ? ", " : "",
            (unsigned long long)(r->merr[i].time * 1000 / r->scn->machine.cpu_mhz));
    report_json_str(f, report_vm_name(r, r->merr[i].vm));
    fprintf(f, ", \"action\": \"%s\", \"error\": ", report_action_name(r->merr[i].action));
    report_json_str(f, e ? e : "?");
    fputc('}', f);
  }
  fprintf(f, "], \"vms\": {");
  for (uint32_t v = 1; v <= r->scn->npartitions; v++) {
    fprintf(f, "%s", v > 1 ? ", " : "");
    report_json_str(f, report_vm_name(r, v));
    fprintf(f, ": {\"state\": \"%s\", \"guest_cycles\": %llu}",
            scn_vm_state_name((enum scn_vm_state)r->vm_state[v]),
            (unsigned long long)report_vm_guest(rows, n, v));
  }
  fprintf(f, "}}\n");
  return fclose(f) == 0 ? 0 : -1;
}

static const char *const report_part_states[] = {"free", "created", "active", "finalized", "stopped"};
static const char *const report_vp_states[] = {"runnable", "halted", "suspended", "stopped"};
static const char *const report_pfn_types[] = {"hypervisor", "ram", "pool-free", "pool-used"};

/* --stop-at: the machine's state where the run stopped. */
static void report_state_dump(const struct run *r) {
  const struct hv *hv = r->sim.hv;
  printf("\nstopped after event %llu\npartitions:\n", (unsigned long long)r->events);
  for (uint32_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    const struct hv_partition *p = &hv->partitions[i];
    if (p->state == PART_FREE && i != 0)
      continue;
    printf("  id %-4llu %-10s %-9s ram %8llu pages  pool free %6llu used %6llu  vps %u\n",
           (unsigned long long)p->id, report_vm_name(r, p->id == TRACE_ROOT_PARTITION ? 0 : r->pid_vm[p->id]),
           report_part_states[p->state], (unsigned long long)p->ram_pages, (unsigned long long)p->pool_free,
           (unsigned long long)p->pool_used, p->nvps);
  }
  printf("vps:\n");
  for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    printf("  partition %-4llu vp %-3u %-9s rip 0x%llx on lp %d\n",
           (unsigned long long)hv->partitions[vp->partition].id, vp->index, report_vp_states[vp->run_state],
           (unsigned long long)vp->arch.rip, vp->on_lp == HV_NO_VP ? -1 : vp->on_lp);
  }
  printf("memory ownership (pages by owner and type):\n");
  for (uint32_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    uint64_t n[4] = {0, 0, 0, 0};
    for (uint64_t k = 0; k < hv->boot.mem_pages; k++)
      if (pfn_owner_of(hv->pfndb[k]) == i)
        n[pfn_type_of(hv->pfndb[k]) & 3]++;
    if (!(n[0] | n[1] | n[2] | n[3]))
      continue;
    printf("  partition %-4llu", (unsigned long long)hv->partitions[i].id);
    for (int t = 0; t < 4; t++)
      if (n[t])
        printf(" %s %llu", report_pfn_types[t], (unsigned long long)n[t]);
    printf("\n");
  }
}

int report_finish(struct run *r) {
  if (r->sim.stop)
    report_state_dump(r);
  hv_check_isolation(r->sim.hv, 0);
  uint32_t cap = HV_MAX_VPS + r->sim.ngone;
  struct report_vp *rows = calloc(cap, sizeof *rows);
  uint32_t n = rows ? report_collect(r, rows, cap) : 0;
  report_expect_end(r, rows, n);
  int code = 0;
  for (uint32_t i = 0; i < r->scn->nexpects; i++) {
    struct hv_trace_rec rec = {r->end_cycles, HV_TR_EXPECT, HV_TRACE_NONE, HV_TRACE_NONE, HV_TRACE_NONE,
                               i, r->exp_held[i], 0};
    r->sim.trace_fn(r, &rec);
    if (!r->exp_held[i])
      code = 1;
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
  if (r->opts.silent) {
    free(rows);
    return code;
  }
  double wall = r->wall_end - r->wall_start;
  printf("hvsim run %s  seed %llu  backend sim\n", r->scn->path, (unsigned long long)r->opts.seed);
  printf("simulated %.3f ms on %u LPs\n", (double)r->until_ns / 1e6, r->scn->machine.lps);
  /* wall time on stderr: stdout is a function of the inputs only */
  fprintf(stderr, "hvsim: %llu events in %.2f s wall (%.2f M events/s)\n", (unsigned long long)r->events, wall,
          wall > 0 ? (double)r->events / wall / 1e6 : 0.0);
  if (!r->opts.quiet)
    report_table(r, rows, n);
  printf("\nexpectations:\n");
  for (uint32_t i = 0; i < r->scn->nexpects; i++)
    printf("  [%s] %s%s%s%s\n", r->exp_held[i] ? "PASS" : "FAIL", r->scn->expects[i].text,
           r->exp_detail[i][0] ? " (" : "", r->exp_detail[i], r->exp_detail[i][0] ? ")" : "");
  uint32_t held = 0;
  for (uint32_t i = 0; i < r->scn->nexpects; i++)
    held += r->exp_held[i];
  printf("verdict: %s (%u/%u expectations hold)\n", code == 0 ? "PASS" : "FAIL", held, r->scn->nexpects);
  printf("digest: %s events: %llu\n", digest, (unsigned long long)r->events);
  char path[1024];
  const char *rp = r->opts.result_path;
  if (!rp && r->opts.trace_dir) {
    snprintf(path, sizeof path, "%s/result.json", r->opts.trace_dir);
    rp = path;
  }
  if (rp && report_json(r, rp, code, digest, rows, n) != 0) {
    fprintf(stderr, "hvsim: %s: cannot write the result\n", rp);
    code = 2;
  }
  free(rows);
  return code;
}
