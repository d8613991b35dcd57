/*
 * timeline.c — the `timeline:` section of a scenario: management
 * actions, interrupts and storms, SynIC connections, interrupt routes;
 * sorted by time, stably.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "hvsim/trace.h"
#include "models/guest/guest.h"
#include "parse.h"

/* ---- timeline ------------------------------------------------------------ */

static int scn_irq(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { I_DEVICE, I_VECTOR, I_LP, I_COUNT, I_PERIOD, I_N };
  struct field f[I_N] = {
      {"device", 0, 0}, {"vector", 0, 0}, {"lp", 0, 0}, {"count", 0, 0}, {"period", 0, 0}};
  uint64_t vector = 0, lp = 0, count = 1, period = 0;
  if (map_collect(c, n, f, I_N) || field_require(c, n, &f[I_DEVICE]) ||
      field_require(c, n, &f[I_VECTOR]))
    return -1;
  size_t old = path_key(c, "device");
  if (node_text(c, f[I_DEVICE].node, a->irq.device, sizeof a->irq.device, "a device name"))
    return -1;
  if (!name_valid(a->irq.device, false, "_.-"))
    return scn_fail(c, f[I_DEVICE].node, "'%s' is not a valid device name", a->irq.device);
  path_restore(c, old);
  if (field_uint(c, &f[I_VECTOR], 16, 255, &vector) ||
      field_uint(c, &f[I_LP], 0, c->s->machine.lps - 1, &lp) ||
      field_uint(c, &f[I_COUNT], 1, 1000000, &count) ||
      field_time(c, &f[I_PERIOD], 0, (UINT64_MAX - a->at_ns) / count, &period))
    return -1;
  if (count > 1 && period == 0) {
    path_key(c, "period");
    return scn_fail(c, f[I_PERIOD].node ? f[I_PERIOD].node : n,
                "must be greater than 0 when count is more than 1");
  }
  a->irq.vector = (uint32_t)vector;
  a->irq.lp = (uint32_t)lp;
  a->irq.count = (uint32_t)count;
  a->irq.period_ns = period;
  return 0;
}

/* connect: { from: a, to: b, id: 0x10, sint: 3, flags: 0 } */
static int scn_connect(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { C_FROM, C_TO, C_ID, C_SINT, C_FLAGS, C_N };
  struct field f[C_N] = {{"from", 0, 0}, {"to", 0, 0}, {"id", 0, 0}, {"sint", 0, 0}, {"flags", 0, 0}};
  uint64_t id = 0, sint = 0, flags = 0;
  uint32_t one;
  if (map_collect(c, n, f, C_N) || field_require(c, n, &f[C_FROM]) || field_require(c, n, &f[C_TO]) ||
      field_require(c, n, &f[C_ID]) || field_require(c, n, &f[C_SINT]))
    return -1;
  size_t old = path_key(c, "from");
  if (node_targets(c, f[C_FROM].node, 1, &a->targets[0], &one))
    return -1;
  path_restore(c, old);
  old = path_key(c, "to");
  if (node_targets(c, f[C_TO].node, 1, &a->targets[1], &one))
    return -1;
  path_restore(c, old);
  if (a->targets[0] == a->targets[1])
    return scn_fail(c, f[C_TO].node, "a partition cannot connect to itself");
  if (field_uint(c, &f[C_ID], 1, 0xFFFFFF, &id) || field_uint(c, &f[C_SINT], 1, 15, &sint) ||
      field_uint(c, &f[C_FLAGS], 0, 2048, &flags))
    return -1;
  a->ntargets = 2;
  a->conn.id = (uint32_t)id;
  a->conn.sint = (uint32_t)sint;
  a->conn.flags = (uint32_t)flags;
  return 0;
}

/* route: { vector: 0x30, to: victim, as: 0x50, vp: 0 } */
static int scn_route(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { R_VECTOR, R_TO, R_AS, R_VP, R_N };
  struct field f[R_N] = {{"vector", 0, 0}, {"to", 0, 0}, {"as", 0, 0}, {"vp", 0, 0}};
  uint64_t vector = 0, as = 0, vp = 0;
  if (map_collect(c, n, f, R_N) || field_require(c, n, &f[R_VECTOR]) || field_require(c, n, &f[R_TO]))
    return -1;
  size_t old = path_key(c, "to");
  if (node_targets(c, f[R_TO].node, 1, &a->targets[0], &a->ntargets))
    return -1;
  path_restore(c, old);
  if (field_uint(c, &f[R_VECTOR], 16, 255, &vector) || field_uint(c, &f[R_AS], 16, 255, &as) ||
      field_uint(c, &f[R_VP], 0, c->s->partitions[a->targets[0]].vps - 1, &vp))
    return -1;
  a->ntargets = 1;
  a->route.vector = (uint32_t)vector;
  a->route.to_vector = (uint32_t)(f[R_AS].node ? as : vector);
  a->route.vp = (uint32_t)vp;
  return 0;
}

enum { A_AT, A_CREATE, A_START, A_STOP, A_PAUSE, A_RESUME, A_DELETE, A_INTERRUPT, A_CONNECT, A_ROUTE,
       A_ASSIGN, A_UNASSIGN, A_DMA_STORM, A_DEVICE_FAULT, A_SHUTDOWN, A_N };

/* Index of the one action key of a timeline item, or -1 with an error. */
static int action_pick(struct ctx *c, uint32_t n, const struct field *f) {
  int found = -1;
  for (int i = A_CREATE; i < A_N; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return scn_fail(c, f[i].keynode, "one action per timeline item, found '%s' and '%s'",
                  f[found].key, f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return scn_fail(c, n,
                "needs an action: create, start, stop, pause, resume, delete, "
                "interrupt, connect, route, assign, unassign, dma_storm, device_fault or shutdown");
  return found;
}

int scn_action(struct ctx *c, uint32_t n, struct scn_action *a) {
  struct field f[A_N] = {{"at", 0, 0},    {"create", 0, 0}, {"start", 0, 0},  {"stop", 0, 0},
                         {"pause", 0, 0}, {"resume", 0, 0}, {"delete", 0, 0}, {"interrupt", 0, 0},
                         {"connect", 0, 0}, {"route", 0, 0}, {"assign", 0, 0}, {"unassign", 0, 0},
                         {"dma_storm", 0, 0}, {"device_fault", 0, 0}, {"shutdown", 0, 0}};
  char until[24];
  a->pos = node_at(c, n)->pos;
  if (map_collect(c, n, f, A_N) || field_require(c, n, &f[A_AT]) ||
      field_time(c, &f[A_AT], 0, UINT64_MAX, &a->at_ns))
    return -1;
  int act = action_pick(c, n, f);
  if (act < 0)
    return -1;
  if (c->s->until_ns && a->at_ns > c->s->until_ns) {
    path_key(c, "at");
    return scn_fail(c, f[A_AT].node, "after the end of the run (until: %s)",
                scn_time_format(c->s->until_ns, until, sizeof until));
  }
  a->kind = (enum scn_action_kind)(SCN_ACT_CREATE + (act - A_CREATE));
  path_key(c, f[act].key);
  if (act == A_INTERRUPT)
    return scn_irq(c, f[act].node, a);
  if (act == A_CONNECT)
    return scn_connect(c, f[act].node, a);
  if (act == A_ROUTE)
    return scn_route(c, f[act].node, a);
  if (act == A_ASSIGN || act == A_UNASSIGN)
    return scn_assign(c, f[act].node, a);
  if (act == A_DMA_STORM)
    return scn_dma_storm(c, f[act].node, a);
  if (act == A_DEVICE_FAULT)
    return scn_device_fault(c, f[act].node, a);
  if (node_targets(c, f[act].node, 1, a->targets, &a->ntargets))
    return -1;
  for (uint32_t i = 0; act == A_CREATE && i < a->ntargets; i++)
    c->s->partitions[a->targets[i]].explicit_create = true;
  return 0;
}

struct action_order {
  uint64_t at_ns;
  uint32_t index;
};

/* By time, then by position in the file: a stable order. */
static int action_order_cmp(const void *pa, const void *pb) {
  const struct action_order *a = pa, *b = pb;
  if (a->at_ns != b->at_ns)
    return a->at_ns < b->at_ns ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static int actions_sort(struct ctx *c, uint32_t n) {
  struct scenario *s = c->s;
  struct action_order *order = calloc(s->nactions, sizeof *order);
  struct scn_action *sorted = calloc(s->nactions, sizeof *sorted);
  if (!order || !sorted) {
    free(order);
    free(sorted);
    return scn_fail(c, n, "out of memory");
  }
  for (uint32_t i = 0; i < s->nactions; i++)
    order[i] = (struct action_order){s->actions[i].at_ns, i};
  qsort(order, s->nactions, sizeof *order, action_order_cmp);
  for (uint32_t i = 0; i < s->nactions; i++)
    sorted[i] = s->actions[order[i].index];
  free(order);
  free(s->actions);
  s->actions = sorted;
  return 0;
}

int scn_timeline(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of timeline items");
  if (list->count > SCN_MAX_ACTIONS)
    return scn_fail(c, n, "at most %d timeline items, got %" PRIu32, SCN_MAX_ACTIONS, list->count);
  if (list->count == 0)
    return 0;
  s->actions = calloc(list->count, sizeof *s->actions);
  if (!s->actions)
    return scn_fail(c, n, "out of memory");
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_action(c, e, &s->actions[i]))
      return -1;
    s->nactions++;
    path_restore(c, old);
  }
  return actions_sort(c, n);
}
