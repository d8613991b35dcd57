/*
 * bad_actor.c — a hostile child. It tries what only the root may do
 * (create, delete and populate partitions, deposit into and withdraw from
 * any pool, its own included, read the partition id, another partition's
 * registers and properties, create and connect SynIC ports, route device
 * interrupts, copy another partition's memory), calls unknown and
 * malformed hypercalls, writes a read-only MSR, reads an unknown one, and
 * touches memory it was never given. Each attempt must be denied or
 * faulted; it marks MARK_DENIED (value: the attempt's number) per
 * refusal and MARK_ALLOWED if anything got through: 22 attempts a round.
 * Parameter: rounds (1).
 */
#include "models/child/child.h"

static void bad_expect(struct guest *g, uint32_t op, bool refused) {
  guest_mark(g, refused ? MARK_DENIED : MARK_ALLOWED, op);
}

static void bad_hypercalls(struct guest *g, struct winhv *w) {
  uint64_t id = 0, v = 0;
  uint32_t done = 0;
  uint64_t page = 0x10;
  bad_expect(g, 1, winhv_create_partition(w, &id) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 2, winhv_delete_partition(w, 1) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 3, winhv_deposit_memory(w, 1, &page, 1, &done) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 4, winhv_withdraw_memory(w, 1, &page, 1, &done) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 5, winhv_map_gpa_pages(w, 1, 0, HV_MAP_GPA_READABLE, &page, 1, &done) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 6, winhv_get_partition_id(w, &id) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 7, winhv_set_vp_register(w, 1, 0, HV_X64_REGISTER_RIP, 0) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 8, winhv_status(guest_hypercall(g, 0x7FFF, 0, 0)) == HV_STATUS_INVALID_HYPERCALL_CODE);
  bad_expect(g, 9, winhv_status(guest_hypercall(g, HVCALL_GET_PARTITION_PROPERTY | (1ull << 40), 0, 0)) ==
                       HV_STATUS_INVALID_HYPERCALL_INPUT);
  bad_expect(g, 10, winhv_get_partition_property(w, 1, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v) ==
                        HV_STATUS_ACCESS_DENIED);
  /* its own pool is no more its business than the root's */
  bad_expect(g, 11, winhv_deposit_memory(w, HV_PARTITION_ID_SELF, &page, 1, &done) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 12, winhv_get_memory_balance(w, HV_PARTITION_ID_SELF, &v, &v) == HV_STATUS_ACCESS_DENIED);
  /* SynIC ports are made and connected by the root (type 1: a message port) */
  bad_expect(g, 13, winhv_create_port(w, HV_PARTITION_ID_SELF, 0x77, 1, 1, 2, 0, 0, 0) ==
                        HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 14, winhv_connect_port(w, HV_PARTITION_ID_SELF, 0x77, 1, 1) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 15, winhv_map_device_interrupt(w, HV_PARTITION_ID_SELF, 0x30, 0, 0x40) == HV_STATUS_ACCESS_DENIED);
  /* the root's copy call, aimed at the root's own memory */
  bad_expect(g, 16, winhv_copy_child_gpa(w, 1, 0x1000, page << 12, 64, false) == HV_STATUS_ACCESS_DENIED);
  bad_expect(g, 17, winhv_status(guest_hypercall(g, HVCALL_GET_PARTITION_ID | (1ull << 63), 0, 0)) ==
                        HV_STATUS_INVALID_HYPERCALL_INPUT); /* a reserved bit */
}

static void bad_memory(struct guest *g, const struct guest_boot *b) {
  uint64_t x = 0x4242424242424242ull;
  bad_expect(g, 20, !guest_write(g, b->memory_bytes, &x, 8));
  bad_expect(g, 21, !guest_read(g, b->memory_bytes + 0x100000, &x, 8));
  bad_expect(g, 22, !guest_write(g, 0xFFFFFF000ull, &x, 8));
  uint64_t msr;
  bad_expect(g, 23, !guest_wrmsr(g, HV_X64_MSR_VP_INDEX, 5));
  bad_expect(g, 24, !guest_rdmsr(g, 0x40000FFF, &msr));
}

void prog_bad_actor(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  if (!child_winhv(g, b, &w))
    return;
  uint64_t rounds = guest_param(b, "rounds", 1);
  for (uint64_t r = 0; r < rounds; r++) {
    bad_hypercalls(g, &w);
    bad_memory(g, b);
  }
  guest_mark(g, MARK_DONE, rounds);
}
