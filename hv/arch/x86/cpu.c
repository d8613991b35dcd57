/*
 * cpu.c — descriptor tables of the bare-metal platform (Intel SDM Vol. 3A
 * chapter 3 for the GDT, 7.2.3 for the 64-bit TSS descriptor, 6.14.1 for
 * 64-bit IDT gates) and the hypervisor's trap handler.
 *
 * Platform state (descriptor tables, stacks) is static here: it describes
 * the machine, not a hypervisor instance, and is set once per LP at boot.
 */
#include "cpu.h"

#include "console.h"
#include "platform.h"

struct cpu_tss {
  uint32_t rsvd0;
  uint64_t rsp[3];
  uint64_t rsvd1;
  uint64_t ist[7];
  uint64_t rsvd2;
  uint16_t rsvd3;
  uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct cpu_tss) == 104, "64-bit TSS is 104 bytes (SDM 3A 8.7)");

struct cpu_gate {
  uint16_t off0, sel;
  uint8_t ist, type;
  uint16_t off1;
  uint32_t off2, rsvd;
};
_Static_assert(sizeof(struct cpu_gate) == 16, "64-bit IDT gate is 16 bytes");

extern uint64_t gdt_table[];
extern uint64_t gdt_table_end[];
extern const uint64_t isr_table[];

static struct cpu_tss cpu_tss[HV_X86_MAX_LPS] __attribute__((aligned(64)));
static struct cpu_gate cpu_idt[256] __attribute__((aligned(16)));
static uint8_t cpu_fault_stack[HV_X86_MAX_LPS][4096] __attribute__((aligned(16)));

static void cpu_gate_set(uint8_t vec, uint64_t handler) {
  struct cpu_gate *g = &cpu_idt[vec];
  g->off0 = (uint16_t)handler;
  g->sel = GDT_CODE64;
  g->ist = vec == 8 ? 1 : 0; /* #DF on its own stack */
  g->type = 0x8E;            /* present, DPL 0, 64-bit interrupt gate */
  g->off1 = (uint16_t)(handler >> 16);
  g->off2 = (uint32_t)(handler >> 32);
  g->rsvd = 0;
}

static void cpu_idt_build(void) {
  for (unsigned v = 0; v < 256; v++)
    cpu_gate_set((uint8_t)v, isr_table[33]); /* unexpected: reported as 255 */
  for (unsigned v = 0; v <= 32; v++)
    cpu_gate_set((uint8_t)v, isr_table[v]);
}

void cpu_init_lp(uint32_t lp) {
  if (lp == 0)
    cpu_idt_build();
  struct cpu_tss *t = &cpu_tss[lp];
  t->ist[0] = (uint64_t)(uintptr_t)&cpu_fault_stack[lp][4096];
  t->iomap_base = sizeof *t;
  uint64_t base = (uint64_t)(uintptr_t)t, limit = sizeof *t - 1;
  uint64_t *d = &gdt_table[GDT_TSS / 8 + 2 * lp];
  d[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
         (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  d[1] = base >> 32;
  struct x86_dtr gdtr = {(uint16_t)((uintptr_t)gdt_table_end - (uintptr_t)gdt_table - 1),
                         (uint64_t)(uintptr_t)gdt_table};
  struct x86_dtr idtr = {sizeof cpu_idt - 1, (uint64_t)(uintptr_t)cpu_idt};
  uint16_t tr = (uint16_t)(GDT_TSS + 16 * lp);
  __asm__ volatile("lgdt %0" ::"m"(gdtr));
  __asm__ volatile("lidt %0" ::"m"(idtr));
  __asm__ volatile("ltr %0" ::"r"(tr));
}

void cpu_tables_get(uint32_t lp, struct cpu_tables *t) {
  t->gdt_base = (uint64_t)(uintptr_t)gdt_table;
  t->idt_base = (uint64_t)(uintptr_t)cpu_idt;
  t->tss_base = (uint64_t)(uintptr_t)&cpu_tss[lp];
  t->tr = (uint16_t)(GDT_TSS + 16 * lp);
}

#define APIC_BASE 0xFEE00000ull
#define APIC_EOI 0xB0
#define APIC_SVR 0xF0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV 0x3E0

static inline void cpu_apic_write(uint32_t reg, uint32_t v) {
  *(volatile uint32_t *)(uintptr_t)(APIC_BASE + reg) = v;
}

void cpu_apic_init(void) {
  x86_wrmsr(0x1B, (x86_rdmsr(0x1B) & 0xFFF) | APIC_BASE | (1u << 11)); /* IA32_APIC_BASE.EN */
  cpu_apic_write(APIC_SVR, (1u << 8) | X86_VEC_SPURIOUS);
  cpu_apic_write(APIC_TIMER_DIV, 0xB); /* divide by 1 */
  cpu_apic_write(APIC_LVT_TIMER, X86_VEC_TIMER); /* one-shot, unmasked */
  cpu_apic_write(APIC_TIMER_INIT, 0);
}

void cpu_apic_oneshot(uint64_t ticks) {
  cpu_apic_write(APIC_TIMER_INIT, ticks > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)ticks);
}

void cpu_take_interrupts(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }

void cpu_trap(struct cpu_frame *f) {
  if (f->vector == X86_VEC_TIMER) {
    cpu_apic_write(APIC_EOI, 0);
    return;
  }
  if (f->vector == X86_VEC_SPURIOUS) /* no EOI for spurious (SDM 3A 11.9) */
    return;
  uint64_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  console_printf("hvsim: hypervisor exception vector=%lu error=0x%lx rip=0x%lx rsp=0x%lx "
                 "cr2=0x%lx rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx\n",
                 f->vector, f->error, f->rip, f->rsp, cr2, f->rax, f->rbx, f->rcx, f->rdx);
  platform_halt(3);
}
