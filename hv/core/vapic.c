/*
 * vapic.c — the virtual local APIC of each VP (Intel SDM Vol. 3A
 * chapters 11 "APIC": IRR/ISR/TPR/PPR, EOI, the timer, IPIs; x2APIC MSR
 * interface 11.12), with Hyper-V's synthetic EOI/ICR/TPR MSRs aliasing
 * the x2APIC ones (TLFS "Virtual Interrupt Controller").
 *
 * Priority: an interrupt in the IRR is delivered when its priority class
 * (vector bits 7:4) is above the processor priority, PPR = max(TPR, class
 * of the highest in-service vector). Accepting moves it from IRR to ISR
 * (not for SINTs with auto-EOI); EOI retires the highest in-service
 * vector. The virtual APIC comes up software-enabled in x2APIC mode.
 */
#include "objects.h"
#include "vic.h"

#define APIC_CYCLES_PER_TICK 10 /* APIC timer clock: the core clock / 10 */
#define X2APIC_MSR_TSC_DEADLINE 0x6E0u
#define LVT_MODE_SHIFT 17

static int vapic_highest(const uint64_t set[4]) {
  for (int w = 3; w >= 0; w--)
    if (set[w])
      return w * 64 + 63 - __builtin_clzll(set[w]);
  return -1;
}

static uint8_t vapic_ppr(const struct hv_vapic *a) {
  int isrv = vapic_highest(a->isr);
  uint8_t cls = isrv < 0 ? 0 : (uint8_t)(isrv & 0xF0);
  return (a->tpr & 0xF0) >= cls ? a->tpr : cls;
}

bool vapic_deliverable(const struct hv_vapic *a, uint8_t *vector) {
  int v = vapic_highest(a->irr);
  if (v < 0 || !(a->svr & 0x100) || (v & 0xF0) <= (vapic_ppr(a) & 0xF0))
    return false;
  if (vector)
    *vector = (uint8_t)v;
  return true;
}

/* An auto-EOI SINT's vector does not enter the ISR (TLFS SINTx.AutoEOI). */
static bool vapic_auto_eoi(const struct hv_vp *vp, uint8_t vector) {
  for (unsigned i = 0; i < HV_SINT_COUNT; i++) {
    uint64_t s = vp->synic.sint[i];
    if ((s & HV_SINT_AUTO_EOI) && !(s & HV_SINT_MASKED) && (s & HV_SINT_VECTOR_MASK) == vector)
      return true;
  }
  return false;
}

void vapic_accept(struct hv *hv, struct hv_vp *vp, uint8_t vector) {
  (void)hv;
  vp->apic.irr[vector >> 6] &= ~(1ull << (vector & 63));
  if (!vapic_auto_eoi(vp, vector))
    vp->apic.isr[vector >> 6] |= 1ull << (vector & 63);
}

void vapic_eoi(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  int v = vapic_highest(vp->apic.isr);
  if (v >= 0)
    vp->apic.isr[v >> 6] &= ~(1ull << (v & 63));
  synic_scan(hv, lp, vp); /* TLFS: an EOI rescans the message queues */
}

static uint32_t vapic_divisor(uint32_t dcr) {
  uint32_t code = (dcr & 3) | ((dcr >> 1) & 4);
  return code == 7 ? 1 : 2u << code;
}

static void vapic_timer_start(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  struct hv_vapic *a = &vp->apic;
  uint64_t cycles = (uint64_t)a->timer_initial * vapic_divisor(a->timer_divide) * APIC_CYCLES_PER_TICK;
  a->timer_deadline = a->timer_initial ? arch_cycles(lp) + cycles : 0;
  a->timer_period = ((a->lvt_timer >> LVT_MODE_SHIFT) & 3) == 1 ? cycles : 0;
  timers_update(hv, lp);
}

void vapic_timer_fire(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  struct hv_vapic *a = &vp->apic;
  a->timer_deadline = a->timer_period ? a->timer_deadline + a->timer_period : 0;
  if (!(a->lvt_timer & VAPIC_LVT_MASKED))
    irq_post(hv, lp, vp_slot(hv, vp), (uint8_t)a->lvt_timer);
}

/* ICR: fixed delivery only; destination = x2APIC id (the VP index) or a
 * shorthand (self, all, all but self). Returns false for what a real
 * x2APIC would reject with #GP. */
static bool vapic_ipi(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t icr) {
  uint8_t vector = (uint8_t)icr;
  uint32_t mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3, dest = (uint32_t)(icr >> 32);
  if (mode != 0 || (icr & (1ull << 11)))
    return false; /* only fixed delivery, physical destination */
  vp->apic.icr = icr;
  if (vector < HV_SYNIC_FIRST_VALID_VECTOR)
    return true; /* illegal vector: the send is dropped (ESR) */
  const struct hv_partition *p = &hv->partitions[vp->partition];
  for (uint32_t i = 0; i < HV_MAX_VPS_PER_PARTITION; i++) {
    if (p->vps[i] == HV_NO_VP)
      continue;
    bool self = i == vp->index;
    bool hit = shorthand == 0 ? i == dest : shorthand == 1 ? self : shorthand == 2 ? true : !self;
    if (!hit)
      continue;
    hv_trace_vp(hv, lp, vp, HV_TR_IPI, vector, i, shorthand);
    irq_post(hv, lp, p->vps[i], vector);
  }
  return true;
}

static uint32_t vapic_bits32(const uint64_t set[4], uint32_t i) {
  return (uint32_t)(set[i / 2] >> (32 * (i % 2)));
}

bool vapic_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v) {
  struct hv_vapic *a = &vp->apic;
  (void)hv;
  if (msr >= X2APIC_MSR_ISR0 && msr < X2APIC_MSR_ISR0 + 8) {
    *v = vapic_bits32(a->isr, msr - X2APIC_MSR_ISR0);
    return true;
  }
  if (msr >= X2APIC_MSR_IRR0 && msr < X2APIC_MSR_IRR0 + 8) {
    *v = vapic_bits32(a->irr, msr - X2APIC_MSR_IRR0);
    return true;
  }
  switch (msr) {
  case X2APIC_MSR_ID: *v = vp->index; return true;
  case X2APIC_MSR_VERSION: *v = 0x00050014; return true; /* version 0x14, 6 LVT entries */
  case X2APIC_MSR_TPR: case HV_X64_MSR_TPR: *v = a->tpr; return true;
  case X2APIC_MSR_PPR: *v = vapic_ppr(a); return true;
  case X2APIC_MSR_LDR: *v = ((vp->index >> 4) << 16) | (1u << (vp->index & 15)); return true;
  case X2APIC_MSR_SVR: *v = a->svr; return true;
  case X2APIC_MSR_ICR: case HV_X64_MSR_ICR: *v = a->icr; return true;
  case X2APIC_MSR_LVT_TIMER: *v = a->lvt_timer; return true;
  case X2APIC_MSR_TIMER_INIT: *v = a->timer_initial; return true;
  case X2APIC_MSR_TIMER_DIV: *v = a->timer_divide; return true;
  case X2APIC_MSR_TIMER_CUR: {
    uint64_t now = arch_cycles(lp), per = (uint64_t)vapic_divisor(a->timer_divide) * APIC_CYCLES_PER_TICK;
    *v = a->timer_deadline > now ? (a->timer_deadline - now) / per : 0;
    return true;
  }
  case X2APIC_MSR_TSC_DEADLINE:
    *v = ((a->lvt_timer >> LVT_MODE_SHIFT) & 3) == 2 ? a->timer_deadline : 0;
    return true;
  default: return false;
  }
}

bool vapic_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v) {
  struct hv_vapic *a = &vp->apic;
  switch (msr) {
  case X2APIC_MSR_TPR: case HV_X64_MSR_TPR:
    if (v > 0xFF)
      return false;
    a->tpr = (uint8_t)v;
    return true;
  case X2APIC_MSR_EOI: case HV_X64_MSR_EOI:
    if (msr == X2APIC_MSR_EOI && v)
      return false; /* x2APIC: a non-zero EOI write is #GP */
    vapic_eoi(hv, lp, vp);
    return true;
  case X2APIC_MSR_SVR:
    if (v >> 12)
      return false; /* reserved bits: #GP, and the register keeps its value */
    a->svr = (uint32_t)v & 0x1FF;
    return true;
  case X2APIC_MSR_ICR: case HV_X64_MSR_ICR: return vapic_ipi(hv, lp, vp, v);
  case X2APIC_MSR_SELF_IPI:
    if (v > 0xFF)
      return false;
    return vapic_ipi(hv, lp, vp, (v & 0xFF) | (1ull << 18));
  case X2APIC_MSR_LVT_TIMER:
    a->lvt_timer = (uint32_t)v & (0xFF | VAPIC_LVT_MASKED | (3u << LVT_MODE_SHIFT));
    return true;
  case X2APIC_MSR_TIMER_DIV: a->timer_divide = (uint32_t)v & 0xB; return true;
  case X2APIC_MSR_TIMER_INIT:
    a->timer_initial = (uint32_t)v;
    if (((a->lvt_timer >> LVT_MODE_SHIFT) & 3) != 2)
      vapic_timer_start(hv, lp, vp);
    return true;
  case X2APIC_MSR_TSC_DEADLINE:
    if (((a->lvt_timer >> LVT_MODE_SHIFT) & 3) == 2) {
      a->timer_deadline = v;
      a->timer_period = 0;
      timers_update(hv, lp);
    }
    return true;
  default: return false;
  }
}
