/*
 * verdict.c — a scenario's expectations judged over a run's record stream
 * (see verdict.h): the same code for the simulator and the instruction-level
 * CPUs.
 */
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

int verdict_init(struct verdict *v, const struct scenario *scn) {
  memset(v, 0, sizeof *v);
  v->scn = scn;
  v->pid_vm = calloc(VERDICT_MAX_PIDS, sizeof *v->pid_vm);
  v->exp = calloc(scn->nexpects + 1, sizeof *v->exp);
  if (!v->pid_vm || !v->exp) {
    verdict_free(v);
    return -1;
  }
  for (uint32_t i = 0; i <= SCN_MAX_PARTITIONS; i++)
    v->vm_state[i] = SCN_VM_DELETED;
  return 0;
}

void verdict_free(struct verdict *v) {
  free(v->pid_vm);
  free(v->exp);
  free(v->vps);
  memset(v, 0, sizeof *v);
}

static void verdict_count_hypercall(struct verdict *v, uint32_t vm, uint16_t code, uint16_t status) {
  for (uint32_t i = 0; i < v->nhc; i++) {
    struct verdict_hcrow *h = &v->hc[i];
    if (h->vm == vm && h->code == code && h->status == status) {
      h->count++;
      return;
    }
  }
  if (v->nhc < VERDICT_MAX_HCROWS)
    v->hc[v->nhc++] = (struct verdict_hcrow){vm, code, status, 1};
}

/* A state expectation's sample: the VM states as the stream has them now. */
static void verdict_sample(struct verdict *v, uint64_t i) {
  if (i >= v->scn->nexpects || v->scn->expects[i].kind != SCN_EXP_STATE)
    return;
  const struct scn_expect *e = &v->scn->expects[i];
  struct verdict_exp *x = &v->exp[i];
  x->reached = true;
  x->held = true;
  size_t off = 0;
  x->detail[0] = 0;
  for (uint32_t k = 0; k < e->ntargets && off < sizeof x->detail; k++) {
    uint8_t got = v->vm_state[e->targets[k] + 1];
    if (got == e->states[k])
      continue;
    x->held = false;
    off += (size_t)snprintf(x->detail + off, sizeof x->detail - off, "%s%s is %s", off ? ", " : "",
                            v->scn->partitions[e->targets[k]].name, scn_vm_state_name((enum scn_vm_state)got));
  }
}

/* One byte of VM vm's COM1 output against its console expectations: the
 * tail of the output so far, as long as the text, ends with the text. */
static void verdict_console(struct verdict *v, uint64_t vm, uint8_t byte) {
  for (uint32_t i = 0; i < v->scn->nexpects; i++) {
    const struct scn_expect *e = &v->scn->expects[i];
    struct verdict_exp *x = &v->exp[i];
    if (e->kind != SCN_EXP_CONSOLE || e->targets[0] + 1 != vm || x->held)
      continue;
    size_t n = strlen(e->contains), have = x->seen < n ? (size_t)x->seen : n;
    if (have == n)
      memmove(x->tail, x->tail + 1, n - 1), have--;
    x->tail[have] = (char)byte;
    x->seen++;
    x->held = have + 1 == n && memcmp(x->tail, e->contains, n) == 0;
  }
}

void verdict_rec(struct verdict *v, const struct hv_trace_rec *rec) {
  v->events++;
  if (rec->kind < HV_TR_KIND_COUNT)
    v->kind_counts[rec->kind]++;
  switch (rec->kind) {
  case HV_TR_VM_BIND:
    if (rec->b < VERDICT_MAX_PIDS)
      v->pid_vm[rec->b] = (uint16_t)rec->a;
    break;
  case HV_TR_VM_STATE:
    if (rec->a <= SCN_MAX_PARTITIONS)
      v->vm_state[rec->a] = (uint8_t)rec->c;
    break;
  case HV_TR_MGMT:
    if (rec->b != 0 && v->nmerr < VERDICT_MAX_MGMT_ERRORS)
      v->merr[v->nmerr++] =
          (struct verdict_mgmt_error){rec->time, (uint32_t)rec->c, (uint32_t)rec->a, (uint32_t)rec->b};
    break;
  case HV_TR_HYPERCALL:
    if (!(rec->b >> 63))
      verdict_count_hypercall(v, scn_record_vm(v->pid_vm, rec), (uint16_t)rec->a, (uint16_t)rec->b);
    break;
  case HV_TR_ISOLATION:
    v->isolation_violations++;
    break;
  case HV_TR_SERIAL:
    verdict_console(v, rec->a, (uint8_t)rec->b);
    break;
  case HV_TR_WORLD:
    if (rec->a == HV_WORLD_SAMPLE)
      verdict_sample(v, rec->b);
    break;
  default:
    break;
  }
  for (uint32_t i = 0; i < v->scn->nexpects; i++) {
    const struct scn_expect *e = &v->scn->expects[i];
    if (e->kind == SCN_EXP_COUNT && scn_filter_match(&e->filter, v->pid_vm, rec)) {
      v->exp[i].count++;
    } else if (e->kind == SCN_EXP_LATENCY && scn_filter_match(&e->filter, v->pid_vm, rec)) {
      v->exp[i].seen++;
      if (rec->b > v->exp[i].count)
        v->exp[i].count = rec->b; /* the largest latency, cycles */
    }
  }
}

const char *verdict_vm_name(const struct verdict *v, uint32_t vm) {
  if (vm == 0)
    return "root";
  return vm <= v->scn->npartitions ? v->scn->partitions[vm - 1].name : "?";
}

uint64_t verdict_vm_guest(const struct verdict *v, uint32_t vm) {
  uint64_t g = 0;
  for (uint32_t i = 0; i < v->nvps; i++)
    if (v->vps[i].vm == vm)
      g += v->vps[i].guest_cycles;
  return g;
}

/* ---- the end of the run ---------------------------------------------- */

static int verdict_vp_cmp(const void *a, const void *b) {
  const struct verdict_vp *x = a, *y = b;
  if (x->vm != y->vm)
    return x->vm < y->vm ? -1 : 1;
  return x->vp < y->vp ? -1 : x->vp > y->vp;
}

/* Rows per (VM, VP index): a VP deleted and created again adds up. */
static void verdict_collect(struct verdict *v, const struct verdict_vp *vps, uint32_t n) {
  v->vps = calloc(n + 1, sizeof *v->vps);
  if (!v->vps)
    return;
  for (uint32_t i = 0; i < n; i++) {
    struct verdict_vp r = vps[i];
    r.vm = r.pid == HV_TRACE_ROOT_PARTITION ? 0 : r.pid < VERDICT_MAX_PIDS ? v->pid_vm[r.pid] : 0;
    uint32_t k = 0;
    while (k < v->nvps && !(v->vps[k].vm == r.vm && v->vps[k].vp == r.vp))
      k++;
    if (k == v->nvps) {
      v->vps[v->nvps++] = r;
      continue;
    }
    struct verdict_vp *t = &v->vps[k];
    t->guest_cycles += r.guest_cycles, t->hv_cycles += r.hv_cycles, t->exit_cycles += r.exit_cycles;
    t->exits += r.exits, t->hypercalls += r.hypercalls, t->dispatches += r.dispatches;
  }
  qsort(v->vps, v->nvps, sizeof *v->vps, verdict_vp_cmp);
}

static bool verdict_cmp(enum scn_cmp c, uint64_t got, uint64_t n) {
  return c == SCN_CMP_EQ ? got == n : c == SCN_CMP_GE ? got >= n : got <= n;
}

static void verdict_judge(struct verdict *v, uint32_t i) {
  const struct scn_expect *e = &v->scn->expects[i];
  struct verdict_exp *x = &v->exp[i];
  char *d = x->detail;
  size_t dl = sizeof x->detail;
  uint64_t mhz = v->scn->machine.cpu_mhz;
  switch (e->kind) {
  case SCN_EXP_STATE:
    if (!x->reached) {
      x->held = false;
      snprintf(d, dl, "unreached: the run ended before this time");
    }
    break;
  case SCN_EXP_COUNT:
    x->held = verdict_cmp(e->cmp, x->count, e->n);
    snprintf(d, dl, "counted %llu", (unsigned long long)x->count);
    break;
  case SCN_EXP_LATENCY:
    x->held = x->seen > 0 && verdict_cmp(e->cmp, x->count, e->n * mhz / 1000);
    snprintf(d, dl, "largest %llu ns over %llu events", (unsigned long long)(x->count * 1000 / mhz),
             (unsigned long long)x->seen);
    break;
  case SCN_EXP_CONSOLE:
    snprintf(d, dl, "%s %llu bytes", x->held ? "found after" : "not found in", (unsigned long long)x->seen);
    break;
  case SCN_EXP_ISOLATION:
    x->held = v->isolation_violations == 0;
    snprintf(d, dl, "%llu violations", (unsigned long long)v->isolation_violations);
    break;
  case SCN_EXP_FAIR: {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t k = 0; k < e->ntargets; k++) {
      uint64_t g = verdict_vm_guest(v, e->targets[k] + 1);
      lo = g < lo ? g : lo;
      hi = g > hi ? g : hi;
    }
    uint64_t spread = hi ? (hi - lo) * 100 / hi : 0;
    x->held = hi > 0 && spread <= e->tolerance_pct;
    snprintf(d, dl, "guest cycles from %llu to %llu (spread %llu%%)", (unsigned long long)lo,
             (unsigned long long)hi, (unsigned long long)spread);
    break;
  }
  }
}

void verdict_finish(struct verdict *v, uint64_t end_time, const struct verdict_vp *vps, uint32_t n,
                    const char *error) {
  v->end_time = end_time;
  snprintf(v->error, sizeof v->error, "%s", error ? error : "");
  verdict_collect(v, vps, n);
  v->held = v->failed = 0;
  for (uint32_t i = 0; i < v->scn->nexpects; i++) {
    verdict_judge(v, i);
    if (v->exp[i].held)
      v->held++;
    else
      v->failed++;
  }
}

int verdict_exit_code(const struct verdict *v) { return (v->failed || v->error[0]) ? 1 : 0; }

struct hv_trace_rec verdict_record(const struct verdict *v, uint32_t i) {
  return (struct hv_trace_rec){v->end_time, HV_TR_EXPECT, HV_TRACE_NONE, HV_TRACE_NONE, HV_TRACE_NONE,
                               i, v->exp[i].held, 0};
}
