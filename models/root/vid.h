/*
 * vid.h — VID, the root's virtualization infrastructure driver: the
 * partition, VP and memory services the rest of the root's stack uses.
 * It owns the root's free RAM (a list of extents of identity-mapped
 * pages) and turns "give this VM N pages" into deposits and GPA maps,
 * retrying with a deposit when the hypervisor answers INSUFFICIENT_MEMORY.
 */
#ifndef MODELS_ROOT_VID_H
#define MODELS_ROOT_VID_H

#include "models/winhv/winhv.h"

#include "hvsim/root_boot.h"

#define VID_MAX_EXTENTS 1024
#define VID_RESERVED_PAGES 6 /* boot block, hypercall page, WinHv in/out, SIMP, SIEFP */
#define VID_SIMP_PAGE 4
#define VID_SIEFP_PAGE 5

struct vid_extent {
  uint64_t gpfn, n;
};

struct vid {
  struct winhv hv;
  struct vid_extent free[VID_MAX_EXTENTS]; /* sorted by gpfn, disjoint */
  uint32_t nfree;
  uint64_t free_pages;
};

/* Set up WinHv on pages after the boot block; the rest is free RAM. */
uint16_t vid_init(struct vid *v, struct guest *g, const struct root_boot *boot);
/* Take n pages: up to max extents written to out. Returns the number of
 * extents, 0 when not enough memory (nothing taken then). */
uint32_t vid_alloc(struct vid *v, uint64_t n, struct vid_extent *out, uint32_t max);
void vid_free(struct vid *v, uint64_t gpfn, uint64_t n);
/* Deposit n pages into partition id's pool (HV_PARTITION_ID_SELF: the root's). */
uint16_t vid_deposit(struct vid *v, uint64_t id, uint64_t n);
/* Take back every free page of the root's pool. */
uint16_t vid_withdraw_all(struct vid *v);
/* Map n root pages starting at src_gpfn into partition id at target_gpfn. */
uint16_t vid_map(struct vid *v, uint64_t id, uint64_t target_gpfn, uint64_t src_gpfn, uint64_t n);
/* Run a partition-management call, depositing and retrying on
 * INSUFFICIENT_MEMORY (pool_id is the pool that ran short). */
uint16_t vid_create_partition(struct vid *v, uint64_t *id);
uint16_t vid_create_vp(struct vid *v, uint64_t id, uint32_t index);

#endif /* MODELS_ROOT_VID_H */
