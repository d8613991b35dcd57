/*
 * child.h — what the child partitions' programs share: the fixed layout
 * of their first pages (boot block, hypercall page, per-VP hypercall
 * input/output pages) and the marker codes they report.
 */
#ifndef MODELS_CHILD_H
#define MODELS_CHILD_H

#include "models/winhv/winhv.h"

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

#define CHILD_SYNIC_GPA 0x80000ull /* VP i: SIMP at +0x2000*i, SIEFP after */
#define MARK_COUNT 7        /* value = interrupts or messages counted so far */
#define MARK_STEP 8         /* a scripted operation starts; value = opcode << 32 | its offset in the script */
#define MARK_PACKET 9       /* a packet taken from the host; value: see vmbus_script.c (DRAIN) */
#define MARK_SCRIPT 10      /* vmbus-script with `lazy: 1` connected and is about to read its script */
#define CHILD_MSG_TYPE 0x10 /* the message type the programs exchange */

/* Enable this VP's SynIC: SIMP and SIEFP pages, SCONTROL; SINT sint gets
 * vector (auto-EOI when auto_eoi). False if the partition is too small. */
bool child_synic_enable(struct guest *g, const struct guest_boot *b, uint8_t sint, uint8_t vector, bool auto_eoi);
/* Wait (HLT) for a message on sint; copy it to msg (256 bytes), free the
 * slot, write EOM when another message is pending. */
void child_msg_wait(struct guest *g, uint8_t sint, uint8_t *msg);

void prog_idle(struct guest *g, const struct guest_boot *b);
void prog_pingpong(struct guest *g, const struct guest_boot *b);
void prog_ipi(struct guest *g, const struct guest_boot *b);
void prog_irq_sink(struct guest *g, const struct guest_boot *b);
void prog_stimer(struct guest *g, const struct guest_boot *b);
void prog_io_loop(struct guest *g, const struct guest_boot *b);
void prog_hypercall_loop(struct guest *g, const struct guest_boot *b);
void prog_memtouch(struct guest *g, const struct guest_boot *b);
void prog_bad_actor(struct guest *g, const struct guest_boot *b);
void prog_ptdisk(struct guest *g, const struct guest_boot *b);         /* ptdisk.c */
void prog_ptdisk_hostile(struct guest *g, const struct guest_boot *b); /* ptdisk_hostile.c */
void prog_vsc_storage(struct guest *g, const struct guest_boot *b);   /* vsc_storage.c */
void prog_vsc_network(struct guest *g, const struct guest_boot *b);   /* vsc_network.c */
void prog_vmbus_hostile(struct guest *g, const struct guest_boot *b); /* vmbus_hostile.c */
void prog_vsc_ic(struct guest *g, const struct guest_boot *b);        /* vsc_ic.c */
void prog_vmbus_protocol(struct guest *g, const struct guest_boot *b); /* vmbus_protocol.c */
void prog_vmbus_script(struct guest *g, const struct guest_boot *b);   /* vmbus_script.c */
void prog_platform_check(struct guest *g, const struct guest_boot *b); /* platform_check.c */

#endif /* MODELS_CHILD_H */
