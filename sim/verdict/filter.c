/*
 * filter.c — the meaning of a scenario's event filter (count and
 * latency expectations) over trace records, for the verdict of every
 * level (verdict.c).
 */
#include "verdict.h"

uint32_t scn_record_vm(const uint16_t *pid_vm, const struct hv_trace_rec *r) {
  switch (r->kind) {
  case HV_TR_MGMT: return (uint32_t)r->c;
  case HV_TR_VM_STATE:
  case HV_TR_VM_BIND: return (uint32_t)r->a;
  default: return r->partition == HV_TRACE_NONE ? 0 : pid_vm[r->partition];
  }
}

/* The status a filter's `status:` compares with, or -1 for kinds without one. */
static int32_t scn_record_status(const struct hv_trace_rec *r) {
  switch (r->kind) {
  case HV_TR_HYPERCALL: return (int32_t)(r->b & 0xFFFF);
  case HV_TR_MGMT: return (int32_t)r->b;
  case HV_TR_DMA: return (int32_t)(r->c & 0xFFFF); /* the device's completion status */
  default: return -1;
  }
}

bool scn_filter_match(const struct scn_filter *f, const uint16_t *pid_vm, const struct hv_trace_rec *r) {
  if (f->kind >= 0 && f->kind != r->kind)
    return false;
  if (r->kind == HV_TR_HYPERCALL && (r->b >> 63))
    return false; /* a continuation, not a completed call */
  if (f->partition == -2 && r->partition != HV_TRACE_ROOT_PARTITION)
    return false;
  if (f->partition >= 0 && scn_record_vm(pid_vm, r) != (uint32_t)f->partition + 1)
    return false;
  if (f->vp >= 0 && r->vp != (uint32_t)f->vp)
    return false;
  if (f->call >= 0 && (r->kind != HV_TR_HYPERCALL || (int32_t)(r->a & 0xFFFF) != f->call))
    return false;
  if (f->status >= 0) {
    int32_t st = scn_record_status(r);
    if (st < 0 || (f->status_not ? st == f->status : st != f->status))
      return false;
  }
  if (f->reason >= 0 && (r->kind != HV_TR_VP_EXIT || (int32_t)r->a != f->reason))
    return false;
  if (f->code >= 0 && (r->kind != HV_TR_GUEST || r->a != (uint64_t)f->code))
    return false;
  if (f->has_value && (r->kind != HV_TR_GUEST || r->b != f->value))
    return false;
  return true;
}
