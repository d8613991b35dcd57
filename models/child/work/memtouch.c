/*
 * memtouch.c — a child program that touches its memory: writes a
 * per-page pattern derived from its seed to `pages` pages (default: all
 * above its hypercall pages, split between VPs), reads them back and
 * reports mismatches (MARK_VERIFY_FAIL, value = the page's GPA), and at
 * the end MARK_DONE with the pages found intact. A workload that never
 * ends can report as it goes: with `report` N > 0 it marks MARK_COUNT
 * after every N passes, value = pages verified intact so far.
 * Parameters: pages, passes (1), work (cycles per page, 200), report (0).
 */
#include "models/child/child.h"

void prog_memtouch(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t first = (CHILD_IO_PAGES_GPA + 0x2000ull * (b->vps ? b->vps : 1)) >> 12;
  uint64_t total = b->memory_bytes >> 12;
  uint64_t avail = total > first ? total - first : 0;
  uint64_t pages = guest_param(b, "pages", avail), passes = guest_param(b, "passes", 1);
  uint64_t work = guest_param(b, "work", 200), report = guest_param(b, "report", 0);
  if (pages > avail)
    pages = avail;
  uint32_t vp = guest_vp_index(g), nvp = b->vps ? b->vps : 1;
  uint64_t per = pages / nvp, start = first + per * vp, bad = 0;
  for (uint64_t pass = 0; pass < passes; pass++) {
    for (uint64_t p = start; p < start + per; p++) {
      uint64_t v[8];
      for (int k = 0; k < 8; k++)
        v[k] = b->seed ^ (p << 8) ^ (pass << 4) ^ (uint64_t)k;
      if (!guest_write(g, p << 12, v, sizeof v)) {
        guest_mark(g, MARK_ERROR, p << 12);
        return;
      }
      if (work)
        guest_work(g, work);
    }
    for (uint64_t p = start; p < start + per; p++) {
      uint64_t v[8];
      if (!guest_read(g, p << 12, v, sizeof v))
        return;
      for (int k = 0; k < 8; k++)
        if (v[k] != (b->seed ^ (p << 8) ^ (pass << 4) ^ (uint64_t)k)) {
          guest_mark(g, MARK_VERIFY_FAIL, p << 12);
          bad++;
          break;
        }
    }
    if (report && (pass + 1) % report == 0)
      guest_mark(g, MARK_COUNT, per * (pass + 1) - bad);
  }
  guest_mark(g, MARK_DONE, per * passes - bad);
  (void)w;
}
