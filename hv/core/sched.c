/*
 * sched.c — the hypervisor's scheduler: VPs onto logical processors.
 *
 * One global FIFO run queue, time slices counted in cycles (round robin:
 * a VP whose slice ends while others wait goes to the tail). An LP with
 * nothing to run goes idle and is woken by arch_lp_kick() when a VP
 * becomes runnable — on hardware an IPI to a halted LP. Deterministic:
 * the queue order is the order of events, never of pointers. The LP's
 * loop that runs what it picks is lp.c (entry tier).
 */
#include "objects.h"

void sched_enqueue(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_vp *vp = &hv->vps[slot];
  if (vp->queued)
    return;
  vp->queued = true;
  vp->rq_next = HV_NO_VP;
  if (hv->rq_tail == HV_NO_VP)
    hv->rq_head = slot;
  else
    hv->vps[hv->rq_tail].rq_next = slot;
  hv->rq_tail = slot;
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    if (hv->lps[i].idle) {
      hv->lps[i].idle = false;
      arch_lp_kick(hv, lp, &hv->lps[i]);
      break;
    }
  }
}

#define SCHED_WAKE_MIN_RUN(hv) ((hv)->boot.slice_cycles / 100) /* shortest slice a wake-up cuts */

void sched_wake(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_vp *vp = &hv->vps[slot];
  if (!vp->queued || hv->rq_head == slot)
    return;
  sched_remove(hv, slot); /* to the head */
  vp->queued = true;
  vp->rq_next = hv->rq_head;
  hv->rq_head = slot;
  if (hv->rq_tail == HV_NO_VP)
    hv->rq_tail = slot;
  sched_preempt(hv, lp);
}

/* An interrupt waits for a queued VP: end the longest-running slice that
 * has run at least SCHED_WAKE_MIN_RUN, unless an LP is idle. */
void sched_preempt(struct hv *hv, struct hv_lp *lp) {
  uint64_t now = lp ? arch_cycles(lp) : 0;
  struct hv_lp *victim = 0;
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    struct hv_lp *l = &hv->lps[i];
    if (l->idle)
      return; /* sched_enqueue kicked an idle LP already */
    if (l->current != HV_NO_VP && now >= l->slice_start + SCHED_WAKE_MIN_RUN(hv) &&
        (!victim || l->slice_start < victim->slice_start))
      victim = l;
  }
  if (victim && victim->slice_end > now)
    victim->slice_end = now;
}

void sched_remove(struct hv *hv, uint16_t slot) {
  struct hv_vp *vp = &hv->vps[slot];
  if (!vp->queued)
    return;
  uint16_t prev = HV_NO_VP;
  for (uint16_t s = hv->rq_head; s != HV_NO_VP; prev = s, s = hv->vps[s].rq_next) {
    if (s != slot)
      continue;
    if (prev == HV_NO_VP)
      hv->rq_head = vp->rq_next;
    else
      hv->vps[prev].rq_next = vp->rq_next;
    if (hv->rq_tail == slot)
      hv->rq_tail = prev;
    break;
  }
  vp->queued = false;
  vp->rq_next = HV_NO_VP;
}

static uint16_t sched_pop(struct hv *hv) {
  uint16_t s = hv->rq_head;
  if (s != HV_NO_VP)
    sched_remove(hv, s);
  return s;
}

static void sched_switch_out(struct hv *hv, struct hv_lp *lp, uint64_t reason) {
  struct hv_vp *vp = &hv->vps[lp->current];
  hv_trace_vp(hv, lp, vp, HV_TR_SCHED, 0, reason, 0);
  vp->on_lp = HV_NO_VP;
  lp->current = HV_NO_VP;
  if (vp->run_state == VP_RUNNABLE)
    sched_enqueue(hv, lp, vp_slot(hv, vp));
}

bool sched_pick(struct hv *hv, struct hv_lp *lp) {
  uint64_t now = arch_cycles(lp);
  if (lp->current != HV_NO_VP) {
    struct hv_vp *vp = &hv->vps[lp->current];
    if (vp->run_state != VP_RUNNABLE)
      sched_switch_out(hv, lp, 1);
    else if (now >= lp->slice_end && hv->rq_head != HV_NO_VP)
      sched_switch_out(hv, lp, 2);
    else if (now >= lp->slice_end)
      lp->slice_end = now + hv->boot.slice_cycles;
  }
  if (lp->current == HV_NO_VP) {
    uint16_t s = sched_pop(hv);
    if (s == HV_NO_VP) {
      if (!lp->idle)
        hv_trace(hv, lp, HV_TRACE_NONE, HV_TRACE_NONE, HV_TR_SCHED, 2, 0, 0);
      lp->idle = true;
      return false;
    }
    struct hv_vp *vp = &hv->vps[s];
    arch_charge(lp, HV_COST_SCHED, 1);
    lp->current = s;
    lp->idle = false;
    vp->on_lp = (uint16_t)lp->index;
    lp->slice_start = arch_cycles(lp);
    lp->slice_end = lp->slice_start + hv->boot.slice_cycles;
    vp->stats.dispatches++;
    hv_trace_vp(hv, lp, vp, HV_TR_VP_ENTRY, lp->slice_end, 0, 0);
  }
  return true;
}
