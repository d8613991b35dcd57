/*
 * cost.c — the cycle-cost table of the model simulator (level 1).
 *
 * Every action charges one entry of this table to the clock of the LP it
 * runs on. The figures are of the order of a modern x86 server core at
 * 2 GHz (a VM exit + entry round trip of ~1,000 cycles, a hypercall
 * dispatch of a few hundred): good enough to compare configurations, not
 * to predict a real machine. Level 2 (Bochs) counts real instructions
 * instead. The README reproduces this table.
 */
#include "sim.h"

const struct sim_costs sim_default_costs = {
    .vm_entry = 400,
    .vm_exit = 600,
    .hv =
        {
            [HV_COST_HYPERCALL_BASE] = 300,
            [HV_COST_HYPERCALL_REP] = 40,
            [HV_COST_SLAT_UPDATE] = 25,
            [HV_COST_SCHED] = 1500,
            [HV_COST_MSR] = 150,
            [HV_COST_IRQ_DELIVERY] = 250,
            [HV_COST_EXIT_HANDLING] = 100,
            [HV_COST_PAGE_ZERO] = 500,
            [HV_COST_MSG_POST] = 400,
        },
    .guest_mem_per_8b = 1,
    .guest_tlb_miss = 60,
    .guest_instr = 20,
};
