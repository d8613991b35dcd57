/*
 * ipi.c — inter-processor interrupts between the VPs of one partition.
 * VP 0 sends `count` fixed IPIs (vector 0x60) to each other VP through the
 * x2APIC ICR, then `broadcast` rounds with the all-excluding-self
 * shorthand; every other VP takes them (HLT, EOI) and reports its count.
 */
#include "models/child/child.h"

#define IPI_VECTOR 0x60
#define X2APIC_ICR 0x830

void prog_ipi(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t count = guest_param(b, "count", 100), rounds = guest_param(b, "broadcast", 10);
  uint64_t expect = count + rounds;
  uint32_t me = guest_vp_index(g);
  if (me != 0) {
    for (uint64_t got = 0; got < expect;) {
      uint8_t v;
      guest_halt(g, &v);
      guest_eoi(g);
      got += v == IPI_VECTOR;
      if (got == expect)
        guest_mark(g, MARK_COUNT, got);
    }
    return;
  }
  guest_work(g, 200000); /* let the others reach HLT */
  for (uint64_t i = 0; i < count; i++) {
    for (uint32_t t = 1; t < b->vps; t++)
      guest_wrmsr(g, X2APIC_ICR, IPI_VECTOR | ((uint64_t)t << 32));
    guest_work(g, 50000);
  }
  for (uint64_t r = 0; r < rounds; r++) {
    guest_wrmsr(g, X2APIC_ICR, IPI_VECTOR | (3ull << 18)); /* all excluding self */
    guest_work(g, 50000);
  }
  guest_mark(g, MARK_DONE, count * (b->vps - 1) + rounds * (b->vps - 1));
}
