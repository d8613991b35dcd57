/*
 * iommu.h — the hypervisor's side of the IOMMU: device domains (one
 * second-level DMA address space per domain, owned by a child partition),
 * which device (PCI requester id) is attached to which domain, and the
 * interrupt remapping entries of attached devices. Included by hv.h; the
 * state is embedded in struct hv (a few hundred bytes); the remapping
 * structures themselves live in pool pages (see iommu.c).
 */
#ifndef HV_CORE_IOMMU_H
#define HV_CORE_IOMMU_H

#include "hv/iommu_abi.h"
#include "hv/types.h"

#define HV_IOMMU_MAX_DOMAINS 32 /* hardware domain id = index + 1 */
#define HV_IOMMU_MAX_DEVICES 32
#define HV_IOMMU_NO_DOMAIN 0xFFFFu

struct hv_iommu_domain {
  bool in_use;
  uint16_t part;     /* owning partition slot (a child) */
  uint32_t id;       /* DomainId.id chosen by the root */
  spa_t sl_root;     /* PML4 of its second-level tables (owner's pool) */
  uint64_t pages;    /* leaves mapped */
  uint32_t ndevices; /* devices attached */
};

struct hv_iommu_device {
  bool in_use;       /* attached to a domain */
  uint16_t rid;      /* PCI requester id: bus 15:8, dev 7:3, fn 2:0 */
  uint16_t domain;   /* index into domains */
};

struct hv_iommu {
  spa_t root_table;  /* VT-d root table (root's pool), 0 until first attach */
  spa_t irt;         /* interrupt remapping table (root's pool), 0 until first map */
  struct hv_iommu_domain domains[HV_IOMMU_MAX_DOMAINS];
  struct hv_iommu_device devices[HV_IOMMU_MAX_DEVICES];
  uint16_t irte_dev[VTD_IRT_ENTRIES]; /* device index + 1 owning the entry, 0 free */
  uint64_t faults;   /* DMA and interrupt remapping faults reported */
  uint64_t remapped; /* remapped interrupts delivered */
};

struct hv;
struct hv_lp;

/* ---- entry points used by the platform (the remapping hardware) ------ */
/* A DMA request of device rid was blocked: access 1 read / 2 write, addr
 * the device address, reason a VTD_FR_* code. Traced (HV_TR_DMA_FAULT)
 * against the partition owning the device, counted. */
void hv_iommu_fault(struct hv *hv, uint32_t lp, uint16_t rid, uint64_t addr, uint32_t access,
                    uint32_t reason);
/* A remapped interrupt: the entry handle of device rid names VP slot dest
 * and vector. Posted to that VP when it belongs to the partition owning
 * the device (else counted as a fault); traced (HV_TR_IRQ_REMAP). */
void hv_iommu_interrupt(struct hv *hv, uint32_t lp, uint16_t rid, uint16_t handle, uint32_t dest,
                        uint8_t vector);

/* ---- internal: used by hc_iommu.c, hc_memory.c, partition.c ---------- */
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
/* hc_iommu.c — the device-domain hypercalls (hypercall.c's table) */
struct hc_ctx;
hv_status_t hc_create_device_domain(struct hc_ctx *c);
hv_status_t hc_delete_device_domain(struct hc_ctx *c);
hv_status_t hc_attach_device_domain(struct hc_ctx *c);
hv_status_t hc_detach_device_domain(struct hc_ctx *c);
hv_status_t hc_map_device_gpa_pages(struct hc_ctx *c);
hv_status_t hc_unmap_device_gpa_pages(struct hc_ctx *c);
hv_status_t hc_hvsim_map_device_msi(struct hc_ctx *c);
hv_status_t hc_hvsim_unmap_device_msi(struct hc_ctx *c);

/* The isolation oracle's part: device domains reach only RAM of their
 * owner, remapping structures are pool pages of the right owner, context
 * and interrupt entries agree with the state. Returns violations (traced). */
uint64_t iommu_check_isolation(struct hv *hv, struct hv_lp *lp);

#endif /* HV_CORE_IOMMU_H */
