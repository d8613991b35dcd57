/*
 * irq_sink.c — a child that owns a device's interrupts: it halts, takes
 * each interrupt, does `work` cycles of handling, EOIs, and reports every
 * `report` interrupts.
 */
#include "models/child/child.h"

void prog_irq_sink(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t work = guest_param(b, "work", 2000), report = guest_param(b, "report", 1000), n = 0;
  for (;;) {
    guest_halt(g, 0);
    if (work)
      guest_work(g, work);
    guest_eoi(g);
    if (++n % report == 0)
      guest_mark(g, MARK_COUNT, n);
  }
}
