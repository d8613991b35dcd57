/*
 * io_loop.c — port I/O emulated by the root: `count` rounds of OUT of a
 * value to port 0x600 and IN from it; the root's worker answers value + 1
 * through the intercept path. Marks how many answers were right.
 */
#include "models/child/child.h"

#define IO_PORT 0x600

void prog_io_loop(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t count = guest_param(b, "count", 100), ok = 0;
  for (uint64_t i = 0; i < count; i++) {
    uint32_t v = (uint32_t)(b->seed + i * 7);
    guest_out(g, IO_PORT, 4, v);
    ok += guest_in(g, IO_PORT, 4) == v + 1;
  }
  guest_mark(g, MARK_DONE, ok);
}
