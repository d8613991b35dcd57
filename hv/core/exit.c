/*
 * exit.c — the one dispatch of VP exits, for every backend.
 *
 * Backends translate VMX exit reasons and SVM exit codes into struct
 * hv_exit; the decisions are taken here (bhyve's vmm model). What a guest
 * can cause is answered to that guest (a status, an injected exception)
 * or, where nothing sane can be done, by stopping its partition — never
 * by a hypervisor panic. A hypercall's entry (hv_hypercall) is also where
 * the isolation oracle runs after calls that move memory, when the build
 * has debug checks. Entry tier (entry.h).
 */
#include "entry.h"
#include "hc.h"
#include "objects.h"
#include "vic.h"

#define X86_GP 13

static void exit_advance_rip(struct hv_vp *vp, const struct hv_exit *ex) {
  uint64_t rip = 0;
  arch_vp_reg_get(vp, HV_X64_REGISTER_RIP, &rip);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RIP, rip + ex->instr_len);
}

static uint64_t exit_rip(struct hv_vp *vp) {
  uint64_t rip = 0;
  arch_vp_reg_get(vp, HV_X64_REGISTER_RIP, &rip);
  return rip;
}

static void exit_inject_gp(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  arch_vp_inject_exception(vp, X86_GP, true, 0);
  hv_trace_vp(hv, lp, vp, HV_TR_EXCEPTION, X86_GP, 0, 0);
}

static void exit_trace(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp,
                       const struct hv_exit *ex, uint64_t qual) {
  hv_trace_vp(hv, lp, vp, HV_TR_VP_EXIT, ex->reason, qual, exit_rip(vp));
}

/* CPUID: the CPU model (cpuid.c). */
static void exit_cpuid(struct hv *hv, struct hv_vp *vp, uint32_t leaf) {
  uint64_t r[4];
  cpuid_model(hv, vp, leaf, r);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RAX, r[0]);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RBX, r[1]);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RCX, r[2]);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RDX, r[3]);
}

static void exit_msr(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  arch_charge(lp, HV_COST_MSR, 1);
  bool ok;
  uint64_t value = ex->u.msr.value;
  if (ex->reason == HV_EXIT_MSR_READ) {
    ok = msr_read(hv, lp, vp, ex->u.msr.msr, &value);
    if (ok) {
      arch_vp_reg_set(vp, HV_X64_REGISTER_RAX, value & 0xFFFFFFFFull);
      arch_vp_reg_set(vp, HV_X64_REGISTER_RDX, value >> 32);
    }
  } else {
    ok = msr_write(hv, lp, vp, ex->u.msr.msr, value);
  }
  /* An MSR the hypervisor does not implement may be the root's to emulate. */
  if (!ok && intercept_msr(hv, lp, vp, ex))
    return;
  hv_trace_vp(hv, lp, vp, HV_TR_MSR, ex->u.msr.msr, value,
           ok ? (ex->reason == HV_EXIT_MSR_WRITE) : 2);
  if (ok)
    exit_advance_rip(vp, ex);
  else
    exit_inject_gp(hv, lp, vp);
}

static void exit_halt(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  exit_advance_rip(vp, ex);
  hv_trace_vp(hv, lp, vp, HV_TR_HALT, exit_rip(vp), 0, 0);
  if (!irq_pending(vp)) {
    vp->halted = true;
    vp_update_runnable(hv, lp, vp_slot(hv, vp));
  }
}

/* An access to a GPA the partition does not own (or without the right):
 * the guest gets #GP; the access did not happen. */
static void exit_gpa_violation(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp,
                               const struct hv_exit *ex) {
  hv_trace_vp(hv, lp, vp, HV_TR_GPA_VIOLATION, ex->u.mem.gpa, ex->u.mem.access, 1);
  exit_inject_gp(hv, lp, vp);
}

void exit_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  arch_charge(lp, HV_COST_EXIT_HANDLING, 1);
  switch (ex->reason) {
  case HV_EXIT_HYPERCALL:
    hv_hypercall(hv, lp, vp); /* the hypercall record is its exit record */
    break;
  case HV_EXIT_MSR_READ:
  case HV_EXIT_MSR_WRITE:
    exit_trace(hv, lp, vp, ex, ex->u.msr.msr);
    exit_msr(hv, lp, vp, ex);
    break;
  case HV_EXIT_CPUID:
    exit_trace(hv, lp, vp, ex, ex->u.cpuid.leaf);
    if (intercept_cpuid(hv, lp, vp, ex))
      break;
    exit_cpuid(hv, vp, ex->u.cpuid.leaf);
    exit_advance_rip(vp, ex);
    break;
  case HV_EXIT_IO:
    /* Ports nobody emulates: reads float high, writes are dropped. */
    exit_trace(hv, lp, vp, ex, ex->u.io.port);
    if (intercept_io(hv, lp, vp, ex))
      break;
    if (!ex->u.io.write)
      arch_vp_reg_set(vp, HV_X64_REGISTER_RAX, 0xFFFFFFFFull);
    exit_advance_rip(vp, ex);
    break;
  case HV_EXIT_HLT:
    exit_trace(hv, lp, vp, ex, 0);
    exit_halt(hv, lp, vp, ex);
    break;
  case HV_EXIT_GPA_VIOLATION:
    exit_trace(hv, lp, vp, ex, ex->u.mem.gpa);
    exit_gpa_violation(hv, lp, vp, ex);
    break;
  case HV_EXIT_EXCEPTION:
    exit_trace(hv, lp, vp, ex, ex->u.exc.vector);
    arch_vp_inject_exception(vp, ex->u.exc.vector, false, 0);
    break;
  case HV_EXIT_PREEMPT:
  case HV_EXIT_INTERRUPT:
    exit_trace(hv, lp, vp, ex, 0);
    break;
  case HV_EXIT_SHUTDOWN:
    exit_trace(hv, lp, vp, ex, 0);
    if (vp->partition != 0)
      partition_stop(hv, lp, vp->partition, HV_EXIT_SHUTDOWN);
    else
      arch_panic(__FILE__, __LINE__, "root partition shut down");
    break;
  default:
    arch_panic(__FILE__, __LINE__, "backend returned an unknown exit reason");
  }
}

void hv_hypercall(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  bool ram_changed = hypercall_handle(hv, lp, vp);
#ifdef HV_DEBUG_CHECKS
  if (hv->debug_checks && ram_changed) {
    arch_clock_pause(hv); /* the oracle is the harness's work, not the machine's */
    uint64_t violations = hv_check_isolation(hv, lp);
    arch_clock_resume(hv);
    HV_CHECK(violations == 0);
  }
#else
  (void)ram_changed;
#endif
}
