/*
 * arch_sim.c — the model simulator's CPU backend: hv/arch/arch.h for
 * level 1. A VP is a coroutine (guest_sim.c); entering it is a coroutine
 * switch, its exits come back as struct hv_exit; registers live in
 * struct arch_vp; the LP's clock is virtual cycles, advanced by the cost
 * table. The simulator is a real backend: every file of hv/core runs on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvsim/root_boot.h"
#include "sim.h"

#define SIM_STACK_SIZE (1u << 20)

static struct sim *arch_sim(struct hv *hv) { return hv->arch.sim; }

hv_status_t arch_vp_init(struct hv *hv, struct hv_partition *p, struct hv_vp *vp, spa_t state_page) {
  (void)state_page;
  struct sim *s = arch_sim(hv);
  struct sim_vcpu *v = sim_alloc(s, sizeof *v);
  if (!v)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  v->sim = s;
  v->vp = vp;
  if ((s->arena ? coro_init_in(&v->coro, s->arena, SIM_STACK_SIZE, sim_vcpu_main, v)
                : coro_init(&v->coro, SIM_STACK_SIZE, sim_vcpu_main, v)) != 0) {
    sim_free(s, v);
    return HV_STATUS_INSUFFICIENT_MEMORY;
  }
  memset(&vp->arch, 0, sizeof vp->arch);
  vp->arch.vcpu = v;
  vp->arch.rflags = 0x2;
  vp->arch.cr0 = 0x10; /* ET; paging and protection off: GPAs are addresses */
  if (p == &hv->partitions[0])
    vp->arch.rip = GUEST_ENTRY_RIP; /* the loader sets RSI once the boot block exists */
  sim_vcpu_tlb_flush(v);
  return HV_STATUS_SUCCESS;
}

void arch_vp_destroy(struct hv *hv, struct hv_vp *vp) {
  struct sim *s = arch_sim(hv);
  struct sim_vcpu *v = vp->arch.vcpu;
  if (s->ngone == s->capgone) {
    uint32_t cap = s->capgone ? s->capgone * 2 : 64;
    struct sim_vp_stats_row *n = sim_realloc(s, s->gone, cap * sizeof *n);
    if (n) {
      s->gone = n;
      s->capgone = cap;
    }
  }
  if (s->ngone < s->capgone)
    s->gone[s->ngone++] = (struct sim_vp_stats_row){(uint16_t)hv->partitions[vp->partition].id,
                                                    vp->index, vp->stats};
  if (v) {
    coro_destroy(&v->coro);
    sim_free(s, v);
  }
  vp->arch.vcpu = 0;
}

void arch_vp_run(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t deadline, struct hv_exit *exit) {
  struct sim *s = arch_sim(hv);
  struct sim_vcpu *v = vp->arch.vcpu;
  v->lp = lp;
  v->core_deadline = deadline;
  v->deadline = deadline < s->boundary ? deadline : s->boundary;
  if (v->entered_by_exit || lp->arch.clock == 0)
    lp->arch.clock += s->costs.vm_entry;
  if (lp->arch.clock >= v->deadline) {
    memset(exit, 0, sizeof *exit);
    exit->reason = lp->arch.clock >= deadline ? HV_EXIT_PREEMPT : HV_EXIT_NONE;
    v->entered_by_exit = exit->reason != HV_EXIT_NONE;
    if (v->entered_by_exit)
      lp->arch.clock += s->costs.vm_exit;
    return;
  }
  v->entry_clock = lp->arch.clock;
  s->current = v;
  coro_switch(&s->host, &v->coro);
  s->current = 0;
  *exit = v->exit;
  v->entered_by_exit = exit->reason != HV_EXIT_NONE;
  if (v->entered_by_exit)
    lp->arch.clock += s->costs.vm_exit;
}

static uint64_t *arch_reg(struct hv_vp *vp, uint32_t name) {
  if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15)
    return &vp->arch.gpr[name - HV_X64_REGISTER_RAX];
  switch (name) {
  case HV_X64_REGISTER_RIP: return &vp->arch.rip;
  case HV_X64_REGISTER_RFLAGS: return &vp->arch.rflags;
  case HV_X64_REGISTER_CR0: return &vp->arch.cr0;
  case HV_X64_REGISTER_CR2: return &vp->arch.cr2;
  case HV_X64_REGISTER_CR3: return &vp->arch.cr3;
  case HV_X64_REGISTER_CR4: return &vp->arch.cr4;
  case HV_X64_REGISTER_CR8: return &vp->arch.cr8;
  case HV_X64_REGISTER_EFER: return &vp->arch.efer;
  default: return 0;
  }
}

bool arch_vp_reg_get(struct hv_vp *vp, uint32_t name, uint64_t *value) {
  uint64_t *r = arch_reg(vp, name);
  if (!r)
    return false;
  *value = *r;
  return true;
}

bool arch_vp_reg_set(struct hv_vp *vp, uint32_t name, uint64_t value) {
  uint64_t *r = arch_reg(vp, name);
  if (!r)
    return false;
  *r = value;
  return true;
}

void arch_vp_inject_exception(struct hv_vp *vp, uint8_t vector, bool has_error, uint32_t error) {
  (void)has_error;
  (void)error;
  vp->arch.vcpu->exc_pending = true;
  vp->arch.vcpu->exc_vector = vector;
}

/* The simulator's VPs run our programs as coroutines, not x86 code: a
 * startup IPI has no real mode to enter. Level 1 refuses kernels, and our
 * programs send no INIT/SIPI; nothing to do. */
void arch_vp_start_real(struct hv_vp *vp, uint8_t vector) {
  (void)vp;
  (void)vector;
}

bool arch_vp_inject_interrupt(struct hv_vp *vp, uint8_t vector) {
  vp->arch.vcpu->irq_taken[vector >> 6] |= 1ull << (vector & 63);
  return true;
}

/* The simulated CPU takes an injected vector at once: nothing is held. */
bool arch_vp_interrupt_held(const struct hv_vp *vp) {
  (void)vp;
  return false;
}

void arch_slat_install(struct hv_vp *vp, spa_t root) {
  vp->arch.slat_root = root.v;
  sim_vcpu_tlb_flush(vp->arch.vcpu);
}

void arch_slat_flush(struct hv *hv, struct hv_partition *p) {
  for (unsigned i = 0; i < HV_MAX_VPS_PER_PARTITION; i++) {
    if (p->vps[i] == HV_NO_VP)
      continue;
    struct hv_vp *vp = &hv->vps[p->vps[i]];
    vp->arch.slat_root = p->slat_root.v;
    sim_vcpu_tlb_flush(vp->arch.vcpu);
  }
}

void arch_iommu_install(struct hv *hv, spa_t root_table, spa_t irt) {
  sim_iommu_install(arch_sim(hv), root_table.v, irt.v);
}

void arch_iommu_flush(struct hv *hv, enum arch_iommu_flush what, uint16_t did, uint16_t rid,
                      uint64_t iova_pfn) {
  sim_iommu_flush(arch_sim(hv), what, did, rid, iova_pfn);
}

void *arch_phys_page(struct hv *hv, spa_t a, bool write) {
  struct sim *s = arch_sim(hv);
  if (a.v >= s->mem_bytes)
    return 0;
  if (write && s->dirty)
    s->dirty[a.v >> 12] = 1;
  return s->mem + (a.v & ~HV_PAGE_MASK);
}

void arch_hypercall_page_fill(uint8_t *page) {
  static const uint8_t vmcall_ret[4] = {0x0F, 0x01, 0xC1, 0xC3}; /* Intel: VMCALL; RET */
  memset(page, 0, HV_PAGE_SIZE);
  memcpy(page, vmcall_ret, sizeof vmcall_ret);
}

uint64_t arch_cycles(struct hv_lp *lp) { return lp->arch.clock; }

void arch_charge(struct hv_lp *lp, enum hv_cost c, uint64_t n) {
  if (lp->arch.costs)
    lp->arch.clock += lp->arch.costs[c] * n;
}

/* The oracle is charged nothing: no clock to stop. */
void arch_clock_pause(struct hv *hv) {}
void arch_clock_resume(struct hv *hv) {}

void arch_lp_kick(struct hv *hv, struct hv_lp *from, struct hv_lp *lp) {
  struct sim *s = arch_sim(hv);
  uint64_t t = from ? from->arch.clock : s->now;
  sim_lp_wake(s, lp->index, t);
}

void arch_lp_timer(struct hv *hv, struct hv_lp *lp, uint64_t deadline) {
  arch_sim(hv)->lp_timer[lp->index] = deadline;
}

void arch_trace(struct hv *hv, const struct hv_trace_rec *rec) {
  struct sim *s = arch_sim(hv);
  if (s->trace_fn)
    s->trace_fn(s->trace_ctx, rec);
}

_Noreturn void arch_panic(const char *file, int line, const char *msg) {
  fprintf(stderr, "hvsim: hypervisor check failed at %s:%d: %s\n", file, line, msg);
  fflush(stderr);
  abort();
}
