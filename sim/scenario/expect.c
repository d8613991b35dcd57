/*
 * expect.c — the `expect:` section of a scenario: state, count,
 * latency, isolation, fairness and console expectations, their event
 * filters and the text each verdict line shows.
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

/* ---- expectations ------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void text_add(struct scn_expect *e, const char *fmt,
                                                           ...) {
  size_t len = strlen(e->text);
  va_list ap;
  if (len + 1 >= sizeof e->text)
    return;
  va_start(ap, fmt);
  vsnprintf(e->text + len, sizeof e->text - len, fmt, ap);
  va_end(ap);
}

static const char *partition_label(const struct scenario *s, int32_t i) {
  return i == -2 ? "root" : s->partitions[i].name;
}

static int state_entry(struct ctx *c, uint32_t k, struct scn_expect *e) {
  int32_t p;
  uint32_t v = node_at(c, k)->next;
  char name[32];
  if (node_partition(c, k, false, &p))
    return -1;
  for (uint32_t j = 0; j < e->ntargets; j++)
    if (e->targets[j] == (uint32_t)p)
      return scn_fail(c, k, "partition '%s' listed twice", node_at(c, k)->str);
  if (node_text(c, v, name, sizeof name, "a VM state"))
    return -1;
  int st = scn_vm_state_parse(name);
  if (st < 0)
    return scn_fail(c, v,
                "unknown VM state '%s' (Off, Starting, Running, Paused, "
                "Stopping, Deleted)",
                name);
  e->targets[e->ntargets] = (uint32_t)p;
  e->states[e->ntargets++] = (enum scn_vm_state)st;
  return 0;
}

static int exp_state(struct ctx *c, uint32_t n, struct scn_expect *e) {
  const struct node *m = node_at(c, n);
  char t[24];
  if (m->type != NODE_MAP)
    return fail_type(c, n, "a map of partition: state");
  if (m->count == 0 || m->count / 2 > SCN_MAX_TARGETS)
    return scn_fail(c, n, "needs 1 to %d partitions", SCN_MAX_TARGETS);
  for (uint32_t k = m->first; k; k = node_at(c, node_at(c, k)->next)->next) {
    size_t old = path_key(c, node_at(c, k)->str);
    if (state_entry(c, k, e))
      return -1;
    path_restore(c, old);
  }
  text_add(e, "state");
  for (uint32_t i = 0; i < e->ntargets; i++)
    text_add(e, " %s=%s", c->s->partitions[e->targets[i]].name, scn_vm_state_name(e->states[i]));
  text_add(e, " at %s", scn_time_format(e->at_ns, t, sizeof t));
  return 0;
}

enum { F_EVENT, F_PARTITION, F_VP, F_CALL, F_STATUS, F_REASON, F_CODE, F_VALUE, F_N };

/* A list of every trace kind name, for the message about an unknown one. */
static void kinds_list(char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (int k = 0; k < HV_TR_KIND_COUNT && len < cap; k++) {
    const char *name = scn_trace_kind_name(k);
    int n = name ? snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name) : 0;
    if (n < 0)
      break;
    len += (size_t)n;
  }
}

static int filter_event(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[32], known[300];
  path_key(c, f->key);
  if (node_text(c, f->node, name, sizeof name, "an event kind"))
    return -1;
  flt->kind = scn_trace_kind_parse(name);
  if (flt->kind < 0) {
    kinds_list(known, sizeof known);
    return scn_fail(c, f->node, "unknown event kind '%s' (known: %s)", name, known);
  }
  return 0;
}

static int filter_vp(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  uint64_t vp;
  uint64_t max = VP_MAX - 1;
  if (flt->partition >= 0)
    max = c->s->partitions[flt->partition].vps - 1;
  if (field_uint(c, f, 0, max, &vp))
    return -1;
  flt->vp = (int32_t)vp;
  return 0;
}

static int filter_call(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[48];
  path_key(c, f->key);
  if (flt->kind != HV_TR_HYPERCALL)
    return scn_fail(c, f->keynode, "'call' needs event: hypercall");
  if (node_text(c, f->node, name, sizeof name, "a hypercall name"))
    return -1;
  flt->call = scn_call_parse(name);
  if (flt->call < 0)
    return scn_fail(c, f->node,
                "unknown hypercall '%s' (a TLFS name like "
                "HvCallCreatePartition, or a number)",
                name);
  return 0;
}

static int filter_status(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[48];
  bool mgmt = flt->kind == HV_TR_MGMT, dma = flt->kind == HV_TR_DMA;
  path_key(c, f->key);
  if (flt->kind != HV_TR_HYPERCALL && !mgmt && !dma)
    return scn_fail(c, f->keynode, "'status' needs event: hypercall, mgmt or dma");
  if (node_text(c, f->node, name, sizeof name, "a status name"))
    return -1;
  flt->status_not = name[0] == '!';
  const char *bare = name + (flt->status_not ? 1 : 0);
  if (dma) { /* the device's completion status field, a number */
    uint64_t v;
    if (scn_parse_uint(bare, &v) != 0 || v > 0x7FFF)
      return scn_fail(c, f->node, "a device status is a number 0..0x7fff (0 = success), got '%s'", bare);
    flt->status = (int32_t)v;
    return 0;
  }
  flt->status = mgmt ? scn_mgmt_status_parse(bare) : scn_status_parse(bare);
  if (flt->status < 0)
    return scn_fail(c, f->node,
                mgmt ? "unknown mgmt status '%s' (ok, invalid_state, "
                       "failed, not_found)"
                     : "unknown status '%s' (an HV_STATUS_ name like "
                       "ACCESS_DENIED, or a number)",
                bare);
  return 0;
}

static int filter_reason(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[32];
  path_key(c, f->key);
  if (flt->kind != HV_TR_VP_EXIT)
    return scn_fail(c, f->keynode, "'reason' needs event: vp_exit");
  if (node_text(c, f->node, name, sizeof name, "an exit reason"))
    return -1;
  flt->reason = scn_exit_reason_parse(name);
  if (flt->reason < 0)
    return scn_fail(c, f->node,
                "unknown exit reason '%s' (hypercall, msr_read, "
                "msr_write, cpuid, io, hlt, gpa_violation, exception, "
                "preempt, interrupt, shutdown)",
                name);
  return 0;
}

/* code / value: a guest mark's code and value (event: guest). */
static int filter_mark(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  uint64_t v;
  if (flt->kind != HV_TR_GUEST) {
    path_key(c, f->key);
    return scn_fail(c, f->keynode, "'%s' needs event: guest", f->key);
  }
  if (field_uint(c, f, 0, UINT64_MAX, &v))
    return -1;
  if (strcmp(f->key, "code") == 0) {
    flt->code = (int64_t)(v & 0x7FFFFFFFFFFFFFFFull);
  } else {
    flt->has_value = true;
    flt->value = v;
  }
  return 0;
}

/* Run a filter key's parser with the path restored afterwards. */
static int filter_key(struct ctx *c, const struct field *f, struct scn_filter *flt,
                      int (*parse)(struct ctx *, const struct field *, struct scn_filter *)) {
  size_t old = c->plen;
  if (!f->node)
    return 0;
  if (parse(c, f, flt))
    return -1;
  path_restore(c, old);
  return 0;
}

static int filter_partition(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  path_key(c, f->key);
  return node_partition(c, f->node, true, &flt->partition);
}

static void filter_text(const struct scenario *s, struct scn_expect *e) {
  const struct scn_filter *f = &e->filter;
  const char *name;
  text_add(e, "count %s", scn_trace_kind_name(f->kind));
  if (f->partition != -1)
    text_add(e, " partition=%s", partition_label(s, f->partition));
  if (f->vp >= 0)
    text_add(e, " vp=%" PRId32, f->vp);
  if (f->call >= 0 && (name = scn_call_name(f->call)) != NULL)
    text_add(e, " call=%s", name);
  else if (f->call >= 0)
    text_add(e, " call=0x%" PRIx32, (uint32_t)f->call);
  name = f->kind == HV_TR_MGMT ? scn_mgmt_status_name(f->status) : scn_status_name(f->status);
  if (f->status >= 0 && name)
    text_add(e, " status=%s%s", f->status_not ? "!" : "", name);
  else if (f->status >= 0)
    text_add(e, " status=%s0x%" PRIx32, f->status_not ? "!" : "", (uint32_t)f->status);
  if (f->reason >= 0)
    text_add(e, " reason=%s", scn_exit_reason_name(f->reason));
  if (f->code >= 0)
    text_add(e, " code=%" PRId64, f->code);
  if (f->has_value)
    text_add(e, " value=%" PRIu64, f->value);
}

static int exp_filter(struct ctx *c, uint32_t n, struct scn_filter *flt) {
  struct field f[F_N] = {{"event", 0, 0}, {"partition", 0, 0}, {"vp", 0, 0},
                         {"call", 0, 0},  {"status", 0, 0},    {"reason", 0, 0},
                         {"code", 0, 0},  {"value", 0, 0}};
  *flt = (struct scn_filter){.kind = -1,
                             .partition = -1,
                             .vp = -1,
                             .call = -1,
                             .status = -1,
                             .status_not = false,
                             .reason = -1,
                             .code = -1};
  return map_collect(c, n, f, F_N) || field_require(c, n, &f[F_EVENT]) ||
                 filter_key(c, &f[F_EVENT], flt, filter_event) ||
                 filter_key(c, &f[F_PARTITION], flt, filter_partition) ||
                 filter_key(c, &f[F_VP], flt, filter_vp) ||
                 filter_key(c, &f[F_CALL], flt, filter_call) ||
                 filter_key(c, &f[F_STATUS], flt, filter_status) ||
                 filter_key(c, &f[F_REASON], flt, filter_reason) ||
                 filter_key(c, &f[F_CODE], flt, filter_mark) || filter_key(c, &f[F_VALUE], flt, filter_mark)
             ? -1
             : 0;
}

int scn_filter_parse(const struct scenario *s, const char *text, struct scn_filter *out, struct scn_error *err) {
  struct ctx c;
  memset(&c, 0, sizeof c);
  err->msg[0] = '\0';
  c.file = "(filter)";
  c.buf = (const uint8_t *)text;
  c.len = strlen(text);
  c.err = err;
  c.s = (struct scenario *)s; /* read only: partition names */
  int rc = tree_build(&c) == 0 ? exp_filter(&c, c.root, out) : -1;
  tree_free(&c);
  return rc;
}

enum {
  E_AT,
  E_STATE,
  E_COUNT,
  E_ISOLATION,
  E_FAIR,
  E_LATENCY,
  E_CONSOLE,
  E_EQUALS,
  E_AT_LEAST,
  E_AT_MOST,
  E_TOLERANCE,
  E_CONTAINS,
  E_N
};

/* The comparator of a count expectation: exactly one of three keys. */
static int exp_compare(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  static const char *const ops[] = {"==", ">=", "<="};
  int found = -1;
  for (int i = E_EQUALS; i <= E_AT_MOST; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return scn_fail(c, f[i].keynode, "one comparison per count, found '%s' and '%s'", f[found].key,
                  f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return scn_fail(c, n, "count needs one of equals, at_least, at_most");
  e->cmp = (enum scn_cmp)(SCN_CMP_EQ + (found - E_EQUALS));
  if (field_uint(c, &f[found], 0, UINT64_MAX, &e->n))
    return -1;
  text_add(e, " %s %" PRIu64, ops[e->cmp], e->n);
  return 0;
}

/* latency: { event: timer|msg_deliver, ... }, at_most: 50us (or at_least) */
static int exp_latency(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  size_t old = path_key(c, "latency");
  if (exp_filter(c, f[E_LATENCY].node, &e->filter))
    return -1;
  if (e->filter.kind != HV_TR_TIMER && e->filter.kind != HV_TR_MSG_DELIVER)
    return scn_fail(c, f[E_LATENCY].node, "latency needs event: timer or msg_deliver");
  path_restore(c, old);
  if (f[E_EQUALS].node)
    return field_reject(c, &f[E_EQUALS], "does not go with latency (use at_most or at_least)");
  if (!!f[E_AT_LEAST].node == !!f[E_AT_MOST].node)
    return scn_fail(c, n, "latency needs one of at_most, at_least");
  int which = f[E_AT_MOST].node ? E_AT_MOST : E_AT_LEAST;
  e->cmp = which == E_AT_MOST ? SCN_CMP_LE : SCN_CMP_GE;
  if (field_time(c, &f[which], 0, UINT64_MAX / 100000, &e->n))
    return -1;
  char t[24];
  filter_text(c->s, e); /* "count <kind> <filters>" */
  char tmp[sizeof e->text];
  snprintf(tmp, sizeof tmp, "latency%s", e->text + 5);
  memcpy(e->text, tmp, sizeof tmp);
  text_add(e, " %s %s", which == E_AT_MOST ? "<=" : ">=", scn_time_format(e->n, t, sizeof t));
  return 0;
}

static int exp_count(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  size_t old = path_key(c, "count");
  if (exp_filter(c, f[E_COUNT].node, &e->filter))
    return -1;
  path_restore(c, old);
  filter_text(c->s, e);
  return exp_compare(c, n, f, e);
}

static int exp_isolation(struct ctx *c, const struct field *f, struct scn_expect *e) {
  const struct node *v = node_at(c, f->node);
  path_key(c, f->key);
  if (v->type != NODE_SCALAR || strcmp(v->str, "ok") != 0)
    return fail_type(c, f->node, "'ok'");
  text_add(e, "isolation ok");
  return 0;
}

static int exp_fair(struct ctx *c, const struct field *f, struct scn_expect *e) {
  uint64_t tol = 0;
  size_t old = path_key(c, f[E_FAIR].key);
  if (node_targets(c, f[E_FAIR].node, 2, e->targets, &e->ntargets))
    return -1;
  path_restore(c, old);
  path_key(c, f[E_TOLERANCE].key);
  if (node_percent(c, f[E_TOLERANCE].node, 1, 100, &tol))
    return -1;
  path_restore(c, old);
  e->tolerance_pct = (uint32_t)tol;
  text_add(e, "fair");
  for (uint32_t i = 0; i < e->ntargets; i++)
    text_add(e, " %s", c->s->partitions[e->targets[i]].name);
  text_add(e, " within %" PRIu32 "%%", e->tolerance_pct);
  return 0;
}

/* console: VM, contains: "text": the VM's COM1 output (its `serial`
 * records) holds the text somewhere. */
static int exp_console(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  int32_t p;
  size_t old = path_key(c, f[E_CONSOLE].key);
  if (node_partition(c, f[E_CONSOLE].node, false, &p))
    return -1;
  path_restore(c, old);
  if (field_require(c, n, &f[E_CONTAINS]))
    return -1;
  path_key(c, f[E_CONTAINS].key);
  if (node_text(c, f[E_CONTAINS].node, e->contains, sizeof e->contains, "the text to find (1 to 63 bytes)"))
    return -1;
  if (!e->contains[0])
    return scn_fail(c, f[E_CONTAINS].node, "an empty text is found anywhere: give 1 to 63 bytes");
  path_restore(c, old);
  e->targets[0] = (uint32_t)p;
  e->ntargets = 1;
  text_add(e, "console %s contains \"%s\"", c->s->partitions[p].name, e->contains);
  return 0;
}

/* The kind of an expectation: exactly one of state, count, isolation, fair,
 * latency, console. */
static int exp_pick(struct ctx *c, uint32_t n, const struct field *f) {
  int found = -1;
  for (int i = E_STATE; i <= E_CONSOLE; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return scn_fail(c, f[i].keynode, "one expectation per item, found '%s' and '%s'", f[found].key,
                  f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return scn_fail(c, n, "needs one of state, count, isolation, fair, latency, console");
  return found;
}

/* Keys that belong to other kinds of expectation are errors. */
static int exp_reject_extra(struct ctx *c, const struct field *f, int kind) {
  if (kind != E_STATE && field_reject(c, &f[E_AT], "only goes with state"))
    return -1;
  for (int i = E_EQUALS; i <= E_AT_MOST && kind != E_COUNT && kind != E_LATENCY; i++)
    if (field_reject(c, &f[i], "only goes with count or latency"))
      return -1;
  if (kind != E_FAIR && field_reject(c, &f[E_TOLERANCE], "only goes with fair"))
    return -1;
  if (kind != E_CONSOLE && field_reject(c, &f[E_CONTAINS], "only goes with console"))
    return -1;
  return 0;
}

static int exp_kind(struct ctx *c, uint32_t n, const struct field *f, int kind,
                    struct scn_expect *e) {
  char until[24];
  switch (kind) {
  case E_STATE:
    e->kind = SCN_EXP_STATE;
    if (field_require(c, n, &f[E_AT]) || field_time(c, &f[E_AT], 0, UINT64_MAX, &e->at_ns))
      return -1;
    if (c->s->until_ns && e->at_ns > c->s->until_ns) {
      path_key(c, "at");
      return scn_fail(c, f[E_AT].node, "after the end of the run (until: %s)",
                  scn_time_format(c->s->until_ns, until, sizeof until));
    }
    path_key(c, "state");
    return exp_state(c, f[E_STATE].node, e);
  case E_COUNT:
    e->kind = SCN_EXP_COUNT;
    return exp_count(c, n, f, e);
  case E_ISOLATION:
    e->kind = SCN_EXP_ISOLATION;
    return exp_isolation(c, &f[E_ISOLATION], e);
  case E_LATENCY:
    e->kind = SCN_EXP_LATENCY;
    return exp_latency(c, n, f, e);
  case E_CONSOLE:
    e->kind = SCN_EXP_CONSOLE;
    return exp_console(c, n, f, e);
  default:
    e->kind = SCN_EXP_FAIR;
    return field_require(c, n, &f[E_TOLERANCE]) || exp_fair(c, f, e) ? -1 : 0;
  }
}

static int scn_expect_item(struct ctx *c, uint32_t n, struct scn_expect *e) {
  struct field f[E_N] = {{"at", 0, 0},        {"state", 0, 0},   {"count", 0, 0},
                         {"isolation", 0, 0}, {"fair", 0, 0},    {"latency", 0, 0},
                         {"console", 0, 0},   {"equals", 0, 0},
                         {"at_least", 0, 0},  {"at_most", 0, 0},
                         {"tolerance", 0, 0}, {"contains", 0, 0}};
  e->pos = node_at(c, n)->pos;
  if (map_collect(c, n, f, E_N))
    return -1;
  int kind = exp_pick(c, n, f);
  if (kind < 0 || exp_reject_extra(c, f, kind))
    return -1;
  return exp_kind(c, n, f, kind, e);
}

int scn_expects(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of expectations");
  if (list->count > SCN_MAX_EXPECTS)
    return scn_fail(c, n, "at most %d expectations, got %" PRIu32, SCN_MAX_EXPECTS, list->count);
  if (list->count == 0)
    return 0;
  s->expects = calloc(list->count, sizeof *s->expects);
  if (!s->expects)
    return scn_fail(c, n, "out of memory");
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_expect_item(c, e, &s->expects[i]))
      return -1;
    s->nexpects++;
    path_restore(c, old);
  }
  return 0;
}
