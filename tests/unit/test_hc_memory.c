/*
 * test_hc_memory.c — the memory hypercalls (hv/core/hc_memory.c, pool.c):
 * DepositMemory, WithdrawMemory, GetMemoryBalance, MapGpaPages and
 * UnmapGpaPages; success paths, every error, partial rep completion and
 * exact balances.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hc_memory, .init = tl_setup, .fini = tl_teardown);

#define RWX (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE)

static uint32_t pfn_of(uint64_t pfn) { return *pfn_entry(tl_hv(), pfn); }

static bool root_maps(uint64_t gpfn) {
  spa_t s;
  return slat_lookup(tl_hv(), 0, gpa_from_pfn(gpfn), &s, 0) && spa_pfn(s) == gpfn;
}

/* A child in the Active state with `pool` pages deposited. */
static uint64_t active_child(uint64_t pool, uint16_t *slot) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, pool), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  *slot = tl_slot(id);
  return id;
}

Test(hc_memory, deposit_success) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  uint16_t s = tl_slot(id);
  uint64_t root_ram = tl_part(0)->ram_pages, g = tl_root_pages(3);
  cr_assert(root_maps(g));
  uint64_t list[3] = {g, g + 1, g + 2};
  cr_assert_eq(tl_deposit_list(id, list, 3), HV_STATUS_SUCCESS | (3ull << 32));
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(pfn_type_of(pfn_of(g + i)), PFN_POOL_FREE);
    cr_assert_eq(pfn_owner_of(pfn_of(g + i)), s);
    cr_assert_not(slat_lookup(tl_hv(), 0, gpa_from_pfn(g + i), 0, 0), "left the root's SLAT");
  }
  cr_assert_eq(tl_part(0)->ram_pages, root_ram - 3);
  uint64_t avail, used;
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 3);
  cr_assert_eq(used, 0);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, deposit_errors) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  uint64_t g = tl_root_pages(4);
  uint64_t bad[] = {0 /* PFN database */, tl_d.sim.mem_bytes >> 12 /* past RAM */, 1ull << 36,
                    ~0ull};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(tl_deposit_list(id, &bad[i], 1), HV_STATUS_INVALID_PARAMETER, "page %#llx",
                 (unsigned long long)bad[i]);
  cr_assert_eq(tl_deposit_list(999, &g, 1), HV_STATUS_INVALID_PARTITION_ID);
  /* partial: the third element is already in a pool */
  uint64_t list[4] = {g, g + 1, g, g + 2};
  cr_assert_eq(tl_deposit_list(id, list, 4), HV_STATUS_INVALID_PARAMETER | (2ull << 32));
  cr_assert_eq(tl_part(tl_slot(id))->pool_free, 2);
  cr_assert_eq(pfn_type_of(pfn_of(g + 2)), PFN_RAM, "elements after the bad one untouched");
  /* a child may not deposit (no AccessMemoryPool) */
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t in[2] = {HV_PARTITION_ID_SELF, 5};
  cr_assert_eq(tl_st(tl_call(cs, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 1), in, 16, 0, 0)),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, deposit_into_non_child_denied) {
  /* a child given AccessMemoryPool may feed its own pool, not a sibling's */
  uint16_t a, b;
  tl_child_priv(16, 1, HV_CHILD_PRIVILEGES | HV_ACCESS_MEMORY_POOL, &a);
  uint64_t idb = tl_child(16, 1, &b);
  uint64_t in[2] = {idb, 5};
  cr_assert_eq(tl_st(tl_call(a, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 1), in, 16, 0, 0)),
               HV_STATUS_ACCESS_DENIED);
  uint64_t free_a = tl_part(a)->pool_free;
  in[0] = HV_PARTITION_ID_SELF;
  cr_assert_eq(tl_call(a, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, 1), in, 16, 0, 0),
               HV_STATUS_SUCCESS | (1ull << 32));
  cr_assert_eq(tl_part(a)->pool_free, free_a + 1);
  cr_assert_eq(tl_part(a)->ram_pages, 15);
  /* a child cannot withdraw (pages return to the root's space) */
  uint64_t win[2] = {HV_PARTITION_ID_SELF, 0}, out[1];
  cr_assert_eq(tl_st(tl_call(a, 0, tl_rep(HVCALL_WITHDRAW_MEMORY, 1), win, 16, out, 8)),
               HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, withdraw) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  uint64_t g = tl_root_pages(5), list[5];
  for (int i = 0; i < 5; i++)
    list[i] = g + i;
  cr_assert_eq(tl_st(tl_deposit_list(id, list, 5)), HV_STATUS_SUCCESS);
  uint64_t root_ram = tl_part(0)->ram_pages, out[3] = {0};
  cr_assert_eq(tl_withdraw(id, 3, out), HV_STATUS_SUCCESS | (3ull << 32));
  for (int i = 0; i < 3; i++) {
    cr_assert_geq(out[i], g);
    cr_assert_lt(out[i], g + 5);
    cr_assert(root_maps(out[i]), "withdrawn page back at its identity GPA");
    cr_assert_eq(pfn_of(out[i]), pfn_make(PFN_RAM, 0));
  }
  cr_assert_neq(out[0], out[1]);
  cr_assert_neq(out[1], out[2]);
  cr_assert_neq(out[0], out[2]);
  cr_assert_eq(tl_part(0)->ram_pages, root_ram + 3);
  /* ask for 4, get the remaining 2 and NO_RESOURCES */
  uint64_t rax = tl_withdraw(id, 4, 0);
  cr_assert_eq(rax, HV_STATUS_NO_RESOURCES | (2ull << 32));
  uint64_t partial[2];
  uint64_t out_gpa = (tl_d.root_base_gpfn << 12) + 0x1000;
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(out_gpa), partial, 16), HV_STATUS_SUCCESS);
  cr_assert(root_maps(partial[0]) && root_maps(partial[1]), "the completed reps' pages are reported");
  cr_assert_eq(tl_withdraw(id, 1, 0), HV_STATUS_NO_RESOURCES, "empty pool");
  cr_assert_eq(tl_part(0)->ram_pages, root_ram + 5);
  /* errors */
  cr_assert_eq(tl_st(tl_withdraw(4242, 1, 0)), HV_STATUS_INVALID_PARTITION_ID);
  uint64_t in_res[2] = {id, 0};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_WITHDRAW_MEMORY, in_res, 16, 0, 0)),
               HV_STATUS_INVALID_HYPERCALL_INPUT, "0 reps");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, withdraw_leaves_used_pages) {
  uint16_t s;
  uint64_t id = active_child(3, &s);
  cr_assert_eq(tl_part(s)->pool_used, 1);
  cr_assert_eq(tl_withdraw_all(id), 2, "the PML4 in use stays");
  cr_assert_eq(tl_part(s)->pool_used, 1);
  cr_assert_eq(tl_part(s)->pool_free, 0);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, balance_numbers) {
  uint64_t avail, used;
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 1);
  cr_assert_eq(used, tl_part(0)->pool_used);
  cr_assert_eq(used, 32 + 1 + 1 + 1 + TL_LPS, "64 MiB root: 32 PTs, PD, PDPT, PML4, one page per VP");
  uint16_t s;
  uint64_t id = active_child(10, &s);
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 9);
  cr_assert_eq(used, 1);
  cr_assert_eq(tl_st(tl_map(id, 0, 1, 0)), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 6);
  cr_assert_eq(used, 4, "PML4, PDPT, PD, PT");
  cr_assert_eq(tl_st(tl_map(id, 1ull << 18 /* 1 GiB: new PD and PT */, 1, 0)), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 4);
  cr_assert_eq(used, 6);
  cr_assert_eq(tl_create_vp(id, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 3);
  cr_assert_eq(used, 7);
  cr_assert_eq(tl_delete_vp(id, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(id, &avail, &used), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 4);
  cr_assert_eq(used, 6);
  cr_assert_eq(tl_balance(31337, &avail, &used), HV_STATUS_INVALID_PARTITION_ID);
}

Test(hc_memory, balance_from_child) {
  uint16_t cs;
  uint64_t id = tl_child(16, 1, &cs);
  uint64_t in[2] = {HV_PARTITION_ID_SELF, 0}, out[2];
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_GET_MEMORY_BALANCE, in, 16, out, 16)), HV_STATUS_ACCESS_DENIED);
  in[0] = id;
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_GET_MEMORY_BALANCE, in, 16, out, 16)), HV_STATUS_ACCESS_DENIED);
  in[0] = HV_ROOT_PARTITION_ID;
  cr_assert_eq(tl_st(tl_call(cs, 0, HVCALL_GET_MEMORY_BALANCE, in, 16, out, 16)), HV_STATUS_ACCESS_DENIED);
}

Test(hc_memory, map_success) {
  uint16_t s;
  uint64_t id = active_child(8, &s), src[3];
  uint64_t root_ram = tl_part(0)->ram_pages;
  cr_assert_eq(tl_map(id, 0x100, 3, src), HV_STATUS_SUCCESS | (3ull << 32));
  for (int i = 0; i < 3; i++) {
    spa_t sp;
    uint64_t perms;
    cr_assert(slat_lookup(tl_hv(), s, gpa_from_pfn(0x100 + i), &sp, &perms));
    cr_assert_eq(spa_pfn(sp), src[i]);
    cr_assert_eq(perms, EPT_READ | EPT_WRITE | EPT_EXEC);
    cr_assert_eq(pfn_of(src[i]), pfn_make(PFN_RAM, s));
    cr_assert_not(slat_lookup(tl_hv(), 0, gpa_from_pfn(src[i]), 0, 0));
  }
  cr_assert_eq(tl_part(s)->ram_pages, 3);
  cr_assert_eq(tl_part(0)->ram_pages, root_ram - 3);
  /* the child's GPA reaches exactly the page the root gave */
  uint64_t pattern = 0x1122334455667788ull, back = 0;
  cr_assert_eq(gpa_write(tl_hv(), s, gpa_from_pfn(0x101), &pattern, 8), HV_STATUS_SUCCESS);
  memcpy(&back, tl_d.sim.mem + (src[1] << 12), 8);
  cr_assert_eq(back, pattern);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, map_errors) {
  uint16_t s;
  uint64_t id = active_child(8, &s);
  uint64_t g = tl_root_pages(5), one = g;
  cr_assert_eq(tl_map_list(HV_PARTITION_ID_SELF, 0, RWX, &one, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_map_list(HV_ROOT_PARTITION_ID, 0, RWX, &one, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_map_list(555, 0, RWX, &one, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_map_list(id, 0, 0, &one, 1), HV_STATUS_INVALID_PARAMETER, "not readable");
  cr_assert_eq(tl_map_list(id, 0, HV_MAP_GPA_WRITABLE, &one, 1), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(tl_map_list(id, 0, RWX | 0x10, &one, 1), HV_STATUS_INVALID_PARAMETER, "unknown flag");
  uint64_t padded[4] = {id, 0, RWX | (1ull << 32), one};
  cr_assert_eq(tl_call(0, 0, tl_rep(HVCALL_MAP_GPA_PAGES, 1), padded, 32, 0, 0),
               HV_STATUS_INVALID_PARAMETER, "pad");
  cr_assert_eq(tl_map_list(id, 1ull << 36, RWX, &one, 1), HV_STATUS_INVALID_PARAMETER, "GPA too high");
  cr_assert_eq(tl_map_list(id, ~0ull, RWX, &one, 1), HV_STATUS_INVALID_PARAMETER);
  uint64_t hvpage = 0;
  cr_assert_eq(tl_map_list(id, 0, RWX, &hvpage, 1), HV_STATUS_INVALID_PARAMETER, "not the root's page");
  cr_assert_eq(tl_part(s)->ram_pages, 0);
  /* partial: already mapped target at the third element (its source, g + 4,
   * still the root's: only the target is wrong) */
  uint64_t list[2] = {g, g + 1};
  cr_assert_eq(tl_map_list(id, 2, RWX, list, 2), HV_STATUS_SUCCESS | (2ull << 32));
  uint64_t list2[4] = {g + 2, g + 3, g + 4, g + 4};
  cr_assert_eq(tl_map_list(id, 0, RWX, list2, 4), HV_STATUS_INVALID_PARAMETER | (2ull << 32));
  cr_assert_eq(tl_part(s)->ram_pages, 4);
  cr_assert_eq(pfn_owner_of(*pfn_entry(tl_hv(), g + 4)), 0, "g + 4 stayed the root's");
  /* source already given away */
  cr_assert_eq(tl_map_list(id, 10, RWX, list, 1), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  /* from a child */
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t in[4] = {id, 100, RWX, 3};
  cr_assert_eq(tl_st(tl_call(cs, 0, tl_rep(HVCALL_MAP_GPA_PAGES, 1), in, 32, 0, 0)),
               HV_STATUS_ACCESS_DENIED);
}

Test(hc_memory, map_wrong_state) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 4), HV_STATUS_SUCCESS);
  uint64_t g = tl_root_pages(1);
  cr_assert_eq(tl_map_list(id, 0, RWX, &g, 1), HV_STATUS_INVALID_PARTITION_STATE, "created");
  cr_assert_eq(tl_st(tl_unmap(id, 0, 1)), HV_STATUS_INVALID_PARTITION_STATE, "created");
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_map_list(id, 0, RWX, &g, 1), HV_STATUS_SUCCESS | (1ull << 32));
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  uint64_t g2 = tl_root_pages(1);
  cr_assert_eq(tl_map_list(id, 1, RWX, &g2, 1), HV_STATUS_INVALID_PARTITION_STATE, "finalized");
  cr_assert_eq(tl_unmap(id, 0, 1), HV_STATUS_SUCCESS | (1ull << 32), "unmap allowed when finalized");
  cr_assert(root_maps(g));
}

Test(hc_memory, map_insufficient_memory) {
  uint16_t s;
  uint64_t id = active_child(4, &s); /* PML4 + exactly one PDPT, PD, PT */
  uint64_t src[512];
  uint64_t g = tl_root_pages(3);
  for (int i = 0; i < 3; i++)
    src[i] = g + i;
  /* GPA pages 510, 511 in the first PT; 512 needs a second PT */
  cr_assert_eq(tl_map_list(id, 510, RWX, src, 3), HV_STATUS_INSUFFICIENT_MEMORY | (2ull << 32));
  cr_assert_eq(tl_part(s)->ram_pages, 2);
  cr_assert(root_maps(g + 2), "the failed element's page stays with the root");
  cr_assert_eq(tl_deposit(id, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_map_list(id, 512, RWX, src + 2, 1), HV_STATUS_SUCCESS | (1ull << 32));
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(hc_memory, map_permissions) {
  uint16_t s;
  uint64_t id = active_child(8, &s);
  const uint32_t flags[] = {HV_MAP_GPA_READABLE, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                            HV_MAP_GPA_READABLE | HV_MAP_GPA_USER_EXECUTABLE};
  const uint64_t perms[] = {EPT_READ, EPT_READ | EPT_WRITE, EPT_READ | EPT_EXEC};
  for (int i = 0; i < 3; i++) {
    uint64_t g = tl_root_pages(1), p;
    cr_assert_eq(tl_map_list(id, i, flags[i], &g, 1), HV_STATUS_SUCCESS | (1ull << 32));
    cr_assert(slat_lookup(tl_hv(), s, gpa_from_pfn(i), 0, &p));
    cr_assert_eq(p, perms[i]);
  }
}

Test(hc_memory, unmap) {
  uint16_t s;
  uint64_t id = active_child(8, &s), src[4];
  cr_assert_eq(tl_map(id, 20, 4, src), HV_STATUS_SUCCESS | (4ull << 32));
  uint64_t root_ram = tl_part(0)->ram_pages;
  cr_assert_eq(tl_unmap(id, 20, 2), HV_STATUS_SUCCESS | (2ull << 32));
  cr_assert(root_maps(src[0]) && root_maps(src[1]));
  cr_assert_eq(pfn_of(src[0]), pfn_make(PFN_RAM, 0));
  cr_assert_not(slat_lookup(tl_hv(), s, gpa_from_pfn(20), 0, 0));
  cr_assert_eq(tl_part(0)->ram_pages, root_ram + 2);
  /* partial: 22, 23 mapped, 24 not */
  cr_assert_eq(tl_unmap(id, 22, 3), HV_STATUS_INVALID_PARAMETER | (2ull << 32));
  cr_assert_eq(tl_part(s)->ram_pages, 0);
  cr_assert_eq(tl_unmap(id, 20, 1), HV_STATUS_INVALID_PARAMETER, "nothing there");
  cr_assert_eq(tl_unmap(id, 1ull << 36, 1), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(tl_unmap(id, ~0ull, 1), HV_STATUS_INVALID_PARAMETER);
  uint64_t in[3] = {id, 0, 1};
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_UNMAP_GPA_PAGES, 1), in, 24, 0, 0)),
               HV_STATUS_INVALID_PARAMETER, "unmap flags");
  in[2] = 1ull << 32;
  cr_assert_eq(tl_st(tl_call(0, 0, tl_rep(HVCALL_UNMAP_GPA_PAGES, 1), in, 24, 0, 0)),
               HV_STATUS_INVALID_PARAMETER, "pad");
  cr_assert_eq(tl_st(tl_unmap(999, 0, 1)), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_st(tl_unmap(HV_PARTITION_ID_SELF, tl_d.root_base_gpfn + 100, 1)), HV_STATUS_ACCESS_DENIED,
               "the root cannot unmap its own RAM");
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t cin[3] = {HV_PARTITION_ID_SELF, 0, 0};
  cr_assert_eq(tl_st(tl_call(cs, 0, tl_rep(HVCALL_UNMAP_GPA_PAGES, 1), cin, 24, 0, 0)),
               HV_STATUS_ACCESS_DENIED, "a child cannot unmap its own RAM");
  cr_assert_eq(tl_part(cs)->ram_pages, 16);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}
