/*
 * stimer.c — time as partitions see it (TLFS "Timers"): the partition
 * reference counter (100 ns units since the partition was created), the
 * reference TSC page, the four synthetic timers per VP (one-shot or
 * periodic, message or direct mode) and the list of armed VP timers
 * (synthetic and APIC) that the LPs serve, driven by the virtual clock.
 *
 * A timer whose message cannot be delivered yet (SIM disabled, slot busy)
 * keeps its one message buffer pending and is delivered when the slot or
 * the page becomes available — also when the timer was armed before the
 * guest enabled its message page.
 */
#include "objects.h"
#include "vic.h"

#define STIMER_RSVDZ ((7ull << 13) | (~0ull << 20))

/* LPs keep their own clocks: one behind the partition's creation reads 0. */
uint64_t stimer_ref_time(struct hv *hv, struct hv_lp *lp, uint16_t part) {
  uint64_t now = arch_cycles(lp), base = hv->partitions[part].ref_time_base;
  return now > base ? (now - base) / hv->boot.cycles_per_100ns : 0;
}

/* Cycle t plus ref 100 ns units, saturated: a time past 2^64 cycles never comes. */
static uint64_t stimer_after(struct hv *hv, uint64_t t, uint64_t ref) {
  uint64_t cpn = hv->boot.cycles_per_100ns;
  return ref > (~0ull - t) / cpn ? ~0ull : t + ref * cpn;
}

static uint64_t stimer_ref_to_cycles(struct hv *hv, uint16_t part, uint64_t ref) {
  return stimer_after(hv, hv->partitions[part].ref_time_base, ref);
}

static void stimer_arm(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, struct hv_stimer *st) {
  st->deadline = 0;
  if (!(st->config & HV_STIMER_ENABLE) || st->count == 0)
    return;
  uint64_t now = arch_cycles(lp);
  if (st->config & HV_STIMER_PERIODIC) {
    st->deadline = stimer_after(hv, now, st->count);
  } else {
    uint64_t at = stimer_ref_to_cycles(hv, vp->partition, st->count);
    st->deadline = at > now ? at : now; /* in the past: fire at once */
  }
}

static void stimer_fire(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, int t) {
  struct hv_stimer *st = &vp->synic.stimer[t];
  uint64_t fired = st->deadline;
  if (st->config & HV_STIMER_DIRECT) {
    irq_post(hv, lp, vp_slot(hv, vp), (uint8_t)(st->config >> HV_STIMER_APIC_VECTOR_SHIFT));
    hv_trace_vp(hv, lp, vp, HV_TR_TIMER,
             (uint64_t)t, arch_cycles(lp) - fired, 1);
  } else if (!st->msg_pending) { /* one buffer per timer: expiries coalesce */
    st->msg_pending = true;
    st->msg_seq = synic_next_seq(hv);
    st->deadline_fired = fired;
    st->expiration_ref = (fired - hv->partitions[vp->partition].ref_time_base) / hv->boot.cycles_per_100ns;
  }
  if (st->config & HV_STIMER_PERIODIC) {
    st->deadline = stimer_after(hv, fired, st->count);
  } else {
    st->deadline = 0;
    st->config &= ~HV_STIMER_ENABLE; /* one-shot: Enable clears at expiry */
  }
  if (!(st->config & HV_STIMER_DIRECT))
    synic_scan(hv, lp, vp);
}

bool stimer_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v) {
  (void)lp;
  if (!(hv->partitions[vp->partition].privileges & HV_ACCESS_SYNTHETIC_TIMER_REGS))
    return false;
  unsigned t = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
  *v = (msr - HV_X64_MSR_STIMER0_CONFIG) % 2 ? vp->synic.stimer[t].count : vp->synic.stimer[t].config;
  return true;
}

bool stimer_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v) {
  if (!(hv->partitions[vp->partition].privileges & HV_ACCESS_SYNTHETIC_TIMER_REGS))
    return false;
  unsigned t = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
  struct hv_stimer *st = &vp->synic.stimer[t];
  if ((msr - HV_X64_MSR_STIMER0_CONFIG) % 2 == 0) {
    if (v & STIMER_RSVDZ)
      return false;
    st->config = v;
    /* TLFS: SINTx = 0 with Enable in message mode disables the timer */
    if ((v & HV_STIMER_ENABLE) && !(v & HV_STIMER_DIRECT) && ((v >> HV_STIMER_SINT_SHIFT) & 0xF) == 0)
      st->config &= ~HV_STIMER_ENABLE;
  } else {
    st->count = v;
    if (v == 0)
      st->config &= ~HV_STIMER_ENABLE;
    else if (st->config & HV_STIMER_AUTO_ENABLE)
      st->config |= HV_STIMER_ENABLE;
  }
  stimer_arm(hv, lp, vp, st);
  timers_update(hv, lp);
  return true;
}

/* Recompute the earliest armed VP timer; LP 0's wake-up follows it. */
void timers_update(struct hv *hv, struct hv_lp *lp) {
  uint64_t next = 0;
  for (int i = 0; i < hv->vps_hi; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    for (int t = 0; t < HV_STIMER_COUNT; t++)
      if (vp->synic.stimer[t].deadline && (!next || vp->synic.stimer[t].deadline < next))
        next = vp->synic.stimer[t].deadline;
    if (vp->apic.timer_deadline && (!next || vp->apic.timer_deadline < next))
      next = vp->apic.timer_deadline;
  }
  hv->timer_next = next;
  arch_lp_timer(hv, &hv->lps[0], next);
  (void)lp;
}

void timers_run(struct hv *hv, struct hv_lp *lp) {
  uint64_t now = arch_cycles(lp);
  if (!hv->timer_next || now < hv->timer_next)
    return;
  for (int i = 0; i < hv->vps_hi; i++) {
    struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    for (int t = 0; t < HV_STIMER_COUNT; t++)
      if (vp->synic.stimer[t].deadline && vp->synic.stimer[t].deadline <= now)
        stimer_fire(hv, lp, vp, t);
    if (vp->apic.timer_deadline && vp->apic.timer_deadline <= now) {
      hv_trace_vp(hv, lp, vp, HV_TR_TIMER, 4,
               now - vp->apic.timer_deadline, 1);
      vapic_timer_fire(hv, lp, vp);
    }
  }
  timers_update(hv, lp);
}
