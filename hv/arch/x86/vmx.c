/*
 * vmx.c — the VT-x backend of hv/arch/arch.h (the Intel image).
 *
 * Per LP: VMXON (Intel SDM Vol. 3C 24.7, 24.11.5). Per VP: one VMCS in
 * the VP's state page (SDM 3C 25.2), guest state from struct arch_vp,
 * EPT from the core's SLAT tables as they are (the core builds them in EPT
 * format, SDM 3C 29.3.2), a VPID per VP slot (SDM 3C 29.1). Exits are
 * translated into struct hv_exit (SDM 3C Appendix C, basic exit reasons);
 * the core decides what they mean. A few exits are answered here and never
 * reach the core: interrupt windows (to deliver a queued interrupt) and
 * nothing else — every architectural event the scenario can observe goes
 * through the core's dispatch.
 */
#include "console.h"
#include "cpu.h"
#include "platform.h"
#include "x86.h"

const char backend_name[] = "vmx";

/* ---- VMCS field encodings (SDM 3C Appendix B) ---------------------------- */
enum {
  VMCS_VPID = 0x0000,
  VMCS_GUEST_ES_SEL = 0x0800, /* ES, CS, SS, DS, FS, GS, LDTR, TR: +2 each */
  VMCS_HOST_ES_SEL = 0x0C00,  /* ES, CS, SS, DS, FS, GS, TR */
  VMCS_IO_BITMAP_A = 0x2000,
  VMCS_IO_BITMAP_B = 0x2002,
  VMCS_MSR_BITMAP = 0x2004,
  VMCS_TSC_OFFSET = 0x2010,
  VMCS_EPTP = 0x201A,
  VMCS_GUEST_PHYS_ADDR = 0x2400,
  VMCS_LINK_POINTER = 0x2800,
  VMCS_GUEST_PAT = 0x2804,
  VMCS_GUEST_EFER = 0x2806,
  VMCS_HOST_PAT = 0x2C00,
  VMCS_HOST_EFER = 0x2C02,
  VMCS_PIN_CTLS = 0x4000,
  VMCS_PROC_CTLS = 0x4002,
  VMCS_EXCEPTION_BITMAP = 0x4004,
  VMCS_EXIT_CTLS = 0x400C,
  VMCS_ENTRY_CTLS = 0x4012,
  VMCS_ENTRY_INTR_INFO = 0x4016,
  VMCS_ENTRY_EXC_ERROR = 0x4018,
  VMCS_PROC_CTLS2 = 0x401E,
  VMCS_INSTR_ERROR = 0x4400,
  VMCS_EXIT_REASON = 0x4402,
  VMCS_EXIT_INTR_INFO = 0x4404,
  VMCS_IDT_VECTORING_INFO = 0x4408,
  VMCS_IDT_VECTORING_ERROR = 0x440A,
  VMCS_EXIT_INSTR_LEN = 0x440C,
  VMCS_GUEST_ES_LIMIT = 0x4800, /* .. TR limit 0x480E, GDTR 0x4810, IDTR 0x4812 */
  VMCS_GUEST_GDTR_LIMIT = 0x4810,
  VMCS_GUEST_IDTR_LIMIT = 0x4812,
  VMCS_GUEST_ES_AR = 0x4814, /* .. TR 0x4822 */
  VMCS_GUEST_INTERRUPTIBILITY = 0x4824,
  VMCS_GUEST_ACTIVITY = 0x4826,
  VMCS_GUEST_SYSENTER_CS = 0x482A,
  VMCS_PREEMPT_TIMER = 0x482E,
  VMCS_HOST_SYSENTER_CS = 0x4C00,
  VMCS_CR0_MASK = 0x6000,
  VMCS_CR4_MASK = 0x6002,
  VMCS_CR0_SHADOW = 0x6004,
  VMCS_CR4_SHADOW = 0x6006,
  VMCS_EXIT_QUALIFICATION = 0x6400,
  VMCS_GUEST_CR0 = 0x6800,
  VMCS_GUEST_CR3 = 0x6802,
  VMCS_GUEST_CR4 = 0x6804,
  VMCS_GUEST_ES_BASE = 0x6806, /* .. TR 0x6814, GDTR 0x6816, IDTR 0x6818 */
  VMCS_GUEST_GDTR_BASE = 0x6816,
  VMCS_GUEST_IDTR_BASE = 0x6818,
  VMCS_GUEST_DR7 = 0x681A,
  VMCS_GUEST_RSP = 0x681C,
  VMCS_GUEST_RIP = 0x681E,
  VMCS_GUEST_RFLAGS = 0x6820,
  VMCS_HOST_CR0 = 0x6C00,
  VMCS_HOST_CR3 = 0x6C02,
  VMCS_HOST_CR4 = 0x6C04,
  VMCS_HOST_FS_BASE = 0x6C06,
  VMCS_HOST_GS_BASE = 0x6C08,
  VMCS_HOST_TR_BASE = 0x6C0A,
  VMCS_HOST_GDTR_BASE = 0x6C0C,
  VMCS_HOST_IDTR_BASE = 0x6C0E,
  VMCS_HOST_RIP = 0x6C16,
};

/* Capability MSRs (SDM 3C Appendix A). */
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROCBASED2 0x48B
#define MSR_VMX_EPT_VPID_CAP 0x48C
#define MSR_VMX_TRUE_PINBASED 0x48D
#define MSR_VMX_TRUE_PROCBASED 0x48E
#define MSR_VMX_TRUE_EXIT 0x48F
#define MSR_VMX_TRUE_ENTRY 0x490

/* Controls (SDM 3C 25.6, 25.7, 25.8). */
#define PIN_EXTINT_EXIT (1u << 0)
#define PIN_NMI_EXIT (1u << 3)
#define PIN_PREEMPT_TIMER (1u << 6)
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_TSC_OFFSET (1u << 3)
#define PROC_HLT_EXIT (1u << 7)
#define PROC_UNCOND_IO (1u << 24)
#define PROC_IO_BITMAPS (1u << 25)
#define PROC_MSR_BITMAP (1u << 28)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_ACK_INTR (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Basic exit reasons (SDM 3C Appendix C). */
enum {
  VMX_EXIT_EXCEPTION = 0,
  VMX_EXIT_EXTINT = 1,
  VMX_EXIT_TRIPLE_FAULT = 2,
  VMX_EXIT_INIT = 3,
  VMX_EXIT_INTR_WINDOW = 7,
  VMX_EXIT_CPUID = 10,
  VMX_EXIT_HLT = 12,
  VMX_EXIT_CR_ACCESS = 28,
  VMX_EXIT_VMCALL = 18,
  VMX_EXIT_IO = 30,
  VMX_EXIT_RDMSR = 31,
  VMX_EXIT_WRMSR = 32,
  VMX_EXIT_BAD_GUEST = 33,
  VMX_EXIT_EPT_VIOLATION = 48,
  VMX_EXIT_EPT_MISCONFIG = 49,
  VMX_EXIT_PREEMPT = 52,
};

/* Platform pages (static: they belong to the machine, one per LP). */
static uint8_t vmx_vmxon_region[HV_X86_MAX_LPS][4096] __attribute__((aligned(4096)));
/* The root partition's I/O bitmaps A and B (ports 0-7FFF, 8000-FFFF; SDM
 * 3C 25.6.4): every port exits but those of the machine's devices the
 * root owns (platform_root_io_grant). Children exit on every port. */
static uint8_t vmx_root_io_bitmap[8192] __attribute__((aligned(4096)));
static uint8_t vmx_msr_bitmap[4096] __attribute__((aligned(4096)));

static inline bool vmx_vmwrite(uint64_t field, uint64_t value) {
  bool fail;
  __asm__ volatile("vmwrite %2, %1" : "=@ccbe"(fail) : "r"(field), "rm"(value) : "memory");
  return !fail;
}
static inline uint64_t vmx_vmread(uint64_t field) {
  uint64_t v = 0;
  __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
  return v;
}

int vmx_enter(uint64_t *gpr, int launched);
extern char vmx_exit[];

#define VMX_PA_INSN(name, mnemonic)                                            \
  static inline bool name(uint64_t pa) {                                       \
    bool fail;                                                                 \
    __asm__ volatile(mnemonic " %1" : "=@ccbe"(fail) : "m"(pa) : "memory"); \
    return !fail;                                                              \
  }
VMX_PA_INSN(vmx_vmxon, "vmxon")
VMX_PA_INSN(vmx_vmclear, "vmclear")
VMX_PA_INSN(vmx_vmptrld, "vmptrld")

/* INVEPT / INVVPID, single context (SDM 3C 31.3). */
static void vmx_invept(uint64_t eptp) {
  struct { uint64_t eptp, rsvd; } d = {eptp, 0};
  __asm__ volatile("invept %0, %1" ::"m"(d), "r"(1ull) : "memory", "cc");
}
static void vmx_invvpid(uint16_t vpid) {
  struct { uint64_t vpid, gla; } d = {vpid, 0};
  __asm__ volatile("invvpid %0, %1" ::"m"(d), "r"(1ull) : "memory", "cc");
}

/* Controls: a bit set in the low half of the capability MSR must be 1, a
 * bit clear in the high half must be 0 (SDM 3C A.3). */
static int vmx_adjust(uint32_t msr, uint32_t want, uint32_t need, const char *what,
                      uint64_t *out) {
  uint64_t cap = x86_rdmsr(msr);
  uint32_t v = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
  if ((v & need) != need) {
    console_printf("hvsim: VT-x lacks %s controls 0x%x (allowed 0x%x)\n", what, need,
                   (uint32_t)(cap >> 32));
    return -1;
  }
  *out = v;
  return 0;
}

/* Let the guest read and write msr directly (bitmap layout: read low,
 * read high, write low, write high, 1 KiB each; SDM 3C 25.6.9). */
static void vmx_msr_pass(uint32_t msr) {
  uint32_t bit = msr & 0x1FFF, high = msr >= 0xC0000000u ? 1024 : 0;
  vmx_msr_bitmap[high + bit / 8] &= (uint8_t)~(1u << (bit % 8));
  vmx_msr_bitmap[2048 + high + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

/* The syscall MSRs no VMCS field holds (KERNEL_GS_BASE, STAR, LSTAR,
 * CSTAR, SFMASK) belong to the VP that last ran here: swapped when
 * another VP enters. The hypervisor itself uses none of them. */
static const uint32_t vmx_syscall_msrs[5] = {MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK};

static void vmx_syscall_msrs_switch(struct hv *hv, struct arch_lp *cpu, struct arch_vp *a) {
  if (cpu->syscall_owner_pa == a->state_pa)
    return;
  for (uint32_t s = 0; s < HV_MAX_VPS && cpu->syscall_owner_pa; s++)
    if (hv->vps[s].in_use && hv->vps[s].arch.state_pa == cpu->syscall_owner_pa) {
      for (int i = 0; i < 5; i++)
        hv->vps[s].arch.syscall_msr[i] = x86_rdmsr(vmx_syscall_msrs[i]);
      break;
    }
  for (int i = 0; i < 5; i++)
    x86_wrmsr(vmx_syscall_msrs[i], a->syscall_msr[i]);
  cpu->syscall_owner_pa = a->state_pa;
}

static int vmx_caps(struct hv *hv) {
  uint64_t basic = x86_rdmsr(MSR_VMX_BASIC);
  bool true_ctls = (basic >> 55) & 1;
  struct arch_hv *a = &hv->arch;
  if (vmx_adjust(true_ctls ? MSR_VMX_TRUE_PINBASED : 0x481,
                 PIN_EXTINT_EXIT | PIN_NMI_EXIT | PIN_PREEMPT_TIMER,
                 PIN_EXTINT_EXIT | PIN_PREEMPT_TIMER, "pin-based", &a->ctl_pin) ||
      vmx_adjust(true_ctls ? MSR_VMX_TRUE_PROCBASED : 0x482,
                 PROC_HLT_EXIT | PROC_TSC_OFFSET | PROC_UNCOND_IO | PROC_MSR_BITMAP | PROC_SECONDARY,
                 PROC_HLT_EXIT | PROC_TSC_OFFSET | PROC_UNCOND_IO | PROC_MSR_BITMAP | PROC_SECONDARY,
                 "processor-based", &a->ctl_proc) ||
      vmx_adjust(true_ctls ? MSR_VMX_TRUE_PROCBASED : 0x482,
                 ((uint32_t)a->ctl_proc & ~PROC_UNCOND_IO) | PROC_IO_BITMAPS,
                 ((uint32_t)a->ctl_proc & ~PROC_UNCOND_IO) | PROC_IO_BITMAPS, "processor-based (root)",
                 &a->ctl_proc_root) ||
      vmx_adjust(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED,
                 PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED, "secondary", &a->ctl_proc2) ||
      vmx_adjust(true_ctls ? MSR_VMX_TRUE_EXIT : 0x483,
                 EXIT_HOST_64 | EXIT_ACK_INTR | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
                     EXIT_LOAD_PAT,
                 EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER, "VM-exit", &a->ctl_exit) ||
      vmx_adjust(true_ctls ? MSR_VMX_TRUE_ENTRY : 0x484, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT,
                 ENTRY_LOAD_EFER, "VM-entry", &a->ctl_entry))
    return -1;
  uint64_t ept = x86_rdmsr(MSR_VMX_EPT_VPID_CAP);
  if (!(ept & (1u << 6)) || !(ept & (1u << 14)) || !(ept & (1ull << 20))) {
    console_printf("hvsim: EPT lacks 4-level walks, WB tables or INVEPT (cap 0x%lx)\n", ept);
    return -1;
  }
  a->preempt_shift = (uint32_t)(x86_rdmsr(MSR_VMX_MISC) & 0x1F);
  return 0;
}

int backend_lp_init(struct hv *hv, struct hv_lp *lp) {
  uint32_t r[4];
  x86_cpuid(1, 0, r);
  if (!(r[2] & (1u << 5))) {
    console_printf("hvsim: this CPU has no VT-x (CPUID.1:ECX.VMX = 0)\n");
    return -1;
  }
  /* IA32_FEATURE_CONTROL: without a BIOS nobody locked it (SDM 3C 24.7). */
  uint64_t fc = x86_rdmsr(MSR_FEATURE_CONTROL);
  if (!(fc & 1))
    x86_wrmsr(MSR_FEATURE_CONTROL, fc | 0x5);
  else if (!(fc & 4)) {
    console_printf("hvsim: VMXON disabled by the firmware (IA32_FEATURE_CONTROL)\n");
    return -1;
  }
  if (lp->index == 0 && vmx_caps(hv) != 0)
    return -1;
  /* CR0/CR4 fixed bits in VMX operation (SDM 3C A.7, A.8). */
  uint64_t cr0 = (x86_read_cr0() | x86_rdmsr(MSR_VMX_CR0_FIXED0)) & x86_rdmsr(MSR_VMX_CR0_FIXED1);
  uint64_t cr4 = (x86_read_cr4() | CR4_VMXE | x86_rdmsr(MSR_VMX_CR4_FIXED0)) &
                 x86_rdmsr(MSR_VMX_CR4_FIXED1);
  x86_write_cr0(cr0);
  x86_write_cr4(cr4);
  uint8_t *region = vmx_vmxon_region[lp->index];
  *(uint32_t *)region = (uint32_t)(x86_rdmsr(MSR_VMX_BASIC) & 0x7FFFFFFF);
  lp->arch.region_pa = (uint64_t)(uintptr_t)region;
  if (!vmx_vmxon(lp->arch.region_pa)) {
    console_printf("hvsim: VMXON failed\n");
    return -1;
  }
  /* MSR bitmap: intercept every MSR but EFER, which VM entry and exit
   * switch, and the passthrough set (platform.h) (SDM 3C 25.6.9). */
  hv_memset(vmx_msr_bitmap, 0xFF, sizeof vmx_msr_bitmap);
  vmx_msr_pass(MSR_EFER);
  for (uint32_t i = 0; i < ARCH_PASSTHROUGH_MSRS; i++)
    vmx_msr_pass(arch_passthrough_msrs[i]);
  hv_memset(vmx_root_io_bitmap, 0xFF, sizeof vmx_root_io_bitmap);
  platform_root_io_grant(vmx_root_io_bitmap);
  console_printf("hvsim: VMXON on LP %u (VMCS revision 0x%x)\n", lp->index,
                 *(uint32_t *)region);
  return 0;
}

/* Write the host-state area: the state a VM exit returns to (SDM 3C 25.5). */
static void vmx_write_host(uint32_t lp) {
  struct cpu_tables t;
  cpu_tables_get(lp, &t);
  vmx_vmwrite(VMCS_HOST_CR0, x86_read_cr0());
  vmx_vmwrite(VMCS_HOST_CR3, x86_read_cr3());
  vmx_vmwrite(VMCS_HOST_CR4, x86_read_cr4());
  vmx_vmwrite(VMCS_HOST_ES_SEL + 0, GDT_DATA);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 2, GDT_CODE64);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 4, GDT_DATA);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 6, GDT_DATA);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 8, 0);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 10, 0);
  vmx_vmwrite(VMCS_HOST_ES_SEL + 12, t.tr);
  vmx_vmwrite(VMCS_HOST_FS_BASE, 0);
  vmx_vmwrite(VMCS_HOST_GS_BASE, 0);
  vmx_vmwrite(VMCS_HOST_TR_BASE, t.tss_base);
  vmx_vmwrite(VMCS_HOST_GDTR_BASE, t.gdt_base);
  vmx_vmwrite(VMCS_HOST_IDTR_BASE, t.idt_base);
  vmx_vmwrite(VMCS_HOST_SYSENTER_CS, 0);
  vmx_vmwrite(VMCS_HOST_EFER, x86_rdmsr(MSR_EFER));
  vmx_vmwrite(VMCS_HOST_PAT, x86_rdmsr(MSR_PAT));
  vmx_vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit);
}

/* Guest segment state (SDM 3C 26.3.1.2 lists the checks; access rights
 * in the format of SDM 3C Table 25-2): flat 32-bit protected mode for a
 * new VP (real = false), or real mode after a startup IPI with CS =
 * vector << 8 for the unrestricted guest (CS type 11, data type 3). LDTR
 * unusable, TR a busy TSS either way. */
static void vmx_write_guest_segments(bool real, uint8_t vector) {
  uint64_t limit = real ? 0xFFFF : 0xFFFFFFFF;
  for (int i = 0; i < 6; i++) {
    bool cs = i == 1;
    vmx_vmwrite(VMCS_GUEST_ES_SEL + 2 * i, real ? (cs ? (uint64_t)vector << 8 : 0) : (cs ? 0x08 : 0x10));
    vmx_vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, limit);
    vmx_vmwrite(VMCS_GUEST_ES_AR + 2 * i, (cs ? 0x9B : 0x93) | (real ? 0 : 0xC000));
    vmx_vmwrite(VMCS_GUEST_ES_BASE + 2 * i, real && cs ? (uint64_t)vector << 12 : 0);
  }
  vmx_vmwrite(VMCS_GUEST_ES_SEL + 12, 0); /* LDTR: unusable */
  vmx_vmwrite(VMCS_GUEST_ES_LIMIT + 12, real ? 0xFFFF : 0);
  vmx_vmwrite(VMCS_GUEST_ES_AR + 12, 0x10000);
  vmx_vmwrite(VMCS_GUEST_ES_BASE + 12, 0);
  vmx_vmwrite(VMCS_GUEST_ES_SEL + 14, 0); /* TR: busy 32/64-bit TSS */
  vmx_vmwrite(VMCS_GUEST_ES_LIMIT + 14, real ? 0xFFFF : 0x67);
  vmx_vmwrite(VMCS_GUEST_ES_AR + 14, 0x8B);
  vmx_vmwrite(VMCS_GUEST_ES_BASE + 14, 0);
  vmx_vmwrite(VMCS_GUEST_GDTR_LIMIT, real ? 0xFFFF : 0);
  vmx_vmwrite(VMCS_GUEST_GDTR_BASE, 0);
  vmx_vmwrite(VMCS_GUEST_IDTR_LIMIT, real ? 0xFFFF : 0);
  vmx_vmwrite(VMCS_GUEST_IDTR_BASE, 0);
  vmx_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
  vmx_vmwrite(VMCS_GUEST_ACTIVITY, 0);
}

hv_status_t arch_vp_init(struct hv *hv, struct hv_partition *p, struct hv_vp *vp, spa_t page) {
  struct arch_vp *a = &vp->arch;
  arch_vp_reset_regs(hv, p, vp);
  a->state_pa = page.v;
  a->launched = false;
  uint32_t *vmcs = arch_phys_page(hv, page, true);
  HV_CHECK(vmcs != 0);
  vmcs[0] = (uint32_t)(x86_rdmsr(MSR_VMX_BASIC) & 0x7FFFFFFF);
  HV_CHECK(vmx_vmclear(a->state_pa));
  HV_CHECK(vmx_vmptrld(a->state_pa));
  struct hv_lp *lp = &hv->lps[0]; /* the physical CPU (platform_cpu) */
  lp->arch.current_state_pa = a->state_pa;
  const struct arch_hv *h = &hv->arch;
  a->ctl_proc = p->id == HV_ROOT_PARTITION_ID ? h->ctl_proc_root : h->ctl_proc;
  vmx_vmwrite(VMCS_PIN_CTLS, h->ctl_pin);
  vmx_vmwrite(VMCS_PROC_CTLS, a->ctl_proc);
  vmx_vmwrite(VMCS_PROC_CTLS2, h->ctl_proc2);
  vmx_vmwrite(VMCS_EXIT_CTLS, h->ctl_exit);
  vmx_vmwrite(VMCS_ENTRY_CTLS, h->ctl_entry);
  vmx_vmwrite(VMCS_EXCEPTION_BITMAP, 0);
  vmx_vmwrite(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)vmx_msr_bitmap);
  vmx_vmwrite(VMCS_IO_BITMAP_A, (uint64_t)(uintptr_t)vmx_root_io_bitmap);
  vmx_vmwrite(VMCS_IO_BITMAP_B, (uint64_t)(uintptr_t)vmx_root_io_bitmap + 4096);
  vmx_vmwrite(VMCS_VPID, a->tag);
  /* CR4.VMXE must stay 1 while the guest runs (CR4_FIXED0); the guest
   * sees it as 0 through the read shadow (SDM 3C 25.6.6). */
  /* CR0.NE is fixed to 1 in VMX operation (SDM 3C A.7) but a guest may
   * clear it (Linux's PVH entry loads CR0 = PG|PE): the host owns NE, the
   * guest sees its own choice through the read shadow, and a write that
   * changes it exits (vmx_cr_access). */
  vmx_vmwrite(VMCS_CR0_MASK, CR0_NE);
  vmx_vmwrite(VMCS_CR4_MASK, CR4_VMXE);
  vmx_vmwrite(VMCS_CR4_SHADOW, 0);
  vmx_vmwrite(VMCS_LINK_POINTER, ~0ull);
  vmx_vmwrite(VMCS_GUEST_PAT, 0x0007040600070406ull);
  vmx_vmwrite(VMCS_GUEST_DR7, 0x400);
  vmx_vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
  vmx_write_guest_segments(false, 0);
  vmx_write_host(lp->index);
  return HV_STATUS_SUCCESS;
}

void arch_vp_destroy(struct hv *hv, struct hv_vp *vp) {
  platform_vp_gone(hv, vp);
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    if (hv->lps[i].arch.current_state_pa == vp->arch.state_pa)
      hv->lps[i].arch.current_state_pa = 0;
    if (hv->lps[i].arch.syscall_owner_pa == vp->arch.state_pa)
      hv->lps[i].arch.syscall_owner_pa = 0;
  }
  vmx_vmclear(vp->arch.state_pa);
  vmx_invvpid(vp->arch.tag);
}

void arch_slat_install(struct hv_vp *vp, spa_t root) { vp->arch.slat_root = root.v; }

/* EPTP: WB paging-structure memory type, 4-level walk (SDM 3C 25.6.11). */
static uint64_t vmx_eptp(uint64_t root) { return root | (3u << 3) | 6u; }

void arch_slat_flush(struct hv *hv, struct hv_partition *p) {
  hv->arch.slat_flushes++;
  if (p->slat_root.v)
    vmx_invept(vmx_eptp(p->slat_root.v));
}

void arch_hypercall_page_fill(uint8_t *page) {
  static const uint8_t seq[] = {0x0F, 0x01, 0xC1, 0xC3}; /* VMCALL; RET */
  hv_memset(page, 0xCC, HV_PAGE_SIZE);
  hv_memcpy(page, seq, sizeof seq);
}

/* Copy the register file into the VMCS (only what changed). */
static void vmx_sync_to_vmcs(struct hv *hv, struct hv_vp *vp) {
  struct arch_vp *a = &vp->arch;
  if (a->dirty & ARCH_VP_DIRTY_REAL)
    vmx_write_guest_segments(true, a->sipi_vector);
  vmx_vmwrite(VMCS_GUEST_RSP, a->gpr[4]);
  if (a->dirty & ARCH_VP_DIRTY_RIP) {
    vmx_vmwrite(VMCS_GUEST_RIP, a->rip);
    /* The core moved RIP past an instruction: an STI / MOV SS shadow no
     * longer applies (SDM 3C 25.4.2, interruptibility bits 0-1). */
    vmx_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmx_vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ull);
  }
  if (a->dirty & ARCH_VP_DIRTY_RFLAGS)
    vmx_vmwrite(VMCS_GUEST_RFLAGS, a->rflags);
  if (a->dirty & ARCH_VP_DIRTY_CR) {
    /* CR0.NE is fixed to 1 in VMX operation (SDM 3C A.7). */
    vmx_vmwrite(VMCS_GUEST_CR0, (a->cr0 | CR0_NE) & 0xFFFFFFFFull);
    vmx_vmwrite(VMCS_CR0_SHADOW, a->cr0 & 0xFFFFFFFFull);
    vmx_vmwrite(VMCS_GUEST_CR3, a->cr3);
    vmx_vmwrite(VMCS_GUEST_CR4, a->cr4 | CR4_VMXE);
    vmx_vmwrite(VMCS_CR4_SHADOW, a->cr4);
    vmx_vmwrite(VMCS_GUEST_EFER, a->efer);
  }
  /* "IA-32e mode guest" must equal EFER.LMA (SDM 3C 26.3.1.1); a VM exit
   * stores LMA into it (SDM 3C 28.2), the core may have changed EFER. */
  uint64_t entry = hv->arch.ctl_entry & ~(uint64_t)ENTRY_IA32E;
  if (a->efer & EFER_LMA)
    entry |= ENTRY_IA32E;
  vmx_vmwrite(VMCS_ENTRY_CTLS, entry);
  a->dirty = 0;
}

static void vmx_sync_from_vmcs(struct arch_vp *a) {
  a->rip = vmx_vmread(VMCS_GUEST_RIP);
  a->gpr[4] = vmx_vmread(VMCS_GUEST_RSP);
  a->rflags = vmx_vmread(VMCS_GUEST_RFLAGS);
  a->cr0 = (vmx_vmread(VMCS_GUEST_CR0) & ~(uint64_t)CR0_NE) | (vmx_vmread(VMCS_CR0_SHADOW) & CR0_NE);
  a->cr3 = vmx_vmread(VMCS_GUEST_CR3);
  a->cr4 = vmx_vmread(VMCS_GUEST_CR4) & ~(uint64_t)CR4_VMXE;
  a->efer = vmx_vmread(VMCS_GUEST_EFER);
  __asm__ volatile("mov %%cr2, %0" : "=r"(a->cr2));
}

/* Deliver a queued event at this entry if the guest can take it (SDM 3C
 * 26.6); an interrupt the guest blocks waits for an interrupt window. */
static void vmx_event_inject(struct hv *hv, struct arch_vp *a) {
  uint64_t proc = a->ctl_proc;
  if (a->inject) {
    bool is_intr = ((a->inject >> 8) & 7) == 0;
    bool blocked = is_intr && (!(a->rflags & (1u << 9)) ||
                               (vmx_vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3));
    if (blocked) {
      proc |= PROC_INTR_WINDOW;
    } else {
      vmx_vmwrite(VMCS_ENTRY_INTR_INFO, a->inject);
      if (a->inject & (1u << 11))
        vmx_vmwrite(VMCS_ENTRY_EXC_ERROR, a->inject_error);
      a->inject = 0;
    }
  }
  vmx_vmwrite(VMCS_PROC_CTLS, proc);
}

static void vmx_preempt_arm(struct hv *hv, struct hv_lp *lp, uint64_t deadline) {
  uint64_t now = arch_cycles(lp);
  uint64_t left = deadline > now ? (deadline - now) >> hv->arch.preempt_shift : 0;
  vmx_vmwrite(VMCS_PREEMPT_TIMER, left > 0xFFFFFFFFull ? 0xFFFFFFFFull : left);
}

/* MOV to CR0 that changes NE (the only host-owned bit, see arch_vp_init;
 * qualification: SDM 3C Table 28-3): the guest's value, with NE kept 1 in
 * the real CR0; turning paging on with EFER.LME enters IA-32e mode (SDM
 * 3A 9.8.5), which the next entry's controls follow. */
static void vmx_cr_access(struct hv *hv, struct hv_vp *vp, uint64_t qual, uint32_t len) {
  struct arch_vp *a = &vp->arch;
  uint32_t cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
  if (cr == 0 && type == 0) {
    uint64_t v = reg == 4 ? vmx_vmread(VMCS_GUEST_RSP) : a->gpr[reg];
    a->cr0 = v & 0xFFFFFFFFull;
    if ((a->cr0 & CR0_PG) && (a->efer & EFER_LME))
      a->efer |= EFER_LMA;
    else if (!(a->cr0 & CR0_PG))
      a->efer &= ~(uint64_t)EFER_LMA;
    a->dirty |= ARCH_VP_DIRTY_CR;
  }
  a->rip += len;
  a->dirty |= ARCH_VP_DIRTY_RIP;
  vmx_sync_to_vmcs(hv, vp);
  hv->arch.exits_internal++;
}

/* Translate one exit; returns false for exits handled here (re-enter). */
static bool vmx_translate(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t reason,
                          uint64_t deadline, struct hv_exit *ex) {
  struct arch_vp *a = &vp->arch;
  uint64_t qual = vmx_vmread(VMCS_EXIT_QUALIFICATION);
  ex->instr_len = (uint32_t)vmx_vmread(VMCS_EXIT_INSTR_LEN);
  switch (reason) {
  case VMX_EXIT_VMCALL:
    ex->reason = HV_EXIT_HYPERCALL;
    return true;
  case VMX_EXIT_RDMSR:
  case VMX_EXIT_WRMSR:
    ex->reason = reason == VMX_EXIT_RDMSR ? HV_EXIT_MSR_READ : HV_EXIT_MSR_WRITE;
    ex->u.msr.msr = (uint32_t)a->gpr[1];
    ex->u.msr.value = (a->gpr[2] << 32) | (a->gpr[0] & 0xFFFFFFFFull);
    return true;
  case VMX_EXIT_CPUID:
    ex->reason = HV_EXIT_CPUID;
    ex->u.cpuid.leaf = (uint32_t)a->gpr[0];
    ex->u.cpuid.subleaf = (uint32_t)a->gpr[1];
    return true;
  case VMX_EXIT_CR_ACCESS:
    vmx_cr_access(hv, vp, qual, ex->instr_len);
    return false;
  case VMX_EXIT_IO: /* qualification: SDM 3C Table 28-5 */
    if (platform_io_event(hv, &hv->lps[vp->on_lp == HV_NO_VP ? 0 : vp->on_lp],
                          vp, (uint16_t)(qual >> 16), (uint8_t)((qual & 7) + 1), !(qual & 8))) {
      a->rip += ex->instr_len;
      vmx_vmwrite(VMCS_GUEST_RIP, a->rip);
      hv->arch.exits_internal++;
      return false;
    }
    ex->reason = HV_EXIT_IO;
    ex->u.io.port = (uint16_t)(qual >> 16);
    ex->u.io.size = (uint8_t)((qual & 7) + 1);
    ex->u.io.write = !(qual & 8);
    ex->u.io.value = (uint32_t)a->gpr[0];
    return true;
  case VMX_EXIT_HLT:
    /* An interrupt the core already handed over (queued here, waiting for
     * an interrupt window) wakes the HLT at once, as on hardware: step
     * past it and deliver (SDM Vol. 2A, HLT: an enabled interrupt resumes execution). */
    if (a->inject && ((a->inject >> 8) & 7) == 0 && (a->rflags & (1u << 9))) {
      a->rip += ex->instr_len;
      vmx_vmwrite(VMCS_GUEST_RIP, a->rip);
      vmx_vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
                  vmx_vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ull);
      hv->arch.exits_internal++;
      return false;
    }
    ex->reason = HV_EXIT_HLT;
    return true;
  case VMX_EXIT_EPT_VIOLATION: /* qualification: SDM 3C Table 28-7 */
    ex->reason = HV_EXIT_GPA_VIOLATION;
    ex->u.mem.gpa = vmx_vmread(VMCS_GUEST_PHYS_ADDR);
    ex->u.mem.access = (uint32_t)(qual & 7);
    return true;
  case VMX_EXIT_PREEMPT:
    /* At the platform's world deadline, before the core's: a silent stop. */
    ex->reason = arch_cycles(lp) >= deadline ? HV_EXIT_PREEMPT : HV_EXIT_NONE;
    return true;
  case VMX_EXIT_EXTINT:
    ex->reason = HV_EXIT_INTERRUPT;
    return true;
  case VMX_EXIT_TRIPLE_FAULT:
  case VMX_EXIT_INIT:
    ex->reason = HV_EXIT_SHUTDOWN;
    return true;
  case VMX_EXIT_INTR_WINDOW:
    hv->arch.exits_internal++;
    return false;
  case VMX_EXIT_EXCEPTION:
    ex->reason = HV_EXIT_EXCEPTION;
    ex->u.exc.vector = (uint8_t)vmx_vmread(VMCS_EXIT_INTR_INFO);
    return true;
  case VMX_EXIT_EPT_MISCONFIG:
    console_printf("hvsim: EPT misconfiguration at GPA 0x%lx\n",
                   vmx_vmread(VMCS_GUEST_PHYS_ADDR));
    arch_panic(__FILE__, __LINE__, "EPT misconfiguration: the core built a bad SLAT entry");
  default:
    /* Any other instruction the guest may not execute here (VMX
     * instructions, INVD, XSETBV, ...): #UD, as on a CPU without it. */
    ex->reason = HV_EXIT_EXCEPTION;
    ex->u.exc.vector = 6;
    return true;
  }
}

void arch_vp_run(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t deadline,
                 struct hv_exit *ex) {
  struct arch_vp *a = &vp->arch;
  hv_memset(ex, 0, sizeof *ex);
  struct arch_lp *cpu = platform_cpu(hv);
  if (cpu->current_state_pa != a->state_pa) {
    HV_CHECK(vmx_vmptrld(a->state_pa));
    cpu->current_state_pa = a->state_pa;
  }
  vmx_vmwrite(VMCS_EPTP, vmx_eptp(a->slat_root));
  /* The guest's TSC is the core's clock (TSC - tsc_origin), as in the
   * simulator: what the reference TSC page's offset assumes (msr.c). */
  vmx_vmwrite(VMCS_TSC_OFFSET, (uint64_t)0 - lp->arch.tsc_origin);
  vmx_syscall_msrs_switch(hv, cpu, a);
  vmx_sync_to_vmcs(hv, vp);
  if (a->flush_tlb) {
    vmx_invvpid(a->tag);
    a->flush_tlb = false;
  }
  for (;;) {
    vmx_event_inject(hv, a);
    vmx_preempt_arm(hv, lp, deadline < hv->arch.world_deadline ? deadline : hv->arch.world_deadline);
    hv->arch.entries++;
    uint64_t t0 = x86_rdtsc();
    if (!hv->arch.first_entry_tsc)
      hv->arch.first_entry_tsc = t0;
    platform_entry_account(hv, lp, vp, t0);
    if (vmx_enter(a->gpr, a->launched) != 0) {
      console_printf("hvsim: VM entry failed, instruction error %lu\n",
                     vmx_vmread(VMCS_INSTR_ERROR));
      arch_panic(__FILE__, __LINE__, "VMLAUNCH/VMRESUME failed");
    }
    a->exit_tsc = x86_rdtsc();
    ex->guest_cycles += a->exit_tsc - t0;
    a->launched = true;
    vmx_sync_from_vmcs(a);
    uint32_t reason = (uint32_t)vmx_vmread(VMCS_EXIT_REASON);
    /* An exit during event delivery leaves the event in the IDT-vectoring
     * information: deliver it again at the next entry (SDM 3C 28.2.4). */
    uint32_t vectoring = (uint32_t)vmx_vmread(VMCS_IDT_VECTORING_INFO);
    if (vectoring & (1u << 31)) {
      a->inject = vectoring & 0x80000FFFu;
      a->inject_error = (uint32_t)vmx_vmread(VMCS_IDT_VECTORING_ERROR);
    }
    if (reason & (1u << 31)) { /* VM-entry failure (SDM 3C 27.8) */
      console_printf("hvsim: VM entry failed: reason %u, qualification %lu, rip 0x%lx\n",
                     reason & 0xFFFF, vmx_vmread(VMCS_EXIT_QUALIFICATION), a->rip);
      ex->reason = HV_EXIT_SHUTDOWN;
      return;
    }
    if (vmx_translate(hv, lp, vp, reason & 0xFFFF, deadline, ex)) {
      a->exit_was_hypercall = ex->reason == HV_EXIT_HYPERCALL;
      return;
    }
  }
}

void backend_report(struct hv *hv) {
  console_printf("@F backend=vmx first_entry_tsc=%lu entries=%lu internal_exits=%lu "
                 "slat_flushes=%lu guest_events=%lu hypercall_exits=%lu hypercall_hv_cycles=%lu\n",
                 hv->arch.first_entry_tsc, hv->arch.entries, hv->arch.exits_internal,
                 hv->arch.slat_flushes, hv->arch.events, hv->arch.hc_exits, hv->arch.hc_hv_cycles);
}
