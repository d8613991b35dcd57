/*
 * test_hc_copy.c — HvCallHvsimCopyChildGpa (hv/core/hc_copy.c): the root
 * copies to and from a child's GPAs, across page boundaries on both
 * sides; a child page the child does not own, bad counts or flags, a
 * caller that is not the parent: refused, nothing copied; ownership and
 * the isolation oracle untouched.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hc_copy, .init = tl_setup, .fini = tl_teardown);

static uint16_t copy_call(uint16_t caller, uint64_t id, uint64_t child_gpa, uint64_t root_gpa, uint32_t bytes,
                          uint32_t flags) {
  uint64_t in[4] = {id, child_gpa, root_gpa, bytes | (uint64_t)flags << 32};
  return tl_st(tl_call(caller, 0, HVCALL_HVSIM_COPY_CHILD_GPA, in, sizeof in, 0, 0));
}

static void fill(uint8_t *b, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(seed + i * 7);
}

Test(hc_copy, child_to_root_across_pages) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t root = tl_root_pages(2) << 12;
  uint8_t want[3000], got[3000];
  fill(want, sizeof want, 1);
  cr_assert_eq(gpa_write(tl_hv(), cs, gpa(0x2800), want, sizeof want), HV_STATUS_SUCCESS);
  cr_assert_eq(copy_call(0, id, 0x2800, root + 0x900, sizeof want, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(root + 0x900), got, sizeof got), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(want, got, sizeof want), 0);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_copy, root_to_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t root = tl_root_pages(1) << 12;
  uint8_t want[4096], got[4096];
  fill(want, sizeof want, 9);
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(root), want, sizeof want), HV_STATUS_SUCCESS);
  cr_assert_eq(copy_call(0, id, 0x3000, root, sizeof want, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(0x3000), got, sizeof got), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(want, got, sizeof want), 0);
}

Test(hc_copy, refusals_copy_nothing) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t root = tl_root_pages(1) << 12;
  uint8_t before[64], after[64];
  fill(before, sizeof before, 3);
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(root), before, sizeof before), HV_STATUS_SUCCESS);
  /* the range runs past the child's 16 pages: its last page is not the child's */
  cr_assert_eq(copy_call(0, id, 0xFFC0, root, 128, 0), HV_STATUS_INVALID_ALIGNMENT);
  cr_assert_eq(copy_call(0, id, 0x40000000, root, 8, 0), HV_STATUS_INVALID_ALIGNMENT);
  cr_assert_eq(copy_call(0, id, 0x1000, root, 0, 0), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(copy_call(0, id, 0x1000, root, 4097, 0), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(copy_call(0, id, 0x1000, root, 8, 2), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(copy_call(0, id + 100, 0x1000, root, 8, 0), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(root), after, sizeof after), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(before, after, sizeof before), 0, "a refused copy wrote nothing");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_copy, only_the_parent) {
  uint16_t a, b;
  uint64_t ida = tl_child(16, 1, &a);
  uint64_t idb = tl_child(16, 1, &b);
  (void)ida;
  /* a child asking for its neighbour's memory (into its own page 4) */
  cr_assert_eq(copy_call(a, idb, 0x1000, 0x4000, 8, 0), HV_STATUS_ACCESS_DENIED);
}

Test(hc_copy, read_only_child_page_is_not_written) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t ro = tl_root_pages(1), root = tl_root_pages(1) << 12;
  cr_assert_eq(tl_map_list(id, 16, HV_MAP_GPA_READABLE, &ro, 1), HV_STATUS_SUCCESS | (1ull << 32));
  uint8_t data[64], before[64], after[64];
  fill(data, sizeof data, 5);
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(root), data, sizeof data), HV_STATUS_SUCCESS);
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(0x10000), before, sizeof before), HV_STATUS_SUCCESS);
  cr_assert_eq(copy_call(0, id, 0x10000, root, sizeof data, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(0x10000), after, sizeof after), HV_STATUS_SUCCESS);
  cr_assert_eq(memcmp(before, after, sizeof before), 0, "the child's read-only page is unchanged");
  cr_assert_eq(copy_call(0, id, 0x10000, root, sizeof data, 0), HV_STATUS_SUCCESS, "reading it is fine");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}
