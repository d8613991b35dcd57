/*
 * svm.c — the AMD-V backend of hv/arch/arch.h (the AMD image).
 *
 * Per LP: EFER.SVME and VM_HSAVE_PA (AMD APM Vol. 2 15.4, 15.30.4). Per
 * VP: one VMCB in the VP's state page (APM Vol. 2 Appendix B), guest state
 * from struct arch_vp, nested paging through shadow tables derived from
 * the core's EPT-format SLAT (npt_shadow.c), an ASID per VP slot (APM
 * 15.16). Time slices end through the local APIC timer, which exits the
 * guest with an INTR intercept (SVM has no preemption timer). Exits are
 * translated into struct hv_exit (APM Vol. 2 Appendix C, exit codes).
 * Answered here, never reaching the core: nested page faults the core's
 * tables allow (shadow fills), EFER accesses (the guest must keep SVME
 * set, APM 15.5.1 "VMRUN" consistency checks, so EFER is virtualized),
 * and timer interrupts before the deadline.
 */
#include "console.h"
#include "cpu.h"
#include "npt_shadow.h"
#include "platform.h"
#include "x86.h"

const char backend_name[] = "svm";

/* VMCB layout (APM Vol. 2 Table B-1 control area, Table B-2 state save). */
enum {
  VMCB_INTERCEPT_EXC = 0x008,
  VMCB_INTERCEPT_MISC1 = 0x00C,
  VMCB_INTERCEPT_MISC2 = 0x010,
  VMCB_IOPM_BASE = 0x040,
  VMCB_MSRPM_BASE = 0x048,
  VMCB_TSC_OFFSET = 0x050,
  VMCB_ASID = 0x058,
  VMCB_TLB_CONTROL = 0x05C,
  VMCB_VINTR = 0x060,
  VMCB_INT_SHADOW = 0x068,
  VMCB_EXITCODE = 0x070,
  VMCB_EXITINFO1 = 0x078,
  VMCB_EXITINFO2 = 0x080,
  VMCB_EXITINTINFO = 0x088,
  VMCB_NP_ENABLE = 0x090,
  VMCB_EVENTINJ = 0x0A8,
  VMCB_NCR3 = 0x0B0,
  VMCB_CLEAN = 0x0C0,
  VMCB_NRIP = 0x0C8,
  VMCB_SEG = 0x400, /* ES CS SS DS FS GS GDTR LDTR IDTR TR, 16 bytes each */
  VMCB_CPL = 0x4CB,
  VMCB_EFER = 0x4D0,
  VMCB_CR4 = 0x548,
  VMCB_CR3 = 0x550,
  VMCB_CR0 = 0x558,
  VMCB_DR7 = 0x560,
  VMCB_DR6 = 0x568,
  VMCB_RFLAGS = 0x570,
  VMCB_RIP = 0x578,
  VMCB_RSP = 0x5D8,
  VMCB_RAX = 0x5F8,
  VMCB_CR2 = 0x640,
  VMCB_GPAT = 0x668,
};
#define MISC1_INTR (1u << 0)
#define MISC1_NMI (1u << 1)
#define MISC1_INIT (1u << 3)
#define MISC1_VINTR (1u << 4)
#define MISC1_CPUID (1u << 18)
#define MISC1_PAUSE (1u << 23)
#define MISC1_HLT (1u << 24)
#define MISC1_IOIO (1u << 27)
#define MISC1_MSR (1u << 28)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_ALL_SVM 0x3FFFu /* VMRUN..XSETBV: every SVM instruction exits */

/* Exit codes (APM Vol. 2 Appendix C). */
enum {
  SVM_EXIT_EXC_DF = 0x048,
  SVM_EXIT_INTR = 0x060,
  SVM_EXIT_VINTR = 0x064,
  SVM_EXIT_NMI = 0x061,
  SVM_EXIT_INIT = 0x063,
  SVM_EXIT_CPUID = 0x072,
  SVM_EXIT_PAUSE = 0x077,
  SVM_EXIT_HLT = 0x078,
  SVM_EXIT_IOIO = 0x07B,
  SVM_EXIT_MSR = 0x07C,
  SVM_EXIT_SHUTDOWN = 0x07F,
  SVM_EXIT_VMMCALL = 0x081,
  SVM_EXIT_WBINVD = 0x089,
  SVM_EXIT_NPF = 0x400,
  SVM_EXIT_INVALID = -1,
};

#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117

static uint8_t svm_hsave[HV_X86_MAX_LPS][4096] __attribute__((aligned(4096)));
static uint8_t svm_host_vmcb[HV_X86_MAX_LPS][4096] __attribute__((aligned(4096)));
static uint8_t svm_msrpm[8192] __attribute__((aligned(4096)));
static uint8_t svm_iopm[12288] __attribute__((aligned(4096)));
/* The root partition's IOPM: every port intercepted but those of the
 * machine's devices the root owns (platform_root_io_grant). */
static uint8_t svm_root_iopm[12288] __attribute__((aligned(4096)));

void svm_enter(uint64_t *gpr, uint64_t vmcb_pa, uint64_t host_vmcb_pa);

#define VMCB64(v, off) (*(volatile uint64_t *)((v) + (off)))
#define VMCB32(v, off) (*(volatile uint32_t *)((v) + (off)))
#define VMCB16(v, off) (*(volatile uint16_t *)((v) + (off)))
#define VMCB8(v, off) (*(volatile uint8_t *)((v) + (off)))

static uint8_t *svm_vmcb(const struct arch_vp *a) { return (uint8_t *)(uintptr_t)a->state_pa; }

/* Let the guest read and write msr directly: its two MSRPM bits (read,
 * write) cleared; MSRs 0-1FFF at byte 0, C000_0000-C000_1FFF at byte
 * 0x800 (APM Vol. 2 15.11). VMLOAD/VMSAVE switch them per VP. */
static void svm_msr_pass(uint32_t msr) {
  uint32_t bit = 2 * (msr & 0x1FFF) + (msr >= 0xC0000000u ? 0x800 * 8 : 0);
  svm_msrpm[bit / 8] &= (uint8_t)~(3u << (bit % 8));
}

int backend_lp_init(struct hv *hv, struct hv_lp *lp) {
  uint32_t r[4];
  x86_cpuid(0x80000001, 0, r);
  if (!(r[2] & (1u << 2))) {
    console_printf("hvsim: this CPU has no AMD-V (CPUID 8000_0001:ECX.SVM = 0)\n");
    return -1;
  }
  if (x86_rdmsr(MSR_VM_CR) & (1u << 4)) {
    console_printf("hvsim: AMD-V disabled by the firmware (VM_CR.SVMDIS)\n");
    return -1;
  }
  x86_cpuid(0x8000000A, 0, r);
  if (!(r[3] & 1)) {
    console_printf("hvsim: AMD-V without nested paging (CPUID 8000_000A:EDX.NP = 0)\n");
    return -1;
  }
  /* An ASID per VP slot when the CPU has enough (Bochs: 2^15); else
   * (QEMU's TCG has 16) every VP shares ASID 1 and the TLB is flushed
   * whenever another VP is entered (APM 15.16). */
  hv->arch.asid_shared = r[1] <= HV_MAX_VPS;
  hv->arch.nrips = (r[3] >> 3) & 1;
  x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_SVME);
  lp->arch.region_pa = (uint64_t)(uintptr_t)svm_hsave[lp->index];
  lp->arch.host_vmcb_pa = (uint64_t)(uintptr_t)svm_host_vmcb[lp->index];
  x86_wrmsr(MSR_VM_HSAVE_PA, lp->arch.region_pa);
  if (lp->index == 0) {
    /* Intercept every MSR (2 bits per MSR, APM 15.11) and every port
     * (APM 15.10.1) — for the root, every port but its devices'. */
    hv_memset(svm_msrpm, 0xFF, sizeof svm_msrpm);
    for (uint32_t i = 0; i < ARCH_PASSTHROUGH_MSRS; i++)
      svm_msr_pass(arch_passthrough_msrs[i]);
    hv_memset(svm_iopm, 0xFF, sizeof svm_iopm);
    hv_memset(svm_root_iopm, 0xFF, sizeof svm_root_iopm);
    platform_root_io_grant(svm_root_iopm);
    npt_init();
  }
  console_printf("hvsim: EFER.SVME on LP %u (EFER 0x%lx, nrips %u)\n", lp->index,
                 x86_rdmsr(MSR_EFER), hv->arch.nrips);
  return 0;
}

static void svm_seg(uint8_t *v, int i, uint16_t sel, uint16_t attr, uint32_t limit) {
  VMCB16(v, VMCB_SEG + 16 * i) = sel;
  VMCB16(v, VMCB_SEG + 16 * i + 2) = attr;
  VMCB32(v, VMCB_SEG + 16 * i + 4) = limit;
  VMCB64(v, VMCB_SEG + 16 * i + 8) = 0;
}

hv_status_t arch_vp_init(struct hv *hv, struct hv_partition *p, struct hv_vp *vp, spa_t page) {
  struct arch_vp *a = &vp->arch;
  arch_vp_reset_regs(hv, p, vp);
  a->state_pa = page.v;
  uint8_t *v = arch_phys_page(hv, page, true);
  HV_CHECK(v != 0);
  hv_memset(v, 0, HV_PAGE_SIZE);
  /* #DF: a guest whose double fault cannot be delivered would shut down;
   * Bochs 2.7 resets the whole machine on a guest triple fault instead of
   * honouring the SHUTDOWN intercept, so the double fault itself ends the
   * VP (the same outcome: HV_EXIT_SHUTDOWN). */
  VMCB32(v, VMCB_INTERCEPT_EXC) = 1u << 8;
  VMCB32(v, VMCB_INTERCEPT_MISC1) = MISC1_INTR | MISC1_NMI | MISC1_INIT | MISC1_CPUID |
                                    MISC1_PAUSE | MISC1_HLT | MISC1_IOIO | MISC1_MSR | MISC1_SHUTDOWN;
  VMCB32(v, VMCB_INTERCEPT_MISC2) = MISC2_ALL_SVM;
  VMCB64(v, VMCB_IOPM_BASE) = (uint64_t)(uintptr_t)(p->id == HV_ROOT_PARTITION_ID ? svm_root_iopm : svm_iopm);
  VMCB64(v, VMCB_MSRPM_BASE) = (uint64_t)(uintptr_t)svm_msrpm;
  VMCB32(v, VMCB_ASID) = hv->arch.asid_shared ? 1 : a->tag;
  VMCB64(v, VMCB_VINTR) = 1ull << 24; /* V_INTR_MASKING */
  VMCB64(v, VMCB_NP_ENABLE) = 1;
  /* Flat 32-bit protected mode; attributes are the descriptor's access
   * byte and flags nibble (APM Vol. 2 15.5.1 / Table B-2). */
  for (int i = 0; i < 6; i++)
    svm_seg(v, i, i == 1 ? 0x08 : 0x10, i == 1 ? 0xC9B : 0xC93, 0xFFFFFFFF);
  svm_seg(v, 6, 0, 0, 0);     /* GDTR */
  svm_seg(v, 7, 0, 0x82, 0);  /* LDTR */
  svm_seg(v, 8, 0, 0, 0);     /* IDTR */
  svm_seg(v, 9, 0, 0x8B, 0x67); /* TR */
  VMCB8(v, VMCB_CPL) = 0;
  VMCB64(v, VMCB_DR7) = 0x400;
  VMCB64(v, VMCB_DR6) = 0xFFFF0FF0;
  VMCB64(v, VMCB_GPAT) = 0x0007040600070406ull;
  return HV_STATUS_SUCCESS;
}

void arch_vp_destroy(struct hv *hv, struct hv_vp *vp) { platform_vp_gone(hv, vp); }

void arch_slat_install(struct hv_vp *vp, spa_t root) { vp->arch.slat_root = root.v; }

void arch_slat_flush(struct hv *hv, struct hv_partition *p) {
  hv->arch.slat_flushes++;
  npt_drop((uint16_t)(p - hv->partitions));
}

void arch_hypercall_page_fill(uint8_t *page) {
  static const uint8_t seq[] = {0x0F, 0x01, 0xD9, 0xC3}; /* VMMCALL; RET */
  hv_memset(page, 0xCC, HV_PAGE_SIZE);
  hv_memcpy(page, seq, sizeof seq);
}

static void svm_sync_to_vmcb(struct hv *hv, struct hv_vp *vp, uint8_t *v) {
  struct arch_vp *a = &vp->arch;
  VMCB64(v, VMCB_RAX) = a->gpr[0];
  VMCB64(v, VMCB_RSP) = a->gpr[4];
  VMCB64(v, VMCB_RIP) = a->rip;
  VMCB64(v, VMCB_RFLAGS) = a->rflags;
  VMCB64(v, VMCB_CR0) = a->cr0;
  VMCB64(v, VMCB_CR2) = a->cr2;
  VMCB64(v, VMCB_CR3) = a->cr3;
  VMCB64(v, VMCB_CR4) = a->cr4;
  VMCB64(v, VMCB_EFER) = a->efer | EFER_SVME;
  if (a->dirty & ARCH_VP_DIRTY_REAL) { /* a startup IPI: real mode, run natively (APM 15.19) */
    for (int i = 0; i < 6; i++)
      svm_seg(v, i, i == 1 ? (uint16_t)(a->sipi_vector << 8) : 0, i == 1 ? 0x9B : 0x93, 0xFFFF);
    VMCB64(v, VMCB_SEG + 16 * 1 + 8) = (uint64_t)a->sipi_vector << 12;
    svm_seg(v, 6, 0, 0, 0xFFFF); /* GDTR */
    svm_seg(v, 7, 0, 0x82, 0xFFFF);
    svm_seg(v, 8, 0, 0, 0xFFFF); /* IDTR */
    svm_seg(v, 9, 0, 0x8B, 0xFFFF);
    VMCB8(v, VMCB_CPL) = 0;
    VMCB64(v, VMCB_INT_SHADOW) = 0;
    VMCB32(v, VMCB_CLEAN) = 0;
  }
  if (a->dirty & ARCH_VP_DIRTY_RIP) /* RIP moved: no interrupt shadow (APM 15.21.5) */
    VMCB64(v, VMCB_INT_SHADOW) = 0;
  a->dirty = 0;
}

static void svm_sync_from_vmcb(struct arch_vp *a, const uint8_t *v) {
  a->gpr[0] = VMCB64(v, VMCB_RAX);
  a->gpr[4] = VMCB64(v, VMCB_RSP);
  a->rip = VMCB64(v, VMCB_RIP);
  a->rflags = VMCB64(v, VMCB_RFLAGS);
  a->cr0 = VMCB64(v, VMCB_CR0);
  a->cr2 = VMCB64(v, VMCB_CR2);
  a->cr3 = VMCB64(v, VMCB_CR3);
  a->cr4 = VMCB64(v, VMCB_CR4);
  a->efer = VMCB64(v, VMCB_EFER) & ~(uint64_t)EFER_SVME;
}

/* Deliver the pending event at this VMRUN through EVENTINJ (APM 15.20):
 * an exception always, an interrupt when the guest's RFLAGS.IF is set and
 * no interrupt shadow holds it back. Otherwise ask for a VINTR intercept
 * (a V_IRQ request with the VINTR intercept, APM 15.21.4): the guest
 * exits as soon as it could take an interrupt, and the next VMRUN injects
 * it. (Letting the CPU deliver V_IRQ itself would leave the interrupt
 * acknowledgement to the VMCB write-back, which Bochs 2.7 does not do.) */
static void svm_event_inject(struct arch_vp *a, uint8_t *v) {
  uint32_t misc1 = VMCB32(v, VMCB_INTERCEPT_MISC1) & ~MISC1_VINTR;
  VMCB64(v, VMCB_VINTR) = 1ull << 24; /* V_INTR_MASKING, no request */
  if (a->inject) {
    uint8_t vector = (uint8_t)a->inject;
    bool exception = ((a->inject >> 8) & 7) == 3;
    bool open = (a->rflags & (1u << 9)) && !(VMCB64(v, VMCB_INT_SHADOW) & 1);
    if (exception || open) {
      uint64_t ev = vector | ((exception ? 3ull : 0ull) << 8) | (1ull << 31);
      if (a->inject & (1u << 11))
        ev |= (1ull << 11) | ((uint64_t)a->inject_error << 32);
      VMCB64(v, VMCB_EVENTINJ) = ev;
      a->inject = 0;
    } else {
      VMCB64(v, VMCB_VINTR) = (1ull << 24) | (1ull << 8) | (0xFull << 16) | (1ull << 20);
      misc1 |= MISC1_VINTR;
    }
  }
  VMCB32(v, VMCB_INTERCEPT_MISC1) = misc1;
}

static uint32_t svm_instr_len(struct hv *hv, const struct arch_vp *a, const uint8_t *v,
                              uint32_t fixed) {
  if (hv->arch.nrips)
    return (uint32_t)(VMCB64(v, VMCB_NRIP) - a->rip);
  return fixed;
}

/* EFER is virtualized: the guest sees and sets everything but SVME. */
static void svm_efer_access(struct hv *hv, struct arch_vp *a, uint8_t *v, bool write) {
  if (write) {
    a->efer = (a->gpr[2] << 32) | (a->gpr[0] & 0xFFFFFFFFull);
    VMCB64(v, VMCB_EFER) = a->efer | EFER_SVME;
  } else {
    a->gpr[0] = a->efer & 0xFFFFFFFFull;
    a->gpr[2] = a->efer >> 32;
    VMCB64(v, VMCB_RAX) = a->gpr[0];
  }
  a->rip += svm_instr_len(hv, a, v, 2);
  VMCB64(v, VMCB_RIP) = a->rip;
  hv->arch.exits_internal++;
}

/* Translate one exit; returns false for exits handled here (re-enter). */
static bool svm_translate(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint8_t *v,
                          uint64_t deadline, struct hv_exit *ex) {
  struct arch_vp *a = &vp->arch;
  uint64_t code = VMCB64(v, VMCB_EXITCODE);
  uint64_t info1 = VMCB64(v, VMCB_EXITINFO1), info2 = VMCB64(v, VMCB_EXITINFO2);
  switch (code) {
  case SVM_EXIT_VMMCALL:
    ex->reason = HV_EXIT_HYPERCALL;
    ex->instr_len = svm_instr_len(hv, a, v, 3);
    return true;
  case SVM_EXIT_MSR: /* EXITINFO1: 0 RDMSR, 1 WRMSR (APM 15.11) */
    if ((uint32_t)a->gpr[1] == MSR_EFER) {
      svm_efer_access(hv, a, v, info1 & 1);
      return false;
    }
    ex->reason = (info1 & 1) ? HV_EXIT_MSR_WRITE : HV_EXIT_MSR_READ;
    ex->instr_len = svm_instr_len(hv, a, v, 2);
    ex->u.msr.msr = (uint32_t)a->gpr[1];
    ex->u.msr.value = (a->gpr[2] << 32) | (a->gpr[0] & 0xFFFFFFFFull);
    return true;
  case SVM_EXIT_CPUID:
    ex->reason = HV_EXIT_CPUID;
    ex->instr_len = svm_instr_len(hv, a, v, 2);
    ex->u.cpuid.leaf = (uint32_t)a->gpr[0];
    ex->u.cpuid.subleaf = (uint32_t)a->gpr[1];
    return true;
  case SVM_EXIT_IOIO: /* EXITINFO1 layout: APM 15.10.2; EXITINFO2 = next RIP */
    if (platform_io_event(hv, &hv->lps[vp->on_lp == HV_NO_VP ? 0 : vp->on_lp], vp,
                          (uint16_t)(info1 >> 16),
                          (info1 & (1u << 4)) ? 1 : (info1 & (1u << 5)) ? 2 : 4, !(info1 & 1))) {
      a->rip = info2;
      VMCB64(v, VMCB_RIP) = a->rip;
      hv->arch.exits_internal++;
      return false;
    }
    ex->reason = HV_EXIT_IO;
    ex->instr_len = (uint32_t)(info2 - a->rip);
    ex->u.io.port = (uint16_t)(info1 >> 16);
    ex->u.io.size = (info1 & (1u << 4)) ? 1 : (info1 & (1u << 5)) ? 2 : 4;
    ex->u.io.write = !(info1 & 1);
    ex->u.io.value = (uint32_t)a->gpr[0];
    return true;
  case SVM_EXIT_HLT:
    ex->instr_len = svm_instr_len(hv, a, v, 1);
    /* An interrupt the core already handed over (queued here, waiting for
     * the guest to enable interrupts) wakes the HLT at once, as on
     * hardware (SDM Vol. 2A / APM Vol. 3, HLT): step past it, deliver. */
    if (a->inject && ((a->inject >> 8) & 7) == 0 && (a->rflags & (1u << 9))) {
      a->rip += ex->instr_len;
      VMCB64(v, VMCB_RIP) = a->rip;
      VMCB64(v, VMCB_INT_SHADOW) = 0;
      hv->arch.exits_internal++;
      return false;
    }
    ex->reason = HV_EXIT_HLT;
    return true;
  case SVM_EXIT_NPF: { /* EXITINFO1: page-fault error code; EXITINFO2: GPA (APM 15.25.6) */
    uint32_t access = (info1 & (1u << 4)) ? 4 : (info1 & 2) ? 2 : 1;
    int r = npt_fault(hv, vp->partition, info2, access);
    if (r != NPT_VIOLATION) {
      hv->arch.exits_internal++;
      return false;
    }
    ex->reason = HV_EXIT_GPA_VIOLATION;
    ex->u.mem.gpa = info2;
    ex->u.mem.access = access;
    return true;
  }
  case SVM_EXIT_PAUSE: {
    /* A spin-wait hint: each one looks at the deadlines. Observed on
     * Bochs's AMD-V: Linux's second CPU spinning with interrupts off
     * (waiting for the first) got no INTR exit and never gave the LP back
     * (VT-x has the preemption timer, which does not depend on the
     * guest's RFLAGS.IF). */
    a->rip += svm_instr_len(hv, a, v, 2);
    VMCB64(v, VMCB_RIP) = a->rip;
    uint64_t now = x86_rdtsc();
    if (now >= deadline || now >= hv->arch.world_deadline) {
      ex->reason = now >= deadline ? HV_EXIT_PREEMPT : HV_EXIT_NONE;
      return true;
    }
    hv->arch.exits_internal++;
    return false;
  }
  case SVM_EXIT_INTR: {
    cpu_take_interrupts(); /* the timer's handler EOIs */
    uint64_t now = arch_cycles(lp);
    if (now >= deadline) {
      ex->reason = HV_EXIT_PREEMPT;
      return true;
    }
    if (now >= hv->arch.world_deadline) {
      ex->reason = HV_EXIT_NONE; /* the platform's world event: a silent stop */
      return true;
    }
    hv->arch.exits_internal++;
    return false;
  }
  case SVM_EXIT_VINTR: /* the guest can take the queued interrupt now */
    hv->arch.exits_internal++;
    return false;
  case SVM_EXIT_EXC_DF:
  case SVM_EXIT_SHUTDOWN:
  case SVM_EXIT_INIT:
    ex->reason = HV_EXIT_SHUTDOWN;
    return true;
  case SVM_EXIT_NMI:
    ex->reason = HV_EXIT_INTERRUPT;
    return true;
  case (uint64_t)SVM_EXIT_INVALID:
    console_printf("hvsim: VMRUN failed: invalid guest state (rip 0x%lx efer 0x%lx cr0 0x%lx)\n",
                   a->rip, VMCB64(v, VMCB_EFER), a->cr0);
    ex->reason = HV_EXIT_SHUTDOWN;
    return true;
  case SVM_EXIT_WBINVD:
    /* Write back and invalidate the caches: coherent for the guest
     * already, nothing to do (VT-x runs it without an exit). Linux's
     * real-mode trampoline begins with it. */
    a->rip += svm_instr_len(hv, a, v, 2);
    VMCB64(v, VMCB_RIP) = a->rip;
    hv->arch.exits_internal++;
    return false;
  default:
    /* SVM instructions and anything else intercepted: #UD. */
    ex->reason = HV_EXIT_EXCEPTION;
    ex->u.exc.vector = 6;
    return true;
  }
}

void arch_vp_run(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t deadline,
                 struct hv_exit *ex) {
  struct arch_vp *a = &vp->arch;
  uint8_t *v = svm_vmcb(a);
  hv_memset(ex, 0, sizeof *ex);
  /* The guest's TSC is the core's clock, as in the simulator (msr.c's
   * reference TSC page assumes it). */
  VMCB64(v, VMCB_TSC_OFFSET) = (uint64_t)0 - lp->arch.tsc_origin;
  svm_sync_to_vmcb(hv, vp, v);
  for (;;) {
    uint64_t gen;
    uint64_t root = npt_root(vp->partition, &gen);
    HV_CHECK(root != 0);
    VMCB64(v, VMCB_NCR3) = root;
    uint8_t tlb = 0;
    uint16_t slot = vp_slot(hv, vp);
    if (a->flush_tlb || a->slat_gen != gen ||
        (hv->arch.asid_shared && platform_cpu(hv)->last_vp != slot))
      tlb = 1; /* flush everything (APM 15.16.1, TLB_CONTROL = 1) */
    a->flush_tlb = false;
    a->slat_gen = gen;
    VMCB8(v, VMCB_TLB_CONTROL) = tlb;
    VMCB32(v, VMCB_CLEAN) = 0;
    /* The guest's TSC reads its LP's clock (platform/bare/main.c; APM 15.30.2) */
    VMCB64(v, VMCB_TSC_OFFSET) = -lp->arch.tsc_origin;
    svm_event_inject(a, v);
    uint64_t now = arch_cycles(lp);
    uint64_t stop = deadline < hv->arch.world_deadline ? deadline : hv->arch.world_deadline;
    cpu_apic_oneshot(stop > now ? stop - now : 1);
    hv->arch.entries++;
    uint64_t t0 = x86_rdtsc();
    if (!hv->arch.first_entry_tsc)
      hv->arch.first_entry_tsc = t0;
    platform_entry_account(hv, lp, vp, t0);
    svm_enter(a->gpr, a->state_pa, platform_cpu(hv)->host_vmcb_pa);
    a->exit_tsc = x86_rdtsc();
    ex->guest_cycles += a->exit_tsc - t0;
    cpu_apic_oneshot(0);
    svm_sync_from_vmcb(a, v);
    VMCB64(v, VMCB_EVENTINJ) = 0;
    /* An intercept during event delivery (a shadow NPT fill for the IDT
     * or the stack, typically) leaves the event in EXITINTINFO: deliver it
     * again at the next VMRUN (APM Vol. 2 15.7.2). */
    uint64_t pending = VMCB64(v, VMCB_EXITINTINFO);
    if (pending & (1u << 31)) {
      a->inject = (uint32_t)(pending & 0x80000FFFu);
      a->inject_error = (uint32_t)(pending >> 32);
    }
    if (svm_translate(hv, lp, vp, v, deadline, ex)) {
      a->exit_was_hypercall = ex->reason == HV_EXIT_HYPERCALL;
      return;
    }
    /* Exits handled here (shadow NPT fills above all) re-arm the timer
     * each time: a guest that keeps making them must still stop at its
     * deadline, as the timer's own exit would have stopped it. */
    uint64_t t = arch_cycles(lp);
    if (t >= stop) {
      ex->reason = t >= deadline ? HV_EXIT_PREEMPT : HV_EXIT_NONE;
      return;
    }
  }
}

void backend_report(struct hv *hv) {
  uint64_t fills, drops;
  uint32_t pages;
  npt_stats(&fills, &drops, &pages);
  console_printf("@F backend=svm first_entry_tsc=%lu entries=%lu internal_exits=%lu "
                 "slat_flushes=%lu npt_fills=%lu npt_drops=%lu npt_pages=%u guest_events=%lu "
                 "hypercall_exits=%lu hypercall_hv_cycles=%lu\n",
                 hv->arch.first_entry_tsc, hv->arch.entries, hv->arch.exits_internal,
                 hv->arch.slat_flushes, fills, drops, pages, hv->arch.events, hv->arch.hc_exits,
                 hv->arch.hc_hv_cycles);
}
