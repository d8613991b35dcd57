/*
 * trace_jsonl.c — trace.jsonl: one JSON object per line. The first line is
 * {"type":"header",...} with the run's inputs; then one object per event:
 * seq, t (cycles), us, kind, lp, partition, vp (null when not applicable),
 * the raw payload a, b, c, and fields decoded per kind (hypercall call code
 * and status, exit reason, VM state names, ...). Names come from the
 * scenario name tables (scenario.h) so scenario files and traces agree.
 */
#include <inttypes.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "sim/scenario/scenario.h"
#include "trace_file.h"

static void jsonl_key_name(FILE *f, const char *key, const char *name,
                           uint64_t fallback) {
  fprintf(f, ",\"%s\":", key);
  if (name)
    trace_json_str(f, name);
  else
    fprintf(f, "%" PRIu64, fallback);
}

static void jsonl_key_u64(FILE *f, const char *key, uint64_t v) {
  fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

static void jsonl_id(FILE *f, const char *key, uint16_t v) {
  if (v == HV_TRACE_NONE)
    fprintf(f, ",\"%s\":null", key);
  else
    fprintf(f, ",\"%s\":%u", key, (unsigned)v);
}

static void jsonl_vm(FILE *f, const struct trace_meta *m, uint64_t vm_id) {
  jsonl_key_u64(f, "vm_id", vm_id);
  const char *name = trace_meta_vm_name(m, vm_id);
  fputs(",\"vm\":", f);
  if (name)
    trace_json_str(f, name);
  else
    fputs("null", f);
}

static const char *jsonl_vm_state(uint64_t s) {
  return s <= SCN_VM_DELETED ? scn_vm_state_name((enum scn_vm_state)s) : NULL;
}

/* Hypercall: a = input value (RCX), b = result value (RAX), c = cycles;
 * field layout from TLFS 1.2 / 1.4 (hvgdk.h). */
static void jsonl_hypercall(FILE *f, const struct hv_trace_rec *r) {
  uint64_t code = r->a & HV_HYPERCALL_CODE_MASK;
  uint64_t status = r->b & HV_HYPERCALL_RESULT_MASK;
  jsonl_key_name(f, "call", scn_call_name((int)code), code);
  jsonl_key_u64(f, "code", code);
  fprintf(f, ",\"fast\":%s", (r->a & HV_HYPERCALL_FAST_BIT) ? "true" : "false");
  jsonl_key_u64(f, "rep_count",
                (r->a & HV_HYPERCALL_REP_COMP_MASK) >>
                    HV_HYPERCALL_REP_COMP_OFFSET);
  jsonl_key_u64(f, "rep_start",
                (r->a & HV_HYPERCALL_REP_START_MASK) >>
                    HV_HYPERCALL_REP_START_OFFSET);
  jsonl_key_name(f, "status", scn_status_name((int)status), status);
  jsonl_key_u64(f, "reps_done",
                (r->b & HV_HYPERCALL_REP_DONE_MASK) >>
                    HV_HYPERCALL_REP_DONE_OFFSET);
  jsonl_key_u64(f, "cycles", r->c);
}

static void jsonl_decode(FILE *f, const struct trace_meta *m,
                         const struct hv_trace_rec *r) {
  switch (r->kind) {
  case HV_TR_HYPERCALL:
    jsonl_hypercall(f, r);
    break;
  case HV_TR_VP_EXIT:
    jsonl_key_name(f, "reason", scn_exit_reason_name((int)r->a), r->a);
    jsonl_key_u64(f, "qual", r->b);
    jsonl_key_u64(f, "rip", r->c);
    break;
  case HV_TR_VM_STATE:
    jsonl_vm(f, m, r->a);
    jsonl_key_name(f, "from", jsonl_vm_state(r->b), r->b);
    jsonl_key_name(f, "to", jsonl_vm_state(r->c), r->c);
    break;
  case HV_TR_MGMT:
    jsonl_key_name(f, "action", trace_mgmt_action_name(r->a), r->a);
    jsonl_key_name(f, "status", scn_mgmt_status_name((int)r->b), r->b);
    jsonl_vm(f, m, r->c);
    break;
  case HV_TR_VM_BIND:
    jsonl_vm(f, m, r->a);
    jsonl_key_u64(f, "partition_id", r->b);
    break;
  case HV_TR_SCHED: {
    static const char *const what[] = {"switch_out", "switch_in", "idle"};
    jsonl_key_name(f, "what", r->a < 3 ? what[r->a] : NULL, r->a);
    jsonl_key_u64(f, "reason_code", r->b);
    break;
  }
  case HV_TR_EXPECT:
    jsonl_key_u64(f, "index", r->a);
    fprintf(f, ",\"held\":%s", r->b ? "true" : "false");
    break;
  default:
    break;
  }
}

void trace_jsonl_header(FILE *f, const struct trace_meta *m) {
  char hex[65];
  sha256_hex(m->scenario_sha256, hex);
  fputs("{\"type\":\"header\",\"format\":\"hvtrace\",\"version\":", f);
  fprintf(f, "%u,\"seed\":%" PRIu64 ",\"scenario\":", HV_TRACE_VERSION,
          m->seed);
  trace_json_str(f, m->scenario_path);
  fprintf(f, ",\"scenario_sha256\":\"%s\",\"build_id\":", hex);
  trace_json_str(f, m->build_id);
  fputs(",\"options\":", f);
  trace_json_str(f, m->options);
  fprintf(f, ",\"cycles_per_us\":%" PRIu64 ",\"lps\":%u,\"vms\":[",
          m->cycles_per_us, m->lps);
  for (uint32_t i = 0; i < m->nvms && i < TRACE_MAX_VMS; i++) {
    char name[TRACE_VM_NAME_LEN + 1];
    memcpy(name, m->vm_names[i], TRACE_VM_NAME_LEN);
    name[TRACE_VM_NAME_LEN] = '\0';
    if (i)
      fputc(',', f);
    trace_json_str(f, name);
  }
  fputs("]}\n", f);
}

void trace_jsonl_event(FILE *f, const struct trace_meta *m, uint64_t seq,
                       const struct hv_trace_rec *r) {
  fprintf(f, "{\"seq\":%" PRIu64 ",\"t\":%" PRIu64 ",\"us\":", seq, r->time);
  trace_json_us(f, r->time, m->cycles_per_us);
  jsonl_key_name(f, "kind", scn_trace_kind_name(r->kind), r->kind);
  jsonl_id(f, "lp", r->lp);
  jsonl_id(f, "partition", r->partition);
  jsonl_id(f, "vp", r->vp);
  jsonl_key_u64(f, "a", r->a);
  jsonl_key_u64(f, "b", r->b);
  jsonl_key_u64(f, "c", r->c);
  jsonl_decode(f, m, r);
  fputs("}\n", f);
}
