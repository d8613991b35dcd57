/*
 * objects.h — the objects tier of the hypervisor core: the things the
 * hypervisor owns and hands out, each with its lifetime and its checks.
 * The PFN database (pfn.c: who owns every page), the partitions' page
 * pools (pool.c), second-level address translation (slat.c), the core's
 * access to partition memory (gpa.c), partitions (partition.c), virtual
 * processors (vp.c) and the run queue that puts VPs on logical processors
 * (sched.c). Calls nothing above itself: what a partition's or a VP's end
 * means to interrupt controllers, ports and devices is done by the
 * hypercall that ends it (hc_partition.c, hc_vp.c).
 */
#ifndef HV_CORE_OBJECTS_H
#define HV_CORE_OBJECTS_H

#include "hv.h"

/* pfn.c */
uint32_t *pfn_entry(struct hv *hv, uint64_t pfn); /* NULL outside RAM */
static inline uint32_t pfn_make(enum pfn_type t, uint16_t owner) {
  return (uint32_t)t | ((uint32_t)owner << PFN_OWNER_SHIFT);
}
static inline enum pfn_type pfn_type_of(uint32_t e) { return (enum pfn_type)(e & PFN_TYPE_MASK); }
static inline uint16_t pfn_owner_of(uint32_t e) { return (uint16_t)((e & PFN_OWNER_MASK) >> PFN_OWNER_SHIFT); }

/* pool.c */
hv_status_t pool_alloc(struct hv *hv, uint16_t part, spa_t *out);
void pool_free(struct hv *hv, uint16_t part, spa_t page);
void pool_add_free(struct hv *hv, uint16_t part, uint64_t pfn);
bool pool_take_free(struct hv *hv, uint16_t part, uint64_t *pfn);

/* slat.c — 4-level tables in EPT entry format (Intel SDM 29.3.2) */
#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXEC (1ull << 2)
#define EPT_MEMTYPE_WB (6ull << 3)
#define EPT_ADDR_MASK 0x000FFFFFFFFFF000ull
hv_status_t slat_create(struct hv *hv, uint16_t part);
hv_status_t slat_prepare(struct hv *hv, uint16_t part, gpa_t gpa);
void slat_commit(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t perms);
void slat_commit_run(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t n,
                     uint64_t perms);
bool slat_unmap(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *was);
bool slat_lookup(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *out, uint64_t *perms);
void slat_destroy(struct hv *hv, uint16_t part);
/* Visit every leaf: fn(ctx, gpa, spa, perms). Table pages: tfn(ctx, spa). */
void slat_walk_all(struct hv *hv, uint16_t part,
                   void (*leaf)(void *ctx, uint64_t gpa, uint64_t spa, uint64_t perms),
                   void (*table)(void *ctx, uint64_t spa), void *ctx);

/* gpa.c — the core's reads and writes of a partition's memory, through its SLAT */
hv_status_t gpa_read(struct hv *hv, uint16_t part, gpa_t gpa, void *buf, size_t len);
hv_status_t gpa_write(struct hv *hv, uint16_t part, gpa_t gpa, const void *buf, size_t len);

/* partition.c */
struct hv_partition *partition_by_id(struct hv *hv, uint64_t id, uint16_t *slot);
hv_status_t partition_create(struct hv *hv, struct hv_lp *lp, uint16_t parent, uint64_t *id);
hv_status_t partition_initialize(struct hv *hv, struct hv_lp *lp, uint16_t slot);
hv_status_t partition_finalize(struct hv *hv, struct hv_lp *lp, uint16_t slot);
/* Deletion in three steps, the hypercall's interrupt-controller and
 * device steps between them (hc_delete_partition):
 * partition_may_delete: SUCCESS, ACCESS_DENIED (the root) or
 * INVALID_PARTITION_STATE (neither Finalized nor only Created);
 * partition_delete_vps: every VP of it deleted;
 * partition_delete: its device interrupts back to the root, its RAM back
 * to the parent, its pool joins the parent's, the slot freed. */
hv_status_t partition_may_delete(struct hv *hv, uint16_t slot);
void partition_delete_vps(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void partition_delete(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void partition_stop(struct hv *hv, struct hv_lp *lp, uint16_t slot, uint64_t reason);
void partition_set_state(struct hv *hv, struct hv_lp *lp, uint16_t slot, enum partition_state s);
/* The caller may act on target: it is the target itself or its parent. */
bool partition_is_parent(struct hv *hv, uint16_t caller, uint16_t target);

/* vp.c */
hv_status_t vp_create(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index);
/* SUCCESS or INVALID_VP_INDEX. The caller re-arms the timers (timers_update). */
hv_status_t vp_delete(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t index);
struct hv_vp *vp_get(struct hv *hv, uint16_t part, uint32_t index, uint16_t *slot);
/* Recompute whether the VP may run; queue and kick an LP if so. */
void vp_update_runnable(struct hv *hv, struct hv_lp *lp, uint16_t slot);

/* sched.c — the run queue */
void sched_enqueue(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void sched_remove(struct hv *hv, uint16_t slot);
/* A VP woken by an interrupt (already made runnable: vp_update_runnable)
 * goes to the head of the queue, and an LP that has run its VP long
 * enough ends that slice early (wake-up preemption), so interrupt latency
 * does not wait for a whole slice. */
void sched_wake(struct hv *hv, struct hv_lp *lp, uint16_t slot);
void sched_preempt(struct hv *hv, struct hv_lp *lp);
/* Choose what LP lp runs next (switching out a VP that may not run or
 * whose slice ended while others wait); false when the LP goes idle. */
bool sched_pick(struct hv *hv, struct hv_lp *lp);

#endif /* HV_CORE_OBJECTS_H */
