/*
 * test_pool.c — page pool accounting (hv/core/pool.c, partition.c,
 * hc_memory.c): after many create / populate / delete cycles the root gets
 * back every page it gave, the pool counters return to their start, and
 * the PFN database is byte-identical to before.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

TestSuite(pool, .init = tl_setup, .fini = tl_teardown);

#define CYCLES 1000
#define POOL_PAGES 8
#define MAX_RAM 40

struct snap {
  uint64_t ram, pool_free, pool_used, avail, in_use;
  uint32_t *pfndb;
};

static void snap_take(struct snap *s) {
  struct hv *hv = tl_hv();
  s->ram = tl_part(0)->ram_pages;
  s->pool_free = tl_part(0)->pool_free;
  s->pool_used = tl_part(0)->pool_used;
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &s->avail, &s->in_use), HV_STATUS_SUCCESS);
  s->pfndb = malloc(hv->boot.mem_pages * 4);
  cr_assert_not_null(s->pfndb);
  memcpy(s->pfndb, hv->pfndb, hv->boot.mem_pages * 4);
}

/* One cycle; the pages used are always the same root pages. */
static void cycle(unsigned n, const uint64_t *state_page, const uint64_t *pool, const uint64_t *ram) {
  uint64_t id, avail, in_use;
  cr_assert_eq(tl_deposit_list(HV_PARTITION_ID_SELF, state_page, 1), HV_STATUS_SUCCESS | (1ull << 32));
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS, "cycle %u", n);
  cr_assert_eq(tl_deposit_list(id, pool, POOL_PAGES), HV_STATUS_SUCCESS | ((uint64_t)POOL_PAGES << 32));
  if (n % 10 != 9) { /* every tenth partition dies before initialization */
    uint32_t ram_pages = 1 + n % MAX_RAM;
    uint64_t base = (n % 3) * 511; /* sometimes across a PT boundary: two PTs */
    uint64_t tables = 2 /* PDPT, PD */ + (base + ram_pages - 1) / 512 - base / 512 + 1 /* PTs */;
    cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
    cr_assert_eq(tl_map_list(id, base, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, ram, ram_pages),
                 HV_STATUS_SUCCESS | ((uint64_t)ram_pages << 32));
    cr_assert_eq(tl_create_vp(id, n % 64), HV_STATUS_SUCCESS);
    cr_assert_eq(tl_balance(id, &avail, &in_use), HV_STATUS_SUCCESS);
    cr_assert_eq(in_use, 1 + tables + 1, "cycle %u: PML4, tables, VP", n);
    cr_assert_eq(avail, POOL_PAGES - in_use);
    cr_assert_eq(tl_part(tl_slot(id))->ram_pages, ram_pages);
    cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  }
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_withdraw_all(HV_PARTITION_ID_SELF), 1 + POOL_PAGES, "cycle %u", n);
}

Test(pool, balanced_after_1000_cycles) {
  /* start from an empty root pool (boot leaves one spare page) */
  cr_assert_eq(tl_withdraw_all(HV_PARTITION_ID_SELF), 1);
  uint64_t g = tl_root_pages(1 + POOL_PAGES + MAX_RAM);
  uint64_t pages[1 + POOL_PAGES + MAX_RAM];
  for (unsigned i = 0; i < 1 + POOL_PAGES + MAX_RAM; i++)
    pages[i] = g + i;
  struct snap before, after;
  snap_take(&before);
  cr_assert_eq(before.pool_free, 0);
  cr_assert_eq(before.avail, 0);
  cr_assert_eq(before.in_use, before.pool_used);
  for (unsigned n = 0; n < CYCLES; n++)
    cycle(n, &pages[0], &pages[1], &pages[1 + POOL_PAGES]);
  snap_take(&after);
  cr_assert_eq(after.ram, before.ram, "the root got every RAM page back");
  cr_assert_eq(after.pool_free, before.pool_free);
  cr_assert_eq(after.pool_used, before.pool_used);
  cr_assert_eq(after.avail, before.avail);
  cr_assert_eq(after.in_use, before.in_use);
  cr_assert_eq(memcmp(before.pfndb, after.pfndb, tl_hv()->boot.mem_pages * 4), 0,
               "every page has its original owner and type");
  for (unsigned i = 0; i < 1 + POOL_PAGES + MAX_RAM; i++) {
    spa_t s;
    cr_assert(slat_lookup(tl_hv(), 0, gpa_from_pfn(pages[i]), &s, 0));
    cr_assert_eq(spa_pfn(s), pages[i]);
  }
  for (uint16_t i = 1; i < HV_MAX_PARTITIONS; i++)
    cr_assert_eq(tl_part(i)->state, PART_FREE);
  cr_assert_eq(tl_hv()->next_partition_id, 2 + CYCLES);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  free(before.pfndb);
  free(after.pfndb);
}

Test(pool, root_balance_tracks_deposits) {
  uint64_t avail, in_use, used0 = tl_part(0)->pool_used;
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &avail, &in_use), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 1);
  cr_assert_eq(in_use, used0);
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 600), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(HV_ROOT_PARTITION_ID, &avail, &in_use), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 601);
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &avail, &in_use), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 600);
  cr_assert_eq(in_use, used0 + 1);
  cr_assert_eq(tl_withdraw_all(HV_PARTITION_ID_SELF), 600);
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &avail, &in_use), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 0);
  cr_assert_eq(in_use, used0 + 1, "pages in use are never withdrawn");
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_balance(HV_PARTITION_ID_SELF, &avail, &in_use), HV_STATUS_SUCCESS);
  cr_assert_eq(avail, 1);
  cr_assert_eq(in_use, used0);
}

Test(pool, pool_pages_chain_in_pfn_db) {
  /* every free pool page of a partition is on its chain exactly once */
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, 50), HV_STATUS_SUCCESS);
  uint16_t s = tl_slot(id);
  uint64_t n = 0;
  for (uint64_t pfn = tl_part(s)->pool_free_head; pfn; n++) {
    cr_assert_leq(n, 50, "chain loops");
    cr_assert_eq(*pfn_entry(tl_hv(), pfn), pfn_make(PFN_POOL_FREE, s));
    memcpy(&pfn, tl_d.sim.mem + (pfn << 12), 8);
  }
  cr_assert_eq(n, 50);
  cr_assert_eq(tl_part(s)->pool_free, 50);
}
