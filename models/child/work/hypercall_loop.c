/*
 * hypercall_loop.c — a child program that issues hypercalls in a loop:
 * the workload of the null-hypercall benchmark and of the quickstart.
 * Parameters: calls (1000), work (cycles between calls, 1000), call
 * (0 = GetPartitionProperty of itself, 1 = NotifyLongSpinWait (fast),
 * 2 = GetPartitionId — denied to children).
 */
#include "models/child/child.h"

void prog_hypercall_loop(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t calls = guest_param(b, "calls", 1000), work = guest_param(b, "work", 1000);
  uint64_t kind = guest_param(b, "call", 0), failures = 0;
  for (uint64_t i = 0; i < calls; i++) {
    uint16_t st;
    if (kind == 1) {
      st = winhv_status(guest_hypercall(g, HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST_BIT, 1, 0));
    } else if (kind == 2) {
      uint64_t id;
      st = winhv_get_partition_id(&w, &id);
    } else {
      uint64_t v;
      st = winhv_get_partition_property(&w, HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v);
    }
    failures += st != HV_STATUS_SUCCESS;
    if (work)
      guest_work(g, work);
  }
  guest_mark(g, MARK_DONE, calls - failures);
}
