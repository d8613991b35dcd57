/*
 * test_hypercall.c — the hypercall ABI (hv/core/hypercall.c): decoding of
 * the input value, input/output block checks, fast calls, the #UD without
 * a hypercall page, the result value layout and rep continuations.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hypercall, .init = tl_setup, .fini = tl_teardown);

/* The root VP 0's input and output pages (see hcdrive_call). */
static uint64_t io_base(void) { return (tl_d.root_base_gpfn << 12) + 0x2000ull * 0; }

static uint16_t get_id(uint64_t control, uint64_t *id) {
  return tl_st(tl_call(0, 0, control, 0, 0, id, 8));
}

Test(hypercall, get_partition_id_success) {
  uint64_t id = 0;
  uint64_t rax = tl_call(0, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8);
  cr_assert_eq(rax, HV_STATUS_SUCCESS);
  cr_assert_eq(id, HV_ROOT_PARTITION_ID);
  cr_assert_eq(tl_hv()->counters.hypercalls, 1);
}

Test(hypercall, unknown_call_code) {
  uint64_t id;
  /* codes the TLFS does not define */
  cr_assert_eq(get_id(0x0000, &id), HV_STATUS_INVALID_HYPERCALL_CODE);
  cr_assert_eq(get_id(0x7FFF, &id), HV_STATUS_INVALID_HYPERCALL_CODE);
  cr_assert_eq(get_id(0xFFFF, &id), HV_STATUS_INVALID_HYPERCALL_CODE);
  cr_assert_eq(tl_hv()->counters.hypercalls, 3, "still completed (and counted)");
}

Test(hypercall, reserved_bits) {
  uint64_t id;
  const uint64_t bits[] = {1ull << 27, 1ull << 30, HV_HYPERCALL_NESTED, 1ull << 44, 1ull << 47,
                           1ull << 60, 1ull << 63};
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
    cr_assert_eq(get_id(HVCALL_GET_PARTITION_ID | bits[i], &id), HV_STATUS_INVALID_HYPERCALL_INPUT,
                 "bit %#llx", (unsigned long long)bits[i]);
}

Test(hypercall, variable_header) {
  uint64_t id;
  cr_assert_eq(get_id(HVCALL_GET_PARTITION_ID | (1ull << HV_HYPERCALL_VARHEAD_OFFSET), &id),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
}

Test(hypercall, rep_count_on_simple_call) {
  uint64_t id;
  cr_assert_eq(get_id(tl_rep(HVCALL_GET_PARTITION_ID, 1), &id), HV_STATUS_INVALID_HYPERCALL_INPUT);
  cr_assert_eq(get_id(HVCALL_GET_PARTITION_ID | (1ull << HV_HYPERCALL_REP_START_OFFSET), &id),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
}

Test(hypercall, rep_call_count_zero_or_start_past_end) {
  uint64_t g = tl_root_pages(2);
  uint64_t in[3] = {HV_PARTITION_ID_SELF, g, g + 1};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_DEPOSIT_MEMORY, in, 24, 0, 0)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  uint64_t start2 = 2ull << HV_HYPERCALL_REP_START_OFFSET, start3 = 3ull << HV_HYPERCALL_REP_START_OFFSET;
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 2) | start2, in, 24, 0, 0)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 2) | start3, in, 24, 0, 0)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  /* nothing moved */
  cr_assert_eq(tl_part(0)->pool_free, 1);
  /* a valid rep start skips the first elements */
  uint64_t start1 = 1ull << HV_HYPERCALL_REP_START_OFFSET;
  uint64_t rax = tl_call(0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 2) | start1, in, 24, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_reps(rax), 2);
  cr_assert_eq(tl_part(0)->pool_free, 2);
  cr_assert_eq(pfn_type_of(*pfn_entry(tl_hv(), g)), PFN_RAM);
  cr_assert_eq(pfn_type_of(*pfn_entry(tl_hv(), g + 1)), PFN_POOL_FREE);
}

Test(hypercall, input_larger_than_a_page) {
  static uint64_t in[513];
  in[0] = HV_PARTITION_ID_SELF;
  /* 8 + 8 * 512 = 4104 bytes > 4096 */
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 512), io_base(), in, 8,
                                 io_base() + 0x1000, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_HYPERCALL_INPUT);
}

Test(hypercall, misaligned_gpas) {
  uint64_t id = 0, in[7] = {0};
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_CREATE_PARTITION, io_base() + 4, in, 56,
                                 io_base() + 0x1000, &id, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_CREATE_PARTITION, io_base(), in, 56,
                        io_base() + 0x1000 + 1, &id, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_PARTITION_ID, 0, 0, 0, io_base() + 0x1004, &id, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  /* a call without input ignores the input GPA entirely */
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_PARTITION_ID, 3, 0, 0, io_base() + 0x1000, &id, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS);
  cr_assert_eq(id, 1);
  cr_assert_eq(tl_part(1)->state, PART_FREE, "no partition was created");
}

Test(hypercall, page_crossing_blocks) {
  uint64_t id = 0, in[7] = {0};
  /* input: 56 bytes from 8 bytes before the end of the page */
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_CREATE_PARTITION, io_base() + 0xFF8, in, 56,
                                 io_base() + 0x2000, &id, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  /* output: GetMemoryBalance's 16 bytes at the last 8 bytes of a page */
  uint64_t bin[2] = {HV_PARTITION_ID_SELF, 0}, bout[2];
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_MEMORY_BALANCE, io_base(), bin, 16,
                        io_base() + 0x1FF8, bout, 16);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  /* exactly at the end is fine */
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_MEMORY_BALANCE, io_base() + 0xFF0, bin, 16,
                        io_base() + 0x1FF0, bout, 16);
  cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS);
  cr_assert_eq(bout[0], tl_part(0)->pool_free);
  cr_assert_eq(bout[1], tl_part(0)->pool_used);
}

Test(hypercall, overlapping_input_and_output) {
  uint64_t bin[2] = {HV_PARTITION_ID_SELF, 0}, bout[2];
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_MEMORY_BALANCE, io_base(), bin, 16,
                                 io_base() + 8, bout, 16);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_MEMORY_BALANCE, io_base() + 16, bin, 16, io_base(),
                        bout, 16);
  cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS, "adjacent blocks do not overlap");
}

Test(hypercall, unmapped_input_gpa) {
  /* beyond the machine's RAM: not in the root's SLAT */
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_INITIALIZE_PARTITION, 1ull << 40, 0, 0,
                                 io_base() + 0x1000, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  /* the hypervisor's own pages (the PFN database at 0) are not the root's */
  rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_INITIALIZE_PARTITION, 0, 0, 0, io_base() + 0x1000, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  /* a child's input outside its 16 mapped pages */
  uint16_t cs;
  tl_child(16, 1, &cs);
  rax = hcdrive_call_at(&tl_d, cs, 0, HVCALL_GET_PARTITION_PROPERTY, 16 << 12, 0, 0, 0x3000, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
}

Test(hypercall, unmapped_output_gpa) {
  uint64_t rax = hcdrive_call_at(&tl_d, 0, 0, HVCALL_GET_PARTITION_ID, 0, 0, 0, 1ull << 40, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
}

Test(hypercall, fast_calls) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 2), HV_STATUS_SUCCESS);
  /* a fast call the descriptor allows: the id comes in RDX */
  uint64_t regs[2] = {id, 0};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_INITIALIZE_PARTITION | HV_HYPERCALL_FAST_BIT, regs, 16, 0, 0)),
               HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(tl_slot(id))->state, PART_ACTIVE);
  /* fast with an output block, or with more than 16 bytes of input */
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_GET_PARTITION_ID | HV_HYPERCALL_FAST_BIT, regs, 16, &id, 8)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  uint64_t in[7] = {0};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION | HV_HYPERCALL_FAST_BIT, in, 16, &id, 8)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  /* a fast rep call */
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 1) | HV_HYPERCALL_FAST_BIT, regs, 16, 0, 0)),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
  /* fast DeleteVp: 16 bytes in RDX, R8 */
  cr_assert_eq(tl_create_vp(id, 3), HV_STATUS_SUCCESS);
  uint64_t dv[2] = {id, 3};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_DELETE_VP | HV_HYPERCALL_FAST_BIT, dv, 16, 0, 0)),
               HV_STATUS_SUCCESS);
  cr_assert_null(vp_get(tl_hv(), tl_slot(id), 3, 0));
}

Test(hypercall, no_hypercall_page_raises_ud) {
  struct hv_vp *vp = vp_get(tl_hv(), 0, 0, 0);
  tl_part(0)->hypercall_msr = 0;
  uint64_t rip = vp->arch.rip, id = 0;
  uint64_t rax = tl_call(0, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8);
  cr_assert_eq(rax, ~0ull);
  cr_assert_eq(vp->arch.vcpu->exc_vector, 6);
  cr_assert_eq(vp->arch.rip, rip, "RIP must not advance on #UD");
  cr_assert_eq(tl_hv()->counters.hypercalls, 0);
  cr_assert_eq(id, 0);
}

Test(hypercall, rip_advances_past_vmcall) {
  struct hv_vp *vp = vp_get(tl_hv(), 0, 1, 0);
  uint64_t rip = vp->arch.rip, id;
  cr_assert_eq(tl_st(tl_call(0, 1, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8)), HV_STATUS_SUCCESS);
  cr_assert_eq(vp->arch.rip, rip + 3);
  cr_assert_eq(vp->stats.hypercalls, 1);
  /* failures complete the instruction too */
  cr_assert_eq(get_id(0xFFFF, &id), HV_STATUS_INVALID_HYPERCALL_CODE);
  cr_assert_eq(tl_st(tl_call(0, 1, 0xFFFF, 0, 0, 0, 0)), HV_STATUS_INVALID_HYPERCALL_CODE);
  cr_assert_eq(vp->arch.rip, rip + 6);
}

Test(hypercall, result_value_layout) {
  uint64_t g = tl_root_pages(3);
  uint64_t list[3] = {g, g + 1, 0 /* a hypervisor page: not the root's */};
  uint64_t rax = tl_deposit_list(HV_PARTITION_ID_SELF, list, 3);
  cr_assert_eq(rax, HV_STATUS_INVALID_PARAMETER | (2ull << 32), "rax %#llx", (unsigned long long)rax);
  cr_assert_eq(rax & ~(HV_HYPERCALL_RESULT_MASK | HV_HYPERCALL_REP_DONE_MASK), 0);
  list[2] = g + 2;
  rax = tl_deposit_list(HV_PARTITION_ID_SELF, list, 3);
  cr_assert_eq(rax, HV_STATUS_INVALID_PARAMETER, "first element already deposited: 0 reps");
  rax = tl_deposit_list(HV_PARTITION_ID_SELF, list + 2, 1);
  cr_assert_eq(rax, HV_STATUS_SUCCESS | (1ull << 32));
}

/* Map 1000 pages into a child, then unmap them in one rep call of 1000
 * reps: it completes through continuations (512 reps per entry). */
Test(hypercall, rep_continuation) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_map(id, 0, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  cr_assert_eq(tl_map(id, 500, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  uint16_t s = tl_slot(id);
  cr_assert_eq(tl_part(s)->ram_pages, 1000);
  uint64_t root_ram = tl_part(0)->ram_pages;

  /* One entry by hand: RIP stays, RCX carries the new rep start. */
  struct hv *hv = tl_hv();
  struct hv_vp *vp = vp_get(hv, 0, 0, 0);
  uint64_t in[3] = {id, 0, 0};
  cr_assert_eq(gpa_write(hv, 0, gpa(io_base()), in, 24), HV_STATUS_SUCCESS);
  uint64_t control = tl_rep(HVCALL_UNMAP_GPA_PAGES, 1000), rip = vp->arch.rip;
  vp->arch.gpr[1] = control;
  vp->arch.gpr[2] = io_base();
  vp->arch.gpr[8] = io_base() + 0x1000;
  hv_hypercall(hv, &hv->lps[0], vp);
  cr_assert_eq(vp->arch.rip, rip, "a continued call does not advance RIP");
  cr_assert_eq(vp->arch.gpr[1], control | (512ull << HV_HYPERCALL_REP_START_OFFSET));
  cr_assert_eq(tl_reps(vp->arch.gpr[0]), 512);
  cr_assert_eq(tl_part(s)->ram_pages, 1000 - 512);
  hv_hypercall(hv, &hv->lps[0], vp);
  cr_assert_eq(vp->arch.rip, rip + 3);
  cr_assert_eq(vp->arch.gpr[0], HV_STATUS_SUCCESS | (1000ull << 32));
  cr_assert_eq(tl_part(s)->ram_pages, 0);
  cr_assert_eq(tl_part(0)->ram_pages, root_ram + 1000);

  /* Through the harness: map again, unmap 1000 in one call. */
  cr_assert_eq(tl_map(id, 0, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  cr_assert_eq(tl_map(id, 500, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  uint64_t rax = tl_unmap(id, 0, 1000);
  cr_assert_eq(rax, HV_STATUS_SUCCESS | (1000ull << 32));
  cr_assert_eq(tl_part(s)->ram_pages, 0);
  /* 4095 reps (the largest count), failing at rep 1000 after continuations */
  cr_assert_eq(tl_map(id, 0, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  cr_assert_eq(tl_map(id, 500, 500, 0), HV_STATUS_SUCCESS | (500ull << 32));
  rax = tl_unmap(id, 0, 4095);
  cr_assert_eq(rax, HV_STATUS_INVALID_PARAMETER | (1000ull << 32));
  cr_assert_eq(hv_check_isolation(hv, 0), 0);
}

/* A rep call restarted at a rep start index (as a continuation or by the
 * caller after a partial failure) processes reps start..count-1 only: the
 * output elements of earlier reps belong to the caller and stay intact. */
Test(hypercall, rep_start_keeps_earlier_output_elements) {
  struct hv_vp *vp = vp_get(tl_hv(), 0, 1, 0);
  vp->arch.gpr[0] = 0xA0;
  vp->arch.gpr[3] = 0xB3;
  vp->arch.gpr[6] = 0xC6;
  uint64_t in[4] = {HV_PARTITION_ID_SELF, 1, 0, 0};
  uint32_t names[3] = {HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX, HV_X64_REGISTER_RSI};
  memcpy(&in[2], names, 12);
  uint64_t marker[6] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666}, out[6];
  uint64_t out_gpa = io_base() + 0x1000;
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(out_gpa), marker, 48), HV_STATUS_SUCCESS);
  uint64_t rax = tl_call(0, 0, tl_rep(HVCALL_GET_VP_REGISTERS, 3) | (1ull << HV_HYPERCALL_REP_START_OFFSET),
                         in, 28, out, 48);
  cr_assert_eq(rax, HV_STATUS_SUCCESS | (3ull << 32));
  cr_assert_eq(out[0], 0x1111, "element 0 (before the rep start) was overwritten");
  cr_assert_eq(out[1], 0x2222);
  cr_assert_eq(out[2], 0xB3);
  cr_assert_eq(out[4], 0xC6);
  /* a failing rep call writes only the elements of the reps it did */
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(out_gpa), marker, 48), HV_STATUS_SUCCESS);
  names[2] = 0xDEAD;
  memcpy(&in[2], names, 12);
  rax = tl_call(0, 0, tl_rep(HVCALL_GET_VP_REGISTERS, 3) | (1ull << HV_HYPERCALL_REP_START_OFFSET), in, 28,
                0, 0);
  cr_assert_eq(rax, HV_STATUS_INVALID_PARAMETER | (2ull << 32));
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(out_gpa), out, 48), HV_STATUS_SUCCESS);
  cr_assert_eq(out[0], 0x1111);
  cr_assert_eq(out[2], 0xB3);
  cr_assert_eq(out[4], 0x5555, "rep 2 failed: its element untouched");
}

Test(hypercall, read_only_output_page) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 6), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  uint64_t g = tl_root_pages(3);
  uint64_t rw[2] = {g, g + 1}, ro = g + 2;
  cr_assert_eq(tl_map_list(id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, rw, 2), HV_STATUS_SUCCESS | (2ull << 32));
  cr_assert_eq(tl_map_list(id, 2, HV_MAP_GPA_READABLE, &ro, 1), HV_STATUS_SUCCESS | (1ull << 32));
  cr_assert_eq(tl_create_vp(id, 0), HV_STATUS_SUCCESS);
  uint16_t s = tl_slot(id);
  tl_part(s)->guest_os_id = 1;
  tl_part(s)->hypercall_msr = 0x1000 | HV_X64_MSR_HYPERCALL_ENABLE;
  struct hv_partition *p = tl_part(s);
  p->privileges |= HV_ACCESS_PARTITION_ID;
  uint64_t out = 0;
  /* output into the read-only page: refused, nothing written */
  uint64_t rax = hcdrive_call_at(&tl_d, s, 0, HVCALL_GET_PARTITION_ID, 0, 0, 0, 0x2000, 0, 0);
  cr_assert_eq(tl_st(rax), HV_STATUS_INVALID_ALIGNMENT);
  cr_assert_eq(*(uint64_t *)(tl_d.sim.mem + (ro << 12)), 0);
  /* input from the read-only page is fine */
  uint64_t in[2] = {HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS};
  memcpy(tl_d.sim.mem + (ro << 12), in, 16);
  rax = hcdrive_call_at(&tl_d, s, 0, HVCALL_GET_PARTITION_PROPERTY, 0x2000, 0, 0, 0x1000, &out, 8);
  cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS);
  cr_assert_eq(out, p->privileges);
}
