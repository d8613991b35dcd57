/*
 * test_hc_partition.c — the partition management hypercalls
 * (hv/core/hc_partition.c, partition.c): CreatePartition, Initialize,
 * Finalize, Delete, Get/SetPartitionProperty, GetPartitionId and
 * GetNextChildPartition; each success path and each error status.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hc_partition, .init = tl_setup, .fini = tl_teardown);

static uint64_t create_ok(void) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  return id;
}

static uint16_t child_call(uint16_t cs, uint16_t code, uint64_t a0, uint64_t a1) {
  uint64_t in[7] = {a0, a1}, out[1];
  size_t in_len = code == HVCALL_CREATE_PARTITION ? 56 : 16;
  size_t out_len = (code == HVCALL_CREATE_PARTITION || code == HVCALL_GET_NEXT_CHILD_PARTITION ||
                    code == HVCALL_GET_PARTITION_PROPERTY)
                       ? 8
                       : 0;
  return tl_st(tl_call(cs, 0, code, in, in_len, out, out_len));
}

Test(hc_partition, create_success) {
  uint64_t used0 = tl_part(0)->pool_used, free0 = tl_part(0)->pool_free;
  uint64_t in[7] = {0}, id = 0;
  cr_assert_eq(free0, 1, "boot leaves one free page in the root pool");
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)), HV_STATUS_SUCCESS);
  cr_assert_eq(id, 2);
  uint16_t s = tl_slot(id);
  cr_assert_eq(s, 1);
  cr_assert_eq(tl_part(s)->state, PART_CREATED);
  cr_assert_eq(tl_part(s)->parent, 0);
  cr_assert_eq(tl_part(s)->privileges, HV_CHILD_PRIVILEGES);
  cr_assert_eq(tl_part(0)->pool_used, used0 + 1, "the partition state is charged to the root pool");
  cr_assert_eq(tl_part(0)->pool_free, 0);
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(id, 3);
}

Test(hc_partition, create_insufficient_memory) {
  cr_assert_eq(tl_withdraw_all(HV_PARTITION_ID_SELF), 1);
  uint64_t in[7] = {0}, id = 0;
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)),
               HV_STATUS_INSUFFICIENT_MEMORY);
  cr_assert_eq(tl_part(1)->state, PART_FREE);
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)), HV_STATUS_SUCCESS);
}

Test(hc_partition, create_invalid_parameter) {
  uint64_t in[7] = {1, 0, 0, 0, 0, 0, 0}, id = 0;
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)),
               HV_STATUS_INVALID_PARAMETER, "creation flags");
  in[0] = 0;
  in[6] = 1;
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)),
               HV_STATUS_INVALID_PARAMETER, "isolation type");
  cr_assert_eq(tl_part(1)->state, PART_FREE);
  cr_assert_eq(tl_part(0)->pool_free, 1, "nothing charged");
}

Test(hc_partition, create_no_resources_when_slots_run_out) {
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, HV_MAX_PARTITIONS), HV_STATUS_SUCCESS);
  uint64_t id = 0;
  for (int i = 1; i < HV_MAX_PARTITIONS; i++)
    cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS, "partition %d", i);
  cr_assert_eq(tl_create(&id), HV_STATUS_NO_RESOURCES);
  cr_assert_eq(tl_delete(2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(id, HV_MAX_PARTITIONS + 1, "ids are never reused");
}

Test(hc_partition, create_access_denied_from_child) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  cr_assert_eq(child_call(cs, HVCALL_CREATE_PARTITION, 0, 0), HV_STATUS_ACCESS_DENIED);
}

Test(hc_partition, create_partition_too_deep) {
  uint16_t cs;
  tl_child_priv(16, 1, HV_CHILD_PRIVILEGES | HV_CREATE_PARTITIONS, &cs);
  cr_assert_eq(tl_part(cs)->privileges & HV_CREATE_PARTITIONS, HV_CREATE_PARTITIONS);
  cr_assert_eq(child_call(cs, HVCALL_CREATE_PARTITION, 0, 0), HV_STATUS_PARTITION_TOO_DEEP);
}

Test(hc_partition, initialize) {
  uint64_t id = create_ok();
  uint16_t s = tl_slot(id);
  cr_assert_eq(tl_init(id), HV_STATUS_INSUFFICIENT_MEMORY, "empty pool: no PML4");
  cr_assert_eq(tl_part(s)->state, PART_CREATED);
  cr_assert_eq(tl_deposit(id, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(s)->state, PART_ACTIVE);
  cr_assert_neq(tl_part(s)->slat_root.v, 0);
  cr_assert_eq(tl_part(s)->pool_used, 1);
  cr_assert_eq(tl_part(s)->pool_free, 0);
  cr_assert_eq(tl_init(id), HV_STATUS_INVALID_PARTITION_STATE);
  cr_assert_eq(tl_init(999), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_init(HV_ROOT_PARTITION_ID), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_init(HV_PARTITION_ID_SELF), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_INVALID_PARTITION_STATE);
}

Test(hc_partition, initialize_from_child) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t other = create_ok();
  cr_assert_eq(child_call(cs, HVCALL_INITIALIZE_PARTITION, other, 0), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_part(tl_slot(other))->state, PART_CREATED);
}

Test(hc_partition, finalize) {
  uint64_t created = create_ok(), active = create_ok();
  cr_assert_eq(tl_deposit(active, 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(active), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_vp(active, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_reg(0, 0, active, 0, HV_REGISTER_EXPLICIT_SUSPEND, 0), HV_STATUS_SUCCESS);
  struct hv_vp *vp = vp_get(tl_hv(), tl_slot(active), 0, 0);
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
  cr_assert_eq(tl_finalize(created), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_finalize(active), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(tl_slot(active))->state, PART_FINALIZED);
  cr_assert_eq(vp->run_state, VP_STOPPED, "no VP of a finalized partition runs");
  cr_assert_eq(tl_finalize(active), HV_STATUS_INVALID_PARTITION_STATE);
  cr_assert_eq(tl_finalize(12345), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_finalize(HV_ROOT_PARTITION_ID), HV_STATUS_ACCESS_DENIED);
}

Test(hc_partition, finalize_stopped) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  partition_stop(tl_hv(), &tl_hv()->lps[0], cs, 1);
  cr_assert_eq(tl_part(cs)->state, PART_STOPPED);
  cr_assert_eq(tl_delete(id), HV_STATUS_INVALID_PARTITION_STATE);
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
}

Test(hc_partition, finalize_from_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  cr_assert_eq(child_call(cs, HVCALL_FINALIZE_PARTITION, id, 0), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(child_call(cs, HVCALL_FINALIZE_PARTITION, HV_PARTITION_ID_SELF, 0),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_part(cs)->state, PART_ACTIVE);
}

Test(hc_partition, delete) {
  uint64_t root_ram = tl_part(0)->ram_pages;
  uint64_t created = create_ok();
  cr_assert_eq(tl_delete(created), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(1)->state, PART_FREE);
  cr_assert_eq(tl_delete(created), HV_STATUS_INVALID_PARTITION_ID, "already gone");
  cr_assert_eq(tl_part(0)->pool_free, 1, "the state page is back in the root pool");

  uint16_t cs;
  uint64_t id = tl_child(16, 2, &cs);
  cr_assert_eq(tl_delete(id), HV_STATUS_INVALID_PARTITION_STATE, "active");
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  uint64_t child_pool = tl_part(cs)->pool_free + tl_part(cs)->pool_used;
  uint64_t root_free = tl_part(0)->pool_free;
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_part(cs)->state, PART_FREE);
  cr_assert_eq(tl_part(0)->pool_free, root_free + child_pool + 1,
               "child pool and state page join the root pool");
  cr_assert_eq(tl_part(0)->ram_pages, root_ram - 2 /* hcdrive_child's root deposit */ - child_pool,
               "the child's 16 RAM pages are back with the root");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  cr_assert_eq(tl_delete(HV_ROOT_PARTITION_ID), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_delete(HV_PARTITION_ID_SELF), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_delete(0), HV_STATUS_INVALID_PARTITION_ID);
}

Test(hc_partition, delete_from_child) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t other = create_ok();
  cr_assert_eq(child_call(cs, HVCALL_DELETE_PARTITION, other, 0), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(child_call(cs, HVCALL_DELETE_PARTITION, HV_ROOT_PARTITION_ID, 0), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_part(tl_slot(other))->state, PART_CREATED);
}

Test(hc_partition, get_property) {
  uint64_t id = create_ok(), v;
  cr_assert_eq(tl_get_prop(0, id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, HV_CHILD_PRIVILEGES);
  cr_assert_eq(tl_get_prop(0, id, HV_PARTITION_PROPERTY_SUSPEND, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 0);
  cr_assert_eq(tl_get_prop(0, HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v),
               HV_STATUS_SUCCESS);
  cr_assert_eq(v, HV_ROOT_PRIVILEGES);
  cr_assert_eq(tl_get_prop(0, id, 0x12345, &v), HV_STATUS_UNKNOWN_PROPERTY);
  cr_assert_eq(tl_get_prop(0, 77, HV_PARTITION_PROPERTY_SUSPEND, &v), HV_STATUS_INVALID_PARTITION_ID);
  uint64_t in[2] = {id, HV_PARTITION_PROPERTY_SUSPEND | (1ull << 32)};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_GET_PARTITION_PROPERTY, in, 16, &v, 8)),
               HV_STATUS_INVALID_PARAMETER, "reserved field");
}

Test(hc_partition, get_property_from_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs), v;
  cr_assert_eq(tl_get_prop(cs, HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v),
               HV_STATUS_SUCCESS);
  cr_assert_eq(v, HV_CHILD_PRIVILEGES);
  cr_assert_eq(tl_get_prop(cs, HV_ROOT_PARTITION_ID, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_get_prop(cs, id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v), HV_STATUS_ACCESS_DENIED,
               "only SELF: a child lacks CreatePartitions");
}

Test(hc_partition, set_property) {
  uint64_t id = create_ok(), v;
  uint64_t priv = HV_CHILD_PRIVILEGES | HV_ACCESS_PARTITION_ID;
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, priv), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_get_prop(0, id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, priv);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, priv | (1ull << 63)),
               HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE, "more than the parent has");
  cr_assert_eq(tl_part(tl_slot(id))->privileges, priv);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_SUSPEND, 2), HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
  cr_assert_eq(tl_set_prop(id, 0x777, 0), HV_STATUS_UNKNOWN_PROPERTY);
  cr_assert_eq(tl_set_prop(123, HV_PARTITION_PROPERTY_SUSPEND, 0), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_set_prop(HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_SUSPEND, 1),
               HV_STATUS_ACCESS_DENIED, "the root cannot suspend itself");
  cr_assert_eq(tl_set_prop(HV_ROOT_PARTITION_ID, HV_PARTITION_PROPERTY_SUSPEND, 1), HV_STATUS_ACCESS_DENIED);
  uint64_t in[3] = {id, HV_PARTITION_PROPERTY_SUSPEND | (5ull << 32), 0};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_SET_PARTITION_PROPERTY, in, 24, 0, 0)),
               HV_STATUS_INVALID_PARAMETER);
  /* after initialize, privileges are fixed */
  cr_assert_eq(tl_deposit(id, 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, HV_CHILD_PRIVILEGES),
               HV_STATUS_INVALID_PARTITION_STATE);
  cr_assert_eq(tl_part(tl_slot(id))->privileges, priv);
}

Test(hc_partition, set_property_suspend) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs), v;
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  cr_assert_eq(tl_set_reg(0, 0, id, 0, HV_REGISTER_EXPLICIT_SUSPEND, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_SUSPEND, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_get_prop(0, id, HV_PARTITION_PROPERTY_SUSPEND, &v), HV_STATUS_SUCCESS);
  cr_assert_eq(v, 1);
  cr_assert_eq(vp->run_state, VP_SUSPENDED);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_SUSPEND, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(vp->run_state, VP_RUNNABLE);
}

Test(hc_partition, set_property_from_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t in[3] = {HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, ~0ull};
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_SET_PARTITION_PROPERTY, in, 24, 0, 0)), HV_STATUS_ACCESS_DENIED);
  in[0] = id;
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_SET_PARTITION_PROPERTY, in, 24, 0, 0)), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_part(cs)->privileges, HV_CHILD_PRIVILEGES);
}

Test(hc_partition, get_partition_id) {
  uint64_t id = 0;
  cr_assert_eq(tl_st(tl_call(0, 1, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8)), HV_STATUS_SUCCESS);
  cr_assert_eq(id, HV_ROOT_PARTITION_ID);
  uint16_t cs;
  tl_child(16, 1, &cs);
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8)), HV_STATUS_ACCESS_DENIED,
               "children lack AccessPartitionId by default");
  uint16_t cs2;
  uint64_t id2 = tl_child_priv(16, 1, HV_CHILD_PRIVILEGES | HV_ACCESS_PARTITION_ID, &cs2);
  id = 0;
  cr_assert_eq(tl_st(tl_call(cs2, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8)), HV_STATUS_SUCCESS);
  cr_assert_eq(id, id2);
}

static uint16_t next_child(uint16_t part, uint64_t parent, uint64_t prev, uint64_t *next) {
  uint64_t in[2] = {parent, prev};
  *next = ~0ull;
  return tl_st(tl_call(part, 0, HVCALL_GET_NEXT_CHILD_PARTITION, in, 16, next, 8));
}

Test(hc_partition, get_next_child_partition) {
  uint64_t next;
  cr_assert_eq(next_child(0, HV_PARTITION_ID_SELF, 0, &next), HV_STATUS_SUCCESS);
  cr_assert_eq(next, 0, "no children yet");
  uint64_t a = create_ok(), b = create_ok(), c = create_ok();
  cr_assert_eq(tl_delete(b), HV_STATUS_SUCCESS);
  cr_assert_eq(next_child(0, HV_PARTITION_ID_SELF, 0, &next), HV_STATUS_SUCCESS);
  cr_assert_eq(next, a);
  cr_assert_eq(next_child(0, HV_ROOT_PARTITION_ID, a, &next), HV_STATUS_SUCCESS);
  cr_assert_eq(next, c, "deleted children are skipped");
  cr_assert_eq(next_child(0, HV_PARTITION_ID_SELF, c, &next), HV_STATUS_SUCCESS);
  cr_assert_eq(next, 0);
  cr_assert_eq(next_child(0, 999, 0, &next), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(next_child(0, a, 0, &next), HV_STATUS_ACCESS_DENIED, "not the caller");
}

Test(hc_partition, get_next_child_partition_from_child) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t next;
  cr_assert_eq(next_child(cs, HV_PARTITION_ID_SELF, 0, &next), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(next_child(cs, HV_ROOT_PARTITION_ID, 0, &next), HV_STATUS_ACCESS_DENIED);
}
