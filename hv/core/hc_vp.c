/*
 * hc_vp.c — TLFS virtual processor hypercalls: HvCallCreateVp, DeleteVp,
 * GetVpRegisters, SetVpRegisters, and HvCallNotifyLongSpinWait.
 * A partition reads and writes its own VPs' registers; a parent those of
 * its children (AccessVpRegisters). The register names: the backend's
 * register file, the SynIC's registers (its MSRs), and the hypervisor's
 * own (suspend states, guest OS id, VP index).
 */
#include "hc.h"
#include "objects.h"
#include "vic.h"

/* Input: PartitionId, VpIndex, Rsvd[3], SubnodeType, SubnodeId,
 * ProximityDomainInfo, Flags. */
hv_status_t hc_create_vp(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if ((hc_in_u32(c, 12) & 0x00FFFFFFu) || hc_in_u64(c, 32))
    return HV_STATUS_INVALID_PARAMETER; /* reserved bytes, unsupported flags */
  return vp_create(c->hv, c->lp, target, hc_in_u32(c, 8));
}

/* Input: PartitionId, VpIndex, rsvd. */
hv_status_t hc_delete_vp(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (hc_in_u32(c, 12))
    return HV_STATUS_INVALID_PARAMETER;
  st = vp_delete(c->hv, c->lp, target, hc_in_u32(c, 8));
  if (st == HV_STATUS_SUCCESS)
    timers_update(c->hv, c->lp); /* its timers left the list */
  return st;
}

/* SynIC register names map onto their MSRs (TLFS register names). */
static uint32_t vp_synic_msr(uint32_t name) {
  if (name >= HV_REGISTER_SINT0 && name < HV_REGISTER_SINT0 + HV_SINT_COUNT)
    return HV_X64_MSR_SINT0 + (name - HV_REGISTER_SINT0);
  switch (name) {
  case HV_REGISTER_SCONTROL: return HV_X64_MSR_SCONTROL;
  case HV_REGISTER_SVERSION: return HV_X64_MSR_SVERSION;
  case HV_REGISTER_SIEFP: return HV_X64_MSR_SIEFP;
  case HV_REGISTER_SIMP: return HV_X64_MSR_SIMP;
  default: return 0;
  }
}

/* Returns SUCCESS or INVALID_PARAMETER (unknown register name). */
static hv_status_t vp_reg_get(struct hv *hv, struct hv_vp *vp, uint32_t name, uint64_t *value) {
  const struct hv_partition *p = &hv->partitions[vp->partition];
  if (vp_synic_msr(name))
    return synic_msr_read(hv, &hv->lps[0], vp, vp_synic_msr(name), value) ? HV_STATUS_SUCCESS
                                                                           : HV_STATUS_INVALID_PARAMETER;
  switch (name) {
  case HV_REGISTER_INTERCEPT_SUSPEND:
    *value = vp->synic.icpt_suspended;
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_EXPLICIT_SUSPEND:
    *value = vp->explicit_suspend;
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_GUEST_OS_ID:
    *value = p->guest_os_id;
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_VP_INDEX:
    *value = vp->index;
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_INTERNAL_ACTIVITY_STATE:
    *value = vp->wait_for_sipi ? HV_ACTIVITY_STARTUP_SUSPEND : 0;
    return HV_STATUS_SUCCESS;
  default:
    return arch_vp_reg_get(vp, name, value) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
  }
}

/* Returns SUCCESS, INVALID_PARAMETER (unknown or read-only name) or
 * INVALID_REGISTER_VALUE (reserved bits). */
static hv_status_t vp_reg_set(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t name, uint64_t value) {
  struct hv_partition *p = &hv->partitions[vp->partition];
  if (vp_synic_msr(name))
    return synic_msr_write(hv, lp, vp, vp_synic_msr(name), value) ? HV_STATUS_SUCCESS
                                                                 : HV_STATUS_INVALID_REGISTER_VALUE;
  switch (name) {
  case HV_REGISTER_INTERCEPT_SUSPEND:
    if (value & ~1ull)
      return HV_STATUS_INVALID_REGISTER_VALUE;
    if (vp->synic.icpt_suspended && !value)
      hv_trace_vp(hv, lp, vp, HV_TR_INTERCEPT, vp->synic.icpt_type,
               vp->synic.icpt_param, 1);
    vp->synic.icpt_suspended = value & 1;
    if (!value)
      vp->synic.icpt_pending = false;
    vp_update_runnable(hv, lp, vp_slot(hv, vp));
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_EXPLICIT_SUSPEND:
    if (value & ~1ull)
      return HV_STATUS_INVALID_REGISTER_VALUE;
    vp->explicit_suspend = value & 1;
    vp_update_runnable(hv, lp, vp_slot(hv, vp));
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_GUEST_OS_ID:
    p->guest_os_id = value;
    return HV_STATUS_SUCCESS;
  case HV_REGISTER_VP_INDEX:
    return HV_STATUS_INVALID_PARAMETER;
  case HV_REGISTER_INTERNAL_ACTIVITY_STATE:
    if (value & ~HV_ACTIVITY_STARTUP_SUSPEND)
      return HV_STATUS_INVALID_REGISTER_VALUE;
    vp->wait_for_sipi = value & HV_ACTIVITY_STARTUP_SUSPEND;
    vp_update_runnable(hv, lp, vp_slot(hv, vp));
    return HV_STATUS_SUCCESS;
  default:
    return arch_vp_reg_set(vp, name, value) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
  }
}

/* Header: PartitionId, VpIndex, TargetVtl, rsvd[3]. */
static hv_status_t hc_reg_target(struct hc_ctx *c, struct hv_vp **vp) {
  uint64_t id = hc_in_u64(c, 0);
  uint32_t index = hc_in_u32(c, 8);
  uint16_t target;
  if (id == HV_PARTITION_ID_SELF || id == c->hv->partitions[c->caller].id) {
    target = c->caller;
  } else {
    if (!(c->hv->partitions[c->caller].privileges & HV_ACCESS_VP_REGISTERS))
      return HV_STATUS_ACCESS_DENIED;
    hv_status_t st = hc_child(c, id, &target);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  if (hc_in_u32(c, 12) != 0)
    return HV_STATUS_INVALID_PARAMETER; /* VTL 0 only, reserved zero */
  if (index == HV_VP_INDEX_SELF && target == c->caller)
    index = c->vp->index;
  *vp = vp_get(c->hv, target, index, 0);
  return *vp ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_VP_INDEX;
}

/* Rep: u32 register names in, 16-byte values out. */
hv_status_t hc_get_vp_registers(struct hc_ctx *c) {
  struct hv_vp *vp;
  hv_status_t st = hc_reg_target(c, &vp);
  if (st != HV_STATUS_SUCCESS)
    return st;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t value;
    st = vp_reg_get(c->hv, vp, hc_in_u32(c, 16 + 4ull * c->reps_done), &value);
    if (st != HV_STATUS_SUCCESS)
      return st;
    hc_out_u64(c, 16ull * c->reps_done, value);
    hc_out_u64(c, 16ull * c->reps_done + 8, 0);
  }
  return HV_STATUS_SUCCESS;
}

/* Rep: HV_REGISTER_ASSOC {Name u32, rsvd u32, rsvd u64, Value u128}. */
hv_status_t hc_set_vp_registers(struct hc_ctx *c) {
  struct hv_vp *vp;
  hv_status_t st = hc_reg_target(c, &vp);
  if (st != HV_STATUS_SUCCESS)
    return st;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    size_t off = 16 + 32ull * c->reps_done;
    if (hc_in_u32(c, off + 4) || hc_in_u64(c, off + 8) || hc_in_u64(c, off + 24))
      return HV_STATUS_INVALID_PARAMETER;
    st = vp_reg_set(c->hv, c->lp, vp, hc_in_u32(c, off), hc_in_u64(c, off + 16));
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_SUCCESS;
}

/* Input: SpinCount u32, RsvdZ u32. A hint: the VP yields its slice. */
hv_status_t hc_notify_long_spin_wait(struct hc_ctx *c) {
  if (hc_in_u32(c, 4))
    return HV_STATUS_INVALID_PARAMETER;
  c->lp->slice_end = arch_cycles(c->lp);
  return HV_STATUS_SUCCESS;
}
