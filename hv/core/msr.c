/*
 * msr.c — the synthetic MSRs of TLFS "Hypercall Interface" and "Virtual
 * Processor Management": guest OS id, the hypercall page, VP index and the
 * partition reference counter. An access the partition may not make, to
 * an MSR that does not exist, or with reserved bits set is #GP.
 */
#include "hv.h"

#define HYPERCALL_MSR_RSVDP 0xFFCull /* bits 11:2 */

static bool msr_hypercall_write(struct hv *hv, struct hv_vp *vp, uint64_t value) {
  struct hv_partition *p = &hv->partitions[vp->partition];
  if (p->hypercall_msr & HV_X64_MSR_HYPERCALL_LOCKED)
    return true; /* locked: writes ignored until reset */
  value = (value & ~HYPERCALL_MSR_RSVDP) | (p->hypercall_msr & HYPERCALL_MSR_RSVDP);
  if (p->guest_os_id == 0)
    value &= ~HV_X64_MSR_HYPERCALL_ENABLE; /* TLFS: enable needs a guest OS id */
  if (value & HV_X64_MSR_HYPERCALL_ENABLE) {
    spa_t page;
    if (!slat_lookup(hv, vp->partition, gpa(value & ~HV_PAGE_MASK), &page, 0))
      return false; /* page outside the GPA space: #GP */
    uint8_t *bytes = arch_phys_page(hv, spa(page.v & ~HV_PAGE_MASK), true);
    HV_CHECK(bytes != 0);
    arch_hypercall_page_fill(bytes);
  }
  p->hypercall_msr = value;
  return true;
}

bool msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *value) {
  const struct hv_partition *p = &hv->partitions[vp->partition];
  switch (msr) {
  case HV_X64_MSR_GUEST_OS_ID:
    if (!(p->privileges & HV_ACCESS_HYPERCALL_MSRS))
      return false;
    *value = p->guest_os_id;
    return true;
  case HV_X64_MSR_HYPERCALL:
    if (!(p->privileges & HV_ACCESS_HYPERCALL_MSRS))
      return false;
    *value = p->hypercall_msr;
    return true;
  case HV_X64_MSR_VP_INDEX:
    if (!(p->privileges & HV_ACCESS_VP_INDEX))
      return false;
    *value = vp->index;
    return true;
  case HV_X64_MSR_TIME_REF_COUNT:
    if (!(p->privileges & HV_ACCESS_PARTITION_REF_COUNTER))
      return false;
    *value = (arch_cycles(lp) - p->ref_time_base) / hv->boot.cycles_per_100ns;
    return true;
  default:
    return false;
  }
}

bool msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t value) {
  struct hv_partition *p = &hv->partitions[vp->partition];
  switch (msr) {
  case HV_X64_MSR_GUEST_OS_ID:
    if (!(p->privileges & HV_ACCESS_HYPERCALL_MSRS))
      return false;
    p->guest_os_id = value;
    if (value == 0) /* TLFS: zeroing the id disables the hypercall page */
      p->hypercall_msr &= ~HV_X64_MSR_HYPERCALL_ENABLE;
    return true;
  case HV_X64_MSR_HYPERCALL:
    if (!(p->privileges & HV_ACCESS_HYPERCALL_MSRS))
      return false;
    return msr_hypercall_write(hv, vp, value);
  default:
    return false; /* VP_INDEX and TIME_REF_COUNT are read-only */
  }
}
