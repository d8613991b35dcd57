/*
 * lp.c — the logical processor's loop: what one LP does each time the
 * platform lets it run (hv_lp_step). Fire the VP timers that are due,
 * let the run queue pick a VP (sched.c), inject its deliverable
 * interrupt, run it in guest mode until its next exit or the end of its
 * slice (the backend: arch_vp_run), account the cycles, and hand the exit
 * to the one exit dispatch (exit.c). Entry tier (entry.h).
 */
#include "entry.h"
#include "objects.h"
#include "vic.h"

bool hv_lp_step(struct hv *hv, uint32_t index) {
  struct hv_lp *lp = &hv->lps[index];
  timers_run(hv, lp);
  if (!sched_pick(hv, lp))
    return false;
  struct hv_vp *vp = &hv->vps[lp->current];
  irq_deliver_pending(hv, lp, vp);
  struct hv_exit ex;
  uint64_t t0 = arch_cycles(lp);
  arch_vp_run(hv, lp, vp, lp->slice_end, &ex);
  uint64_t t1 = arch_cycles(lp);
  vp->stats.guest_cycles += ex.guest_cycles;
  vp->stats.exit_cycles += (t1 - t0) - ex.guest_cycles;
  if (ex.reason == HV_EXIT_NONE)
    return true;
  vp->stats.exits++;
  hv->counters.exits++;
  exit_handle(hv, lp, vp, &ex);
  if (vp->in_use)
    vp->stats.hv_cycles += arch_cycles(lp) - t1;
  return true;
}
