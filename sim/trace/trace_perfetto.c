/*
 * trace_perfetto.c — trace.perfetto.json: the Chrome trace-event format
 * (JSON object form) that ui.perfetto.dev and chrome://tracing open.
 *
 * Tracks: process "machine" (pid 1) with one thread per LP; one process per
 * partition (pid 1000 + partition id, named "root" or the VM bound to it by
 * a vm_bind record) with one thread per VP. A VP's time on an LP is a
 * complete event ("X") on both the LP's and the VP's track, from vp_entry to
 * the next switch-out, idle or vp_entry on that LP; hypercalls, exits, VM
 * state changes and the other kinds are instant events ("i") with their
 * decoded fields as args. Events are streamed as they come; the track names
 * (metadata "M" events) are written at close, when every VM binding is
 * known, followed by the closing brackets — so the file is valid JSON even
 * when the run stopped in the middle of a span.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "sim/scenario/scenario.h"
#include "trace_file.h"

#define PF_PID_MACHINE 1u
#define PF_PID_PARTITION_BASE 1000u
#define PF_TID_MACHINE_EVENTS 1u
#define PF_TID_LP_BASE 2u
#define PF_TID_VP_BASE 65536u
#define PF_VP_EVENTS 255u /* per-partition thread for events with no VP */

struct pf_span {
  bool open;
  uint16_t partition, vp;
  uint64_t start;
};

struct pf_bind {
  uint16_t partition;
  uint64_t vm_id;
};

struct trace_perfetto {
  FILE *f;
  const struct trace_meta *m;
  bool failed;
  bool any;              /* an event was written: the next needs a comma */
  uint64_t last_time;    /* latest time seen, where open spans are closed */
  struct pf_span *spans; /* per LP */
  size_t nspans;
  uint32_t *tracks; /* sorted keys partition << 16 | vp of tracks in use */
  size_t ntracks, captracks;
  struct pf_bind *binds;
  size_t nbinds, capbinds;
  uint32_t max_lp_seen;
};

static uint32_t pf_vp_tid(uint16_t partition, uint16_t vp) {
  uint32_t v = vp >= PF_VP_EVENTS ? PF_VP_EVENTS : vp;
  return PF_TID_VP_BASE + (uint32_t)partition * 256u + v;
}

/* Records that partition/vp has a track; vp PF_VP_EVENTS stands for the
 * partition's own event thread. */
static void pf_track_note(struct trace_perfetto *p, uint16_t partition,
                          uint16_t vp) {
  uint32_t key =
      ((uint32_t)partition << 16) | (vp >= PF_VP_EVENTS ? PF_VP_EVENTS : vp);
  size_t lo = 0, hi = p->ntracks;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (p->tracks[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < p->ntracks && p->tracks[lo] == key)
    return;
  if (p->ntracks == p->captracks) {
    size_t cap = p->captracks ? p->captracks * 2 : 64;
    uint32_t *t = realloc(p->tracks, cap * sizeof *t);
    if (!t) {
      p->failed = true;
      return;
    }
    p->tracks = t;
    p->captracks = cap;
  }
  memmove(p->tracks + lo + 1, p->tracks + lo,
          (p->ntracks - lo) * sizeof *p->tracks);
  p->tracks[lo] = key;
  p->ntracks++;
}

static struct pf_span *pf_span_of(struct trace_perfetto *p, uint16_t lp) {
  if (lp >= p->nspans) {
    size_t n = (size_t)lp + 1;
    struct pf_span *s = realloc(p->spans, n * sizeof *s);
    if (!s) {
      p->failed = true;
      return NULL;
    }
    memset(s + p->nspans, 0, (n - p->nspans) * sizeof *s);
    p->spans = s;
    p->nspans = n;
  }
  return &p->spans[lp];
}

static const char *pf_vm_of_partition(const struct trace_perfetto *p,
                                      uint16_t partition) {
  for (size_t i = p->nbinds; i-- > 0;)
    if (p->binds[i].partition == partition)
      return trace_meta_vm_name(p->m, p->binds[i].vm_id);
  return NULL;
}

/* Writes the name of a partition into buf: "root", the VM name, or
 * "partition N". */
static void pf_partition_name(const struct trace_perfetto *p,
                              uint16_t partition, char *buf, size_t len) {
  const char *vm = pf_vm_of_partition(p, partition);
  if (partition == HV_TRACE_ROOT_PARTITION)
    snprintf(buf, len, "root");
  else if (vm)
    snprintf(buf, len, "%.*s", (int)TRACE_VM_NAME_LEN, vm);
  else
    snprintf(buf, len, "partition %u", (unsigned)partition);
}

/* Starts one event object: ph, pid, tid, ts, name. */
static void pf_begin(struct trace_perfetto *p, char ph, uint32_t pid,
                     uint32_t tid, uint64_t t, const char *name) {
  FILE *f = p->f;
  fputs(p->any ? ",\n" : "\n", f);
  p->any = true;
  fprintf(f, "{\"ph\":\"%c\",\"pid\":%u,\"tid\":%u,\"ts\":", ph, pid, tid);
  trace_json_us(f, t, p->m->cycles_per_us);
  fputs(",\"name\":", f);
  trace_json_str(f, name);
}

static void pf_span_close(struct trace_perfetto *p, uint16_t lp, uint64_t end,
                          bool truncated) {
  struct pf_span *s = lp < p->nspans ? &p->spans[lp] : NULL;
  if (!s || !s->open)
    return;
  s->open = false;
  uint64_t dur = end > s->start ? end - s->start : 0;
  char pname[48], name[80];
  pf_partition_name(p, s->partition, pname, sizeof pname);
  snprintf(name, sizeof name, "%s vp%u", pname, (unsigned)s->vp);
  for (int track = 0; track < 2; track++) {
    if (track == 0)
      pf_begin(p, 'X', PF_PID_MACHINE, PF_TID_LP_BASE + lp, s->start, name);
    else
      pf_begin(p, 'X', PF_PID_PARTITION_BASE + s->partition,
               pf_vp_tid(s->partition, s->vp), s->start, "running");
    fputs(",\"cat\":\"vp\",\"dur\":", p->f);
    trace_json_us(p->f, dur, p->m->cycles_per_us);
    fprintf(p->f, ",\"args\":{\"lp\":%u,\"partition\":%u,\"vp\":%u%s}}",
            (unsigned)lp, (unsigned)s->partition, (unsigned)s->vp,
            truncated ? ",\"truncated\":true" : "");
  }
}

struct trace_perfetto *trace_perfetto_open(FILE *f,
                                           const struct trace_meta *m) {
  struct trace_perfetto *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->f = f;
  p->m = m;
  fputs("{\"traceEvents\":[", f);
  return p;
}

/* Where an instant event of r goes: its VP, its partition, its LP, or the
 * machine's own event thread. */
static void pf_instant_track(struct trace_perfetto *p,
                             const struct hv_trace_rec *r, uint32_t *pid,
                             uint32_t *tid) {
  if (r->partition != HV_TRACE_NONE) {
    uint16_t vp = r->vp == HV_TRACE_NONE ? PF_VP_EVENTS : r->vp;
    pf_track_note(p, r->partition, vp);
    *pid = PF_PID_PARTITION_BASE + r->partition;
    *tid = pf_vp_tid(r->partition, vp);
  } else if (r->lp != HV_TRACE_NONE) {
    *pid = PF_PID_MACHINE;
    *tid = PF_TID_LP_BASE + r->lp;
  } else {
    *pid = PF_PID_MACHINE;
    *tid = PF_TID_MACHINE_EVENTS;
  }
}

static void pf_arg_name(FILE *f, const char *key, const char *name,
                        uint64_t fallback) {
  fprintf(f, "\"%s\":", key);
  if (name)
    trace_json_str(f, name);
  else
    fprintf(f, "%" PRIu64, fallback);
}

/* Name and args of an instant event for r. */
static void pf_instant(struct trace_perfetto *p, const struct hv_trace_rec *r) {
  uint32_t pid, tid;
  char name[128];
  const char *kind = scn_trace_kind_name(r->kind);
  FILE *f = p->f;
  pf_instant_track(p, r, &pid, &tid);
  if (r->kind == HV_TR_HYPERCALL) {
    uint64_t code = r->a & HV_HYPERCALL_CODE_MASK;
    const char *call = scn_call_name((int)code);
    if (call)
      snprintf(name, sizeof name, "%s", call);
    else
      snprintf(name, sizeof name, "hypercall 0x%04" PRIx64, code);
  } else if (r->kind == HV_TR_VP_EXIT) {
    const char *why = scn_exit_reason_name((int)r->a);
    if (why)
      snprintf(name, sizeof name, "exit %s", why);
    else
      snprintf(name, sizeof name, "exit %" PRIu64, r->a);
  } else if (r->kind == HV_TR_VM_STATE) {
    const char *vm = trace_meta_vm_name(p->m, r->a);
    const char *to = r->c <= SCN_VM_DELETED
                         ? scn_vm_state_name((enum scn_vm_state)r->c)
                         : NULL;
    snprintf(name, sizeof name, "%.32s -> %s", vm ? vm : "vm", to ? to : "?");
  } else if (r->kind == HV_TR_MGMT && trace_mgmt_action_name(r->a)) {
    const char *vm = trace_meta_vm_name(p->m, r->c);
    snprintf(name, sizeof name, "%s %.32s", trace_mgmt_action_name(r->a),
             vm ? vm : "vm");
  } else if (kind) {
    snprintf(name, sizeof name, "%s", kind);
  } else {
    snprintf(name, sizeof name, "kind %u", (unsigned)r->kind);
  }
  pf_begin(p, 'i', pid, tid, r->time, name);
  fputs(",\"s\":\"t\",\"cat\":", f);
  trace_json_str(f, kind ? kind : "unknown");
  fputs(",\"args\":{", f);
  if (r->kind == HV_TR_HYPERCALL) {
    uint64_t status = r->b & HV_HYPERCALL_RESULT_MASK;
    pf_arg_name(f, "status", scn_status_name((int)status), status);
    fprintf(f,
            ",\"code\":%" PRIu64 ",\"rep_count\":%" PRIu64
            ",\"reps_done\":%" PRIu64 ",\"cycles\":%" PRIu64,
            (uint64_t)(r->a & HV_HYPERCALL_CODE_MASK),
            (uint64_t)((r->a & HV_HYPERCALL_REP_COMP_MASK) >>
                       HV_HYPERCALL_REP_COMP_OFFSET),
            (uint64_t)((r->b & HV_HYPERCALL_REP_DONE_MASK) >>
                       HV_HYPERCALL_REP_DONE_OFFSET),
            r->c);
  } else if (r->kind == HV_TR_VP_EXIT) {
    pf_arg_name(f, "reason", scn_exit_reason_name((int)r->a), r->a);
    fprintf(f, ",\"qual\":%" PRIu64 ",\"rip\":%" PRIu64, r->b, r->c);
  } else if (r->kind == HV_TR_VM_STATE) {
    const char *from = r->b <= SCN_VM_DELETED
                           ? scn_vm_state_name((enum scn_vm_state)r->b)
                           : NULL;
    pf_arg_name(f, "from", from, r->b);
    fprintf(f, ",\"vm_id\":%" PRIu64, r->a);
  } else if (r->kind == HV_TR_MGMT) {
    pf_arg_name(f, "action", trace_mgmt_action_name(r->a), r->a);
    fputc(',', f);
    pf_arg_name(f, "status", scn_mgmt_status_name((int)r->b), r->b);
    fprintf(f, ",\"vm_id\":%" PRIu64, r->c);
  } else {
    fprintf(f, "\"a\":%" PRIu64 ",\"b\":%" PRIu64 ",\"c\":%" PRIu64, r->a, r->b,
            r->c);
  }
  fputs("}}", f);
}

/* A SynIC message as a flow from the sender's VP to the receiver's: a
 * zero-length slice at each end bound by the message's sequence number
 * (trace-event flow v2: bind_id, flow_out / flow_in). */
static void pf_flow(struct trace_perfetto *p, const struct hv_trace_rec *r) {
  uint32_t pid, tid;
  bool out = r->kind == HV_TR_MSG_POST;
  uint64_t seq = out ? r->c & 0xFFFFFFFFull : r->c >> 32;
  pf_instant_track(p, r, &pid, &tid);
  pf_begin(p, 'X', pid, tid, r->time, out ? "message sent" : "message delivered");
  fprintf(p->f, ",\"cat\":\"synic\",\"dur\":0,\"bind_id\":\"msg%" PRIu64 "\",\"%s\":true}", seq,
          out ? "flow_out" : "flow_in");
}

/* A VMBus packet (kind vmbus_packet, recorded by the root's server) as a
 * flow between the child's partition and the root: a zero-length slice on
 * the child's event track and one on the root's VP, bound together; guest
 * to host flows out of the child, host to guest into it. */
static void pf_vmbus_flow(struct trace_perfetto *p, const struct hv_trace_rec *r) {
  uint64_t vm = r->a >> 32;
  uint16_t child = HV_TRACE_NONE;
  for (size_t i = p->nbinds; i-- > 0 && child == HV_TRACE_NONE;)
    if (p->binds[i].vm_id == vm)
      child = p->binds[i].partition;
  if (child == HV_TRACE_NONE || r->partition == HV_TRACE_NONE)
    return;
  bool to_guest = (r->b >> 32) == 1;
  uint32_t rpid, rtid, cpid = PF_PID_PARTITION_BASE + child, ctid = pf_vp_tid(child, PF_VP_EVENTS);
  pf_instant_track(p, r, &rpid, &rtid);
  pf_track_note(p, child, PF_VP_EVENTS);
  for (int end = 0; end < 2; end++) {
    bool root_side = (end == 0) == to_guest;
    pf_begin(p, 'X', root_side ? rpid : cpid, root_side ? rtid : ctid, r->time,
             to_guest ? "vmbus packet to guest" : "vmbus packet from guest");
    fprintf(p->f,
            ",\"cat\":\"vmbus\",\"dur\":0,\"bind_id\":\"vmbus%" PRIu64 "_%" PRIu64 "\",\"%s\":true,"
            "\"args\":{\"relid\":%" PRIu64 ",\"type\":%" PRIu64 ",\"bytes\":%" PRIu64 "}}",
            r->a, r->time, end == 0 ? "flow_out" : "flow_in", (uint64_t)(r->a & 0xFFFFFFFFu), (uint64_t)(r->b & 0xFFFFFFFFu), r->c);
  }
}

static void pf_bind_note(struct trace_perfetto *p,
                         const struct hv_trace_rec *r) {
  if (p->nbinds == p->capbinds) {
    size_t cap = p->capbinds ? p->capbinds * 2 : 16;
    struct pf_bind *b = realloc(p->binds, cap * sizeof *b);
    if (!b) {
      p->failed = true;
      return;
    }
    p->binds = b;
    p->capbinds = cap;
  }
  p->binds[p->nbinds].partition = (uint16_t)r->b;
  p->binds[p->nbinds].vm_id = r->a;
  p->nbinds++;
}

void trace_perfetto_event(struct trace_perfetto *p,
                          const struct hv_trace_rec *r) {
  if (r->time > p->last_time)
    p->last_time = r->time;
  if (r->lp != HV_TRACE_NONE && r->lp > p->max_lp_seen)
    p->max_lp_seen = r->lp;
  if (r->kind == HV_TR_VM_BIND && r->b < HV_TRACE_NONE)
    pf_bind_note(p, r);
  if (r->kind == HV_TR_VP_ENTRY || r->kind == HV_TR_SCHED) {
    if (r->lp == HV_TRACE_NONE)
      return;
    pf_span_close(p, r->lp, r->time, false);
    if (r->kind == HV_TR_VP_ENTRY && r->partition != HV_TRACE_NONE &&
        r->vp != HV_TRACE_NONE) {
      struct pf_span *s = pf_span_of(p, r->lp);
      if (!s)
        return;
      pf_track_note(p, r->partition, r->vp);
      *s = (struct pf_span){true, r->partition, r->vp, r->time};
    }
    return;
  }
  pf_instant(p, r);
  if (r->kind == HV_TR_MSG_POST || r->kind == HV_TR_MSG_DELIVER)
    pf_flow(p, r);
  if (r->kind == HV_TR_VMBUS_PACKET)
    pf_vmbus_flow(p, r);
}

/* Metadata event naming a process or a thread, with its sort index. */
static void pf_meta(struct trace_perfetto *p, bool thread, uint32_t pid,
                    uint32_t tid, const char *name, uint32_t sort) {
  FILE *f = p->f;
  fputs(p->any ? ",\n" : "\n", f);
  p->any = true;
  const char *what = thread ? "thread" : "process";
  fprintf(f,
          "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"%s_name\","
          "\"args\":{\"name\":",
          pid, tid, what);
  trace_json_str(f, name);
  fprintf(f,
          "}},\n{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"%s_sort_"
          "index\",\"args\":{\"sort_index\":%u}}",
          pid, tid, what, sort);
}

static void pf_write_names(struct trace_perfetto *p) {
  char name[64];
  pf_meta(p, false, PF_PID_MACHINE, PF_TID_MACHINE_EVENTS, "machine", 0);
  pf_meta(p, true, PF_PID_MACHINE, PF_TID_MACHINE_EVENTS, "events", 0);
  uint32_t lps = p->m->lps;
  if (p->max_lp_seen + 1 > lps)
    lps = p->max_lp_seen + 1;
  for (uint32_t lp = 0; lp < lps; lp++) {
    snprintf(name, sizeof name, "LP %u", lp);
    pf_meta(p, true, PF_PID_MACHINE, PF_TID_LP_BASE + lp, name, lp + 1);
  }
  uint32_t last_partition = UINT32_MAX;
  for (size_t i = 0; i < p->ntracks; i++) {
    uint16_t part = (uint16_t)(p->tracks[i] >> 16);
    uint16_t vp = (uint16_t)(p->tracks[i] & 0xFFFF);
    uint32_t pid = PF_PID_PARTITION_BASE + part;
    if (part != last_partition) {
      pf_partition_name(p, part, name, sizeof name);
      pf_meta(p, false, pid, pf_vp_tid(part, 0), name, part + 1);
      last_partition = part;
    }
    if (vp == PF_VP_EVENTS)
      snprintf(name, sizeof name, "events");
    else
      snprintf(name, sizeof name, "VP %u", (unsigned)vp);
    pf_meta(p, true, pid, pf_vp_tid(part, vp), name, vp);
  }
}

int trace_perfetto_close(struct trace_perfetto *p) {
  if (!p)
    return -1;
  for (size_t lp = 0; lp < p->nspans; lp++)
    pf_span_close(p, (uint16_t)lp, p->last_time, true);
  pf_write_names(p);
  char hex[65];
  sha256_hex(p->m->scenario_sha256, hex);
  fputs("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"scenario\":", p->f);
  trace_json_str(p->f, p->m->scenario_path);
  fprintf(p->f,
          ",\"scenario_sha256\":\"%s\",\"seed\":\"%" PRIu64 "\",\"build_id\":",
          hex, p->m->seed);
  trace_json_str(p->f, p->m->build_id);
  fputs("}}\n", p->f);
  int rc = p->failed ? -1 : 0;
  free(p->spans);
  free(p->tracks);
  free(p->binds);
  free(p);
  return rc;
}
