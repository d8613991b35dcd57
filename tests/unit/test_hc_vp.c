/*
 * test_hc_vp.c — the virtual processor hypercalls (hv/core/hc_vp.c,
 * vp.c): CreateVp, DeleteVp, GetVpRegisters, SetVpRegisters (explicit
 * suspend, VP_INDEX, HV_VP_INDEX_SELF, unknown registers, reserved
 * fields) and the access rules between partitions.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hc_vp, .init = tl_setup, .fini = tl_teardown);

static uint64_t active_child(uint64_t pool, uint16_t *slot) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, pool), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  *slot = tl_slot(id);
  return id;
}

static uint16_t create_vp_raw(uint16_t part, const uint64_t in[5]) {
  return tl_st(tl_call(part, 0, HVCALL_CREATE_VP, in, 40, 0, 0));
}

Test(hc_vp, create_vp_success) {
  uint16_t s;
  uint64_t id = active_child(4, &s);
  cr_assert_eq(tl_create_vp(id, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(id, 63), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(s)->nvps, 2);
  cr_assert_eq(tl_part(s)->pool_used, 3);
  uint16_t vs;
  struct hv_vp *vp = vp_get(tl_hv(), s, 63, &vs);
  cr_assert_not_null(vp);
  cr_assert(vp->in_use);
  cr_assert_eq(vp->partition, s);
  cr_assert_eq(vp->index, 63);
  cr_assert(vp->explicit_suspend, "a child's VP starts explicitly suspended");
  cr_assert_eq(vp->run_state, VP_SUSPENDED);
  cr_assert_eq(pfn_type_of(*pfn_entry(tl_hv(), spa_pfn(vp->state_page))), PFN_POOL_USED);
  cr_assert_eq(vp->arch.slat_root, tl_part(s)->slat_root.v);
}

Test(hc_vp, create_vp_errors) {
  uint16_t s;
  uint64_t id = active_child(2, &s);
  cr_assert_eq(tl_create_vp(id, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(id, 0), HV_STATUS_INVALID_VP_INDEX, "exists");
  cr_assert_eq(tl_create_vp(id, HV_MAX_VPS_PER_PARTITION), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_create_vp(id, HV_VP_INDEX_SELF), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_create_vp(id, 1), HV_STATUS_INSUFFICIENT_MEMORY, "pool empty");
  cr_assert_null(vp_get(tl_hv(), s, 1, 0));
  cr_assert_eq(tl_deposit(id, 1), HV_STATUS_SUCCESS);
  uint64_t in[5] = {id, 1 | (1ull << 32) /* reserved byte */, 0, 0, 0};
  cr_assert_eq(create_vp_raw(0, in), HV_STATUS_INVALID_PARAMETER);
  in[1] = 1 | (0xFFull << 56); /* subnode type: not reserved */
  in[4] = 1; /* flags */
  cr_assert_eq(create_vp_raw(0, in), HV_STATUS_INVALID_PARAMETER);
  in[4] = 0;
  cr_assert_eq(create_vp_raw(0, in), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(777, 0), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_create_vp(HV_PARTITION_ID_SELF, 5), HV_STATUS_ACCESS_DENIED, "the root's own VPs");
  cr_assert_eq(tl_create_vp(HV_ROOT_PARTITION_ID, 5), HV_STATUS_ACCESS_DENIED);
  uint64_t created;
  cr_assert_eq(tl_create(&created), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(created, 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(created, 0), HV_STATUS_INVALID_PARTITION_STATE, "not initialized");
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(id, 2), HV_STATUS_INVALID_PARTITION_STATE, "finalized");
}

Test(hc_vp, create_vp_from_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t in[5] = {HV_PARTITION_ID_SELF, 1, 0, 0, 0};
  cr_assert_eq(create_vp_raw(cs, in), HV_STATUS_ACCESS_DENIED);
  in[0] = id;
  cr_assert_eq(create_vp_raw(cs, in), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_part(cs)->nvps, 1);
}

Test(hc_vp, delete_vp) {
  uint16_t s;
  uint64_t id = active_child(3, &s);
  cr_assert_eq(tl_create_vp(id, 4), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(id, 5), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_reg(0, 0, id, 4, HV_REGISTER_EXPLICIT_SUSPEND, 0), HV_STATUS_SUCCESS);
  uint16_t vs;
  cr_assert_not_null(vp_get(tl_hv(), s, 4, &vs));
  cr_assert(tl_hv()->vps[vs].queued, "runnable: on the run queue");
  cr_assert_eq(tl_delete_vp(id, 4), HV_STATUS_SUCCESS);
  cr_assert_null(vp_get(tl_hv(), s, 4, 0));
  cr_assert_not(tl_hv()->vps[vs].in_use);
  for (uint16_t q = tl_hv()->rq_head; q != HV_NO_VP; q = tl_hv()->vps[q].rq_next)
    cr_assert_neq(q, vs, "deleted VP left on the run queue");
  cr_assert_eq(tl_part(s)->nvps, 1);
  cr_assert_eq(tl_part(s)->pool_used, 2);
  cr_assert_eq(tl_part(s)->pool_free, 1);
  cr_assert_eq(tl_delete_vp(id, 4), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_delete_vp(id, 64), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_delete_vp(999, 5), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_delete_vp(HV_PARTITION_ID_SELF, 1), HV_STATUS_ACCESS_DENIED);
  uint64_t in[2] = {id, 5 | (1ull << 32)};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_DELETE_VP, in, 16, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  cr_assert_not_null(vp_get(tl_hv(), s, 5, 0));
  /* from a child */
  uint16_t cs;
  tl_child(16, 1, &cs);
  in[1] = 5;
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_DELETE_VP, in, 16, 0, 0)), HV_STATUS_ACCESS_DENIED);
  cr_assert_not_null(vp_get(tl_hv(), s, 5, 0));
  /* the index can be used again */
  cr_assert_eq(tl_create_vp(id, 4), HV_STATUS_SUCCESS);
}

Test(hc_vp, registers_roundtrip) {
  uint16_t cs;
  uint64_t id = tl_child(16, 2, &cs);
  const uint32_t names[] = {HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX, HV_X64_REGISTER_R15,
                            HV_X64_REGISTER_RIP, HV_X64_REGISTER_RFLAGS, HV_X64_REGISTER_CR0,
                            HV_X64_REGISTER_CR3, HV_X64_REGISTER_CR4, HV_X64_REGISTER_EFER};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    uint64_t v = 0x1000 + i * 0x111, got = 0;
    cr_assert_eq(tl_set_reg(0, 0, id, 1, names[i], v), HV_STATUS_SUCCESS, "set %#x", names[i]);
    cr_assert_eq(tl_get_reg(0, 0, id, 1, names[i], &got), HV_STATUS_SUCCESS);
    cr_assert_eq(got, v, "register %#x", names[i]);
  }
  cr_assert_eq(vp_get(tl_hv(), cs, 1, 0)->arch.rip, 0x1000 + 3 * 0x111);
  cr_assert_eq(vp_get(tl_hv(), cs, 0, 0)->arch.rip, 0, "VP 0 untouched");
  /* a rep of several registers at once */
  uint64_t in[2 + 2] = {id, 1, 0, 0};
  uint32_t rn[3] = {HV_X64_REGISTER_RAX, HV_X64_REGISTER_RIP, HV_REGISTER_VP_INDEX};
  memcpy(&in[2], rn, 12);
  uint64_t out[6];
  cr_assert_eq(tl_call(0, 0, tl_rep(HVCALL_GET_VP_REGISTERS, 3), in, 28, out, 48),
               HV_STATUS_SUCCESS | (3ull << 32));
  cr_assert_eq(out[0], 0x1000);
  cr_assert_eq(out[1], 0);
  cr_assert_eq(out[2], 0x1000 + 3 * 0x111);
  cr_assert_eq(out[4], 1);
  /* guest OS id is partition wide */
  cr_assert_eq(tl_set_reg(0, 0, id, 0, HV_REGISTER_GUEST_OS_ID, 0x42), HV_STATUS_SUCCESS);
  uint64_t v;
  cr_assert_eq(tl_get_reg(0, 0, id, 1, HV_REGISTER_GUEST_OS_ID, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0x42);
}

Test(hc_vp, explicit_suspend) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs), v;
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  cr_assert_eq(tl_get_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 1);
  cr_assert_eq(tl_set_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
  cr_assert(vp->queued);
  cr_assert_eq(tl_get_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0);
  cr_assert_eq(tl_set_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, 2), HV_STATUS_INVALID_REGISTER_VALUE);
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
  cr_assert_eq(tl_set_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(vp->run_state, VP_SUSPENDED);
  cr_assert_not(vp->queued);
}

Test(hc_vp, vp_index_self_and_read_only) {
  uint16_t cs;
  uint64_t id = tl_child(16, 3, &cs), v = 0;
  for (uint32_t i = 0; i < 3; i++) {
    cr_assert_eq(tl_get_reg(cs, i, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, HV_REGISTER_VP_INDEX, &v),
                 HV_STATUS_SUCCESS);
    cr_assert_eq(v, i);
  }
  cr_assert_eq(tl_get_reg(cs, 2, id, 0, HV_REGISTER_VP_INDEX, &v), HV_STATUS_SUCCESS,
               "own partition by its id");
  cr_assert_eq(v, 0);
  cr_assert_eq(tl_get_reg(0, 1, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, HV_REGISTER_VP_INDEX, &v),
               HV_STATUS_SUCCESS);
  cr_assert_eq(v, 1);
  cr_assert_eq(tl_get_reg(0, 0, id, HV_VP_INDEX_SELF, HV_REGISTER_VP_INDEX, &v), HV_STATUS_INVALID_VP_INDEX,
               "SELF means the caller's VP, only in its own partition");
  cr_assert_eq(tl_set_reg(cs, 0, HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, HV_REGISTER_VP_INDEX, 5),
               HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(vp_get(tl_hv(), cs, 0, 0)->index, 0);
  cr_assert_eq(tl_get_reg(0, 0, id, 3, HV_X64_REGISTER_RAX, &v), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_get_reg(0, 0, id, 64, HV_X64_REGISTER_RAX, &v), HV_STATUS_INVALID_VP_INDEX);
}

Test(hc_vp, unknown_register_partial) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs), v;
  cr_assert_eq(tl_get_reg(0, 0, id, 0, 0x12345678, &v), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(tl_set_reg(0, 0, id, 0, 0x12345678, 1), HV_STATUS_INVALID_PARAMETER);
  /* get: RAX, RBX, unknown, RIP -> 2 reps done */
  vp_get(tl_hv(), cs, 0, 0)->arch.gpr[0] = 0xAA;
  vp_get(tl_hv(), cs, 0, 0)->arch.gpr[3] = 0xBB;
  uint64_t in[4] = {id, 0, 0, 0};
  uint32_t rn[4] = {HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX, 0x12345678, HV_X64_REGISTER_RIP};
  memcpy(&in[2], rn, 16);
  cr_assert_eq(tl_call(0, 0, tl_rep(HVCALL_GET_VP_REGISTERS, 4), in, 32, 0, 0),
               HV_STATUS_INVALID_PARAMETER | (2ull << 32));
  uint64_t out[4];
  uint64_t out_gpa = (tl_d.root_base_gpfn << 12) + 0x1000;
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(out_gpa), out, 32), HV_STATUS_SUCCESS);
  cr_assert_eq(out[0], 0xAA, "completed reps' values are written");
  cr_assert_eq(out[2], 0xBB);
  /* set: RAX ok, unknown, RBX -> 1 rep done, RBX untouched */
  uint64_t sin[2 + 12] = {id, 0};
  sin[2] = HV_X64_REGISTER_RAX;
  sin[4] = 0x11;
  sin[6] = 0x12345678;
  sin[10] = HV_X64_REGISTER_RBX;
  sin[12] = 0x22;
  cr_assert_eq(tl_call(0, 0, tl_rep(HVCALL_SET_VP_REGISTERS, 3), sin, 16 + 96, 0, 0),
               HV_STATUS_INVALID_PARAMETER | (1ull << 32));
  cr_assert_eq(vp_get(tl_hv(), cs, 0, 0)->arch.gpr[0], 0x11);
  cr_assert_eq(vp_get(tl_hv(), cs, 0, 0)->arch.gpr[3], 0xBB);
}

Test(hc_vp, reserved_fields) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  /* header: target VTL / reserved */
  uint64_t gin[3] = {id, 0 | (1ull << 32), HV_X64_REGISTER_RAX}, out[2];
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_GET_VP_REGISTERS, 1), gin, 20, out, 16)),
               HV_STATUS_INVALID_PARAMETER);
  /* element: rsvd u32, rsvd u64, high half of the value */
  for (int k = 0; k < 3; k++) {
    uint64_t sin[6] = {id, 0, HV_X64_REGISTER_RAX, 0, 0x5, 0};
    if (k == 0)
      sin[2] |= 1ull << 32;
    else if (k == 1)
      sin[3] = 1;
    else
      sin[5] = 1;
    cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_SET_VP_REGISTERS, 1), sin, 48, 0, 0)),
                 HV_STATUS_INVALID_PARAMETER, "case %d", k);
    cr_assert_neq(vp->arch.gpr[0], 0x5);
  }
  uint64_t sin[6] = {id, 1ull << 32, HV_X64_REGISTER_RAX, 0, 0x5, 0};
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_SET_VP_REGISTERS, 1), sin, 48, 0, 0)),
               HV_STATUS_INVALID_PARAMETER, "header VTL");
  cr_assert_neq(vp->arch.gpr[0], 0x5);
}

Test(hc_vp, child_cannot_reach_other_partitions) {
  uint16_t a, b;
  uint64_t ida = tl_child(16, 1, &a), idb = tl_child(16, 1, &b), v;
  (void)ida;
  struct hv_vp *root_vp = vp_get(tl_hv(), 0, 0, 0);
  root_vp->arch.gpr[0] = 0x5EC;
  bool suspended = root_vp->explicit_suspend;
  cr_assert_eq(tl_get_reg(a, 0, HV_ROOT_PARTITION_ID, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_set_reg(a, 0, HV_ROOT_PARTITION_ID, 0, HV_X64_REGISTER_RIP, 0x666),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_set_reg(a, 0, HV_ROOT_PARTITION_ID, 0, HV_REGISTER_EXPLICIT_SUSPEND, 1),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_get_reg(a, 0, idb, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_set_reg(a, 0, idb, 0, HV_X64_REGISTER_RAX, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_neq(root_vp->arch.rip, 0x666);
  cr_assert_eq(root_vp->explicit_suspend, suspended);
  /* even granted AccessVpRegisters, a child reaches only its own VPs */
  uint16_t c;
  tl_child_priv(16, 1, HV_CHILD_PRIVILEGES | HV_ACCESS_VP_REGISTERS, &c);
  cr_assert_eq(tl_get_reg(c, 0, HV_ROOT_PARTITION_ID, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_get_reg(c, 0, idb, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_get_reg(c, 0, HV_PARTITION_ID_SELF, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_get_reg(c, 0, 999, 0, HV_X64_REGISTER_RAX, &v), HV_STATUS_ACCESS_DENIED,
               "no CreatePartitions: denied before the id is looked up");
}

Test(hc_vp, root_reads_own_vp) {
  uint64_t v;
  vp_get(tl_hv(), 0, 1, 0)->arch.gpr[3] = 0x77;
  cr_assert_eq(tl_get_reg(0, 0, HV_PARTITION_ID_SELF, 1, HV_X64_REGISTER_RBX, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0x77);
  cr_assert_eq(tl_get_reg(0, 0, HV_ROOT_PARTITION_ID, 1, HV_X64_REGISTER_RBX, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0x77);
  cr_assert_eq(tl_get_reg(0, 0, HV_PARTITION_ID_SELF, 7, HV_X64_REGISTER_RBX, &v), HV_STATUS_INVALID_VP_INDEX);
}

Test(hc_vp, notify_long_spin_wait) {
  struct hv_lp *lp = &tl_hv()->lps[0];
  lp->slice_end = ~0ull;
  uint64_t in[1] = {1000};
  cr_assert_eq(tl_call(0, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT, in, 8, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(lp->slice_end, lp->arch.clock, "the VP gives up the rest of its slice");
  in[0] = 1000 | (1ull << 32);
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT, in, 8, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  in[0] = 7;
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST_BIT, in, 8, 0, 0)),
               HV_STATUS_SUCCESS);
}
