/*
 * arch_types.h (sim) — backend state embedded in the core's objects when
 * the core is built for the model simulator (level 1). The functions of
 * hv/arch/arch.h for this backend are in sim/machine/arch_sim.c. Freestanding.
 */
#ifndef HV_ARCH_SIM_TYPES_H
#define HV_ARCH_SIM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct sim;      /* the simulated machine (sim/machine/sim.h) */
struct sim_vcpu; /* a VP's guest context: coroutine, pending events */

struct arch_hv {
  struct sim *sim;
};

struct arch_lp {
  uint64_t clock;          /* virtual cycles */
  const uint64_t *costs;   /* cycles per enum hv_cost (sim/machine/cost.c) */
};

struct arch_vp {
  uint64_t gpr[16]; /* RAX..R15 in HV_X64_REGISTER_RAX order */
  uint64_t rip, rflags;
  uint64_t cr0, cr2, cr3, cr4, cr8, efer;
  uint64_t slat_root; /* spa of the PML4 */
  struct sim_vcpu *vcpu;
};

#endif /* HV_ARCH_SIM_TYPES_H */
