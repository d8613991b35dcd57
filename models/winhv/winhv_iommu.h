/*
 * winhv_iommu.h — WinHv calls for device domains and interrupt remapping
 * (hv/include/hv/iommu_abi.h): what the root's worker uses to pass a
 * device through to a child.
 */
#ifndef MODELS_WINHV_IOMMU_H
#define MODELS_WINHV_IOMMU_H

#include "winhv.h"

uint16_t winhv_create_device_domain(struct winhv *w, uint64_t id, uint32_t domain);
uint16_t winhv_delete_device_domain(struct winhv *w, uint64_t id, uint32_t domain);
uint16_t winhv_attach_device_domain(struct winhv *w, uint64_t id, uint32_t domain, uint16_t rid);
uint16_t winhv_detach_device_domain(struct winhv *w, uint64_t id, uint16_t rid);
/* Map n pages of the child's RAM from GPA page first at device address =
 * GPA (flags HV_MAP_GPA_READABLE | WRITABLE); *done: pages mapped. */
uint16_t winhv_map_device_gpa_pages(struct winhv *w, uint64_t id, uint32_t domain, uint32_t flags,
                                    uint64_t first, uint32_t n, uint32_t *done);
uint16_t winhv_unmap_device_gpa_pages(struct winhv *w, uint64_t id, uint32_t domain, uint64_t first,
                                      uint32_t n, uint32_t *done);
/* An interrupt remapping entry: device rid's MSI to (vp, vector) of the
 * child; *address / *data: what to program into the device. */
uint16_t winhv_map_device_msi(struct winhv *w, uint64_t id, uint16_t rid, uint32_t vp, uint32_t vector,
                              uint32_t *address, uint32_t *data);
uint16_t winhv_unmap_device_msi(struct winhv *w, uint64_t id, uint16_t rid, uint32_t address);

#endif /* MODELS_WINHV_IOMMU_H */
