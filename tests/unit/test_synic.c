/*
 * test_synic.c — the synthetic interrupt controller (hv/core/synic.c):
 * SCONTROL, SVERSION, SIEFP, SIMP, EOM and SINTx bit layouts and #GP
 * rules; message slots (a message only goes into an empty slot, a busy
 * slot gets MessagePending, EOM / EOI rescan, oldest first across ports,
 * a disabled SIM keeps messages queued); event flags (bit position,
 * interrupt only when newly set, masked SINT, polling mode).
 *
 * Messages come from ports the root creates in a child (hc_synic.c) and
 * posts to; the guest side (reading and clearing slots, EOM) is done with
 * gpa_read / gpa_write and msr_write on the child's VP.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(synic, .init = tl_setup, .fini = tl_teardown);

#define SIMP0 0x10000ull
#define SIEF0 0x11000ull
#define SIMP1 0x12000ull
#define SIEF1 0x13000ull
#define MSG_PENDING 1u

static uint16_t cs;  /* the child's slot */
static uint64_t cid; /* its id */

static void child(void) { cid = tl_child(32, 2, &cs); }

/* The child with SynICs on and ports from the root:
 * conn 1 -> port 1 (message, SINT 2, VP 0), conn 2 -> port 2 (message,
 * SINT 2, VP 0), conn 3 -> port 3 (event, SINT 3, VP 0, flags 10..109),
 * conn 4 -> port 4 (message, SINT 5, VP 1). SINT2 = 0x52, SINT3 = 0x53 on
 * VP 0, SINT5 = 0x55 on VP 1. */
static void ports(void) {
  child();
  cr_assert_eq(tl_deposit(cid, 3), HV_STATUS_SUCCESS);
  tl_synic_on(cs, 0, SIMP0, SIEF0);
  tl_synic_on(cs, 1, SIMP1, SIEF1);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 2, 0x52));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
  cr_assert(tl_wrmsr(cs, 1, HV_X64_MSR_SINT0 + 5, 0x55));
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, 1, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 2, HV_PARTITION_ID_SELF, 1, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 3, HV_PARTITION_ID_SELF, 2, 3, 0, 10, 100), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 4, HV_PARTITION_ID_SELF, 1, 5, 1, 0, 0), HV_STATUS_SUCCESS);
  for (uint32_t p = 1; p <= 4; p++)
    cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, p, cid, p), HV_STATUS_SUCCESS);
}

/* Post from the root a message whose type and first payload byte is tag. */
static uint16_t post(uint32_t conn, uint8_t tag) {
  uint8_t pl[4] = {tag, 0xAA, 0xBB, 0xCC};
  return tl_post(0, 0, conn, tag, pl, sizeof pl);
}

static uint8_t msg[256];
static uint32_t slot_type(uint64_t simp, uint8_t sint) {
  tl_msg_read(cs, simp, sint, msg);
  return tl_u32(msg);
}
static uint8_t slot_flags(uint64_t simp, uint8_t sint) {
  tl_msg_read(cs, simp, sint, msg);
  return msg[5];
}
static void eom(uint32_t vp) { cr_assert(tl_wrmsr(cs, vp, HV_X64_MSR_EOM, 0)); }

/* The guest's side of a message: read it, empty the slot, EOM if pending. */
static uint32_t consume(uint64_t simp, uint8_t sint, uint32_t vp) {
  uint32_t t = slot_type(simp, sint);
  uint8_t f = msg[5];
  tl_msg_clear(cs, simp, sint);
  if (f & MSG_PENDING)
    eom(vp);
  return t;
}

static uint8_t sief_byte(uint64_t sief, size_t off) {
  uint8_t b = 0xEE;
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(sief + off), &b, 1), HV_STATUS_SUCCESS);
  return b;
}

/* ---- registers ------------------------------------------------------- */

Test(synic, scontrol_sversion_eom) {
  child();
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SCONTROL), 0, "initially disabled");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 1));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SCONTROL), 1);
  cr_assert_eq(tl_msr(cs, 1, HV_X64_MSR_SCONTROL), 0, "per VP");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 0xFFFE));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SCONTROL), 0, "only bit 0 exists");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SVERSION), HV_SYNIC_VERSION_1);
  cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_SVERSION, 1), "SVERSION is read-only: #GP");
  cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_SVERSION, 2));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SVERSION), HV_SYNIC_VERSION_1);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0x1234), "EOM takes any value");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_EOM), 0, "EOM reads 0");
  uint64_t v;
  cr_assert_not(tl_rdmsr(cs, 0, HV_X64_MSR_EOM + 1, &v), "SIRBP is not implemented");
}

Test(synic, simp_siefp_layout) {
  child();
  static const uint32_t regs[2] = {HV_X64_MSR_SIMP, HV_X64_MSR_SIEFP};
  for (int r = 0; r < 2; r++) {
    uint32_t m = regs[r];
    cr_assert_eq(tl_msr(cs, 0, m), 0, "initially 0");
    cr_assert(tl_wrmsr(cs, 0, m, SIMP0 | 1));
    cr_assert_eq(tl_msr(cs, 0, m), SIMP0 | 1, "GPFN in 63:12, enable in bit 0");
    cr_assert(tl_wrmsr(cs, 0, m, SIMP1 | 0xFFE | 1));
    cr_assert_eq(tl_msr(cs, 0, m), SIMP1 | 1, "bits 11:1 are RsvdP: they keep their value (0)");
    cr_assert_not(tl_wrmsr(cs, 0, m, (64ull << 12) | 1), "enabling a page outside the GPA space: #GP");
    cr_assert_eq(tl_msr(cs, 0, m), SIMP1 | 1, "unchanged");
    cr_assert(tl_wrmsr(cs, 0, m, 1ull << 40), "disabled: no page needed");
    cr_assert_eq(tl_msr(cs, 0, m), 1ull << 40);
    cr_assert(tl_wrmsr(cs, 0, m, 0));
  }
}

Test(synic, enabled_pages_start_empty) {
  child();
  uint8_t junk[4096];
  memset(junk, 0x5A, sizeof junk);
  cr_assert_eq(gpa_write(tl_hv(), cs, gpa(SIMP0), junk, sizeof junk), HV_STATUS_SUCCESS);
  cr_assert_eq(gpa_write(tl_hv(), cs, gpa(SIEF0), junk, sizeof junk), HV_STATUS_SUCCESS);
  tl_synic_on(cs, 0, SIMP0, SIEF0);
  uint8_t page[4096], zero[4096] = {0};
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(SIMP0), page, sizeof page), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(page, zero, sizeof page), 0, "every message slot empty");
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(SIEF0), page, sizeof page), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(page, zero, sizeof page), 0, "no event flag set");
}

Test(synic, sint_layout_and_gp) {
  child();
  for (uint32_t i = 0; i < HV_SINT_COUNT; i++)
    cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + i), HV_SINT_MASKED, "SINT%u initially masked", i);
  uint64_t v = 0x50 | HV_SINT_AUTO_EOI | HV_SINT_POLLING;
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 7, v));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 7), v, "vector 7:0, AutoEOI 17, Polling 18");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 6), HV_SINT_MASKED, "other SINTs untouched");
  cr_assert_eq(tl_msr(cs, 1, HV_X64_MSR_SINT0 + 7), HV_SINT_MASKED, "per VP");
  for (uint64_t vec = 0; vec < 16; vec++) {
    cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 7, vec), "unmasked vector %llu: #GP",
                  (unsigned long long)vec);
    cr_assert_not(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 7, vec | HV_SINT_POLLING));
  }
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 7), v, "the faulting writes changed nothing");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 7, HV_SINT_MASKED | 5), "a masked SINT may hold any vector");
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 7), HV_SINT_MASKED | 5);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 15, 16));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 15), 16, "vector 16 is the first valid one");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 15, 0xFF | (1ull << 8) | (1ull << 40)));
  cr_assert_eq(tl_msr(cs, 0, HV_X64_MSR_SINT0 + 15), 0xFF, "reserved bits read as before (0)");
}

Test(synic, needs_synic_privilege) {
  child();
  tl_part(cs)->privileges &= ~HV_ACCESS_SYNIC_REGS;
  uint64_t v;
  static const uint32_t msrs[] = {HV_X64_MSR_SCONTROL, HV_X64_MSR_SVERSION, HV_X64_MSR_SIEFP,
                                  HV_X64_MSR_SIMP, HV_X64_MSR_EOM, HV_X64_MSR_SINT0 + 3};
  for (size_t i = 0; i < sizeof msrs / sizeof msrs[0]; i++) {
    cr_assert_not(tl_rdmsr(cs, 0, msrs[i], &v), "read 0x%x without AccessSynicRegs", msrs[i]);
    cr_assert_not(tl_wrmsr(cs, 0, msrs[i], 0), "write 0x%x without AccessSynicRegs", msrs[i]);
  }
}

Test(synic, register_names) {
  child();
  uint64_t v;
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SINT0 + 4, 0x64), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_msr(cs, 1, HV_X64_MSR_SINT0 + 4), 0x64, "SINT4 of VP 1 through its register name");
  cr_assert_eq(tl_get_reg(0, 0, cid, 1, HV_REGISTER_SINT0 + 4, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0x64);
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SINT0 + 4, 3), HV_STATUS_INVALID_REGISTER_VALUE);
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SCONTROL, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SIMP, SIMP1 | 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_msr(cs, 1, HV_X64_MSR_SIMP), SIMP1 | 1);
  cr_assert_eq(tl_get_reg(0, 0, cid, 1, HV_REGISTER_SVERSION, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, HV_SYNIC_VERSION_1);
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SVERSION, 1), HV_STATUS_INVALID_REGISTER_VALUE);
  cr_assert_eq(tl_set_reg(0, 0, cid, 1, HV_REGISTER_SIEFP, (64ull << 12) | 1), HV_STATUS_INVALID_REGISTER_VALUE);
}

/* ---- message slots ------------------------------------------------- */

Test(synic, message_into_empty_slot) {
  ports();
  uint8_t pl[240];
  for (int i = 0; i < 240; i++)
    pl[i] = (uint8_t)(i + 1);
  cr_assert_eq(tl_post(0, 0, 1, 0x77, pl, 5), HV_STATUS_SUCCESS);
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x77, "MessageType");
  cr_assert_eq(msg[4], 5, "PayloadSize");
  cr_assert_eq(msg[5], 0, "no MessagePending: nothing else queued");
  cr_assert_eq(tl_u64(msg + 8), 1, "origin: the port id");
  cr_assert_eq(memcmp(msg + 16, pl, 5), 0);
  for (int i = 21; i < 256; i++)
    cr_assert_eq(msg[i], 0, "payload beyond PayloadSize is zero (byte %d)", i);
  cr_assert(tl_irr(cs, 0, 0x52), "SINT2's vector raised");
  cr_assert_not(tl_irr(cs, 1, 0x52), "only on the port's VP");
  for (uint8_t s = 0; s < 16; s++)
    if (s != 2)
      cr_assert_eq(slot_type(SIMP0, s), 0, "slot %u untouched", s);

  tl_apic_clear(cs, 0);
  tl_msg_clear(cs, SIMP0, 2);
  cr_assert_eq(tl_post(0, 0, 1, 0x78, pl, 240), HV_STATUS_SUCCESS);
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x78, "a new post is delivered into the emptied slot");
  cr_assert_eq(msg[4], 240);
  cr_assert_eq(memcmp(msg + 16, pl, 240), 0, "the full 240-byte payload");
  cr_assert(tl_irr(cs, 0, 0x52));
}

Test(synic, busy_slot_sets_pending_and_eom_redelivers) {
  ports();
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_flags(SIMP0, 2), 0);
  tl_apic_clear(cs, 0);
  cr_assert_eq(post(1, 0x22), HV_STATUS_SUCCESS);
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x11, "a message is only written into an empty slot");
  cr_assert_eq(msg[5], MSG_PENDING, "MessagePending set in the occupying message");
  cr_assert_eq(msg[16], 0x11, "its payload untouched");
  cr_assert_not(tl_irr(cs, 0, 0x52), "no interrupt for a message left queued");
  cr_assert_eq(post(1, 0x33), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_type(SIMP0, 2), 0x11);

  tl_msg_clear(cs, SIMP0, 2);
  eom(0);
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x22, "EOM delivers the next one");
  cr_assert_eq(msg[16], 0x22);
  cr_assert_eq(msg[5], MSG_PENDING, "0x33 still waits");
  cr_assert(tl_irr(cs, 0, 0x52), "with a new interrupt");
  eom(0);
  cr_assert_eq(slot_type(SIMP0, 2), 0x22, "EOM with the slot still busy changes nothing");
  tl_msg_clear(cs, SIMP0, 2);
  eom(0);
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x33);
  cr_assert_eq(msg[5], 0, "the last one: no MessagePending");
  tl_msg_clear(cs, SIMP0, 2);
  eom(0);
  cr_assert_eq(slot_type(SIMP0, 2), 0, "EOM with empty queues is a no-op");
}

Test(synic, apic_eoi_rescans) {
  ports();
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  irq_deliver_pending(tl_hv(), tl_lp0(), tl_vp(cs, 0));
  cr_assert(tl_isr(cs, 0, 0x52));
  cr_assert_eq(post(1, 0x22), HV_STATUS_SUCCESS);
  tl_msg_clear(cs, SIMP0, 2);
  cr_assert(tl_wrmsr(cs, 0, X2APIC_MSR_EOI, 0));
  cr_assert_eq(slot_type(SIMP0, 2), 0x22, "the APIC EOI rescans the queues");
  cr_assert(tl_irr(cs, 0, 0x52));
}

Test(synic, oldest_first_across_ports) {
  ports();
  cr_assert_eq(post(1, 0x10), HV_STATUS_SUCCESS); /* in the slot */
  cr_assert_eq(post(2, 0x21), HV_STATUS_SUCCESS);
  cr_assert_eq(post(1, 0x12), HV_STATUS_SUCCESS);
  cr_assert_eq(post(2, 0x23), HV_STATUS_SUCCESS);
  cr_assert_eq(post(2, 0x24), HV_STATUS_SUCCESS);
  cr_assert_eq(post(1, 0x15), HV_STATUS_SUCCESS);
  static const uint32_t want[] = {0x10, 0x21, 0x12, 0x23, 0x24, 0x15};
  static const uint32_t origin[] = {1, 2, 1, 2, 2, 1};
  for (size_t i = 0; i < 6; i++) {
    tl_msg_read(cs, SIMP0, 2, msg);
    cr_assert_eq(tl_u32(msg), want[i], "message %zu in post order", i);
    cr_assert_eq(tl_u64(msg + 8), origin[i], "message %zu from port %u", i, origin[i]);
    cr_assert_eq(msg[5], i < 5 ? MSG_PENDING : 0, "pending flag of message %zu", i);
    consume(SIMP0, 2, 0);
  }
  cr_assert_eq(slot_type(SIMP0, 2), 0);
}

Test(synic, per_vp_pages) {
  ports();
  cr_assert_eq(post(4, 0x44), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_type(SIMP1, 5), 0x44, "port 4 targets VP 1, SINT 5");
  cr_assert(tl_irr(cs, 1, 0x55));
  cr_assert_eq(slot_type(SIMP0, 5), 0);
  cr_assert_not(tl_irr(cs, 0, 0x55));
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_type(SIMP1, 2), 0);
  cr_assert_eq(slot_type(SIMP0, 2), 0x11);
  cr_assert_eq(slot_flags(SIMP1, 5), 0, "queues are per VP and SINT");
}

Test(synic, sim_disabled_keeps_messages_queued) {
  ports();
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  cr_assert_eq(post(1, 0x22), HV_STATUS_SUCCESS);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0)); /* disable */
  cr_assert_eq(post(1, 0x33), HV_STATUS_INVALID_SYNIC_STATE, "no new posts while the SIM is off");
  tl_msg_clear(cs, SIMP0, 2); /* plain guest memory now */
  eom(0);
  cr_assert_eq(slot_type(SIMP0, 2), 0, "nothing is written into a disabled SIM page");
  cr_assert_eq(slot_flags(SIMP0, 2), MSG_PENDING, "(the flag the guest left)");
  tl_apic_clear(cs, 0);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0 | 1));
  tl_msg_read(cs, SIMP0, 2, msg);
  cr_assert_eq(tl_u32(msg), 0x22, "the queued message is delivered once the SIM is enabled");
  cr_assert_eq(msg[5], 0);
  cr_assert(tl_irr(cs, 0, 0x52));

  /* the same with SCONTROL */
  cr_assert_eq(post(1, 0x44), HV_STATUS_SUCCESS);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 0));
  cr_assert_eq(post(1, 0x55), HV_STATUS_INVALID_SYNIC_STATE);
  tl_msg_clear(cs, SIMP0, 2);
  eom(0);
  cr_assert_eq(slot_type(SIMP0, 2), 0, "SynIC disabled: stays queued");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 1));
  cr_assert_eq(slot_type(SIMP0, 2), 0x44, "delivered when the SynIC is enabled");
}

Test(synic, masked_sint_no_interrupt) {
  ports();
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 2, HV_SINT_MASKED | 0x52));
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_type(SIMP0, 2), 0x11, "the message still goes into its slot");
  for (unsigned w = 0; w < 4; w++)
    cr_assert_eq(tl_vp(cs, 0)->apic.irr[w], 0, "but no interrupt");
}

Test(synic, polling_mode_no_interrupt) {
  ports();
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 2, HV_SINT_POLLING | 0x52));
  cr_assert_eq(post(1, 0x11), HV_STATUS_SUCCESS);
  cr_assert_eq(post(1, 0x12), HV_STATUS_SUCCESS);
  cr_assert_eq(slot_type(SIMP0, 2), 0x11);
  cr_assert_eq(msg[5], MSG_PENDING);
  cr_assert_not(tl_irr(cs, 0, 0x52), "polling: no interrupt");
  consume(SIMP0, 2, 0);
  cr_assert_eq(slot_type(SIMP0, 2), 0x12);
  cr_assert_not(tl_irr(cs, 0, 0x52));
}

/* ---- event flags ---------------------------------------------------- */

Test(synic, event_flag_position) {
  ports();
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  /* absolute flag 10 + 5 = 15 of SINT 3: byte 3*256 + 1, bit 7 */
  uint8_t page[4096];
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(SIEF0), page, sizeof page), HV_STATUS_SUCCESS);
  for (size_t i = 0; i < sizeof page; i++)
    cr_assert_eq(page[i], i == 3 * 256 + 1 ? 0x80 : 0, "SIEF byte %zu", i);
  cr_assert(tl_irr(cs, 0, 0x53));
  cr_assert_eq(tl_signal(0, 0, 3, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 1), 0x84, "flag 10: byte 1, bit 2");
  cr_assert_eq(tl_signal(0, 0, 3, 99), HV_STATUS_SUCCESS);
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 13), 0x20, "flag 109: byte 13, bit 5");
  cr_assert_eq(sief_byte(SIEF1, 3 * 256 + 1), 0, "not VP 1's page");
}

Test(synic, event_interrupt_only_when_newly_set) {
  ports();
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  cr_assert(tl_irr(cs, 0, 0x53));
  tl_apic_clear(cs, 0);
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  cr_assert_not(tl_irr(cs, 0, 0x53), "already set: no interrupt");
  uint8_t zero = 0;
  cr_assert_eq(gpa_write(tl_hv(), cs, gpa(SIEF0 + 3 * 256 + 1), &zero, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  cr_assert(tl_irr(cs, 0, 0x53), "cleared by the guest: interrupt again");
  tl_apic_clear(cs, 0);
  cr_assert_eq(tl_signal(0, 0, 3, 6), HV_STATUS_SUCCESS);
  cr_assert(tl_irr(cs, 0, 0x53), "another flag of the same byte is newly set");
}

Test(synic, event_masked_or_disabled) {
  ports();
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, HV_SINT_MASKED | 0x53));
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_INVALID_SYNIC_STATE, "masked SINT");
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 1), 0, "flag not set");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIEFP, SIEF0));
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_INVALID_SYNIC_STATE, "SIEF page disabled");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIEFP, SIEF0 | 1));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 0));
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_INVALID_SYNIC_STATE, "SynIC disabled");
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 1), 0);
  cr_assert_not(tl_irr(cs, 0, 0x53));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 1));
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 1), 0x80);
}

Test(synic, event_polling_no_interrupt) {
  ports();
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, HV_SINT_POLLING | 0x53));
  cr_assert_eq(tl_signal(0, 0, 3, 5), HV_STATUS_SUCCESS);
  cr_assert_eq(sief_byte(SIEF0, 3 * 256 + 1), 0x80, "the flag is set");
  cr_assert_not(tl_irr(cs, 0, 0x53), "polling: no interrupt");
}

Test(synic, signal_flag_range) {
  ports();
  struct hv_vp *vp = tl_vp(cs, 0);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 15, 0x5F));
  cr_assert_eq(synic_signal(tl_hv(), tl_lp0(), vp, 15, 2047), HV_STATUS_SUCCESS);
  cr_assert_eq(sief_byte(SIEF0, 4095), 0x80, "flag 2047 of SINT 15: the page's last bit");
  cr_assert(tl_irr(cs, 0, 0x5F));
  cr_assert_eq(synic_signal(tl_hv(), tl_lp0(), vp, 15, 2048), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(synic_signal(tl_hv(), tl_lp0(), vp, 0, 0), HV_STATUS_INVALID_SYNIC_STATE, "SINT 0 masked");
  cr_assert_eq(sief_byte(SIEF0, 0), 0);
}
