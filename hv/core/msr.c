/*
 * msr.c — the MSRs the hypervisor emulates, and their dispatch: here the
 * synthetic MSRs of TLFS "Hypercall Interface" and "Virtual Processor
 * Management" (guest OS id, hypercall page, VP index, reference counter,
 * reference TSC page, frequencies); SynIC, synthetic timer and APIC MSRs go
 * to synic.c, stimer.c and vapic.c. An access the partition may not make,
 * to an MSR that does not exist, or with reserved bits set is #GP.
 */
#include "hc.h"
#include "objects.h"
#include "vic.h"

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

enum msr_family { MSR_OTHER, MSR_SYNIC, MSR_STIMER, MSR_APIC };

static enum msr_family msr_family(uint32_t msr) {
  if ((msr >= HV_X64_MSR_SCONTROL && msr <= HV_X64_MSR_EOM) ||
      (msr >= HV_X64_MSR_SINT0 && msr < HV_X64_MSR_SINT0 + HV_SINT_COUNT))
    return MSR_SYNIC;
  if (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT)
    return MSR_STIMER;
  if ((msr >= 0x800 && msr <= 0x8FF) || msr == 0x6E0 || msr == IA32_APIC_BASE ||
      (msr >= HV_X64_MSR_EOI && msr <= HV_X64_MSR_TPR))
    return MSR_APIC;
  return MSR_OTHER;
}

/* Reference TSC page (TLFS 12.7): ReferenceTime = ((TSC * Scale) >> 64) +
 * Offset in 100 ns units; the simulator's TSC is the cycle counter. */
static bool msr_ref_tsc_write(struct hv *hv, struct hv_vp *vp, uint64_t value) {
  struct hv_partition *p = &hv->partitions[vp->partition];
  if (value & 1) {
    spa_t s;
    if (!slat_lookup(hv, vp->partition, gpa(value & ~HV_PAGE_MASK), &s, 0))
      return false;
    uint8_t *page = arch_phys_page(hv, spa(s.v & ~HV_PAGE_MASK), true);
    uint32_t seq = 1;
    uint64_t cpn = hv->boot.cycles_per_100ns;
    /* Scale = ceil(2^64 / cpn), so (TSC * Scale) >> 64 = floor(TSC / cpn)
     * exactly (floor((2^64-1) / cpn) reads one less at each multiple of
     * cpn); 2^64 (cpn 1) does not fit: 2^64-1 reads TSC-1, the offset adds
     * it back. ref_time_base is a multiple of cpn (partition.c), so this
     * equals TIME_REF_COUNT. */
    uint64_t scale = cpn > 1 ? ~0ull / cpn + 1 : ~0ull;
    int64_t offset = -(int64_t)(p->ref_time_base / cpn) + (cpn == 1);
    hv_memset(page, 0, HV_PAGE_SIZE);
    hv_memcpy(page, &seq, 4);
    hv_memcpy(page + 8, &scale, 8);
    hv_memcpy(page + 16, &offset, 8);
  }
  p->ref_tsc_msr = value & ~0xFFEull;
  return true;
}

bool msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *value) {
  const struct hv_partition *p = &hv->partitions[vp->partition];
  switch (msr_family(msr)) {
  case MSR_SYNIC: return synic_msr_read(hv, lp, vp, msr, value);
  case MSR_STIMER: return stimer_msr_read(hv, lp, vp, msr, value);
  case MSR_APIC:
    if (msr >= HV_X64_MSR_EOI && !(p->privileges & HV_ACCESS_INTR_CTRL_REGS))
      return false;
    return vapic_msr_read(hv, lp, vp, msr, value);
  default: break;
  }
  switch (msr) {
  case HV_X64_MSR_REFERENCE_TSC:
    if (!(p->privileges & HV_ACCESS_PARTITION_REF_TSC))
      return false;
    *value = p->ref_tsc_msr;
    return true;
  case HV_X64_MSR_TSC_FREQUENCY:
    if (!(p->privileges & HV_ACCESS_FREQUENCY_MSRS))
      return false;
    *value = hv->boot.cycles_per_100ns * 10000000ull;
    return true;
  case HV_X64_MSR_APIC_FREQUENCY:
    if (!(p->privileges & HV_ACCESS_FREQUENCY_MSRS))
      return false;
    *value = hv->boot.cycles_per_100ns * 1000000ull; /* the APIC timer runs at the core clock / 10 */
    return true;
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
    *value = stimer_ref_time(hv, lp, vp->partition);
    return true;
  case HV_X64_MSR_VP_RUNTIME: /* TLFS: the VP's run time in 100 ns units */
    if (!(p->privileges & HV_ACCESS_VP_RUNTIME_REG))
      return false;
    *value = vp->stats.guest_cycles / hv->boot.cycles_per_100ns;
    return true;
  case HV_X64_MSR_VP_ASSIST_PAGE:
    if (!(p->privileges & HV_ACCESS_INTR_CTRL_REGS))
      return false;
    *value = vp->assist_msr;
    return true;
  default:
    return false;
  }
}

/* VP assist page (TLFS "Virtual Processor Assist Page"): bit 0 enables it
 * at the GPA in bits 63:12, which must be the partition's RAM; the
 * hypervisor clears it on enable. Nothing of it is used here (no
 * enlightened VMCS, no APIC assist): it is accepted so a guest that
 * always writes it (Linux does, on every CPU) runs. */
static bool msr_assist_write(struct hv *hv, struct hv_vp *vp, uint64_t value) {
  if (value & 0xFFEull)
    return false; /* reserved bits 11:1 */
  if (value & 1) {
    spa_t s;
    if (!slat_lookup(hv, vp->partition, gpa(value & ~HV_PAGE_MASK), &s, 0))
      return false;
    uint8_t *page = arch_phys_page(hv, spa(s.v & ~HV_PAGE_MASK), true);
    HV_CHECK(page != 0);
    hv_memset(page, 0, HV_PAGE_SIZE);
  }
  vp->assist_msr = value;
  return true;
}

bool msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t value) {
  struct hv_partition *p = &hv->partitions[vp->partition];
  switch (msr_family(msr)) {
  case MSR_SYNIC: return synic_msr_write(hv, lp, vp, msr, value);
  case MSR_STIMER: return stimer_msr_write(hv, lp, vp, msr, value);
  case MSR_APIC:
    if (msr >= HV_X64_MSR_EOI && !(p->privileges & HV_ACCESS_INTR_CTRL_REGS))
      return false;
    return vapic_msr_write(hv, lp, vp, msr, value);
  default: break;
  }
  switch (msr) {
  case HV_X64_MSR_REFERENCE_TSC:
    if (!(p->privileges & HV_ACCESS_PARTITION_REF_TSC))
      return false;
    return msr_ref_tsc_write(hv, vp, value);
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
  case HV_X64_MSR_VP_ASSIST_PAGE:
    if (!(p->privileges & HV_ACCESS_INTR_CTRL_REGS))
      return false;
    return msr_assist_write(hv, vp, value);
  default:
    return false; /* VP_INDEX and TIME_REF_COUNT are read-only */
  }
}
