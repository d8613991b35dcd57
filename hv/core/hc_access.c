/*
 * hc_access.c — the partitions a hypercall may name: HV_PARTITION_ID_SELF
 * or an existing partition's id, and, for the calls that manage
 * partitions, only the caller's own children, and only with the
 * CreatePartitions privilege (TLFS "Partition Privileges"). Shared by the
 * hc_*.c families; hypercall API tier (hc.h).
 */
#include "hc.h"
#include "objects.h"

hv_status_t hc_partition(struct hc_ctx *c, uint64_t id, uint16_t *slot) {
  if (id == HV_PARTITION_ID_SELF) {
    *slot = c->caller;
    return HV_STATUS_SUCCESS;
  }
  return partition_by_id(c->hv, id, slot) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_ID;
}

hv_status_t hc_child(struct hc_ctx *c, uint64_t id, uint16_t *slot) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CREATE_PARTITIONS))
    return HV_STATUS_ACCESS_DENIED;
  hv_status_t st = hc_partition(c, id, slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  return partition_is_parent(c->hv, c->caller, *slot) ? HV_STATUS_SUCCESS : HV_STATUS_ACCESS_DENIED;
}
