/*
 * test_vapic.c — the virtual local APIC (hv/core/vapic.c, irq.c): the
 * IRR/ISR/TPR/PPR priority rules and EOI ordering, the x2APIC MSR
 * interface (ISR/IRR words, SVR, LDR, EOI #GP), the APIC timer in one-shot,
 * periodic and TSC-deadline modes at exact cycles of LP 0's clock, IPIs
 * (fixed to one VP and the shorthands) and auto-EOI SINT vectors.
 * MSRs go through msr_read / msr_write as an exit would; delivery at VP
 * entry is irq_deliver_pending.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6E0u
#define ICR_SELF (1ull << 18)
#define ICR_ALL (2ull << 18)
#define ICR_ALL_BUT_SELF (3ull << 18)
#define APIC_TICK 10 /* core cycles per APIC timer tick at divide-by-1 */

TestSuite(vapic, .init = tl_setup, .fini = tl_teardown);

/* The VP under test: the root's VP 1 (nothing else touches its APIC). */
#define P 0
#define I 1
static struct hv_vp *V(void) { return tl_vp(P, I); }
static void post(uint8_t v) { irq_post(tl_hv(), tl_lp0(), vp_slot(tl_hv(), V()), v); }
static int next_vector(void) {
  uint8_t v;
  return vapic_deliverable(&V()->apic, &v) ? v : -1;
}
/* Deliver what the priority rules allow (VP entry); returns the vector or -1. */
static int deliver(void) {
  int v = next_vector();
  if (v >= 0)
    irq_deliver_pending(tl_hv(), tl_lp0(), V());
  return v;
}
static bool wr(uint32_t msr, uint64_t v) { return tl_wrmsr(P, I, msr, v); }
static uint64_t rd(uint32_t msr) { return tl_msr(P, I, msr); }

/* ---- priority ---------------------------------------------------------- */

Test(vapic, reset_state) {
  cr_assert_eq(rd(X2APIC_MSR_SVR), 0x1FF, "software enabled, spurious vector 0xFF");
  cr_assert_eq(rd(X2APIC_MSR_TPR), 0);
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0);
  cr_assert_eq(rd(X2APIC_MSR_LVT_TIMER), LVT_MASKED);
  for (uint32_t i = 0; i < 8; i++) {
    cr_assert_eq(rd(X2APIC_MSR_ISR0 + i), 0);
    cr_assert_eq(rd(X2APIC_MSR_IRR0 + i), 0);
  }
  cr_assert_eq(next_vector(), -1);
}

Test(vapic, highest_request_first) {
  post(0x41);
  post(0x90);
  post(0x35);
  cr_assert_eq(deliver(), 0x90);
  cr_assert(tl_isr(P, I, 0x90));
  cr_assert_not(tl_irr(P, I, 0x90));
  cr_assert(tl_irr(P, I, 0x41) && tl_irr(P, I, 0x35), "lower requests stay in the IRR");
  cr_assert_eq(V()->arch.vcpu->irq_taken[0x90 >> 6] >> (0x90 & 63) & 1, 1, "injected into the guest");
}

Test(vapic, class_at_or_below_ppr_blocked) {
  post(0x50);
  cr_assert_eq(deliver(), 0x50);
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x50, "PPR = class of the in-service vector");
  post(0x5F); /* same class as the in-service vector */
  post(0x4A); /* lower class */
  cr_assert_eq(next_vector(), -1, "a vector whose class is <= PPR is not deliverable");
  cr_assert_eq(deliver(), -1);
  cr_assert(tl_irr(P, I, 0x5F) && tl_irr(P, I, 0x4A));
  post(0x60);
  cr_assert_eq(deliver(), 0x60, "a higher class preempts");
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x60);
  cr_assert(tl_isr(P, I, 0x50) && tl_isr(P, I, 0x60), "nested in service");
}

Test(vapic, eoi_retires_highest_and_unblocks_next) {
  post(0x50);
  cr_assert_eq(deliver(), 0x50);
  post(0x61);
  cr_assert_eq(deliver(), 0x61);
  post(0x55);
  cr_assert_eq(next_vector(), -1);
  cr_assert(wr(X2APIC_MSR_EOI, 0));
  cr_assert_not(tl_isr(P, I, 0x61), "EOI retires the highest in-service vector");
  cr_assert(tl_isr(P, I, 0x50), "the lower one stays in service");
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x50);
  cr_assert_eq(next_vector(), -1, "0x55 still blocked by 0x50");
  cr_assert(wr(X2APIC_MSR_EOI, 0));
  cr_assert_not(tl_isr(P, I, 0x50));
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0);
  cr_assert_eq(deliver(), 0x55, "unblocked by the second EOI");
  cr_assert(wr(HV_X64_MSR_EOI, 0), "the synthetic EOI MSR is an alias");
  cr_assert_not(tl_isr(P, I, 0x55));
  cr_assert(wr(X2APIC_MSR_EOI, 0), "EOI with nothing in service is harmless");
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0);
}

Test(vapic, tpr_masks_classes) {
  cr_assert(wr(X2APIC_MSR_TPR, 0x60));
  cr_assert_eq(rd(X2APIC_MSR_TPR), 0x60);
  cr_assert_eq(rd(HV_X64_MSR_TPR), 0x60, "synthetic TPR aliases the x2APIC one");
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x60, "PPR = TPR with nothing in service");
  post(0x6F);
  post(0x20);
  cr_assert_eq(next_vector(), -1, "class 6 <= TPR class 6");
  post(0x70);
  cr_assert_eq(deliver(), 0x70);
  cr_assert(wr(HV_X64_MSR_TPR, 0x65));
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x70, "ISR class above the TPR");
  cr_assert(wr(X2APIC_MSR_EOI, 0));
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0x65, "PPR = TPR (all 8 bits) when TPR class >= ISR class");
  cr_assert_eq(next_vector(), -1);
  cr_assert(wr(X2APIC_MSR_TPR, 0x5F));
  cr_assert_eq(deliver(), 0x6F, "lowering the TPR unblocks class 6");
  cr_assert(wr(X2APIC_MSR_TPR, 0));
  cr_assert(wr(X2APIC_MSR_EOI, 0));
  cr_assert_eq(deliver(), 0x20);
  cr_assert_not(wr(X2APIC_MSR_TPR, 0x100), "reserved TPR bits: #GP");
  cr_assert_not(wr(HV_X64_MSR_TPR, 0x1FF));
  cr_assert_eq(rd(X2APIC_MSR_TPR), 0);
}

Test(vapic, software_disabled_delivers_nothing) {
  post(0x80);
  cr_assert(wr(X2APIC_MSR_SVR, 0xFF)); /* bit 8 clear */
  cr_assert_eq(next_vector(), -1);
  cr_assert_eq(deliver(), -1);
  cr_assert(tl_irr(P, I, 0x80), "the request is held, not lost");
  cr_assert(wr(X2APIC_MSR_SVR, 0x1FF));
  cr_assert_eq(deliver(), 0x80);
}

/* ---- x2APIC MSRs ------------------------------------------------------- */

Test(vapic, isr_irr_words) {
  post(0x20); /* word 1 bit 0 */
  post(0x41); /* word 2 bit 1 */
  post(0x7F); /* word 3 bit 31 */
  post(0xFF); /* word 7 bit 31 */
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 0), 0);
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 1), 1);
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 2), 2);
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 3), 0x80000000u);
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 7), 0x80000000u);
  cr_assert_eq(deliver(), 0xFF);
  cr_assert_eq(rd(X2APIC_MSR_ISR0 + 7), 0x80000000u);
  cr_assert_eq(rd(X2APIC_MSR_IRR0 + 7), 0);
  for (uint32_t i = 0; i < 7; i++)
    cr_assert_eq(rd(X2APIC_MSR_ISR0 + i), 0, "ISR word %u", i);
}

Test(vapic, id_version_ldr) {
  cr_assert_eq(tl_msr(0, 0, X2APIC_MSR_ID), 0);
  cr_assert_eq(rd(X2APIC_MSR_ID), 1, "x2APIC id = VP index");
  cr_assert_eq(rd(X2APIC_MSR_VERSION) & 0xFF, 0x14);
  cr_assert_eq(tl_msr(0, 0, X2APIC_MSR_LDR), 1);
  cr_assert_eq(rd(X2APIC_MSR_LDR), 2, "cluster 0, bit 1");
  uint16_t cs;
  uint64_t id = tl_child(16, 0, &cs);
  cr_assert_eq(tl_deposit(id, 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(id, 35), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_msr(cs, 35, X2APIC_MSR_ID), 35);
  cr_assert_eq(tl_msr(cs, 35, X2APIC_MSR_LDR), (2u << 16) | (1u << 3), "cluster 35>>4, bit 35&15");
}

Test(vapic, eoi_nonzero_is_gp) {
  post(0x50);
  cr_assert_eq(deliver(), 0x50);
  cr_assert_not(wr(X2APIC_MSR_EOI, 1), "x2APIC: a non-zero EOI write is #GP");
  cr_assert(tl_isr(P, I, 0x50), "the faulting write retired nothing");
  cr_assert(wr(HV_X64_MSR_EOI, 5), "the synthetic EOI MSR takes any value");
  cr_assert_not(tl_isr(P, I, 0x50));
}

Test(vapic, svr) {
  cr_assert(wr(X2APIC_MSR_SVR, 0x1EF));
  cr_assert_eq(rd(X2APIC_MSR_SVR), 0x1EF);
  cr_assert_not(wr(X2APIC_MSR_SVR, 0x10FF), "reserved bits: #GP");
  cr_assert_eq(rd(X2APIC_MSR_SVR), 0x1EF, "a faulting write changes nothing");
  cr_assert_not(wr(X2APIC_MSR_SVR, 1ull << 32));
  cr_assert_eq(rd(X2APIC_MSR_SVR), 0x1EF);
}

Test(vapic, unknown_and_read_only) {
  uint64_t v;
  cr_assert_not(tl_rdmsr(P, I, 0x8FF, &v), "unimplemented x2APIC MSR");
  cr_assert_not(wr(X2APIC_MSR_PPR, 0), "PPR is read-only");
  cr_assert_not(wr(X2APIC_MSR_ISR0, 0));
  cr_assert_not(wr(X2APIC_MSR_IRR0 + 3, 0));
  cr_assert_not(wr(X2APIC_MSR_ID, 7));
  cr_assert_eq(rd(X2APIC_MSR_ID), 1);
  tl_part(P)->privileges &= ~HV_ACCESS_INTR_CTRL_REGS;
  cr_assert_not(tl_rdmsr(P, I, HV_X64_MSR_TPR, &v), "synthetic APIC MSRs need AccessIntrCtrlRegs");
  cr_assert_not(wr(HV_X64_MSR_EOI, 0));
  cr_assert(wr(X2APIC_MSR_TPR, 0x10), "the architectural MSRs do not");
}

/* ---- timer --------------------------------------------------------------- */

Test(vapic, timer_one_shot_exact) {
  tl_clock(1000000);
  cr_assert(wr(X2APIC_MSR_TIMER_DIV, 0xB)); /* divide by 1 */
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, 0x40)); /* one-shot, unmasked */
  cr_assert(wr(X2APIC_MSR_TIMER_INIT, 100));
  uint64_t due = 1000000 + 100 * APIC_TICK;
  cr_assert_eq(V()->apic.timer_deadline, due);
  cr_assert_eq(tl_hv()->timer_next, due);
  tl_clock(1000000 + 500);
  cr_assert_eq(rd(X2APIC_MSR_TIMER_CUR), 50, "current count ticks down");
  tl_clock(due - 1);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x40), "one cycle early");
  tl_clock(due);
  timers_run(tl_hv(), tl_lp0());
  cr_assert(tl_irr(P, I, 0x40), "fires at the exact cycle");
  cr_assert_eq(V()->apic.timer_deadline, 0, "one-shot: stopped");
  cr_assert_eq(rd(X2APIC_MSR_TIMER_CUR), 0);
  cr_assert_eq(tl_hv()->timer_next, 0);
  tl_apic_clear(P, I);
  tl_clock(due + 100000);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x40), "fires once");
}

Test(vapic, timer_periodic) {
  tl_clock(500000);
  cr_assert(wr(X2APIC_MSR_TIMER_DIV, 0x0)); /* divide by 2 */
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, LVT_PERIODIC | 0x41));
  cr_assert_eq(rd(X2APIC_MSR_LVT_TIMER), LVT_PERIODIC | 0x41);
  cr_assert(wr(X2APIC_MSR_TIMER_INIT, 50));
  uint64_t period = 50 * 2 * APIC_TICK;
  for (uint64_t k = 1; k <= 3; k++) {
    tl_clock(500000 + k * period - 1);
    timers_run(tl_hv(), tl_lp0());
    cr_assert_not(tl_irr(P, I, 0x41), "period %llu: early", (unsigned long long)k);
    tl_clock(500000 + k * period);
    timers_run(tl_hv(), tl_lp0());
    cr_assert(tl_irr(P, I, 0x41), "period %llu: on time", (unsigned long long)k);
    cr_assert_eq(V()->apic.timer_deadline, 500000 + (k + 1) * period, "re-armed from the due time");
    tl_apic_clear(P, I);
  }
  cr_assert(wr(X2APIC_MSR_TIMER_INIT, 0), "initial count 0 stops the timer");
  cr_assert_eq(V()->apic.timer_deadline, 0);
  tl_clock(500000 + 10 * period);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x41));
}

Test(vapic, timer_masked_counts_silently) {
  tl_clock(10000);
  cr_assert(wr(X2APIC_MSR_TIMER_DIV, 0xB));
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, LVT_MASKED | 0x42));
  cr_assert(wr(X2APIC_MSR_TIMER_INIT, 10));
  tl_clock(10000 + 10 * APIC_TICK);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x42), "masked LVT: no interrupt");
  cr_assert_eq(V()->apic.timer_deadline, 0, "but it expired");
}

Test(vapic, timer_divide_config) {
  static const struct { uint32_t dcr, div; } t[] = {
      {0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1},
  };
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, 0x43));
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    tl_clock(777);
    cr_assert(wr(X2APIC_MSR_TIMER_DIV, t[i].dcr));
    cr_assert_eq(rd(X2APIC_MSR_TIMER_DIV), t[i].dcr);
    cr_assert(wr(X2APIC_MSR_TIMER_INIT, 3));
    cr_assert_eq(V()->apic.timer_deadline, 777 + 3ull * t[i].div * APIC_TICK, "DCR 0x%x: divide by %u",
                 t[i].dcr, t[i].div);
    cr_assert_eq(rd(X2APIC_MSR_TIMER_CUR), 3);
  }
  cr_assert(wr(X2APIC_MSR_TIMER_DIV, 0xFF));
  cr_assert_eq(rd(X2APIC_MSR_TIMER_DIV), 0xB, "only bits 0, 1 and 3 exist");
}

Test(vapic, timer_tsc_deadline) {
  tl_clock(20000);
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, LVT_TSC_DEADLINE | 0x44));
  cr_assert(wr(X2APIC_MSR_TIMER_INIT, 5));
  cr_assert_eq(V()->apic.timer_deadline, 0, "the initial count does not arm in TSC-deadline mode");
  cr_assert(wr(MSR_TSC_DEADLINE, 23456));
  cr_assert_eq(rd(MSR_TSC_DEADLINE), 23456);
  tl_clock(23455);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x44));
  tl_clock(23456);
  timers_run(tl_hv(), tl_lp0());
  cr_assert(tl_irr(P, I, 0x44), "fires when the TSC reaches the deadline");
  cr_assert_eq(rd(MSR_TSC_DEADLINE), 0, "disarmed after firing");
  tl_apic_clear(P, I);
  tl_clock(30000);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x44), "not periodic");
  cr_assert(wr(MSR_TSC_DEADLINE, 40000));
  cr_assert(wr(MSR_TSC_DEADLINE, 0), "writing 0 disarms");
  tl_clock(50000);
  timers_run(tl_hv(), tl_lp0());
  cr_assert_not(tl_irr(P, I, 0x44));
  /* outside TSC-deadline mode the MSR is ignored */
  cr_assert(wr(X2APIC_MSR_LVT_TIMER, 0x44));
  cr_assert(wr(MSR_TSC_DEADLINE, 60000));
  cr_assert_eq(rd(MSR_TSC_DEADLINE), 0);
  cr_assert_eq(V()->apic.timer_deadline, 0);
}

/* ---- IPIs ---------------------------------------------------------------- */

static uint16_t ipi_child(void) {
  uint16_t cs;
  tl_child(16, 4, &cs);
  return cs;
}

static uint32_t who_has(uint16_t cs, uint8_t vector) {
  uint32_t mask = 0;
  for (uint32_t i = 0; i < 4; i++)
    mask |= (uint32_t)tl_irr(cs, i, vector) << i;
  return mask;
}

Test(vapic, ipi_fixed_to_one_vp) {
  uint16_t cs = ipi_child();
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (2ull << 32) | 0x30));
  cr_assert_eq(who_has(cs, 0x30), 1u << 2, "only VP 2");
  cr_assert_eq(tl_msr(cs, 0, X2APIC_MSR_ICR), (2ull << 32) | 0x30);
  cr_assert(tl_wrmsr(cs, 3, HV_X64_MSR_ICR, (0ull << 32) | 0x31), "synthetic ICR alias");
  cr_assert_eq(who_has(cs, 0x31), 1u << 0);
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (9ull << 32) | 0x32), "no such VP: accepted");
  cr_assert_eq(who_has(cs, 0x32), 0);
  cr_assert_not(tl_irr(0, 0, 0x30) || tl_irr(0, 1, 0x30), "never another partition's VP");
}

Test(vapic, ipi_shorthands) {
  uint16_t cs = ipi_child();
  cr_assert(tl_wrmsr(cs, 1, X2APIC_MSR_ICR, ICR_SELF | (3ull << 32) | 0x40));
  cr_assert_eq(who_has(cs, 0x40), 1u << 1, "self (destination ignored)");
  cr_assert(tl_wrmsr(cs, 1, X2APIC_MSR_ICR, ICR_ALL | 0x41));
  cr_assert_eq(who_has(cs, 0x41), 0xF, "all including self");
  cr_assert(tl_wrmsr(cs, 1, X2APIC_MSR_ICR, ICR_ALL_BUT_SELF | 0x42));
  cr_assert_eq(who_has(cs, 0x42), 0xD, "all but self");
  cr_assert(tl_wrmsr(cs, 2, X2APIC_MSR_SELF_IPI, 0x43));
  cr_assert_eq(who_has(cs, 0x43), 1u << 2, "SELF IPI MSR");
  cr_assert_not(tl_wrmsr(cs, 2, X2APIC_MSR_SELF_IPI, 0x143), "reserved bits: #GP");
  cr_assert_eq(who_has(cs, 0x43), 1u << 2, "nothing more sent");
}

Test(vapic, ipi_rejected_and_dropped) {
  uint16_t cs = ipi_child();
  static const uint64_t rejected[] = {2, 3, 4, 7}; /* SMI, reserved, NMI, ExtINT: not modelled */
  for (uint32_t k = 0; k < 4; k++) {
    cr_assert_not(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (1ull << 32) | (rejected[k] << 8) | 0x50),
                  "delivery mode %llu is rejected", (unsigned long long)rejected[k]);
    cr_assert_eq(who_has(cs, 0x50), 0);
  }
  cr_assert_eq(tl_msr(cs, 0, X2APIC_MSR_ICR), 0, "a rejected ICR write is not latched");
  for (uint64_t v = 0; v < 16; v++) {
    cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, ICR_ALL | v), "illegal vector: accepted (ESR), dropped");
    cr_assert_eq(who_has(cs, (uint8_t)v), 0, "vector %llu dropped", (unsigned long long)v);
  }
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_SELF_IPI, 15));
  cr_assert_eq(who_has(cs, 15), 0);
}

Test(vapic, ipi_logical_and_lowest_priority) {
  uint16_t cs = ipi_child();
  /* x2APIC logical id: cluster 0, bits for VPs 1 and 3 */
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (1ull << 11) | ((uint64_t)0xA << 32) | 0x51));
  cr_assert_eq(who_has(cs, 0x51), 0xA, "logical: VPs 1 and 3");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (1ull << 11) | ((uint64_t)0x1000A << 32) | 0x52));
  cr_assert_eq(who_has(cs, 0x52), 0, "cluster 1 has no VP here");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (1ull << 11) | (1ull << 8) | ((uint64_t)0xC << 32) | 0x53));
  cr_assert_eq(who_has(cs, 0x53), 0x4, "lowest priority: one VP of the set, the lowest-numbered");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (0xFFFFFFFFull << 32) | 0x54));
  cr_assert_eq(who_has(cs, 0x54), 0xF, "physical broadcast");
}

Test(vapic, init_sipi_starts_a_waiting_vp) {
  uint16_t cs = ipi_child();
  struct hv_vp *t = tl_vp(cs, 2);
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (2ull << 32) | (5ull << 8) | (1ull << 14)), "INIT assert");
  cr_assert(t->wait_for_sipi, "INIT: waits for a startup IPI");
  cr_assert_neq(t->run_state, VP_RUNNABLE);
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (2ull << 32) | (5ull << 8) | (1ull << 15)), "INIT de-assert");
  cr_assert(t->wait_for_sipi, "de-assert changes nothing");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (3ull << 32) | (6ull << 8) | 0x9A), "SIPI to a running VP");
  cr_assert_not(tl_vp(cs, 3)->wait_for_sipi, "ignored");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ICR, (2ull << 32) | (6ull << 8) | 0x9A), "SIPI");
  cr_assert_not(t->wait_for_sipi, "started");
  cr_assert_eq(who_has(cs, 0x9A), 0, "a startup vector is no interrupt");
}

Test(vapic, apic_base_is_x2apic_and_fixed) {
  uint16_t cs = ipi_child();
  cr_assert_eq(tl_msr(cs, 0, IA32_APIC_BASE), 0xFEE00000ull | (1u << 11) | (1u << 10) | (1u << 8), "BSP");
  cr_assert_eq(tl_msr(cs, 1, IA32_APIC_BASE), 0xFEE00000ull | (1u << 11) | (1u << 10), "an AP");
  cr_assert(tl_wrmsr(cs, 1, IA32_APIC_BASE, 0xFEE00000ull | (1u << 11) | (1u << 10)), "the same value");
  cr_assert_not(tl_wrmsr(cs, 1, IA32_APIC_BASE, 0xFEE00000ull | (1u << 11)), "leaving x2APIC mode: #GP");
  cr_assert_not(tl_wrmsr(cs, 1, IA32_APIC_BASE, 0xFED00000ull | (1u << 11) | (1u << 10)), "moving it: #GP");
}

Test(vapic, local_vector_table_kept) {
  uint16_t cs = ipi_child();
  cr_assert_eq(tl_msr(cs, 0, X2APIC_MSR_LVT_LINT0), 1u << 16, "masked at reset");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_LVT_LINT0, 0x700));
  cr_assert_eq(tl_msr(cs, 0, X2APIC_MSR_LVT_LINT0), 0x700);
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_LVT_ERROR, 0xFE));
  cr_assert_eq(tl_msr(cs, 0, X2APIC_MSR_LVT_ERROR), 0xFE);
  cr_assert_not(tl_wrmsr(cs, 0, X2APIC_MSR_LVT_ERROR, 1ull << 32), "reserved: #GP");
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_ESR, 0));
  cr_assert_not(tl_wrmsr(cs, 0, X2APIC_MSR_ESR, 1), "x2APIC: non-zero ESR write #GP");
}

Test(vapic, ipi_wakes_halted_vp) {
  uint16_t s1;
  struct hv_vp *vp = tl_vp(0, 1);
  vp_get(tl_hv(), 0, 1, &s1);
  vp->explicit_suspend = false; /* hcdrive leaves the root's VPs suspended */
  vp->halted = true;
  vp_update_runnable(tl_hv(), tl_lp0(), s1);
  cr_assert_eq(vp->run_state, VP_HALTED);
  cr_assert_not(vp->queued);
  cr_assert(tl_wrmsr(0, 1, X2APIC_MSR_TPR, 0xF0));
  cr_assert(tl_wrmsr(0, 0, X2APIC_MSR_ICR, (1ull << 32) | 0x60));
  cr_assert(vp->halted, "a request blocked by the TPR does not wake it");
  cr_assert_eq(vp->run_state, VP_HALTED);
  cr_assert(tl_wrmsr(0, 1, X2APIC_MSR_TPR, 0));
  cr_assert(tl_wrmsr(0, 0, X2APIC_MSR_ICR, (1ull << 32) | 0x61));
  cr_assert_not(vp->halted, "woken by the IPI");
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
  cr_assert(vp->queued);
  cr_assert_eq(tl_hv()->rq_head, s1, "a woken VP goes to the head of the run queue");
}

/* ---- auto-EOI ----------------------------------------------------------- */

Test(vapic, auto_eoi_sint_vector_skips_isr) {
  cr_assert(wr(HV_X64_MSR_SINT0 + 2, 0x52 | HV_SINT_AUTO_EOI));
  cr_assert(wr(HV_X64_MSR_SINT0 + 3, 0x53));
  cr_assert(wr(HV_X64_MSR_SINT0 + 4, 0x54 | HV_SINT_AUTO_EOI | HV_SINT_MASKED));
  post(0x52);
  cr_assert_eq(deliver(), 0x52);
  cr_assert_not(tl_isr(P, I, 0x52), "auto-EOI: not in service");
  cr_assert_not(tl_irr(P, I, 0x52));
  cr_assert_eq(rd(X2APIC_MSR_PPR), 0);
  post(0x53);
  cr_assert_eq(deliver(), 0x53);
  cr_assert(tl_isr(P, I, 0x53), "a SINT without auto-EOI needs an EOI");
  cr_assert(wr(X2APIC_MSR_EOI, 0));
  post(0x54);
  cr_assert_eq(deliver(), 0x54);
  cr_assert(tl_isr(P, I, 0x54), "a masked SINT's auto-EOI does not apply");
}
