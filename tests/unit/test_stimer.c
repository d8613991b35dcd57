/*
 * test_stimer.c — time as partitions see it (hv/core/stimer.c, msr.c):
 * synthetic timers (one-shot at an exact reference time with Enable
 * cleared after, periodic re-arm, direct mode, message mode with SINT 0,
 * AutoEnable, reserved bits), a timer that expires before the message
 * page is enabled, TIME_REF_COUNT in 100 ns units and the reference TSC
 * page. Time is LP 0's clock, set by hand; timers_run fires what is due.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(stimer, .init = tl_setup, .fini = tl_teardown);

#define SIMP0 0x10000ull
#define SIEF0 0x11000ull
#define TSCPG 0x14000ull
#define SINT3 (3ull << HV_STIMER_SINT_SHIFT)
#define CFG(t) (HV_X64_MSR_STIMER0_CONFIG + 2 * (t))
#define CNT(t) (HV_X64_MSR_STIMER0_CONFIG + 2 * (t) + 1)

static uint16_t cs;
static uint64_t cid;
static uint8_t msg[256];

static uint64_t cpn(void) { return tl_hv()->boot.cycles_per_100ns; }
/* The cycle at which the child's reference time is ref. */
static uint64_t at(uint64_t ref) { return tl_part(cs)->ref_time_base + ref * cpn(); }
static void run_at(uint64_t cycles) {
  tl_clock(cycles);
  timers_run(tl_hv(), tl_lp0());
}
static struct hv_stimer *T(int t) { return &tl_vp(cs, 0)->synic.stimer[t]; }

/* A child with one VP; its SynIC on (SIMP too if simp), SINT3 = 0x53. */
static void child(bool simp) {
  cid = tl_child(32, 1, &cs);
  tl_synic_on(cs, 0, simp ? SIMP0 : 0, SIEF0);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
  tl_clock(at(1000));
}

static uint32_t slot3(void) {
  tl_msg_read(cs, SIMP0, 3, msg);
  return tl_u32(msg);
}

/* A timer message for timer t in slot 3 with these reference times. */
static void expect_timer_msg(uint32_t t, uint64_t expiration, uint64_t delivery) {
  tl_msg_read(cs, SIMP0, 3, msg);
  cr_assert_eq(tl_u32(msg), HVMSG_TIMER_EXPIRED, "a timer message in SINT 3's slot");
  cr_assert_eq(msg[4], 24, "payload size");
  cr_assert_eq(tl_u64(msg + 8), 0, "origin 0");
  cr_assert_eq(tl_u32(msg + 16), t, "TimerIndex");
  cr_assert_eq(tl_u32(msg + 20), 0);
  cr_assert_eq(tl_u64(msg + 24), expiration, "ExpirationTime %llu", (unsigned long long)tl_u64(msg + 24));
  cr_assert_eq(tl_u64(msg + 32), delivery, "DeliveryTime %llu", (unsigned long long)tl_u64(msg + 32));
}

Test(stimer, one_shot_at_exact_time) {
  child(true);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1500));
  cr_assert_eq(T(0)->deadline, 0, "not enabled yet");
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3));
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), HV_STIMER_ENABLE | SINT3);
  cr_assert_eq(tl_msr(cs, 0, CNT(0)), 1500);
  cr_assert_eq(T(0)->deadline, at(1500));
  cr_assert_eq(tl_hv()->timer_next, at(1500));
  run_at(at(1500) - 1);
  cr_assert_eq(slot3(), 0, "one cycle early: nothing");
  cr_assert_not(tl_irr(cs, 0, 0x53));
  run_at(at(1500));
  expect_timer_msg(0, 1500, 1500);
  cr_assert_eq(msg[5], 0);
  cr_assert(tl_irr(cs, 0, 0x53), "SINT3's vector");
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), SINT3, "one-shot: Enable cleared at expiry");
  cr_assert_eq(tl_msr(cs, 0, CNT(0)), 1500, "count kept");
  cr_assert_eq(tl_hv()->timer_next, 0, "nothing armed");
  tl_msg_clear(cs, SIMP0, 3);
  tl_apic_clear(cs, 0);
  run_at(at(100000));
  cr_assert_eq(slot3(), 0, "fires once");
  cr_assert_not(tl_irr(cs, 0, 0x53));
}

Test(stimer, one_shot_in_the_past_fires_at_once) {
  child(true);
  tl_clock(at(2000));
  cr_assert(tl_wrmsr(cs, 0, CNT(1), 1500));
  cr_assert(tl_wrmsr(cs, 0, CFG(1), HV_STIMER_ENABLE | SINT3));
  run_at(at(2000));
  cr_assert_eq(slot3(), HVMSG_TIMER_EXPIRED, "count already passed: immediate expiry");
  cr_assert_eq(tl_u32(msg + 16), 1);
  cr_assert_eq(tl_u64(msg + 32), 2000, "delivered now");
  cr_assert_eq(tl_msr(cs, 0, CFG(1)) & HV_STIMER_ENABLE, 0);
}

Test(stimer, periodic_rearms) {
  child(true);
  uint64_t t0 = at(1000) + 37, period = 100; /* 10 us */
  tl_clock(t0);
  cr_assert(tl_wrmsr(cs, 0, CNT(2), period));
  cr_assert(tl_wrmsr(cs, 0, CFG(2), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | SINT3));
  for (uint64_t k = 1; k <= 3; k++) {
    uint64_t due = t0 + k * period * cpn();
    run_at(due - 1);
    cr_assert_eq(slot3(), 0, "period %llu: early", (unsigned long long)k);
    run_at(due);
    uint64_t ref = (due - tl_part(cs)->ref_time_base) / cpn();
    expect_timer_msg(2, ref, ref);
    cr_assert_eq(tl_msr(cs, 0, CFG(2)) & HV_STIMER_ENABLE, HV_STIMER_ENABLE, "periodic: stays enabled");
    cr_assert_eq(T(2)->deadline, due + period * cpn(), "re-armed from the expiry");
    tl_msg_clear(cs, SIMP0, 3);
  }
  cr_assert(tl_wrmsr(cs, 0, CFG(2), 0), "disable");
  cr_assert_eq(T(2)->deadline, 0);
  run_at(t0 + 10 * period * cpn());
  cr_assert_eq(slot3(), 0);
}

Test(stimer, direct_mode_posts_vector) {
  child(true);
  uint64_t cfg = HV_STIMER_ENABLE | HV_STIMER_DIRECT | (0x60ull << HV_STIMER_APIC_VECTOR_SHIFT);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1200));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), cfg));
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), cfg, "SINT 0 does not disable a direct-mode timer");
  run_at(at(1200) - 1);
  cr_assert_not(tl_irr(cs, 0, 0x60));
  run_at(at(1200));
  cr_assert(tl_irr(cs, 0, 0x60), "direct mode: the APIC vector");
  for (uint8_t s = 0; s < 16; s++) {
    tl_msg_read(cs, SIMP0, s, msg);
    cr_assert_eq(tl_u32(msg), 0, "no message (slot %u)", s);
  }
  cr_assert_not(T(0)->msg_pending);
  cr_assert_eq(tl_msr(cs, 0, CFG(0)) & HV_STIMER_ENABLE, 0);
  /* periodic direct */
  tl_apic_clear(cs, 0);
  uint64_t t0 = at(1300);
  tl_clock(t0);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 50));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), cfg | HV_STIMER_PERIODIC));
  run_at(t0 + 50 * cpn());
  cr_assert(tl_irr(cs, 0, 0x60));
  tl_apic_clear(cs, 0);
  run_at(t0 + 100 * cpn() - 1);
  cr_assert_not(tl_irr(cs, 0, 0x60));
  run_at(t0 + 100 * cpn());
  cr_assert(tl_irr(cs, 0, 0x60));
}

Test(stimer, message_mode_sint0_disables) {
  child(true);
  cr_assert(tl_wrmsr(cs, 0, CNT(3), 1100));
  cr_assert(tl_wrmsr(cs, 0, CFG(3), HV_STIMER_ENABLE));
  cr_assert_eq(tl_msr(cs, 0, CFG(3)), 0, "message mode with SINT 0: Enable cleared");
  cr_assert_eq(T(3)->deadline, 0);
  run_at(at(5000));
  tl_msg_read(cs, SIMP0, 0, msg);
  cr_assert_eq(tl_u32(msg), 0);
  cr_assert_not(T(3)->msg_pending);
}

Test(stimer, auto_enable_with_count) {
  child(true);
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_AUTO_ENABLE | SINT3));
  cr_assert_eq(T(0)->deadline, 0);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1400));
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), HV_STIMER_AUTO_ENABLE | HV_STIMER_ENABLE | SINT3,
               "writing a non-zero count sets Enable");
  cr_assert_eq(T(0)->deadline, at(1400));
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 0));
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), HV_STIMER_AUTO_ENABLE | SINT3, "count 0 clears Enable");
  cr_assert_eq(T(0)->deadline, 0);
  run_at(at(1400));
  cr_assert_eq(slot3(), 0);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1600));
  run_at(at(1600));
  expect_timer_msg(0, 1600, 1600);
  /* without AutoEnable, a count write does not enable */
  cr_assert(tl_wrmsr(cs, 0, CFG(1), SINT3));
  cr_assert(tl_wrmsr(cs, 0, CNT(1), 1700));
  cr_assert_eq(tl_msr(cs, 0, CFG(1)), SINT3);
  cr_assert_eq(T(1)->deadline, 0);
}

Test(stimer, zero_count_disables_armed_timer) {
  child(true);
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1500));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3));
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 0));
  cr_assert_eq(tl_msr(cs, 0, CFG(0)), SINT3);
  run_at(at(1500));
  cr_assert_eq(slot3(), 0);
}

Test(stimer, reserved_bits_and_privilege) {
  child(true);
  static const uint64_t bad[] = {1ull << 13, 1ull << 14, 1ull << 15, 1ull << 20, 1ull << 63};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_not(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3 | bad[i]), "RsvdZ bit 0x%llx: #GP",
                  (unsigned long long)bad[i]);
    cr_assert_eq(tl_msr(cs, 0, CFG(0)), 0, "unchanged");
  }
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_LAZY | SINT3));
  tl_part(cs)->privileges &= ~HV_ACCESS_SYNTHETIC_TIMER_REGS;
  uint64_t v;
  cr_assert_not(tl_rdmsr(cs, 0, CFG(0), &v), "AccessSyntheticTimerRegs needed");
  cr_assert_not(tl_wrmsr(cs, 0, CNT(3), 5));
  cr_assert_eq(T(3)->count, 0);
}

Test(stimer, expiry_before_simp_delivers_when_enabled) {
  child(false); /* SynIC on, message page not yet enabled */
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1500));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3));
  run_at(at(1500));
  cr_assert(T(0)->msg_pending, "expired, message waiting");
  cr_assert_not(tl_irr(cs, 0, 0x53), "nowhere to deliver yet");
  run_at(at(5000));
  cr_assert(T(0)->msg_pending);
  tl_clock(at(1700));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0 | 1));
  expect_timer_msg(0, 1500, 1700);
  cr_assert(tl_irr(cs, 0, 0x53), "delivered once the page is enabled");
  cr_assert_not(T(0)->msg_pending);
}

Test(stimer, expiry_before_synic_enabled) {
  cid = tl_child(32, 1, &cs);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
  tl_clock(at(1000));
  cr_assert(tl_wrmsr(cs, 0, CNT(1), 1200));
  cr_assert(tl_wrmsr(cs, 0, CFG(1), HV_STIMER_ENABLE | SINT3));
  run_at(at(1200));
  cr_assert_eq(tl_msr(cs, 0, CFG(1)) & HV_STIMER_ENABLE, 0, "expired");
  tl_clock(at(1300));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0 | 1));
  cr_assert_not(tl_irr(cs, 0, 0x53), "SCONTROL still off");
  tl_clock(at(1400));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 1));
  expect_timer_msg(1, 1200, 1400);
  cr_assert(tl_irr(cs, 0, 0x53));
}

Test(stimer, busy_slot_and_order) {
  child(true);
  cr_assert(tl_wrmsr(cs, 0, CNT(2), 1100));
  cr_assert(tl_wrmsr(cs, 0, CFG(2), HV_STIMER_ENABLE | SINT3));
  cr_assert(tl_wrmsr(cs, 0, CNT(1), 1200));
  cr_assert(tl_wrmsr(cs, 0, CFG(1), HV_STIMER_ENABLE | SINT3));
  cr_assert(tl_wrmsr(cs, 0, CNT(0), 1300));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3));
  run_at(at(1100));
  run_at(at(1200));
  run_at(at(1300));
  expect_timer_msg(2, 1100, 1100);
  cr_assert_eq(msg[5], 1, "MessagePending: two more timers expired");
  tl_msg_clear(cs, SIMP0, 3);
  tl_clock(at(1350));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0));
  expect_timer_msg(1, 1200, 1350);
  cr_assert_eq(msg[5], 1);
  tl_msg_clear(cs, SIMP0, 3);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0));
  expect_timer_msg(0, 1300, 1350);
  cr_assert_eq(msg[5], 0);
}

Test(stimer, far_future_count_does_not_wrap) {
  child(true);
  /* reference times whose cycle value does not fit in 64 bits: never due */
  cr_assert(tl_wrmsr(cs, 0, CNT(0), ~0ull));
  cr_assert(tl_wrmsr(cs, 0, CFG(0), HV_STIMER_ENABLE | SINT3));
  cr_assert(tl_wrmsr(cs, 0, CNT(1), ~0ull / cpn() + 1));
  cr_assert(tl_wrmsr(cs, 0, CFG(1), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | SINT3));
  run_at(at(1000));
  run_at(at(1000000000));
  cr_assert_eq(slot3(), 0, "an expiry beyond the end of time never fires");
  cr_assert_not(T(0)->msg_pending || T(1)->msg_pending);
  cr_assert_eq(tl_msr(cs, 0, CFG(0)) & HV_STIMER_ENABLE, HV_STIMER_ENABLE, "still armed");
}

/* ---- reference time ------------------------------------------------- */

Test(stimer, time_ref_count_100ns) {
  child(true);
  uint64_t base = tl_part(cs)->ref_time_base;
  tl_clock(base);
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_TIME_REF_COUNT), 0, "0 at the partition's creation");
  tl_clock(base + 12345 * cpn() + cpn() - 1);
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_TIME_REF_COUNT), 12345);
  tl_clock(base + 12346 * cpn());
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_TIME_REF_COUNT), 12346, "one unit per 100 ns");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_TSC_FREQUENCY), cpn() * 10000000ull, "cycles per second");
  cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_TIME_REF_COUNT, 0), "read-only");
  if (base > 0) {
    tl_clock(base - 1);
    cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_TIME_REF_COUNT), 0, "an LP behind the creation reads 0");
  }
  tl_clock(tl_part(0)->ref_time_base + 777 * cpn());
  cr_assert_eq(tl_msr(0, 0, HV_X64_MSR_TIME_REF_COUNT), 777, "the root's own origin");
  tl_part(cs)->privileges &= ~HV_ACCESS_PARTITION_REF_COUNTER;
  uint64_t v;
  cr_assert_not(tl_rdmsr(cs, 0, HV_X64_MSR_TIME_REF_COUNT, &v));
}

static uint64_t tsc_page_time(uint64_t tsc, uint64_t scale, int64_t offset) {
  return (uint64_t)(((unsigned __int128)tsc * scale) >> 64) + (uint64_t)offset;
}

Test(stimer, reference_tsc_page) {
  child(true);
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_REFERENCE_TSC), 0);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_REFERENCE_TSC, TSCPG | 1));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_REFERENCE_TSC), TSCPG | 1);
  uint8_t page[4096];
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(TSCPG), page, sizeof page), HV_STATUS_SUCCESS);
  uint32_t seq = tl_u32(page);
  uint64_t scale = tl_u64(page + 8);
  int64_t offset = (int64_t)tl_u64(page + 16);
  cr_assert_neq(seq, 0, "sequence 0 would mean: use the MSR");
  cr_assert_neq(seq, 0xFFFFFFFFu);
  cr_assert_eq(tl_u32(page + 4), 0);
  for (size_t i = 24; i < sizeof page; i++)
    cr_assert_eq(page[i], 0, "reserved byte %zu", i);
  uint64_t base = tl_part(cs)->ref_time_base, c = cpn();
  uint64_t tscs[] = {base, base + 1, base + c - 1, base + c, base + 2 * c - 1, base + 12345 * c,
                     base + 12345 * c + c / 2, (base / c + 1) * c, (base / c + 1) * c - 1,
                     (base / c + 77) * c, base + 1000000007ull, base + (1ull << 40) + 3,
                     base + 3600ull * 10000000ull * c};
  for (size_t i = 0; i < sizeof tscs / sizeof tscs[0]; i++) {
    tl_clock(tscs[i]);
    uint64_t ref = tl_msr(cs, 0, HV_X64_MSR_TIME_REF_COUNT);
    cr_assert_eq(tsc_page_time(tscs[i], scale, offset), ref,
                 "TSC %llu: ((tsc*scale)>>64)+offset = %llu, reference counter %llu",
                 (unsigned long long)tscs[i], (unsigned long long)tsc_page_time(tscs[i], scale, offset),
                 (unsigned long long)ref);
  }
  cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_REFERENCE_TSC, (64ull << 12) | 1), "page outside the GPA space");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_REFERENCE_TSC), TSCPG | 1);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_REFERENCE_TSC, 0));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_REFERENCE_TSC), 0);
  tl_part(cs)->privileges &= ~HV_ACCESS_PARTITION_REF_TSC;
  uint64_t v;
  cr_assert_not(tl_rdmsr(cs, 0, HV_X64_MSR_REFERENCE_TSC, &v));
  cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_REFERENCE_TSC, TSCPG | 1));
}
