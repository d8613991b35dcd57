/*
 * stimer.c — synthetic timers from the guest's side. STIMER0 is armed
 * one-shot (message mode, SINT 1) at `oneshot_us` BEFORE the message page
 * is enabled — a pitfall of other implementations: the expiry must still
 * arrive once the page is enabled `enable_us` later. Then STIMER1 runs
 * periodic with a `period_us` period for `periods` expiries. Each message
 * is checked (timer index, expiration time) and counted.
 */
#include "models/child/child.h"

#define STIMER_SINT 1

static uint64_t stimer_ref(struct guest *g) {
  uint64_t t = 0;
  guest_rdmsr(g, HV_X64_MSR_TIME_REF_COUNT, &t);
  return t;
}

void prog_stimer(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t oneshot = guest_param(b, "oneshot_us", 100), enable = guest_param(b, "enable_us", 500);
  uint64_t period = guest_param(b, "period_us", 200), periods = guest_param(b, "periods", 10);
  uint64_t cfg = 1 | ((uint64_t)STIMER_SINT << 16); /* enable, message mode, SINT 1 */
  guest_wrmsr(g, HV_X64_MSR_STIMER0_CONFIG, cfg);
  guest_wrmsr(g, HV_X64_MSR_STIMER0_CONFIG + 1, stimer_ref(g) + oneshot * 10);
  guest_work(g, enable * 2000); /* the expiry happens while the SIM page is off */
  if (!child_synic_enable(g, b, STIMER_SINT, 0x52, true))
    return;
  uint8_t msg[256];
  child_msg_wait(g, STIMER_SINT, msg);
  bool first_ok = msg[0] == 0x10 && msg[3] == 0x80 && msg[16] == 0; /* HvMessageTimerExpired, timer 0 */
  guest_mark(g, MARK_COUNT, first_ok);
  guest_wrmsr(g, HV_X64_MSR_STIMER0_CONFIG + 2, cfg | 2); /* STIMER1: periodic */
  guest_wrmsr(g, HV_X64_MSR_STIMER0_CONFIG + 3, period * 10);
  uint64_t got = 0;
  while (got < periods) {
    child_msg_wait(g, STIMER_SINT, msg);
    got += msg[16] == 1;
  }
  guest_wrmsr(g, HV_X64_MSR_STIMER0_CONFIG + 2, 0);
  guest_mark(g, MARK_DONE, got + first_ok);
}
