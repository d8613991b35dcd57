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
 * vector. The virtual APIC comes up software-enabled in x2APIC mode, and
 * stays there: IA32_APIC_BASE reads enabled + x2APIC (EXTD), BSP on VP 0,
 * at the architectural base; a write that would leave x2APIC mode is #GP
 * (the platform has no xAPIC MMIO page), as a processor whose firmware
 * locked x2APIC mode does.
 *
 * IPIs: fixed and NMI-free delivery to a physical or logical (cluster)
 * destination or a shorthand; INIT puts the target in wait-for-SIPI and
 * a startup IPI starts a waiting target in real mode at vector << 12
 * (SDM 3A 8.4.4, the MP initialisation protocol). Lowest priority goes to
 * the lowest-numbered VP of the destination set.
 */
#include "objects.h"
#include "vic.h"

#define APIC_CYCLES_PER_TICK 10 /* APIC timer clock: the core clock / 10 */
#define X2APIC_MSR_TSC_DEADLINE 0x6E0u
#define LVT_MODE_SHIFT 17
#define APIC_BASE_ADDRESS 0xFEE00000ull
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define ICR_MODE_FIXED 0u
#define ICR_MODE_LOWEST 1u
#define ICR_MODE_INIT 5u
#define ICR_MODE_STARTUP 6u
#define ICR_DEST_LOGICAL (1ull << 11)
#define ICR_LEVEL_ASSERT (1ull << 14)
#define ICR_TRIGGER_LEVEL (1ull << 15)

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

/* Does VP index i match the ICR's destination? x2APIC logical ids:
 * cluster = index >> 4 in bits 31:16, bit (index & 15) (SDM 3A 11.12.10.2). */
static bool vapic_dest_hit(const struct hv_vp *vp, uint32_t i, uint64_t icr) {
  uint32_t shorthand = (icr >> 18) & 3, dest = (uint32_t)(icr >> 32);
  bool self = i == vp->index;
  switch (shorthand) {
  case 1: return self;
  case 2: return true;
  case 3: return !self;
  default: break;
  }
  if (icr & ICR_DEST_LOGICAL)
    return (dest >> 16) == (i >> 4) && (dest & (1u << (i & 15)));
  return dest == 0xFFFFFFFFu || dest == i;
}

/* INIT: the target waits for a startup IPI; its APIC is reset. */
static void vapic_init_vp(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_vp *t = &hv->vps[slot];
  vapic_reset(&t->apic);
  t->wait_for_sipi = true;
  t->halted = false;
  vp_update_runnable(hv, lp, slot);
}

/* STARTUP: a waiting target starts in real mode at CS = vector << 8, IP 0. */
static void vapic_startup_vp(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint8_t vector) {
  struct hv_vp *t = &hv->vps[slot];
  if (!t->wait_for_sipi)
    return; /* a SIPI to a running processor is ignored */
  arch_vp_start_real(t, vector);
  t->wait_for_sipi = false;
  vp_update_runnable(hv, lp, slot);
}

/* ICR: fixed, lowest-priority, INIT and STARTUP delivery; destination
 * physical (x2APIC id = VP index, 0xFFFFFFFF all), logical (cluster) or a
 * shorthand. Returns false for what a real x2APIC would reject with #GP
 * (SMI, NMI and the reserved modes: not modelled). */
static bool vapic_ipi(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t icr) {
  uint8_t vector = (uint8_t)icr;
  uint32_t mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3;
  if (mode != ICR_MODE_FIXED && mode != ICR_MODE_LOWEST && mode != ICR_MODE_INIT && mode != ICR_MODE_STARTUP)
    return false;
  vp->apic.icr = icr;
  if (mode == ICR_MODE_INIT && (icr & ICR_TRIGGER_LEVEL) && !(icr & ICR_LEVEL_ASSERT))
    return true; /* INIT level de-assert: no effect on this model (SDM 3A 11.6.1) */
  if ((mode == ICR_MODE_FIXED || mode == ICR_MODE_LOWEST) && vector < HV_SYNIC_FIRST_VALID_VECTOR)
    return true; /* illegal vector: the send is dropped (ESR) */
  const struct hv_partition *p = &hv->partitions[vp->partition];
  for (uint32_t i = 0; i < HV_MAX_VPS_PER_PARTITION; i++) {
    if (p->vps[i] == HV_NO_VP || !vapic_dest_hit(vp, i, icr))
      continue;
    hv_trace_vp(hv, lp, vp, HV_TR_IPI, vector | mode << 8, i, shorthand);
    if (mode == ICR_MODE_INIT)
      vapic_init_vp(hv, lp, p->vps[i]);
    else if (mode == ICR_MODE_STARTUP)
      vapic_startup_vp(hv, lp, p->vps[i], vector);
    else
      irq_post(hv, lp, p->vps[i], vector);
    if (mode == ICR_MODE_LOWEST)
      break; /* one target: the lowest-numbered of the set */
  }
  return true;
}

static uint32_t *vapic_lvt(struct hv_vapic *a, uint32_t msr) {
  switch (msr) {
  case X2APIC_MSR_LVT_CMCI: return &a->lvt[0];
  case X2APIC_MSR_LVT_THERMAL: return &a->lvt[1];
  case X2APIC_MSR_LVT_PMI: return &a->lvt[2];
  case X2APIC_MSR_LVT_LINT0: return &a->lvt[3];
  case X2APIC_MSR_LVT_LINT1: return &a->lvt[4];
  case X2APIC_MSR_LVT_ERROR: return &a->lvt[5];
  default: return 0;
  }
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
  uint32_t *lvt = vapic_lvt(a, msr);
  if (lvt) {
    *v = *lvt;
    return true;
  }
  switch (msr) {
  case IA32_APIC_BASE:
    *v = APIC_BASE_ADDRESS | APIC_BASE_EN | APIC_BASE_EXTD | (vp->index == 0 ? APIC_BASE_BSP : 0);
    return true;
  case X2APIC_MSR_ESR: *v = a->esr; return true;
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
  uint32_t *lvt = vapic_lvt(a, msr);
  if (lvt) { /* kept, never delivered: no local interrupt sources but the timer */
    if (v >> 32)
      return false;
    *lvt = (uint32_t)v & 0x1F7FF;
    return true;
  }
  switch (msr) {
  case IA32_APIC_BASE: {
    uint64_t cur = APIC_BASE_ADDRESS | APIC_BASE_EN | APIC_BASE_EXTD | (vp->index == 0 ? APIC_BASE_BSP : 0);
    return v == cur; /* x2APIC mode is fixed here: any change is #GP */
  }
  case X2APIC_MSR_ESR:
    if (v)
      return false; /* x2APIC: a non-zero ESR write is #GP */
    a->esr = 0;
    return true;
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
