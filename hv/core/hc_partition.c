/*
 * hc_partition.c — TLFS partition management hypercalls:
 * HvCallCreatePartition, InitializePartition, FinalizePartition,
 * DeletePartition, Get/SetPartitionProperty, GetPartitionId,
 * GetNextChildPartition. Privilege CreatePartitions (the root's) is
 * checked before anything that would reveal state (TLFS: ACCESS_DENIED is
 * preferred over state-revealing errors).
 */
#include "hc.h"
#include "iommu.h"
#include "objects.h"
#include "vic.h"

/* Input (56 bytes): Flags, ProximityDomainInfo, CompatibilityVersion,
 * pad, DisabledProcessorFeatures[2], DisabledXsaveFeatures, Isolation.
 * Output: NewPartitionId. */
hv_status_t hc_create_partition(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CREATE_PARTITIONS))
    return HV_STATUS_ACCESS_DENIED;
  if (c->caller != 0)
    return HV_STATUS_PARTITION_TOO_DEEP; /* one level of children */
  if (hc_in_u64(c, 0) != 0 || hc_in_u64(c, 48) != 0)
    return HV_STATUS_INVALID_PARAMETER; /* no creation flags or isolation supported */
  uint64_t id;
  hv_status_t st = partition_create(c->hv, c->lp, c->caller, &id);
  if (st == HV_STATUS_SUCCESS)
    hc_out_u64(c, 0, id);
  return st;
}

hv_status_t hc_initialize_partition(struct hc_ctx *c) {
  uint16_t slot;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &slot);
  return st != HV_STATUS_SUCCESS ? st : partition_initialize(c->hv, c->lp, slot);
}

hv_status_t hc_finalize_partition(struct hc_ctx *c) {
  uint16_t slot;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &slot);
  return st != HV_STATUS_SUCCESS ? st : partition_finalize(c->hv, c->lp, slot);
}

hv_status_t hc_delete_partition(struct hc_ctx *c) {
  uint16_t slot;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  st = partition_may_delete(c->hv, slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  iommu_partition_delete(c->hv, c->lp, slot); /* devices detached, domain tables freed */
  partition_delete_vps(c->hv, c->lp, slot);
  timers_update(c->hv, c->lp); /* its VPs' timers left the list */
  synic_port_release(c->hv, slot);
  partition_delete(c->hv, c->lp, slot);
  c->ram_changed = true;
  return HV_STATUS_SUCCESS;
}

/* A partition may read its own properties; the parent reads and sets. */
static hv_status_t hc_property_target(struct hc_ctx *c, bool set, uint16_t *slot) {
  uint64_t id = hc_in_u64(c, 0);
  if (!set && id == HV_PARTITION_ID_SELF) {
    *slot = c->caller;
    return HV_STATUS_SUCCESS;
  }
  return hc_child(c, id, slot);
}

hv_status_t hc_get_partition_property(struct hc_ctx *c) {
  uint16_t slot;
  hv_status_t st = hc_property_target(c, false, &slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (hc_in_u32(c, 12) != 0)
    return HV_STATUS_INVALID_PARAMETER;
  const struct hv_partition *p = &c->hv->partitions[slot];
  switch (hc_in_u32(c, 8)) {
  case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
    hc_out_u64(c, 0, p->privileges);
    return HV_STATUS_SUCCESS;
  case HV_PARTITION_PROPERTY_SUSPEND:
    hc_out_u64(c, 0, p->suspended);
    return HV_STATUS_SUCCESS;
  default:
    return HV_STATUS_UNKNOWN_PROPERTY;
  }
}

static void hc_partition_resched(struct hc_ctx *c, uint16_t slot) {
  struct hv_partition *p = &c->hv->partitions[slot];
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++)
    if (p->vps[i] != HV_NO_VP)
      vp_update_runnable(c->hv, c->lp, p->vps[i]);
}

hv_status_t hc_set_partition_property(struct hc_ctx *c) {
  uint16_t slot;
  hv_status_t st = hc_property_target(c, true, &slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (hc_in_u32(c, 12) != 0)
    return HV_STATUS_INVALID_PARAMETER;
  struct hv_partition *p = &c->hv->partitions[slot];
  uint64_t value = hc_in_u64(c, 16);
  switch (hc_in_u32(c, 8)) {
  case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
    if (p->state != PART_CREATED)
      return HV_STATUS_INVALID_PARTITION_STATE;
    if (value & ~c->hv->partitions[c->caller].privileges)
      return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE; /* never more than the parent */
    p->privileges = value;
    return HV_STATUS_SUCCESS;
  case HV_PARTITION_PROPERTY_SUSPEND:
    if (value > 1)
      return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
    p->suspended = value;
    hc_partition_resched(c, slot);
    return HV_STATUS_SUCCESS;
  default:
    return HV_STATUS_UNKNOWN_PROPERTY;
  }
}

hv_status_t hc_get_partition_id(struct hc_ctx *c) {
  const struct hv_partition *p = &c->hv->partitions[c->caller];
  if (!(p->privileges & HV_ACCESS_PARTITION_ID))
    return HV_STATUS_ACCESS_DENIED;
  hc_out_u64(c, 0, p->id);
  return HV_STATUS_SUCCESS;
}

/* Children in creation-id order; 0 after the last. */
hv_status_t hc_get_next_child_partition(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CREATE_PARTITIONS))
    return HV_STATUS_ACCESS_DENIED;
  uint16_t parent;
  hv_status_t st = hc_partition(c, hc_in_u64(c, 0), &parent);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (parent != c->caller)
    return HV_STATUS_ACCESS_DENIED;
  uint64_t prev = hc_in_u64(c, 8), next = 0;
  for (uint16_t i = 1; i < HV_MAX_PARTITIONS; i++) {
    const struct hv_partition *p = &c->hv->partitions[i];
    if (p->state == PART_FREE || p->parent != parent || p->id <= prev)
      continue;
    if (next == 0 || p->id < next)
      next = p->id;
  }
  hc_out_u64(c, 0, next);
  return HV_STATUS_SUCCESS;
}
