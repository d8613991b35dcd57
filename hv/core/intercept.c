/*
 * intercept.c — intercepts: the root asks (HvCallInstallIntercept, in
 * hc_intercept.c) to handle a child's accesses to an I/O port, an MSR or
 * a CPUID leaf. The child's VP is then suspended (HvRegisterInterceptSuspend) and an
 * intercept message goes to the root's VP 0 on SINT 0; the root's worker
 * emulates the access and completes it by setting the child's registers
 * (RAX, RIP) and clearing the suspend. This is how a worker process
 * emulates a device (TLFS "Intercepts").
 *
 * Message payload (TLFS HV_X64_INTERCEPT_MESSAGE_HEADER, then the type's
 * part): VpIndex u32 @0, InstructionLength u8 @4, AccessType u8 @5 (0 read,
 * 1 write, 2 execute), Rip u64 @24, Rflags u64 @32; I/O: PortNumber u16
 * @40, AccessSize u8 @42, Rax u64 @48; MSR: MsrNumber u32 @40, value u64
 * @48 (writes); CPUID: leaf u32 @40. Origin id = the child's partition id.
 */
#include "objects.h"
#include "vic.h"

struct hv_intercept *intercept_find(struct hv *hv, uint16_t part, uint8_t type, uint64_t param) {
  for (int i = 0; i < HV_MAX_INTERCEPTS; i++) {
    struct hv_intercept *ic = &hv->intercepts[i];
    if (ic->in_use && ic->partition == part && ic->type == type && ic->parameter == param)
      return ic;
  }
  return 0;
}

static bool intercept_raise(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t type, uint8_t access,
                            const struct hv_exit *ex, uint32_t param) {
  struct hv_vp *root = vp_get(hv, 0, 0, 0);
  if (!root)
    return false;
  struct hv_synic *s = &vp->synic;
  s->icpt_type = type;
  s->icpt_access = access;
  s->icpt_len = (uint8_t)ex->instr_len;
  s->icpt_param = param;
  s->icpt_port = (uint16_t)param;
  s->icpt_size = ex->reason == HV_EXIT_IO ? ex->u.io.size : 0;
  arch_vp_reg_get(vp, HV_X64_REGISTER_RIP, &s->icpt_rip);
  s->icpt_rax = ex->reason == HV_EXIT_IO ? ex->u.io.value : ex->u.msr.value;
  s->icpt_seq = synic_next_seq(hv);
  s->icpt_pending = true;
  s->icpt_suspended = true;
  hv_trace_vp(hv, lp, vp, HV_TR_INTERCEPT, type,
           param, 0);
  vp_update_runnable(hv, lp, vp_slot(hv, vp));
  synic_scan(hv, lp, root);
  return true;
}

bool intercept_io(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  uint8_t need = ex->u.io.write ? HV_INTERCEPT_ACCESS_MASK_WRITE : HV_INTERCEPT_ACCESS_MASK_READ;
  struct hv_intercept *ic = intercept_find(hv, vp->partition, HV_INTERCEPT_TYPE_X64_IO_PORT, ex->u.io.port);
  if (vp->partition == 0 || !ic || !(ic->access & need))
    return false;
  return intercept_raise(hv, lp, vp, HVMSG_X64_IO_PORT_INTERCEPT, ex->u.io.write, ex, ex->u.io.port);
}

bool intercept_msr(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  bool write = ex->reason == HV_EXIT_MSR_WRITE;
  uint8_t need = write ? HV_INTERCEPT_ACCESS_MASK_WRITE : HV_INTERCEPT_ACCESS_MASK_READ;
  struct hv_intercept *ic = intercept_find(hv, vp->partition, HV_INTERCEPT_TYPE_X64_MSR, ex->u.msr.msr);
  if (vp->partition == 0 || !ic || !(ic->access & need))
    return false;
  return intercept_raise(hv, lp, vp, HVMSG_X64_MSR_INTERCEPT, write, ex, ex->u.msr.msr);
}

bool intercept_cpuid(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, const struct hv_exit *ex) {
  struct hv_intercept *ic = intercept_find(hv, vp->partition, HV_INTERCEPT_TYPE_X64_CPUID, ex->u.cpuid.leaf);
  if (vp->partition == 0 || !ic)
    return false;
  return intercept_raise(hv, lp, vp, HVMSG_X64_CPUID_INTERCEPT, 2, ex, ex->u.cpuid.leaf);
}
