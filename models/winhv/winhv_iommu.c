/*
 * winhv_iommu.c — WinHv device-domain calls (see winhv_iommu.h). Input
 * blocks as HV_INPUT_* of the Hyper-V headers (iommu_abi.h).
 */
#include "winhv_iommu.h"

#include "hv/iommu_abi.h"

#define WINHV_IOMMU_MAP_BATCH ((4096u - HV_MAP_DEVICE_GPA_IN_SIZE) / 8)

/* HV_INPUT_DEVICE_DOMAIN: partition, VTL 0, stage-2 domain id. */
static void winhv_domain_in(uint64_t *in, uint64_t id, uint32_t domain) {
  in[0] = id;
  in[1] = 0;
  in[2] = (uint64_t)domain << 32 | HV_DEVICE_DOMAIN_TYPE_S2;
}

uint16_t winhv_create_device_domain(struct winhv *w, uint64_t id, uint32_t domain) {
  uint64_t in[4];
  winhv_domain_in(in, id, domain);
  in[3] = HV_CREATE_DEVICE_DOMAIN_FORWARD_PROGRESS;
  return winhv_status(winhv_call(w, HVCALL_CREATE_DEVICE_DOMAIN, in, 28, 0, 0));
}

uint16_t winhv_delete_device_domain(struct winhv *w, uint64_t id, uint32_t domain) {
  uint64_t in[3];
  winhv_domain_in(in, id, domain);
  return winhv_status(winhv_call(w, HVCALL_DELETE_DEVICE_DOMAIN, in, sizeof in, 0, 0));
}

uint16_t winhv_attach_device_domain(struct winhv *w, uint64_t id, uint32_t domain, uint16_t rid) {
  uint64_t in[4];
  winhv_domain_in(in, id, domain);
  in[3] = hv_device_id_pci(rid);
  return winhv_status(winhv_call(w, HVCALL_ATTACH_DEVICE_DOMAIN, in, sizeof in, 0, 0));
}

uint16_t winhv_detach_device_domain(struct winhv *w, uint64_t id, uint16_t rid) {
  uint64_t in[2] = {id, hv_device_id_pci(rid)};
  return winhv_status(winhv_call(w, HVCALL_DETACH_DEVICE_DOMAIN, in, sizeof in, 0, 0));
}

static uint64_t winhv_rep_call(uint16_t code, uint32_t reps) {
  return code | ((uint64_t)reps << HV_HYPERCALL_REP_COMP_OFFSET);
}

uint16_t winhv_map_device_gpa_pages(struct winhv *w, uint64_t id, uint32_t domain, uint32_t flags,
                                    uint64_t first, uint32_t n, uint32_t *done) {
  uint64_t in[5 + WINHV_IOMMU_MAP_BATCH];
  *done = 0;
  while (*done < n) {
    uint32_t m = n - *done < WINHV_IOMMU_MAP_BATCH ? n - *done : WINHV_IOMMU_MAP_BATCH;
    winhv_domain_in(in, id, domain);
    in[3] = (uint64_t)flags << 32; /* TargetVtl 0, pad, MapFlags */
    in[4] = (first + *done) << 12;
    for (uint32_t i = 0; i < m; i++)
      in[5 + i] = first + *done + i;
    uint64_t r = winhv_call(w, winhv_rep_call(HVCALL_MAP_DEVICE_GPA_PAGES, m), in, 40 + 8ull * m, 0, 0);
    *done += winhv_reps_done(r);
    if (winhv_status(r) != HV_STATUS_SUCCESS)
      return winhv_status(r);
  }
  return HV_STATUS_SUCCESS;
}

uint16_t winhv_unmap_device_gpa_pages(struct winhv *w, uint64_t id, uint32_t domain, uint64_t first,
                                      uint32_t n, uint32_t *done) {
  uint64_t in[4];
  *done = 0;
  while (*done < n) {
    uint32_t m = n - *done < 4095 ? n - *done : 4095;
    winhv_domain_in(in, id, domain);
    in[3] = (first + *done) << 12;
    uint64_t r = winhv_call(w, winhv_rep_call(HVCALL_UNMAP_DEVICE_GPA_PAGES, m), in, sizeof in, 0, 0);
    *done += winhv_reps_done(r);
    if (winhv_status(r) != HV_STATUS_SUCCESS)
      return winhv_status(r);
  }
  return HV_STATUS_SUCCESS;
}

uint16_t winhv_map_device_msi(struct winhv *w, uint64_t id, uint16_t rid, uint32_t vp, uint32_t vector,
                              uint32_t *address, uint32_t *data) {
  uint64_t in[3] = {id, hv_device_id_pci(rid), vp | (uint64_t)vector << 32}, out = 0;
  uint16_t st = winhv_status(winhv_call(w, HVCALL_HVSIM_MAP_DEVICE_MSI, in, sizeof in, &out, sizeof out));
  *address = (uint32_t)out;
  *data = (uint32_t)(out >> 32);
  return st;
}

uint16_t winhv_unmap_device_msi(struct winhv *w, uint64_t id, uint16_t rid, uint32_t address) {
  uint64_t in[3] = {id, hv_device_id_pci(rid), address};
  return winhv_status(winhv_call(w, HVCALL_HVSIM_UNMAP_DEVICE_MSI, in, sizeof in, 0, 0));
}
