/*
 * arch_common.c — the parts of hv/arch/arch.h that do not depend on the
 * vendor: the direct map, time, LP wake-up and timers, tracing, panics, and
 * the register file kept in struct arch_vp (see arch_types.h). What the
 * backend needs from the platform around it is in platform.h.
 */
#include "console.h"
#include "platform.h"
#include "x86.h"

extern const uint8_t __image_end[];

/* The direct map is the identity map of the first 4 GiB (entry.S). The
 * hypervisor image and the low megabyte are never handed to the core. */
void *arch_phys_page(struct hv *hv, spa_t a, bool write) {
  uint64_t top = (hv->boot.mem_base + hv->boot.mem_pages * HV_PAGE_SIZE);
  if (a.v < hv->boot.mem_base || a.v >= top || a.v >= (4ull << 30))
    return 0;
  return (void *)(uintptr_t)(a.v & ~HV_PAGE_MASK);
}

/* The core's clock: TSC cycles (= instructions on Bochs with sync=none)
 * since the hypervisor finished booting; 0 while it boots. */
uint64_t arch_cycles(struct hv_lp *lp) {
  if (lp->arch.held)
    return lp->arch.held_at;
  uint64_t t = x86_rdtsc();
  return lp->arch.clock_on ? t - lp->arch.tsc_origin : 0; /* modulo 2^64: the origin may lie ahead of the TSC */
}

/* The MSRs a guest reads and writes directly (no exit): FS/GS bases,
 * SYSCALL/SYSENTER targets and KERNEL_GS_BASE — state VM entry and exit
 * switch (VMCS guest fields, SVM VMLOAD/VMSAVE) or vmx.c swaps between
 * VPs. PAT is not among them: the CPU model has none (cpuid.c). */
const uint32_t arch_passthrough_msrs[ARCH_PASSTHROUGH_MSRS] = {
    MSR_FS_BASE, MSR_GS_BASE,      MSR_KERNEL_GS_BASE, MSR_STAR,         MSR_LSTAR,
    MSR_CSTAR,   MSR_SFMASK,       MSR_SYSENTER_CS,    MSR_SYSENTER_ESP, MSR_SYSENTER_EIP};

/* Figures: a child's hypercall exit-to-entry time, when the same VP is
 * entered again right after its hypercall exit on this LP (the root's
 * calls — deposits and maps of whole VMs — would drown the figure). */
void platform_entry_account(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t now) {
  uint16_t slot = vp_slot(hv, vp);
  struct arch_lp *cpu = platform_cpu(hv);
  if (vp->arch.exit_was_hypercall && cpu->last_vp == slot && vp->partition != 0) {
    hv->arch.hc_exits++;
    hv->arch.hc_hv_cycles += now - vp->arch.exit_tsc;
  }
  vp->arch.exit_was_hypercall = false;
  cpu->last_vp = slot;
}

/* Real time passes by itself on hardware and on Bochs: nothing to charge. */
void arch_charge(struct hv_lp *lp, enum hv_cost c, uint64_t n) {}

/* The core's clock is TSC - tsc_origin: moving every LP's origin forward
 * by the pause keeps it stopped (deadlines are on the clock: unmoved). */
void arch_clock_pause(struct hv *hv) { hv->arch.paused_tsc = x86_rdtsc(); }

void arch_clock_resume(struct hv *hv) {
  uint64_t d = x86_rdtsc() - hv->arch.paused_tsc;
  if (!hv->lps[0].arch.clock_on)
    return; /* still booting: the clock has not started */
  for (uint32_t i = 0; i < hv->boot.nlps; i++)
    hv->lps[i].arch.tsc_origin += d;
  hv->arch.paused_cycles += d;
}

/* The LPs are multiplexed on one CPU (platform/bare/main.c): a kicked LP
 * is unparked and its clock brought up to the kicker's, so the VP it
 * finds starts no earlier than it was made runnable. */
void arch_lp_kick(struct hv *hv, struct hv_lp *from, struct hv_lp *lp) {
  lp->arch.parked = false;
  if (from && from != lp) {
    uint64_t now = arch_cycles(from);
    if (lp->arch.clock < now)
      lp->arch.clock = now;
  }
}

void arch_lp_timer(struct hv *hv, struct hv_lp *lp, uint64_t deadline) {
  lp->arch.timer_deadline = deadline;
}

void arch_trace(struct hv *hv, const struct hv_trace_rec *rec) { platform_trace(rec); }

_Noreturn void arch_panic(const char *file, int line, const char *msg) {
  console_printf("hvsim: PANIC %s:%d: %s\n", file, line, msg);
  platform_halt(3); /* hvsim/debug_port.h: DEBUG_END_PANIC */
}

/* ---- register file ------------------------------------------------------ */
bool arch_vp_reg_get(struct hv_vp *vp, uint32_t name, uint64_t *value) {
  const struct arch_vp *a = &vp->arch;
  if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
    *value = a->gpr[name - HV_X64_REGISTER_RAX];
    return true;
  }
  switch (name) {
  case HV_X64_REGISTER_RIP: *value = a->rip; return true;
  case HV_X64_REGISTER_RFLAGS: *value = a->rflags; return true;
  case HV_X64_REGISTER_CR0: *value = a->cr0; return true;
  case HV_X64_REGISTER_CR2: *value = a->cr2; return true;
  case HV_X64_REGISTER_CR3: *value = a->cr3; return true;
  case HV_X64_REGISTER_CR4: *value = a->cr4; return true;
  case HV_X64_REGISTER_EFER: *value = a->efer; return true;
  default: return false;
  }
}

bool arch_vp_reg_set(struct hv_vp *vp, uint32_t name, uint64_t value) {
  struct arch_vp *a = &vp->arch;
  if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
    a->gpr[name - HV_X64_REGISTER_RAX] = value;
    if (name == HV_X64_REGISTER_RSP)
      a->dirty |= ARCH_VP_DIRTY_RSP;
    return true;
  }
  switch (name) {
  case HV_X64_REGISTER_RIP: a->rip = value; a->dirty |= ARCH_VP_DIRTY_RIP; return true;
  case HV_X64_REGISTER_RFLAGS:
    a->rflags = (value & ~0x8028ull) | 2; /* reserved bits: 1 fixed, 3/5/15 zero (SDM 3A 2.3) */
    a->dirty |= ARCH_VP_DIRTY_RFLAGS;
    return true;
  case HV_X64_REGISTER_CR0: a->cr0 = value; a->dirty |= ARCH_VP_DIRTY_CR; return true;
  case HV_X64_REGISTER_CR2: a->cr2 = value; return true;
  case HV_X64_REGISTER_CR3: a->cr3 = value; a->dirty |= ARCH_VP_DIRTY_CR; return true;
  case HV_X64_REGISTER_CR4: a->cr4 = value; a->dirty |= ARCH_VP_DIRTY_CR; return true;
  case HV_X64_REGISTER_EFER: a->efer = value; a->dirty |= ARCH_VP_DIRTY_CR; return true;
  default: return false;
  }
}

void arch_vp_start_real(struct hv_vp *vp, uint8_t vector) {
  struct arch_vp *a = &vp->arch;
  hv_memset(a->gpr, 0, sizeof a->gpr);
  a->gpr[HV_X64_REGISTER_RDX - HV_X64_REGISTER_RAX] = 0x6F1; /* the CPU model's signature (cpuid.c) */
  a->rip = 0;
  a->rflags = 2;
  a->cr0 = CR0_ET;
  a->cr2 = a->cr3 = a->cr4 = a->efer = 0;
  a->inject = 0;
  a->sipi_vector = vector;
  a->dirty = ARCH_VP_DIRTY_RIP | ARCH_VP_DIRTY_RSP | ARCH_VP_DIRTY_RFLAGS | ARCH_VP_DIRTY_CR | ARCH_VP_DIRTY_REAL;
  a->flush_tlb = true;
}

void arch_vp_inject_exception(struct hv_vp *vp, uint8_t vector, bool has_error, uint32_t error) {
  /* Interruption-information format (SDM 3C 24.8.3): vector, type 3 =
   * hardware exception, bit 11 deliver error code, bit 31 valid. svm.c
   * converts it to EVENTINJ (APM Vol. 2 15.20). */
  vp->arch.inject = vector | (3u << 8) | (has_error ? 1u << 11 : 0) | (1u << 31);
  vp->arch.inject_error = error;
}

bool arch_vp_inject_interrupt(struct hv_vp *vp, uint8_t vector) {
  if (vp->arch.inject) /* one event at a time: the vector stays in the IRR */
    return false;
  vp->arch.inject = vector | (0u << 8) | (1u << 31);
  vp->arch.inject_error = 0;
  return true;
}

bool arch_vp_interrupt_held(const struct hv_vp *vp) {
  return vp->arch.inject && ((vp->arch.inject >> 8) & 7) == 0;
}

/* Initial state shared by both vendors: flat 32-bit protected mode, paging
 * off, interrupts off — the state a multiboot loader leaves; the bare
 * runtime's crt0 turns on long mode itself. */
void arch_vp_reset_regs(struct hv *hv, struct hv_partition *p, struct hv_vp *vp) {
  struct arch_vp *a = &vp->arch;
  hv_memset(a->gpr, 0, sizeof a->gpr);
  a->rflags = 2;
  a->cr0 = CR0_PE | CR0_ET | CR0_NE;
  a->cr2 = a->cr3 = a->cr4 = 0;
  a->efer = 0;
  a->rip = 0;
  if (p == &hv->partitions[0]) {
    a->rip = hv->arch.root_entry;
    a->gpr[HV_X64_REGISTER_RSI - HV_X64_REGISTER_RAX] = hv->arch.root_boot_gpa;
  }
  a->dirty = ARCH_VP_DIRTY_RIP | ARCH_VP_DIRTY_RSP | ARCH_VP_DIRTY_RFLAGS | ARCH_VP_DIRTY_CR;
  a->inject = 0;
  a->tag = (uint16_t)(vp_slot(hv, vp) + 1);
  a->flush_tlb = true;
}
