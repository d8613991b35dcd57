/*
 * debug_stream.c — what the bare-metal image tells the level-2 runner,
 * through the debug port (hvsim/debug_port.h): the trace records ("@T"),
 * guest events arriving on the event port, and every VP's counters at the
 * end of the run ("@S"), deleted VPs' included.
 */
#include "hvsim/debug_port.h"
#include "platform_bare.h"

#define TRACE_BUF_RECS 49152 /* 1.9 MiB: a whole run's records, printed at the end */

static struct hv_trace_rec trace_buf[TRACE_BUF_RECS] __attribute__((section(".noinit")));
static uint32_t trace_n;
static uint64_t trace_total;

void platform_trace_flush(void) {
  static const char hex[] = "0123456789abcdef";
  char line[3 + 80 + 1];
  for (int k = 0; k < 3; k++)
    line[k] = DEBUG_LINE_TRACE[k];
  line[83] = '\n';
  for (uint32_t i = 0; i < trace_n; i++) {
    const uint8_t *b = (const uint8_t *)&trace_buf[i]; /* little-endian layout */
    for (int k = 0; k < 40; k++) {
      line[3 + 2 * k] = hex[b[k] >> 4];
      line[4 + 2 * k] = hex[b[k] & 15];
    }
    console_write(line, sizeof line);
  }
  trace_n = 0;
}

uint64_t platform_trace_total(void) { return trace_total; }

/* hv_init's own records are not part of a run (the simulator starts its
 * trace after boot too) — except what the isolation oracle finds: a
 * violation is never dropped. */
void platform_trace(const struct hv_trace_rec *r) {
  if (!platform_booted() && r->kind != HV_TR_ISOLATION)
    return;
  if (trace_n == TRACE_BUF_RECS)
    platform_trace_flush();
  trace_buf[trace_n++] = *r;
  trace_total++;
}

bool platform_io_event(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint16_t port, uint8_t size,
                       bool write) {
  if (port != BARE_EVENT_PORT || !write)
    return false;
  const uint64_t *r = vp->arch.gpr;
  if (size == 1) {
    console_putc((char)r[0]); /* guest console output (debugging) */
    return true;
  }
  if (size != 4 || ((uint32_t)r[0] & 0xFFFF0000u) != BARE_EVENT_TAG)
    return false;
  hv->arch.events++;
  hv_trace(hv, lp, (uint16_t)hv->partitions[vp->partition].id, (uint16_t)vp->index, (uint16_t)r[0], r[6], r[7],
           r[8]);
  return true;
}

/* ---- per-VP statistics for the report ----------------------------------- */
/* VPs deleted during the run keep their counters here (the simulator keeps
 * a list of them too); platform_stats_print() prints them with the live
 * ones as "@S" lines for the runner's summary and fairness checks. */
#define PLATFORM_GONE_MAX 1024
struct platform_gone {
  uint64_t pid;
  uint32_t vp;
  struct hv_vp_stats stats;
};
static struct platform_gone platform_gone[PLATFORM_GONE_MAX];
static uint32_t platform_ngone;

void platform_vp_gone(struct hv *hv, const struct hv_vp *vp) {
  if (platform_ngone == PLATFORM_GONE_MAX)
    return;
  struct platform_gone *g = &platform_gone[platform_ngone++];
  g->pid = hv->partitions[vp->partition].id;
  g->vp = vp->index;
  g->stats = vp->stats;
}

static void platform_stats_line(uint64_t pid, uint32_t vp, const struct hv_vp_stats *s) {
  console_printf(DEBUG_LINE_STATS "pid=%lu vp=%u guest=%lu hv=%lu exit=%lu exits=%lu hypercalls=%lu "
                                  "dispatches=%lu\n",
                 pid, vp, s->guest_cycles, s->hv_cycles, s->exit_cycles, s->exits, s->hypercalls, s->dispatches);
}

void platform_stats_print(struct hv *hv) {
  for (uint32_t i = 0; i < platform_ngone; i++)
    platform_stats_line(platform_gone[i].pid, platform_gone[i].vp, &platform_gone[i].stats);
  for (uint32_t i = 0; i < HV_MAX_VPS; i++)
    if (hv->vps[i].in_use)
      platform_stats_line(hv->partitions[hv->vps[i].partition].id, hv->vps[i].index, &hv->vps[i].stats);
}
