/*
 * partition.c — the partition: the unit of isolation.
 *
 * Lifetime (TLFS "Partition Management"): CreatePartition -> Created
 * (properties may be set) -> InitializePartition -> Active (VPs, memory,
 * running) -> FinalizePartition -> Finalized (nothing runs) ->
 * DeletePartition. The hypervisor itself may stop an active partition
 * (Stopped) when its guest does what the architecture cannot let it do.
 * The root partition (slot 0, id 1) exists from boot and is never deleted.
 */
#include "objects.h"

struct hv_partition *partition_by_id(struct hv *hv, uint64_t id, uint16_t *slot) {
  for (uint16_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    struct hv_partition *p = &hv->partitions[i];
    if (p->state != PART_FREE && p->id == id) {
      if (slot)
        *slot = i;
      return p;
    }
  }
  return 0;
}

bool partition_is_parent(struct hv *hv, uint16_t caller, uint16_t target) {
  return target != 0 && hv->partitions[target].parent == caller;
}

void partition_set_state(struct hv *hv, struct hv_lp *lp, uint16_t slot, enum partition_state s) {
  struct hv_partition *p = &hv->partitions[slot];
  hv_trace_part(hv, lp, slot, HV_TR_PARTITION_STATE, p->id, p->state, s);
  p->state = (uint8_t)s;
}

/* Create a child of parent. Charges one page of the parent's pool for the
 * partition state. Returns SUCCESS, INSUFFICIENT_MEMORY, NO_RESOURCES. */
hv_status_t partition_create(struct hv *hv, struct hv_lp *lp, uint16_t parent, uint64_t *id) {
  uint16_t slot = 0;
  for (uint16_t i = 1; i < HV_MAX_PARTITIONS; i++) {
    if (hv->partitions[i].state == PART_FREE) {
      slot = i;
      break;
    }
  }
  if (!slot)
    return HV_STATUS_NO_RESOURCES;
  spa_t state_page;
  hv_status_t st = pool_alloc(hv, parent, &state_page);
  if (st != HV_STATUS_SUCCESS)
    return st;
  struct hv_partition *p = &hv->partitions[slot];
  hv_memset(p, 0, sizeof *p);
  p->id = hv->next_partition_id++;
  p->parent = parent;
  p->privileges = HV_CHILD_PRIVILEGES;
  p->state_page = state_page;
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++)
    p->vps[i] = HV_NO_VP;
  p->state = PART_FREE;
  partition_set_state(hv, lp, slot, PART_CREATED);
  *id = p->id;
  return HV_STATUS_SUCCESS;
}

/* Created -> Active: builds the empty SLAT from the partition's own pool.
 * Returns SUCCESS, INVALID_PARTITION_STATE, INSUFFICIENT_MEMORY. */
hv_status_t partition_initialize(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_partition *p = &hv->partitions[slot];
  if (p->state != PART_CREATED)
    return HV_STATUS_INVALID_PARTITION_STATE;
  hv_status_t st = slat_create(hv, slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  /* on a 100 ns boundary, so the reference TSC page (integer offset)
   * and TIME_REF_COUNT agree */
  p->ref_time_base = lp ? arch_cycles(lp) / hv->boot.cycles_per_100ns * hv->boot.cycles_per_100ns : 0;
  partition_set_state(hv, lp, slot, PART_ACTIVE);
  return HV_STATUS_SUCCESS;
}

static void partition_stop_vps(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_partition *p = &hv->partitions[slot];
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++)
    if (p->vps[i] != HV_NO_VP)
      vp_update_runnable(hv, lp, p->vps[i]);
}

/* Active or Stopped -> Finalized: no VP of it runs again. */
hv_status_t partition_finalize(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_partition *p = &hv->partitions[slot];
  if (p->state != PART_ACTIVE && p->state != PART_STOPPED && p->state != PART_CREATED)
    return HV_STATUS_INVALID_PARTITION_STATE;
  partition_set_state(hv, lp, slot, PART_FINALIZED);
  partition_stop_vps(hv, lp, slot);
  return HV_STATUS_SUCCESS;
}

void partition_stop(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint64_t reason) {
  struct hv_partition *p = &hv->partitions[slot];
  if (slot == 0 || p->state != PART_ACTIVE)
    return;
  p->stop_reason = reason;
  partition_set_state(hv, lp, slot, PART_STOPPED);
  partition_stop_vps(hv, lp, slot);
}

struct give_back {
  struct hv *hv;
  uint16_t from, to;
};

/* A RAM page of a dying child goes back to its parent (the root), mapped
 * again at its identity GPA. */
static void partition_return_page(void *ctx, uint64_t gpa_v, uint64_t spa_v, uint64_t perms) {
  struct give_back *g = ctx;
  uint32_t *e = pfn_entry(g->hv, spa_v >> 12);
  HV_CHECK(e && pfn_type_of(*e) == PFN_RAM && pfn_owner_of(*e) == g->from);
  HV_CHECK(slat_prepare(g->hv, g->to, gpa(spa_v)) == HV_STATUS_SUCCESS);
  slat_commit(g->hv, g->to, gpa(spa_v), spa(spa_v), EPT_READ | EPT_WRITE | EPT_EXEC);
  *e = pfn_make(PFN_RAM, g->to);
  g->hv->partitions[g->from].ram_pages--;
  g->hv->partitions[g->to].ram_pages++;
}

/* Finalized (or never initialized) -> gone (hc_delete_partition runs the
 * steps): its devices leave their domains (iommu.c), its VPs are deleted,
 * its ports go (synic.c), its RAM returns to the parent, its pool (tables
 * included) joins the parent's pool, where the parent can withdraw it. */
hv_status_t partition_may_delete(struct hv *hv, uint16_t slot) {
  const struct hv_partition *p = &hv->partitions[slot];
  if (slot == 0)
    return HV_STATUS_ACCESS_DENIED;
  if (p->state != PART_FINALIZED && p->state != PART_CREATED)
    return HV_STATUS_INVALID_PARTITION_STATE;
  return HV_STATUS_SUCCESS;
}

void partition_delete_vps(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  const struct hv_partition *p = &hv->partitions[slot];
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++)
    if (p->vps[i] != HV_NO_VP)
      HV_CHECK(vp_delete(hv, lp, slot, i) == HV_STATUS_SUCCESS);
}

void partition_delete(struct hv *hv, struct hv_lp *lp, uint16_t slot) {
  struct hv_partition *p = &hv->partitions[slot];
  HV_CHECK(slot != 0 && p->nvps == 0);
  for (unsigned v = 0; v < 256; v++)
    if (hv->irq_route[v].partition == slot) /* its device interrupts go back to the root (VP 0, own vector) */
      hv_memset(&hv->irq_route[v], 0, sizeof hv->irq_route[v]);
  struct give_back g = {hv, slot, p->parent};
  slat_walk_all(hv, slot, partition_return_page, 0, &g);
  if (p->slat_root.v)
    slat_destroy(hv, slot);
  HV_CHECK(p->pool_used == 0 && p->ram_pages == 0);
  uint64_t pfn;
  while (pool_take_free(hv, slot, &pfn))
    pool_add_free(hv, p->parent, pfn);
  arch_slat_flush(hv, &hv->partitions[p->parent]);
  pool_free(hv, p->parent, p->state_page);
  hv_trace_part(hv, lp, slot, HV_TR_PARTITION_STATE, p->id, p->state, PART_FREE);
  hv_memset(p, 0, sizeof *p);
}
