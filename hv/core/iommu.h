/*
 * iommu.h — the IOMMU tier of the hypervisor core: device domains (one
 * second-level DMA address space per domain, owned by a child partition),
 * which device (PCI requester id) is attached to which domain, the
 * interrupt remapping entries of attached devices (iommu.c), and the
 * IOMMU half of the isolation oracle (iommu_check.c). The state is
 * struct hv_iommu in hv.h; the remapping structures live in pool pages.
 * Calls only the objects tier. The remapping hardware's events enter
 * through hw_event.c (entry.h); the device-domain hypercalls are
 * hc_iommu.c (hc.h).
 */
#ifndef HV_CORE_IOMMU_H
#define HV_CORE_IOMMU_H

#include "hv.h"

/* Domain index of (part, id), or -1. */
int iommu_domain_find(struct hv *hv, uint16_t part, uint32_t id);
/* Device index of rid when attached, or -1. */
int iommu_device_find(struct hv *hv, uint16_t rid);
/* SUCCESS, INSUFFICIENT_DEVICE_DOMAINS, INVALID_PARAMETER (id in use or
 * reserved), INSUFFICIENT_MEMORY (part's pool). */
hv_status_t iommu_domain_create(struct hv *hv, struct hv_lp *lp, uint16_t part, uint32_t id);
/* SUCCESS or INVALID_DEVICE_STATE (devices still attached). */
hv_status_t iommu_domain_delete(struct hv *hv, struct hv_lp *lp, int dom);
/* SUCCESS, DEVICE_ALREADY_IN_DOMAIN, INVALID_DEVICE_ID (no slot),
 * INSUFFICIENT_MEMORY (root's pool: root and context tables). */
hv_status_t iommu_attach(struct hv *hv, struct hv_lp *lp, int dom, uint16_t rid);
/* Detach an attached device (context entry cleared and invalidated, its
 * interrupt entries freed). */
void iommu_detach(struct hv *hv, struct hv_lp *lp, int dev);
/* Make sure the tables down to the leaf of iova_pfn exist (prepare: may
 * fail with INSUFFICIENT_MEMORY, changes no translation). */
hv_status_t iommu_prepare(struct hv *hv, int dom, uint64_t iova_pfn);
/* Write the leaf (commit: cannot fail after iommu_prepare). */
void iommu_commit(struct hv *hv, int dom, uint64_t iova_pfn, uint64_t spa_pfn, uint64_t perms);
/* Translation of iova_pfn in the domain (false if none). */
bool iommu_lookup(struct hv *hv, int dom, uint64_t iova_pfn, uint64_t *spa_pfn, uint64_t *perms);
/* Remove a translation and invalidate the IOTLB for it; false if none. */
bool iommu_unmap(struct hv *hv, struct hv_lp *lp, int dom, uint64_t iova_pfn);
/* Page gpfn left partition part's SLAT: drop it from part's domains
 * (domains map GPA = device address). */
void iommu_gpa_unmapped(struct hv *hv, struct hv_lp *lp, uint16_t part, uint64_t gpfn);
/* Partition part is deleted: detach its devices, delete its domains. */
void iommu_partition_delete(struct hv *hv, struct hv_lp *lp, uint16_t part);
/* Allocate and write an interrupt remapping entry for device dev:
 * SUCCESS, INSUFFICIENT_MEMORY (root's pool), INSUFFICIENT_BUFFERS (full). */
hv_status_t iommu_msi_map(struct hv *hv, struct hv_lp *lp, int dev, uint16_t vp_slot,
                          uint8_t vector, uint16_t *handle);
/* Free it: SUCCESS or INVALID_PARAMETER (not this device's entry). */
hv_status_t iommu_msi_unmap(struct hv *hv, struct hv_lp *lp, int dev, uint16_t handle);
/* The isolation oracle's part: device domains reach only RAM of their
 * owner, remapping structures are pool pages of the right owner, context
 * and interrupt entries agree with the state. Returns violations (traced). */
uint64_t iommu_check_isolation(struct hv *hv, struct hv_lp *lp);

#endif /* HV_CORE_IOMMU_H */
