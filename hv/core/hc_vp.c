/*
 * hc_vp.c — TLFS virtual processor hypercalls: HvCallCreateVp, DeleteVp,
 * GetVpRegisters, SetVpRegisters, and HvCallNotifyLongSpinWait.
 * A partition reads and writes its own VPs' registers; a parent those of
 * its children (AccessVpRegisters).
 */
#include "hc.h"

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
  return vp_delete(c->hv, c->lp, target, hc_in_u32(c, 8));
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
