/*
 * bare.c — the "bare" guest runtime: models/guest/guest.h for levels 2
 * and 3, where guest programs run as real x86-64 code inside a partition.
 *
 * Hypercalls CALL the hypercall page the hypervisor filled (VMCALL; RET
 * on Intel, VMMCALL; RET on AMD — TLFS "Hypercall Interface"), MSRs are
 * RDMSR/WRMSR, HLT is HLT, interrupts arrive through this guest's IDT.
 * A #GP the hypervisor injects for an access it refused (an MSR the
 * partition may not touch, a GPA it does not own) is recovered through a
 * per-VP fixup address, so guest_rdmsr/guest_read & co. return false
 * instead of dying; any other exception is fatal for the partition: the
 * VP triple-faults and the hypervisor stops it.
 *
 * Per-VP state is found from the stack: each VP runs on its own stack
 * slot (crt0.S), and so does its interrupt handler.
 */
#include "models/guest/guest.h"
#include "hv/hvgdk.h"
#include "hvsim/trace.h"
#include "hvsim/mgmt.h"
#include "hvsim/root_boot.h"

#include "hvsim/bare_cfg.h"
#include "hvsim/debug_port.h"

#define BARE_MAX_VPS 16
#define BARE_STACK 16384

struct guest {
  uint32_t vp;
  volatile uint64_t fixup;   /* RIP to resume at after an exception, 0 none */
  volatile uint32_t irq_taken;
  volatile uint8_t irq_vector;
};

struct bare_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct bare_gate {
  uint16_t off0, sel;
  uint8_t ist, type;
  uint16_t off1;
  uint32_t off2, rsvd;
};

extern uint8_t bare_stacks[], bare_stack0[], bare_stack0_top[];
extern const uint8_t bare_isr_stubs[];
extern const uint8_t bare_child_image_start[] __attribute__((weak));
extern const uint8_t bare_child_image_end[] __attribute__((weak));

static struct guest bare_vps[BARE_MAX_VPS];
static struct bare_gate bare_idt[256] __attribute__((aligned(16)));
static uint64_t bare_hypercall_page; /* GPA, once enabled (partition-wide MSR) */

void bare_main(uint64_t boot_gpa, uint32_t slot);
void bare_trap(struct bare_frame *f);

static struct guest *bare_self(const void *sp) {
  uint64_t a = (uint64_t)(uintptr_t)sp;
  if (a >= (uint64_t)(uintptr_t)bare_stack0 && a < (uint64_t)(uintptr_t)bare_stack0_top)
    return &bare_vps[0];
  uint64_t i = (a - (uint64_t)(uintptr_t)bare_stacks) / BARE_STACK; /* slot i ends VP i+1's */
  return &bare_vps[i + 1 < BARE_MAX_VPS ? i + 1 : 0];
}

/* A fatal guest fault: say so on the debug port, then triple-fault (an
 * empty IDT turns the next exception into a shutdown, SDM 3A 6.15 #DF). */
static _Noreturn void bare_die(uint64_t vector, uint64_t rip) {
  guest_event(0, HV_TR_GUEST, 0xDEAD, vector, rip);
  struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = {0, 0};
  __asm__ volatile("lidt %0; int3" ::"m"(none));
  for (;;)
    __asm__ volatile("cli; hlt");
}

void bare_trap(struct bare_frame *f) {
  struct guest *g = bare_self(f);
  if (f->vector >= 32) {
    g->irq_vector = (uint8_t)f->vector;
    g->irq_taken = 1;
    return;
  }
  if (g->fixup) {
    f->rip = g->fixup;
    g->fixup = 0;
    return;
  }
  bare_die(f->vector, f->rip);
}

static void bare_idt_load(void) {
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  for (int v = 0; v < 256; v++) {
    uint64_t h = (uint64_t)(uintptr_t)(bare_isr_stubs + 16 * v);
    bare_idt[v] = (struct bare_gate){(uint16_t)h, cs, 0, 0x8E, (uint16_t)(h >> 16),
                                     (uint32_t)(h >> 32), 0};
  }
  struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = {
      sizeof bare_idt - 1, (uint64_t)(uintptr_t)bare_idt};
  __asm__ volatile("lidt %0" ::"m"(d));
}

/* ---- guest.h ------------------------------------------------------------ */
uint64_t guest_hypercall(struct guest *g, uint64_t control, uint64_t rdx, uint64_t r8) {
  if (!bare_hypercall_page)
    return HV_STATUS_ACCESS_DENIED; /* no page yet: nothing to call */
  register uint64_t r8_ __asm__("r8") = r8;
  uint64_t rax;
  __asm__ volatile("call *%[page]"
                   : "=a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_)
                   : [page] "r"(bare_hypercall_page)
                   : "memory", "cc");
  return rax;
}

bool guest_rdmsr(struct guest *g, uint32_t msr, uint64_t *value) {
  uint32_t lo = 0, hi = 0, faulted = 0;
  __asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
                   "movq %%rax, %[fix]\n\t"
                   "rdmsr\n\t"
                   "jmp 2f\n"
                   "1:\tmovl $1, %[f]\n"
                   "2:\tmovq $0, %[fix]"
                   : "=&a"(lo), "=&d"(hi), [f] "+r"(faulted), [fix] "=m"(g->fixup)
                   : "c"(msr)
                   : "memory");
  if (faulted)
    return false;
  *value = ((uint64_t)hi << 32) | lo;
  return true;
}

bool guest_wrmsr(struct guest *g, uint32_t msr, uint64_t value) {
  uint32_t faulted = 0;
  uint64_t scratch;
  __asm__ volatile("leaq 1f(%%rip), %[s]\n\t"
                   "movq %[s], %[fix]\n\t"
                   "wrmsr\n\t"
                   "jmp 2f\n"
                   "1:\tmovl $1, %[f]\n"
                   "2:\tmovq $0, %[fix]"
                   : [f] "+r"(faulted), [fix] "=m"(g->fixup), [s] "=&r"(scratch)
                   : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                   : "memory");
  if (faulted)
    return false;
  /* Where the page will be (TLFS "Hypercall Interface": the guest names
   * it; reading the MSR back would cost an exit the simulator's runtime
   * does not make). A guest calling a page the hypervisor did not enable
   * runs whatever is there, as on Hyper-V. */
  if (msr == HV_X64_MSR_HYPERCALL)
    bare_hypercall_page = (value & HV_X64_MSR_HYPERCALL_ENABLE) ? value & ~0xFFFull : 0;
  return true;
}

/* Copy with recovery: false if an access faulted (the hypervisor refused
 * a GPA). A fault midway leaves a prefix copied. Quadwords, then the
 * tail by bytes (on Bochs each REP iteration is one instruction). */
static bool bare_copy(struct guest *g, void *d, const void *s, size_t n) {
  uint32_t faulted = 0;
  uint64_t scratch;
  size_t q = n / 8, b = n % 8;
  __asm__ volatile("leaq 1f(%%rip), %[s]\n\t"
                   "movq %[s], %[fix]\n\t"
                   "rep movsq\n\t"
                   "movq %[b], %%rcx\n\t"
                   "rep movsb\n\t"
                   "jmp 2f\n"
                   "1:\tmovl $1, %[f]\n"
                   "2:\tmovq $0, %[fix]"
                   : "+D"(d), "+S"(s), "+c"(q), [f] "+r"(faulted), [fix] "=m"(g->fixup),
                     [s] "=&r"(scratch)
                   : [b] "r"(b)
                   : "memory");
  return !faulted;
}

bool guest_read(struct guest *g, uint64_t gpa, void *buf, size_t len) {
  return bare_copy(g, buf, (const void *)(uintptr_t)gpa, len);
}

bool guest_write(struct guest *g, uint64_t gpa, const void *buf, size_t len) {
  return bare_copy(g, (void *)(uintptr_t)gpa, buf, len);
}

bool guest_xchg64(struct guest *g, uint64_t gpa, uint64_t *value) {
  uint32_t faulted = 0;
  uint64_t scratch, v = *value;
  if (gpa & 7)
    return false;
  __asm__ volatile("leaq 1f(%%rip), %[s]\n\t"
                   "movq %[s], %[fix]\n\t"
                   "xchgq %[v], (%[p])\n\t"
                   "jmp 2f\n"
                   "1:\tmovl $1, %[f]\n"
                   "2:\tmovq $0, %[fix]"
                   : [v] "+r"(v), [f] "+r"(faulted), [fix] "=m"(g->fixup), [s] "=&r"(scratch)
                   : [p] "r"((uintptr_t)gpa)
                   : "memory");
  if (faulted)
    return false;
  *value = v;
  return true;
}

void guest_halt(struct guest *g, uint8_t *vector) {
  while (!g->irq_taken)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  g->irq_taken = 0;
  if (vector)
    *vector = g->irq_vector;
}

static inline uint64_t bare_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

void guest_work(struct guest *g, uint64_t cycles) {
  uint64_t end = bare_rdtsc() + cycles;
  while (bare_rdtsc() < end)
    __asm__ volatile("pause");
}

void guest_event(struct guest *g, uint16_t kind, uint64_t a, uint64_t b, uint64_t c) {
  register uint64_t r8 __asm__("r8") = c;
  __asm__ volatile("outl %%eax, %%dx" ::"a"(BARE_EVENT_TAG | kind), "d"(BARE_EVENT_PORT),
                   "S"(a), "D"(b), "r"(r8)
                   : "memory");
}

void guest_mark(struct guest *g, uint32_t code, uint64_t value) {
  guest_event(g, HV_TR_GUEST, code, value, 0);
}

/* Read each time, as the simulator's runtime does (one MSR exit). */
uint32_t guest_vp_index(struct guest *g) {
  uint64_t v = 0;
  return guest_rdmsr(g, HV_X64_MSR_VP_INDEX, &v) ? (uint32_t)v : g->vp;
}

uint64_t guest_rdtsc(struct guest *g) { return bare_rdtsc(); }

struct mgmt_channel *guest_mgmt_channel(struct guest *g) {
  const uint64_t *magic = (const uint64_t *)(uintptr_t)BARE_ROOT_BOOT_GPA;
  if ((uint64_t)(uintptr_t)&bare_vps[0] < BARE_ROOT_IMAGE_GPA || *magic != ROOT_BOOT_MAGIC)
    return 0; /* a child: no management API */
  return (struct mgmt_channel *)(uintptr_t)BARE_MGMT_CHANNEL_GPA;
}

const void *guest_program_image(struct guest *g, size_t *len) {
  if (!bare_child_image_start || !bare_child_image_end) {
    *len = 0;
    return 0;
  }
  *len = (size_t)(bare_child_image_end - bare_child_image_start);
  return bare_child_image_start;
}

/* ---- entry ---------------------------------------------------------------- */
void bare_main(uint64_t boot_gpa, uint32_t slot) {
  struct guest *g = &bare_vps[slot];
  g->vp = slot; /* until the hypervisor says (guest_vp_index) */
  uint32_t vp = slot;
  g->fixup = 0;
  g->irq_taken = 0;
  bare_idt_load();
  uint64_t magic = *(const volatile uint64_t *)(uintptr_t)boot_gpa;
  if (magic == ROOT_BOOT_MAGIC) {
    struct root_boot rb = {0};
    if (guest_read(g, boot_gpa, &rb, ROOT_BOOT_HEAD_BYTES))
      root_main(g, &rb);
  } else if (magic == GUEST_BOOT_MAGIC) {
    static struct guest_boot boots[BARE_MAX_VPS];
    struct guest_boot *b = &boots[vp];
    if (!guest_read(g, boot_gpa, b, sizeof *b))
      bare_die(0x100, boot_gpa);
    b->program[sizeof b->program - 1] = 0;
    const struct guest_program *p = guest_program_lookup(b->program);
    if (!p)
      bare_die(0x101, 0);
    p->main(g, b);
  } else {
    bare_die(0x102, magic);
  }
  for (;;) /* the program is done */
    guest_halt(g, 0);
}
