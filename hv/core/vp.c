/*
 * vp.c — virtual processors: creation, deletion, run state. Their
 * registers as the hypercalls name them are hc_vp.c's.
 *
 * A VP's backend state (VMCS/VMCB, or the simulated context) lives in a
 * page of its partition's pool. A child's VPs are created explicitly
 * suspended (HV_REGISTER_EXPLICIT_SUSPEND = 1): the root's worker process
 * sets their registers, then clears the suspend to start them; pausing a
 * VM sets it again.
 */
#include "objects.h"

struct hv_vp *vp_get(struct hv *hv, uint16_t part, uint32_t index, uint16_t *slot) {
  if (index >= HV_MAX_VPS_PER_PARTITION)
    return 0;
  uint16_t s = hv->partitions[part].vps[index];
  if (s == HV_NO_VP)
    return 0;
  if (slot)
    *slot = s;
  return &hv->vps[s];
}

/* Returns SUCCESS, INVALID_PARTITION_STATE, INVALID_VP_INDEX,
 * INSUFFICIENT_MEMORY, NO_RESOURCES. */
hv_status_t vp_create(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index) {
  struct hv_partition *p = &hv->partitions[part];
  if (p->state != PART_ACTIVE)
    return HV_STATUS_INVALID_PARTITION_STATE;
  if (index >= HV_MAX_VPS_PER_PARTITION || p->vps[index] != HV_NO_VP)
    return HV_STATUS_INVALID_VP_INDEX;
  uint16_t slot = HV_NO_VP;
  for (uint16_t i = 0; i < HV_MAX_VPS; i++) {
    if (!hv->vps[i].in_use) {
      slot = i;
      break;
    }
  }
  if (slot == HV_NO_VP)
    return HV_STATUS_NO_RESOURCES;
  spa_t page;
  hv_status_t st = pool_alloc(hv, part, &page);
  if (st != HV_STATUS_SUCCESS)
    return st;
  struct hv_vp *vp = &hv->vps[slot];
  hv_memset(vp, 0, sizeof *vp);
  vp->in_use = true;
  if (slot >= hv->vps_hi)
    hv->vps_hi = (uint16_t)(slot + 1);
  vp->partition = part;
  vp->index = index;
  vp->on_lp = HV_NO_VP;
  vp->rq_next = HV_NO_VP;
  vp->state_page = page;
  vp->explicit_suspend = part != 0;
  vapic_reset(&vp->apic);
  synic_reset(&vp->synic);
  st = arch_vp_init(hv, p, vp, page);
  if (st != HV_STATUS_SUCCESS) {
    pool_free(hv, part, page);
    vp->in_use = false;
    return st;
  }
  if (p->slat_root.v)
    arch_slat_install(vp, p->slat_root);
  p->vps[index] = slot;
  p->nvps++;
  hv_trace_vp(hv, lp, vp, HV_TR_VP_LIFECYCLE, index, 1, 0);
  vp_update_runnable(hv, lp, slot);
  return HV_STATUS_SUCCESS;
}

hv_status_t vp_delete(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index) {
  uint16_t slot;
  struct hv_vp *vp = vp_get(hv, part, index, &slot);
  if (!vp)
    return HV_STATUS_INVALID_VP_INDEX;
  struct hv_partition *p = &hv->partitions[part];
  sched_remove(hv, slot);
  if (vp->on_lp != HV_NO_VP) {
    hv->lps[vp->on_lp].current = HV_NO_VP;
    vp->on_lp = HV_NO_VP;
  }
  arch_vp_destroy(hv, vp);
  pool_free(hv, part, vp->state_page);
  p->vps[index] = HV_NO_VP;
  p->nvps--;
  hv_trace_vp(hv, lp, vp, HV_TR_VP_LIFECYCLE, index, 0, 0);
  hv_memset(vp, 0, sizeof *vp);
  return HV_STATUS_SUCCESS;
}

static bool vp_may_run(struct hv *hv, const struct hv_vp *vp) {
  const struct hv_partition *p = &hv->partitions[vp->partition];
  return vp->in_use && p->state == PART_ACTIVE && !p->suspended && !vp->explicit_suspend &&
         !vp->halted && !vp->wait_for_sipi && !vp->synic.icpt_suspended;
}

void vp_update_runnable(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_vp *vp = &hv->vps[slot];
  const struct hv_partition *p = &hv->partitions[vp->partition];
  if (vp_may_run(hv, vp)) {
    vp->run_state = VP_RUNNABLE;
    if (!vp->queued && vp->on_lp == HV_NO_VP)
      sched_enqueue(hv, lp, slot);
    return;
  }
  if (p->state == PART_FINALIZED || p->state == PART_STOPPED)
    vp->run_state = VP_STOPPED;
  else if (vp->halted)
    vp->run_state = VP_HALTED;
  else
    vp->run_state = VP_SUSPENDED;
  sched_remove(hv, slot);
}
