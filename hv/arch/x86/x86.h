/*
 * x86.h — x86-64 architectural constants and instruction wrappers of the
 * bare-metal platform (control registers, MSRs, page-table bits, ports).
 * Numbers from the Intel SDM Vol. 3A (2.5 control registers, 4.5 paging,
 * 2.2.1 EFER) and the AMD APM Vol. 2. Usable from assembly (constants only).
 */
#ifndef HV_X86_X86_H
#define HV_X86_X86_H

#define HV_X86_MAX_LPS 8
#define BOOT_STACK_SIZE 16384
#define LP_STACK_SIZE 16384

/* GDT selectors (entry.S builds the table; cpu.c adds one TSS per LP). */
#define GDT_CODE32 0x08
#define GDT_DATA 0x10
#define GDT_CODE64 0x18
#define GDT_TSS 0x20 /* + 16 * lp */

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define CR4_VMXE (1 << 13)

#define MSR_EFER 0xC0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_LMA (1 << 10)
#define EFER_NXE (1 << 11)
#define EFER_SVME (1 << 12)

#define PTE_P (1 << 0)
#define PTE_W (1 << 1)
#define PTE_U (1 << 2)
#define PTE_PS (1 << 7)

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

#define MSR_FEATURE_CONTROL 0x3A
#define MSR_PAT 0x277
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

static inline uint64_t x86_rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void x86_wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t x86_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void x86_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void x86_outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t x86_inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
#define X86_CR_ACCESSORS(n)                                                    \
  static inline uint64_t x86_read_cr##n(void) {                                \
    uint64_t v;                                                                \
    __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                          \
    return v;                                                                  \
  }                                                                            \
  static inline void x86_write_cr##n(uint64_t v) {                             \
    __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                   \
  }
X86_CR_ACCESSORS(0)
X86_CR_ACCESSORS(3)
X86_CR_ACCESSORS(4)

struct x86_dtr {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

static inline void x86_sgdt(struct x86_dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void x86_sidt(struct x86_dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline uint16_t x86_str(void) {
  uint16_t v;
  __asm__ volatile("str %0" : "=r"(v));
  return v;
}
/* Bochs's magic breakpoint (xchg bx,bx): ends the run when the debugger
 * script says 'quit' next (bochsrc magic_break: enabled=1). */
static inline void x86_magic_break(void) { __asm__ volatile("xchg %%bx, %%bx" ::: "memory"); }
#endif /* __ASSEMBLER__ */
#endif /* HV_X86_X86_H */
