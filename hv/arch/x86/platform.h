/*
 * platform.h — the bare-metal platform around the hypervisor core: the
 * machine description found at boot, the trace stream, the end of a run,
 * and the per-vendor backend hooks (vmx.c or svm.c, one per image).
 */
#ifndef HV_X86_PLATFORM_H
#define HV_X86_PLATFORM_H

#include <stdint.h>

#include "hv/core/hv.h"

/* Physical layout (identity: SPA = hypervisor virtual address). */
#define PLATFORM_KERNEL_BASE 0x100000ull   /* the image (entry.S, kernel.ld) */
#define PLATFORM_MIN_MEMORY (32ull << 20)

/* The physical CPU's backend state: every LP of the machine is
 * time-multiplexed on CPU 0, so the current VMCS, the host-save areas and
 * the local APIC are those of hv->lps[0]. */
static inline struct arch_lp *platform_cpu(struct hv *hv) { return &hv->lps[0].arch; }

/* End the run: flush the trace, print "@END status=N", stop the machine
 * (Bochs magic breakpoint, QEMU isa-debug-exit, else halt). */
_Noreturn void platform_halt(int status);
/* Append a trace record to the stream (buffered; flushed at the end or
 * when the buffer fills). */
void platform_trace(const struct hv_trace_rec *r);

/* The vendor-neutral initial register state of a new VP (arch_common.c). */
void arch_vp_reset_regs(struct hv *hv, struct hv_partition *p, struct hv_vp *vp);

/* A guest's OUT to the event port (include/hvsim/bare_cfg.h): a trace
 * record in the name of the VP's partition, or a console byte. Returns
 * true when the access was the event port's (the caller resumes the
 * guest past the instruction). */
bool platform_io_event(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint16_t port,
                       uint8_t size, bool write);

/* The root partition owns the machine's devices (its storage drives):
 * clear, in an I/O permission bitmap (one bit per port, set = intercept;
 * the layout of VMX bitmaps A+B and of the first 8 KiB of the SVM IOPM),
 * the bits of their ports. The backend builds the root's bitmap with it
 * once; children keep intercepting every port. */
void platform_root_io_grant(uint8_t *bitmap);

/* Per-VP counters: keep a deleted VP's (called by arch_vp_destroy), print
 * every VP's as "@S" lines at the end of a run (platform/bare/debug_stream.c). */
void platform_vp_gone(struct hv *hv, const struct hv_vp *vp);
void platform_stats_print(struct hv *hv);

/* Figures: called just before each VM entry (arch_common.c). */
void platform_entry_account(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint64_t now);

/* ---- vendor backend (vmx.c / svm.c) ---------------------------------- */
/* MSRs guests access without exits (arch_common.c); each backend clears
 * their bits in its MSR bitmap and keeps them per VP. */
#define ARCH_PASSTHROUGH_MSRS 10
extern const uint32_t arch_passthrough_msrs[ARCH_PASSTHROUGH_MSRS];

/* Name printed in the banner: "vmx" or "svm". */
extern const char backend_name[];
/* Check the CPU supports the backend and enable it on this LP (VMXON /
 * EFER.SVME). Returns 0, or -1 after printing why not. */
int backend_lp_init(struct hv *hv, struct hv_lp *lp);
/* Print the backend's figures ("@F ..." lines) at the end of a run. */
void backend_report(struct hv *hv);

#endif /* HV_X86_PLATFORM_H */
