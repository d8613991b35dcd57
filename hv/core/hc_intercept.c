/*
 * hc_intercept.c — HvCallInstallIntercept: the root asks to handle a
 * child's accesses to an I/O port, an MSR or a CPUID leaf (TLFS
 * "Intercepts"). The route goes into the hypervisor's intercept table;
 * raising and completing intercepts is intercept.c's (vic.h).
 */
#include "hc.h"
#include "vic.h"

/* Input: PartitionId, AccessType u32, InterceptType u32, InterceptParameter u64. */
hv_status_t hc_install_intercept(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t access = hc_in_u32(c, 8), type = hc_in_u32(c, 12);
  uint64_t param = hc_in_u64(c, 16);
  if (type > HV_INTERCEPT_TYPE_X64_CPUID || access == 0 || access > 7 ||
      (type == HV_INTERCEPT_TYPE_X64_IO_PORT && param > 0xFFFF) || (type != 0 && param > 0xFFFFFFFFull))
    return HV_STATUS_INVALID_PARAMETER;
  struct hv_intercept *ic = intercept_find(c->hv, target, (uint8_t)type, param);
  for (int i = 0; !ic && i < HV_MAX_INTERCEPTS; i++)
    if (!c->hv->intercepts[i].in_use)
      ic = &c->hv->intercepts[i];
  if (!ic)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  *ic = (struct hv_intercept){true, target, (uint8_t)type, (uint8_t)access, param};
  return HV_STATUS_SUCCESS;
}
