/*
 * child.h — what the child partitions' programs share: the fixed layout
 * of their first pages (boot block, hypercall page, per-VP hypercall
 * input/output pages) and the marker codes they report.
 */
#ifndef MODELS_CHILD_H
#define MODELS_CHILD_H

#include <winhv/winhv.h>

#define CHILD_HYPERCALL_PAGE_GPA 0x1000ull
#define CHILD_IO_PAGES_GPA 0x2000ull /* VP i: input at +0x2000*i, output after */

/* Marker codes (guest_mark): */
#define MARK_READY 1        /* WinHv up; value = VP index */
#define MARK_DONE 2         /* workload finished; value = iterations */
#define MARK_ERROR 3        /* value = what failed */
#define MARK_DENIED 4       /* a forbidden operation was refused; value = op */
#define MARK_ALLOWED 5      /* a forbidden operation succeeded (a bug); value = op */
#define MARK_VERIFY_FAIL 6  /* memory read back differs; value = gpa */

/* Set up WinHv for this VP; false (and a MARK_ERROR) when the partition
 * is too small for this VP's pages. */
bool child_winhv(struct guest *g, const struct guest_boot *b, struct winhv *w);

void prog_idle(struct guest *g, const struct guest_boot *b);
void prog_hypercall_loop(struct guest *g, const struct guest_boot *b);
void prog_memtouch(struct guest *g, const struct guest_boot *b);
void prog_bad_actor(struct guest *g, const struct guest_boot *b);

#endif /* MODELS_CHILD_H */
