/*
 * hc_memory.c — TLFS memory management hypercalls: HvCallDepositMemory,
 * WithdrawMemory, GetMemoryBalance (the hypervisor's pool) and
 * MapGpaPages, UnmapGpaPages (a child's guest physical address space).
 *
 * Pages move between owners, never get shared: a page the root deposits
 * or maps into a child leaves the root's SLAT; it returns to the root's
 * SLAT (at its identity GPA, the root's GPA space being the SPA space)
 * when withdrawn or unmapped. Privilege AccessMemoryPool for the pool
 * calls; the map calls are a parent's (CreatePartitions).
 */
#include "hc.h"
#include "iommu.h"
#include "objects.h"

#define GPA_LIMIT_PFN (1ull << 36) /* 48-bit guest physical addresses */

/* The caller's RAM page at caller GPA page gpfn, or false. */
static bool hc_caller_page(struct hc_ctx *c, uint64_t gpfn, uint64_t *pfn) {
  spa_t s;
  if (gpfn >= GPA_LIMIT_PFN || !slat_lookup(c->hv, c->caller, gpa_from_pfn(gpfn), &s, 0))
    return false;
  uint32_t *e = pfn_entry(c->hv, spa_pfn(s));
  if (!e || pfn_type_of(*e) != PFN_RAM || pfn_owner_of(*e) != c->caller)
    return false;
  *pfn = spa_pfn(s);
  return true;
}

/* A page comes back to the root's RAM, mapped at its identity GPA. */
static void hc_root_take_back(struct hv *hv, uint64_t pfn) {
  /* Invariant: boot built the root's tables over all of RAM, so this
   * prepare never allocates. */
  HV_CHECK(slat_prepare(hv, 0, gpa_from_pfn(pfn)) == HV_STATUS_SUCCESS);
  slat_commit(hv, 0, gpa_from_pfn(pfn), spa_from_pfn(pfn), EPT_READ | EPT_WRITE | EPT_EXEC);
  *pfn_entry(hv, pfn) = pfn_make(PFN_RAM, 0);
  hv->partitions[0].ram_pages++;
}

static hv_status_t hc_pool_target(struct hc_ctx *c, uint64_t id, uint16_t *slot) {
  if (!(c->hv->partitions[c->caller].privileges & HV_ACCESS_MEMORY_POOL))
    return HV_STATUS_ACCESS_DENIED;
  hv_status_t st = hc_partition(c, id, slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (*slot != c->caller && !partition_is_parent(c->hv, c->caller, *slot))
    return HV_STATUS_ACCESS_DENIED;
  return HV_STATUS_SUCCESS;
}

/* Input: PartitionId, then one caller GPA page number per rep. */
hv_status_t hc_deposit_memory(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_pool_target(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t pfn;
    if (!hc_caller_page(c, hc_in_u64(c, 8 + 8ull * c->reps_done), &pfn)) {
      st = HV_STATUS_INVALID_PARAMETER;
      break;
    }
    HV_CHECK(slat_unmap(c->hv, c->caller, gpa_from_pfn(hc_in_u64(c, 8 + 8ull * c->reps_done)), 0));
    c->hv->partitions[c->caller].ram_pages--;
    pool_add_free(c->hv, target, pfn);
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    arch_slat_flush(c->hv, &c->hv->partitions[c->caller]);
    hv_trace_part(c->hv, c->lp, target, HV_TR_POOL,
             c->hv->partitions[target].id, c->reps_done - first, 1);
  }
  return st;
}

/* Input: PartitionId, ProximityDomainInfo. Output: one page number per
 * rep, the pages given back to the caller (the root). NO_RESOURCES when
 * the pool has no free page left (Linux mshv treats it as the end). */
hv_status_t hc_withdraw_memory(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_pool_target(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (c->caller != 0)
    return HV_STATUS_ACCESS_DENIED; /* pages return to the root's GPA space */
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t pfn;
    if (!pool_take_free(c->hv, target, &pfn)) {
      st = HV_STATUS_NO_RESOURCES;
      break;
    }
    hc_root_take_back(c->hv, pfn);
    hc_out_u64(c, 8ull * c->reps_done, pfn);
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    hv_trace_part(c->hv, c->lp, target, HV_TR_POOL,
             c->hv->partitions[target].id, c->reps_done - first, 2);
  }
  return st;
}

/* Input: PartitionId, ProximityDomainInfo. Output: PagesAvailable, PagesInUse. */
hv_status_t hc_get_memory_balance(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_pool_target(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  hc_out_u64(c, 0, c->hv->partitions[target].pool_free);
  hc_out_u64(c, 8, c->hv->partitions[target].pool_used);
  return HV_STATUS_SUCCESS;
}

static uint64_t hc_map_perms(uint32_t flags) {
  uint64_t p = 0;
  if (flags & HV_MAP_GPA_READABLE)
    p |= EPT_READ;
  if (flags & HV_MAP_GPA_WRITABLE)
    p |= EPT_WRITE;
  if (flags & (HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE))
    p |= EPT_EXEC;
  return p;
}

/* Input: TargetPartitionId, TargetGpaBase (page number), MapFlags, pad,
 * then one source (caller) GPA page number per rep. */
hv_status_t hc_map_gpa_pages(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (c->hv->partitions[target].state != PART_ACTIVE)
    return HV_STATUS_INVALID_PARTITION_STATE;
  uint64_t base = hc_in_u64(c, 8);
  uint32_t flags = hc_in_u32(c, 16);
  if ((flags & ~HV_MAP_GPA_PERMISSIONS_MASK) || !(flags & HV_MAP_GPA_READABLE) || hc_in_u32(c, 20))
    return HV_STATUS_INVALID_PARAMETER;
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t tgpfn = base + c->reps_done, src = hc_in_u64(c, 24 + 8ull * c->reps_done), pfn;
    if (tgpfn >= GPA_LIMIT_PFN || tgpfn < base || !hc_caller_page(c, src, &pfn) ||
        slat_lookup(c->hv, target, gpa_from_pfn(tgpfn), 0, 0)) {
      st = HV_STATUS_INVALID_PARAMETER;
      break;
    }
    st = slat_prepare(c->hv, target, gpa_from_pfn(tgpfn));
    if (st != HV_STATUS_SUCCESS)
      break;
    arch_charge(c->lp, HV_COST_SLAT_UPDATE, 2);
    HV_CHECK(slat_unmap(c->hv, c->caller, gpa_from_pfn(src), 0));
    c->hv->partitions[c->caller].ram_pages--;
    slat_commit(c->hv, target, gpa_from_pfn(tgpfn), spa_from_pfn(pfn), hc_map_perms(flags));
    *pfn_entry(c->hv, pfn) = pfn_make(PFN_RAM, target);
    c->hv->partitions[target].ram_pages++;
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    arch_slat_flush(c->hv, &c->hv->partitions[c->caller]);
  }
  return st;
}

/* Input: TargetPartitionId, TargetGpaBase (page number), UnmapFlags, pad. */
hv_status_t hc_unmap_gpa_pages(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (c->hv->partitions[target].state == PART_CREATED)
    return HV_STATUS_INVALID_PARTITION_STATE;
  uint64_t base = hc_in_u64(c, 8);
  if (hc_in_u32(c, 16) || hc_in_u32(c, 20))
    return HV_STATUS_INVALID_PARAMETER;
  uint32_t first = c->reps_done;
  for (; c->reps_done < c->rep_end; c->reps_done++) {
    uint64_t tgpfn = base + c->reps_done;
    spa_t s;
    if (tgpfn >= GPA_LIMIT_PFN || tgpfn < base || !slat_unmap(c->hv, target, gpa_from_pfn(tgpfn), &s)) {
      st = HV_STATUS_INVALID_PARAMETER;
      break;
    }
    arch_charge(c->lp, HV_COST_SLAT_UPDATE, 2);
    iommu_gpa_unmapped(c->hv, c->lp, target, tgpfn); /* no device keeps reaching it */
    c->hv->partitions[target].ram_pages--;
    hc_root_take_back(c->hv, spa_pfn(s));
  }
  if (c->reps_done > first) {
    c->ram_changed = true;
    arch_slat_flush(c->hv, &c->hv->partitions[target]);
  }
  return st;
}
