/*
 * arch_common.c — the parts of hv/arch/arch.h that do not depend on the
 * vendor: the direct map, time, LP wake-up and timers, tracing, panics, and
 * the register file kept in struct arch_vp (see arch_types.h).
 */
#include "hvsim/bare_cfg.h"
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
  uint64_t t = x86_rdtsc();
  return (lp->arch.tsc_origin && t > lp->arch.tsc_origin) ? t - lp->arch.tsc_origin : 0;
}

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

/* One LP: the caller is the LP itself, which looks at the run queue again
 * when it leaves hv_lp_step(); an IPI is needed only with several LPs. */
void arch_lp_kick(struct hv *hv, struct hv_lp *from, struct hv_lp *lp) {}

void arch_lp_timer(struct hv *hv, struct hv_lp *lp, uint64_t deadline) {
  lp->arch.timer_deadline = deadline;
}

void arch_trace(struct hv *hv, const struct hv_trace_rec *rec) { platform_trace(rec); }

_Noreturn void arch_panic(const char *file, int line, const char *msg) {
  console_printf("hvsim: PANIC %s:%d: %s\n", file, line, msg);
  platform_halt(3);
}

bool platform_io_event(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint16_t port,
                       uint8_t size, bool write) {
  if (port != BARE_EVENT_PORT || !write)
    return false;
  const uint64_t *r = vp->arch.gpr;
  if (size == 1) {
    console_putc((char)r[0]); /* guest console output (debugging) */
    return true;
  }
  if (size != 4 || ((uint32_t)r[0] & 0xFFFF0000u) != BARE_EVENT_TAG)
    return false;
  hv->arch.events++;
  hv_trace(hv, lp, (uint16_t)hv->partitions[vp->partition].id, (uint16_t)vp->index,
           (uint16_t)r[0], r[6], r[7], r[8]);
  return true;
}

/* ---- per-VP statistics for the report ----------------------------------- */
/* VPs deleted during the run keep their counters here (the simulator keeps
 * a list of them too); platform_stats_print() prints them with the live
 * ones as "@S" lines for the runner's summary and fairness checks. */
#define PLATFORM_GONE_MAX 1024
struct platform_gone {
  uint64_t pid;
  uint32_t vp;
  struct hv_vp_stats stats;
};
static struct platform_gone platform_gone[PLATFORM_GONE_MAX];
static uint32_t platform_ngone;

void platform_vp_gone(struct hv *hv, const struct hv_vp *vp) {
  if (platform_ngone == PLATFORM_GONE_MAX)
    return;
  struct platform_gone *g = &platform_gone[platform_ngone++];
  g->pid = hv->partitions[vp->partition].id;
  g->vp = vp->index;
  g->stats = vp->stats;
}

static void platform_stats_line(uint64_t pid, uint32_t vp, const struct hv_vp_stats *s) {
  console_printf("@S pid=%lu vp=%u guest=%lu hv=%lu exit=%lu exits=%lu hypercalls=%lu "
                 "dispatches=%lu\n",
                 pid, vp, s->guest_cycles, s->hv_cycles, s->exit_cycles, s->exits, s->hypercalls,
                 s->dispatches);
}

void platform_stats_print(struct hv *hv) {
  for (uint32_t i = 0; i < platform_ngone; i++)
    platform_stats_line(platform_gone[i].pid, platform_gone[i].vp, &platform_gone[i].stats);
  for (uint32_t i = 0; i < HV_MAX_VPS; i++)
    if (hv->vps[i].in_use)
      platform_stats_line(hv->partitions[hv->vps[i].partition].id, hv->vps[i].index,
                          &hv->vps[i].stats);
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

void arch_vp_inject_exception(struct hv_vp *vp, uint8_t vector, bool has_error, uint32_t error) {
  /* Interruption-information format (SDM 3C 24.8.3): vector, type 3 =
   * hardware exception, bit 11 deliver error code, bit 31 valid. svm.c
   * converts it to EVENTINJ (APM Vol. 2 15.20). */
  vp->arch.inject = vector | (3u << 8) | (has_error ? 1u << 11 : 0) | (1u << 31);
  vp->arch.inject_error = error;
}

void arch_vp_inject_interrupt(struct hv_vp *vp, uint8_t vector) {
  if (vp->arch.inject) /* an exception is delivered first; the core re-posts */
    return;
  vp->arch.inject = vector | (0u << 8) | (1u << 31);
  vp->arch.inject_error = 0;
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
