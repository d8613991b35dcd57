/*
 * plan.c — a scenario's world as one time-sorted plan (see plan.h).
 *
 * Order: VMs the timeline does not create are created at time 0, first;
 * then the timeline's actions in the scenario's (time-sorted, stable)
 * order, one management request per target; then an observation point
 * per state expectation, sorted by time (stable). The player keeps
 * samples behind every other event of the same time.
 */
#include "plan.h"

#include "sim/scenario/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t plan_action_mgmt[] = {
    [SCN_ACT_CREATE] = MGMT_CREATE, [SCN_ACT_START] = MGMT_START,     [SCN_ACT_STOP] = MGMT_STOP,
    [SCN_ACT_PAUSE] = MGMT_PAUSE,   [SCN_ACT_RESUME] = MGMT_RESUME,   [SCN_ACT_DELETE] = MGMT_DELETE,
    [SCN_ACT_CONNECT] = MGMT_CONNECT, [SCN_ACT_ROUTE] = MGMT_ROUTE,  [SCN_ACT_SHUTDOWN] = MGMT_SHUTDOWN,
};

static bool plan_is_device(enum scn_action_kind k) {
  return k == SCN_ACT_ASSIGN || k == SCN_ACT_UNASSIGN || k == SCN_ACT_DMA_STORM || k == SCN_ACT_DEVICE_FAULT;
}

static struct world_event *plan_add(struct plan *p, uint64_t at_ns, uint32_t kind, uint32_t arg,
                                    struct scn_pos pos) {
  struct world_event *e = &p->ev[p->nev];
  memset(e, 0, sizeof *e);
  e->at_ns = at_ns;
  e->kind = kind;
  e->arg = arg;
  e->count = 1;
  p->pos[p->nev++] = pos;
  return e;
}

/* One management request for VMMS: what a management client sends. */
static void plan_mgmt(struct plan *p, const struct scenario *scn, uint64_t at_ns, uint32_t action,
                      uint32_t part, const struct scn_action *a, struct scn_pos pos) {
  struct mgmt_request *q = &p->reqs[p->nreqs];
  memset(q, 0, sizeof *q);
  q->action = action;
  q->vm_id = part + 1;
  if (a && action == MGMT_CONNECT) {
    q->peer_vm = a->targets[1] + 1;
    q->conn_id = a->conn.id;
    q->sint = (uint8_t)a->conn.sint;
    q->flags = (uint16_t)a->conn.flags;
  } else if (a && action == MGMT_ROUTE) {
    q->vector = (uint8_t)a->route.vector;
    q->to_vector = (uint8_t)a->route.to_vector;
    q->vp = a->route.vp;
  }
  if (action == MGMT_CREATE) {
    const struct scn_partition *sp = &scn->partitions[part];
    snprintf(q->config.name, sizeof q->config.name, "%s", sp->name);
    snprintf(q->config.program, sizeof q->config.program, "%s", sp->program);
    q->config.memory_bytes = sp->memory_bytes;
    q->config.vps = sp->vps;
    scn_kernel_vm_config(sp, &q->config);
    for (uint32_t i = 0; i < sp->nparams && q->config.nparams < GUEST_MAX_PARAMS; i++) {
      if (sp->params[i].is_string)
        continue;
      struct guest_boot_param *bp = &q->config.params[q->config.nparams++];
      snprintf(bp->key, sizeof bp->key, "%s", sp->params[i].key);
      bp->value = sp->params[i].value;
    }
  }
  plan_add(p, at_ns, WORLD_EV_MGMT, p->nreqs++, pos);
}

static void plan_action(struct plan *p, const struct scenario *scn, uint32_t i) {
  const struct scn_action *a = &scn->actions[i];
  if (plan_is_device(a->kind)) {
    plan_add(p, a->at_ns, WORLD_EV_DEVICE, i, a->pos);
  } else if (a->kind == SCN_ACT_INTERRUPT) {
    struct world_event *e = plan_add(p, a->at_ns, WORLD_EV_INTERRUPT, i, a->pos);
    e->vector = a->irq.vector;
    e->lp = a->irq.lp;
    e->count = a->irq.count ? a->irq.count : 1;
    e->period_ns = a->irq.period_ns;
  } else if (a->kind == SCN_ACT_CONNECT || a->kind == SCN_ACT_ROUTE) {
    plan_mgmt(p, scn, a->at_ns, plan_action_mgmt[a->kind], a->targets[0], a, a->pos);
  } else {
    for (uint32_t k = 0; k < a->ntargets; k++)
      plan_mgmt(p, scn, a->at_ns, plan_action_mgmt[a->kind], a->targets[k], 0, a->pos);
  }
}

/* Sort by time, samples after every other event of the same time, else
 * keeping the order built (index as the last key: a stable sort). */
struct plan_key {
  uint64_t at_ns;
  uint32_t sample, index;
};

static int plan_key_cmp(const void *x, const void *y) {
  const struct plan_key *a = x, *b = y;
  if (a->at_ns != b->at_ns)
    return a->at_ns < b->at_ns ? -1 : 1;
  if (a->sample != b->sample)
    return a->sample < b->sample ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static int plan_sort(struct plan *p) {
  struct plan_key *k = calloc(p->nev + 1, sizeof *k);
  struct world_event *ev = calloc(p->nev + 1, sizeof *ev);
  struct scn_pos *pos = calloc(p->nev + 1, sizeof *pos);
  if (!k || !ev || !pos) {
    free(k), free(ev), free(pos);
    return -1;
  }
  for (uint32_t i = 0; i < p->nev; i++)
    k[i] = (struct plan_key){p->ev[i].at_ns, p->ev[i].kind == WORLD_EV_SAMPLE, i};
  qsort(k, p->nev, sizeof *k, plan_key_cmp);
  for (uint32_t i = 0; i < p->nev; i++) {
    ev[i] = p->ev[k[i].index];
    pos[i] = p->pos[k[i].index];
  }
  free(k);
  free(p->ev);
  free(p->pos);
  p->ev = ev;
  p->pos = pos;
  return 0;
}

/* The end: the scenario's `until`, else 100 ms after the last timed item
 * (an action, the last interrupt of a storm, a state expectation). */
static uint64_t plan_until(const struct scenario *scn) {
  if (scn->until_ns)
    return scn->until_ns;
  uint64_t last = 0;
  for (uint32_t i = 0; i < scn->nactions; i++) {
    const struct scn_action *a = &scn->actions[i];
    uint64_t t = a->at_ns + (a->irq.count > 1 ? a->irq.period_ns * a->irq.count : 0);
    last = t > last ? t : last;
  }
  for (uint32_t i = 0; i < scn->nexpects; i++)
    if (scn->expects[i].kind == SCN_EXP_STATE && scn->expects[i].at_ns > last)
      last = scn->expects[i].at_ns;
  return last + PLAN_DEFAULT_TAIL_NS;
}

int plan_build(const struct scenario *scn, uint64_t until_ns, struct plan *p) {
  memset(p, 0, sizeof *p);
  size_t cap = scn->npartitions + scn->nexpects;
  for (uint32_t i = 0; i < scn->nactions; i++)
    cap += scn->actions[i].ntargets ? scn->actions[i].ntargets : 1;
  p->ev = calloc(cap + 1, sizeof *p->ev);
  p->pos = calloc(cap + 1, sizeof *p->pos);
  p->reqs = calloc(cap + 1, sizeof *p->reqs);
  if (!p->ev || !p->pos || !p->reqs) {
    plan_free(p);
    return -1;
  }
  for (uint32_t i = 0; i < scn->npartitions; i++)
    if (!scn->partitions[i].explicit_create)
      plan_mgmt(p, scn, 0, MGMT_CREATE, i, 0, scn->partitions[i].pos);
  for (uint32_t i = 0; i < scn->nactions; i++)
    plan_action(p, scn, i);
  for (uint32_t i = 0; i < scn->nexpects; i++)
    if (scn->expects[i].kind == SCN_EXP_STATE)
      plan_add(p, scn->expects[i].at_ns, WORLD_EV_SAMPLE, i, scn->expects[i].pos);
  if (plan_sort(p) != 0) {
    plan_free(p);
    return -1;
  }
  p->until_ns = until_ns ? until_ns : plan_until(scn);
  return 0;
}

void plan_free(struct plan *p) {
  free(p->ev);
  free(p->pos);
  free(p->reqs);
  memset(p, 0, sizeof *p);
}
