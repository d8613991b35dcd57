/*
 * cpu.h — per-LP processor setup of the bare-metal platform: GDT with one
 * TSS per LP, the IDT, and the trap frame.
 */
#ifndef HV_X86_CPU_H
#define HV_X86_CPU_H

#include <stdint.h>

#include "x86.h"

#define X86_VEC_TIMER 32
#define X86_VEC_SPURIOUS 255

struct cpu_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

/* Load the GDT, this LP's TSS and the IDT. */
void cpu_init_lp(uint32_t lp);
/* The handler isr.S calls. */
void cpu_trap(struct cpu_frame *f);
/* The GDT, TSS and IDT of an LP, for the VMCS host-state area. */
struct cpu_tables {
  uint64_t gdt_base, idt_base, tss_base;
  uint16_t tr;
};
void cpu_tables_get(uint32_t lp, struct cpu_tables *t);

/* Local APIC (Intel SDM Vol. 3A 11.5.4, "APIC Timer"): software-enable it
 * with the spurious vector, one-shot timer at vector X86_VEC_TIMER divided
 * by 1. cpu_apic_oneshot(n) interrupts after n timer ticks (0 stops it). */
void cpu_apic_init(void);
void cpu_apic_oneshot(uint64_t ticks);
/* Let a pending interrupt be taken (sti; nop; cli) — the handler EOIs. */
void cpu_take_interrupts(void);

#endif /* HV_X86_CPU_H */
