/*
 * arch_types.h (x86) — backend state embedded in the core's objects when
 * the core is built for the bare-metal image (levels 2 and 3). One layout
 * serves both vendors; the image links either vmx.c or svm.c. Freestanding.
 *
 * Register model: the backend keeps every guest register the core may
 * name in struct arch_vp (GPRs, RIP, RFLAGS, control registers, EFER) and
 * copies it into the VMCS / VMCB before an entry and back after an exit,
 * so the core can read and write the registers of any VP, also one whose
 * VMCS is not current on this LP (Intel SDM Vol. 3C 24.11.1: VMREAD and
 * VMWRITE reach only the current VMCS).
 */
#ifndef HV_ARCH_X86_TYPES_H
#define HV_ARCH_X86_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct arch_hv {
  uint64_t root_entry;    /* RIP of root VPs (the root image, platform.h) */
  uint64_t root_boot_gpa; /* RSI of root VPs: the root's boot page */
  uint64_t first_entry_tsc; /* TSC at the first VM entry (figures) */
  uint64_t world_deadline;  /* the platform's next world event, on the
                               running LP's clock: a run ends there
                               silently (HV_EXIT_NONE), as the simulator
                               pauses at its boundary */
  uint64_t events;          /* guest event-port records */
  uint64_t paused_tsc;      /* arch_clock_pause: TSC when the clock stopped */
  uint64_t paused_cycles;   /* TSC cycles kept off the clock in all (figures) */
  uint64_t hc_exits, hc_hv_cycles; /* hypercall exits re-entered directly, and
                                      their exit-to-entry TSC cycles */
  uint64_t entries, exits_internal; /* counters for the report */
  uint64_t slat_flushes;
  uint64_t ctl_pin, ctl_proc, ctl_proc2, ctl_exit, ctl_entry; /* VMX controls */
  uint64_t ctl_proc_root; /* VMX: the root's processor-based controls (I/O bitmaps) */
  uint32_t preempt_shift; /* VMX preemption timer rate (IA32_VMX_MISC[4:0]) */
  bool nrips;             /* SVM next-RIP save */
  bool asid_shared;       /* SVM: too few ASIDs, one shared + flushes */
};

struct arch_lp {
  uint64_t tsc_origin;   /* TSC - tsc_origin (modulo 2^64) = this LP's clock,
                            the core's cycles since the end of boot */
  bool clock_on;         /* the clock started (boot is over) */
  uint16_t last_vp;      /* VP slot that ran last here (figures) */
  uint64_t region_pa;    /* VMXON region / VM_HSAVE_PA page */
  uint64_t host_vmcb_pa; /* SVM: VMSAVE/VMLOAD area for the host's state */
  uint64_t current_state_pa; /* the VMCS current on this LP (VMPTRLD) */
  uint64_t timer_deadline;   /* arch_lp_timer, 0 = disarmed */
  uint64_t syscall_owner_pa; /* VMX: state page of the VP whose syscall MSRs
                                (vmx.c) the CPU holds, 0 = none */
  /* The LP's own clock while its CPU is multiplexed (platform/bare/main.c):
   * cycles it has run (or idled) since the end of boot; tsc_origin is
   * re-based on it at each turn. parked: idle until a kick or a timer. */
  uint64_t clock;
  bool parked;
  /* While the world acts (its records, interrupts, kicks) every LP's
   * clock reads its time and stands still: the world is the harness, it
   * takes no time of the machine, as on the simulator. */
  bool held;
  uint64_t held_at;
};

#define ARCH_VP_DIRTY_RIP (1u << 0)
#define ARCH_VP_DIRTY_RSP (1u << 1)
#define ARCH_VP_DIRTY_RFLAGS (1u << 2)
#define ARCH_VP_DIRTY_CR (1u << 3) /* CR0, CR3, CR4, EFER */
#define ARCH_VP_DIRTY_REAL (1u << 4) /* segments, GDTR/IDTR: a startup IPI's real mode */

struct arch_vp {
  uint64_t gpr[16]; /* RAX..R15 in HV_X64_REGISTER_RAX order (RSP = gpr[4]) */
  uint64_t rip, rflags, cr0, cr2, cr3, cr4, efer;
  uint32_t dirty;      /* ARCH_VP_DIRTY_*: to write before the next entry */
  uint8_t sipi_vector; /* with ARCH_VP_DIRTY_REAL: CS = vector << 8 */
  uint64_t state_pa;   /* VMCS or VMCB (the VP's state page) */
  uint64_t slat_root;  /* SPA of the core's EPT-format PML4 */
  uint64_t ctl_proc;   /* VMX: this VP's processor-based controls */
  uint16_t tag;        /* VPID / ASID, never 0 */
  bool launched;       /* VMX: VMLAUNCH done since the last VMCLEAR */
  bool flush_tlb;      /* flush this tag's translations at the next entry */
  uint64_t slat_gen;   /* SVM: generation of the shadow NPT last installed */
  uint64_t exit_tsc;   /* TSC right after the last exit */
  bool exit_was_hypercall;
  uint32_t inject;     /* pending event: 0 none, else VMX interruption-info format */
  uint32_t inject_error;
  uint64_t syscall_msr[5]; /* VMX: KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK while
                              another VP holds the CPU's (SVM: VMSAVE/VMLOAD) */
};

#endif /* HV_ARCH_X86_TYPES_H */
