/*
 * bochs_eval.c — the image's console output parsed into trace records,
 * and the scenario's expectations evaluated over those records after the
 * run, with the simulator's meanings (the shared matcher of
 * sim/verdict/filter.c), VM
 * ids come from VM_BIND records, VM states from VM_STATE records up to a
 * state probe's time, counts from the same filter fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bochs_int.h"
#include "sim/trace/trace_file.h"

static int out_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static int out_record(struct bochs_output *o, const char *hex) {
  uint8_t b[TRACE_REC_SIZE];
  for (unsigned i = 0; i < TRACE_REC_SIZE; i++) {
    int hi = out_hex(hex[2 * i]), lo = out_hex(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    b[i] = (uint8_t)(hi << 4 | lo);
  }
  if (o->nrecs == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 1024;
    struct hv_trace_rec *r = realloc(o->recs, cap * sizeof *r);
    if (!r)
      return -1;
    o->recs = r;
    o->cap = cap;
  }
  trace_rec_decode(b, &o->recs[o->nrecs++]);
  return 0;
}

static void out_figures(struct bochs_output *o, const char *line) {
  size_t used = strlen(o->figures);
  snprintf(o->figures + used, sizeof o->figures - used, "%s%s", used ? " " : "", line);
  const char *p;
  if ((p = strstr(line, "first_entry_tsc=")))
    o->first_entry = strtoull(p + 16, 0, 10);
  if ((p = strstr(line, "end_tsc=")))
    o->end_tsc = strtoull(p + 8, 0, 10);
  if ((p = strstr(line, "hv_init_done_tsc=")))
    o->hv_init_done = strtoull(p + 17, 0, 10);
  if ((p = strstr(line, "hypercall_exits=")))
    o->hc_exits = strtoull(p + 16, 0, 10);
  if ((p = strstr(line, "hypercall_hv_cycles=")))
    o->hc_hv_cycles = strtoull(p + 20, 0, 10);
}

static int out_stats(struct bochs_output *o, const char *line) {
  struct bochs_vp_stats v;
  unsigned long long pid, guest, hv, ex, exits, hc, disp;
  unsigned vp;
  if (sscanf(line, "pid=%llu vp=%u guest=%llu hv=%llu exit=%llu exits=%llu hypercalls=%llu "
                   "dispatches=%llu",
             &pid, &vp, &guest, &hv, &ex, &exits, &hc, &disp) != 8)
    return -1;
  v = (struct bochs_vp_stats){pid, vp, guest, hv, ex, exits, hc, disp};
  if (o->nstats == o->stats_cap) {
    size_t cap = o->stats_cap ? o->stats_cap * 2 : 64;
    struct bochs_vp_stats *n = realloc(o->stats, cap * sizeof *n);
    if (!n)
      return -1;
    o->stats = n;
    o->stats_cap = cap;
  }
  o->stats[o->nstats++] = v;
  return 0;
}

int bochs_output_parse(const char *path, struct bochs_output *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  o->end_status = -1;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot read the image's output", path);
    return -1;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (strncmp(line, "@T ", 3) == 0 && strlen(line) >= 3 + 2 * TRACE_REC_SIZE) {
      if (out_record(o, line + 3) != 0) {
        snprintf(err, errlen, "%s: malformed trace line", path);
        fclose(f);
        return -1;
      }
    } else if (strncmp(line, "@S ", 3) == 0) {
      if (out_stats(o, line + 3) != 0) {
        snprintf(err, errlen, "%s: malformed statistics line", path);
        fclose(f);
        return -1;
      }
    } else if (strncmp(line, "@F ", 3) == 0) {
      out_figures(o, line + 3);
    } else if (strncmp(line, "@END status=", 12) == 0) {
      o->end_status = atoi(line + 12);
    } else if (!o->panic[0] && (strstr(line, "hvsim: PANIC") || strstr(line, "exception vector") ||
                                strstr(line, "failed"))) {
      snprintf(o->panic, sizeof o->panic, "%.200s", line);
    }
  }
  fclose(f);
  return 0;
}

void bochs_output_free(struct bochs_output *o) {
  free(o->recs);
  free(o->stats);
  memset(o, 0, sizeof *o);
}

/* ---- expectations ------------------------------------------------------ */
#define EVAL_MAX_PIDS 65536

struct eval {
  uint16_t *pid_vm; /* partition id -> VM id (0: root or unknown) */
};

static bool eval_match(const struct eval *e, const struct scn_filter *f, const struct hv_trace_rec *r) {
  return scn_filter_match(f, e->pid_vm, r);
}

/* Guest cycles of VM vm (1-based), over all its VPs, deleted ones too. */
static uint64_t eval_vm_guest(const struct eval *e, const struct bochs_output *o, uint32_t vm) {
  uint64_t g = 0;
  for (size_t i = 0; i < o->nstats; i++)
    if (o->stats[i].pid < EVAL_MAX_PIDS && o->stats[i].pid != TRACE_ROOT_PARTITION &&
        e->pid_vm[o->stats[i].pid] == vm)
      g += o->stats[i].guest;
  return g;
}

static bool eval_one(const struct scenario *scn, const struct scn_expect *x, const struct eval *e,
                     const struct bochs_output *o, char *d, size_t dl) {
  const struct hv_trace_rec *recs = o->recs;
  size_t n = o->nrecs;
  switch (x->kind) {
  case SCN_EXP_COUNT: {
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
      c += eval_match(e, &x->filter, &recs[i]);
    snprintf(d, dl, "counted %llu", (unsigned long long)c);
    return x->cmp == SCN_CMP_EQ ? c == x->n : x->cmp == SCN_CMP_GE ? c >= x->n : c <= x->n;
  }
  case SCN_EXP_ISOLATION: {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
      v += recs[i].kind == HV_TR_ISOLATION;
    snprintf(d, dl, "%llu violations", (unsigned long long)v);
    return v == 0;
  }
  case SCN_EXP_STATE: {
    uint64_t t = x->at_ns * scn->machine.cpu_mhz / 1000;
    if (x->at_ns > bochs_until_ns(scn)) {
      snprintf(d, dl, "run ended before this time");
      return false;
    }
    bool held = true;
    size_t off = 0;
    d[0] = 0;
    for (uint32_t k = 0; k < x->ntargets; k++) {
      uint32_t vm = x->targets[k] + 1, state = SCN_VM_OFF;
      for (size_t i = 0; i < n && recs[i].time <= t; i++)
        if (recs[i].kind == HV_TR_VM_STATE && recs[i].a == vm)
          state = (uint32_t)recs[i].c;
      if (state != x->states[k]) {
        held = false;
        off += (size_t)snprintf(d + off, off < dl ? dl - off : 0, "%s%s is %s", off ? ", " : "",
                                scn->partitions[x->targets[k]].name,
                                scn_vm_state_name((enum scn_vm_state)state));
      }
    }
    return held;
  }
  case SCN_EXP_FAIR: { /* as sim/verdict/report.c: spread of guest cycles */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t k = 0; k < x->ntargets; k++) {
      uint64_t g = eval_vm_guest(e, o, x->targets[k] + 1);
      lo = g < lo ? g : lo;
      hi = g > hi ? g : hi;
    }
    uint64_t spread = hi ? (hi - lo) * 100 / hi : 0;
    snprintf(d, dl, "guest cycles from %llu to %llu (spread %llu%%)", (unsigned long long)lo,
             (unsigned long long)hi, (unsigned long long)spread);
    return hi > 0 && spread <= x->tolerance_pct;
  }
  default:
    snprintf(d, dl, "not evaluated on Bochs");
    return false;
  }
}

static void eval_bind(struct eval *e, const struct bochs_output *o) {
  for (size_t i = 0; i < o->nrecs; i++)
    if (o->recs[i].kind == HV_TR_VM_BIND && o->recs[i].b < EVAL_MAX_PIDS)
      e->pid_vm[o->recs[i].b] = (uint16_t)o->recs[i].a;
}

void bochs_print_vms(const struct scenario *scn, const struct bochs_output *o) {
  struct eval e;
  e.pid_vm = calloc(EVAL_MAX_PIDS, sizeof *e.pid_vm);
  if (!e.pid_vm)
    return;
  eval_bind(&e, o);
  printf("\n%-12s %14s %12s %12s %9s %10s\n", "vm", "guest-cycles", "hv-cycles", "exit-cycles",
         "exits", "hypercalls");
  for (uint32_t vm = 0; vm <= scn->npartitions; vm++) {
    uint64_t t[5] = {0, 0, 0, 0, 0};
    bool any = false;
    for (size_t i = 0; i < o->nstats; i++) {
      const struct bochs_vp_stats *s = &o->stats[i];
      uint32_t of = s->pid == TRACE_ROOT_PARTITION ? 0 : s->pid < EVAL_MAX_PIDS ? e.pid_vm[s->pid] : 0;
      if (of != vm || (vm == 0 && s->pid != TRACE_ROOT_PARTITION))
        continue;
      any = true;
      t[0] += s->guest, t[1] += s->hv, t[2] += s->exit, t[3] += s->exits, t[4] += s->hypercalls;
    }
    if (any)
      printf("%-12s %14llu %12llu %12llu %9llu %10llu\n",
             vm ? scn->partitions[vm - 1].name : "root", (unsigned long long)t[0],
             (unsigned long long)t[1], (unsigned long long)t[2], (unsigned long long)t[3],
             (unsigned long long)t[4]);
  }
  free(e.pid_vm);
}

uint32_t bochs_expect_eval(const struct scenario *scn, const struct bochs_output *o,
                           bool *held_out) {
  struct eval e;
  e.pid_vm = calloc(EVAL_MAX_PIDS, sizeof *e.pid_vm);
  if (!e.pid_vm)
    return scn->nexpects ? scn->nexpects : 1;
  eval_bind(&e, o);
  uint32_t failed = 0;
  printf("\nexpectations:\n");
  for (uint32_t i = 0; i < scn->nexpects; i++) {
    char d[160];
    bool held = eval_one(scn, &scn->expects[i], &e, o, d, sizeof d);
    held_out[i] = held;
    failed += !held;
    printf("  [%s] %s%s%s%s\n", held ? "PASS" : "FAIL", scn->expects[i].text, d[0] ? " (" : "", d,
           d[0] ? ")" : "");
  }
  free(e.pid_vm);
  return failed;
}
