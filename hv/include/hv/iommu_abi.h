/*
 * iommu_abi.h — the IOMMU's two contracts: the device-domain hypercalls
 * the root issues, and the VT-d in-memory layouts the hypervisor writes
 * and the (simulated) remapping hardware reads.
 *
 * Hypercalls. The TLFS itself documents no device-domain call; the
 * Hyper-V headers that Linux imports for its mshv pass-through support
 * (include/hyperv/hvgdk_mini.h, hvhdk_mini.h) define these codes and
 * input blocks, and we use them as published:
 *   0x00B1 HvCallCreateDeviceDomain   HV_INPUT_CREATE_DEVICE_DOMAIN  (28 B)
 *   0x00B2 HvCallAttachDeviceDomain   HV_INPUT_ATTACH_DEVICE_DOMAIN  (32 B)
 *   0x00B3 HvCallMapDeviceGpaPages    HV_INPUT_MAP_DEVICE_GPA_PAGES  (40 B + u64 per rep)
 *   0x00B4 HvCallUnmapDeviceGpaPages  HV_INPUT_UNMAP_DEVICE_GPA_PAGES (32 B, rep)
 *   0x00C4 HvCallDetachDeviceDomain   HV_INPUT_DETACH_DEVICE_DOMAIN  (16 B)
 *   0x00C5 HvCallDeleteDeviceDomain   HV_INPUT_DELETE_DEVICE_DOMAIN  (24 B)
 * Interrupt remapping entries are programmed through two calls of our
 * own, in 0x0016-0x003F, the range TLFS v6 marks reserved (the published
 * HvCallMapDeviceInterrupt, 0x007C, routes physical vectors and belongs
 * to the interrupt-controller code):
 *   0x0038 HvCallHvsimMapDeviceMsi    (24 B in, 8 B out)
 *   0x0039 HvCallHvsimUnmapDeviceMsi  (24 B in)
 *
 * VT-d layouts: Intel VT-d specification rev. 4, section 9 (root entry
 * 9.1, context entry 9.3, second-level paging entries 9.8 — the EPT
 * format of the SLAT —, fault recording 10.4.14/11, interrupt remapping
 * table entry 9.10, remappable MSI format 5.1.2.2). Shifts and masks,
 * no bitfields. Freestanding: used by hv/ and sim/.
 */
#ifndef HV_IOMMU_ABI_H
#define HV_IOMMU_ABI_H

#include <stdint.h>

#include "hvgdk.h"

/* Call codes (HVCALL_*_DEVICE_DOMAIN, HVCALL_*_DEVICE_GPA_PAGES,
 * HVCALL_HVSIM_*_DEVICE_MSI) and statuses (HV_STATUS_*DEVICE*) are in
 * hvgdk.h with the others. */

/* ---- HV_INPUT_DEVICE_DOMAIN (24 bytes) ---------------------------------
 * PartitionId u64 @0, OwnerVtl u8 @8, pad[7] @9, DomainId u64 @16:
 * bits 3:0 type (0 = stage 2, the only kind here), 31:4 reserved,
 * 63:32 id (chosen by the caller; 0 default and ~0 null are reserved). */
#define HV_DEVICE_DOMAIN_TYPE_S2 0u
#define HV_DEVICE_DOMAIN_ID_S2_DEFAULT 0u
#define HV_DEVICE_DOMAIN_ID_S2_NULL 0xFFFFFFFFu
#define HV_DEVICE_DOMAIN_IN_SIZE 24u
/* CreateDeviceDomain flags u32 @24: bit 0 ForwardProgressRequired,
 * bit 1 InheritOwningVtl (must be 0 here), rest reserved. */
#define HV_CREATE_DEVICE_DOMAIN_FORWARD_PROGRESS 0x1u
#define HV_CREATE_DEVICE_DOMAIN_FLAGS_MASK 0x1u

/* ---- HV_DEVICE_ID (8 bytes), PCI form ----------------------------------
 * bits 15:0 requester id (bus 15:8, device 7:3, function 2:0),
 * 31:16 segment, 47:32 shadow bus range, 49:48 phantom function bits,
 * 50 source shadow, 61:51 reserved, 63:62 device type (1 = PCI). We take
 * segment 0 devices with no phantom functions or shadowing. */
#define HV_DEVICE_TYPE_PCI 1ull
#define HV_DEVICE_ID_TYPE_SHIFT 62
#define HV_DEVICE_ID_RID_MASK 0xFFFFull
static inline uint64_t hv_device_id_pci(uint16_t rid) {
  return (HV_DEVICE_TYPE_PCI << HV_DEVICE_ID_TYPE_SHIFT) | rid;
}

/* MapDeviceGpaPages MapFlags u32 @28 (TargetVtl u8 @24, pad @25):
 * HV_MAP_GPA_READABLE / WRITABLE (hvgdk.h); TargetDeviceVaBase u64 @32
 * (a byte address, page aligned); then one GPA page number per rep. */
#define HV_MAP_DEVICE_GPA_IN_SIZE 40u

/* ---- VT-d root and context entries (128 bits each, 256 per table) ---- */
#define VTD_ROOT_PRESENT (1ull << 0)     /* root entry, low qword */
#define VTD_CTX_PRESENT (1ull << 0)      /* context entry, low qword */
#define VTD_CTX_FPD (1ull << 1)          /* fault processing disable */
#define VTD_CTX_TT_SHIFT 2               /* translation type, 00 = untranslated */
#define VTD_ADDR_MASK 0x000FFFFFFFFFF000ull
#define VTD_CTX_AW_48 2ull               /* high qword bits 2:0: 4-level, 48-bit */
#define VTD_CTX_DID_SHIFT 8              /* high qword bits 23:8: domain id */
#define VTD_CTX_DID_MASK 0xFFFFull

/* ---- second-level paging entries (EPT format) ------------------------ */
#define VTD_SL_READ (1ull << 0)
#define VTD_SL_WRITE (1ull << 1)
#define VTD_SL_PS (1ull << 7) /* large page: not used by this hypervisor */
#define VTD_SL_LEVELS 4

/* ---- interrupt remapping table entry (128 bits) ---------------------- */
#define VTD_IRTE_PRESENT (1ull << 0)
#define VTD_IRTE_FPD (1ull << 1)
#define VTD_IRTE_VECTOR_SHIFT 16         /* bits 23:16 */
#define VTD_IRTE_DEST_SHIFT 32           /* bits 63:32: destination */
#define VTD_IRTE_SID_MASK 0xFFFFull      /* high qword bits 15:0 (79:64) */
#define VTD_IRTE_SVT_SHIFT 18            /* high qword bits 19:18 (83:82) */
#define VTD_IRTE_SVT_VERIFY_SID 1ull     /* requester id must equal SID */
#define VTD_IRT_ENTRIES 256              /* one 4 KiB page */
/* The destination field of our entries names a virtual processor: the
 * hypervisor's VP slot. Interrupt posting (VT-d 9.11) binds an entry to
 * a VP's posted-interrupt descriptor; we keep the remapped format and let
 * the destination be the VP, which the simulated IOMMU hands to the core. */

/* Remappable-format MSI (VT-d 5.1.2.2): address 0xFEEx_xxxx with bit 4
 * set (remappable), handle[14:0] in bits 19:5, handle[15] in bit 2,
 * SHV (bit 3) clear: the data register is not used for the handle. */
#define VTD_MSI_BASE 0xFEE00000u
#define VTD_MSI_REMAPPABLE (1u << 4)
static inline uint32_t vtd_msi_address(uint16_t handle) {
  return VTD_MSI_BASE | VTD_MSI_REMAPPABLE | ((uint32_t)(handle & 0x7FFF) << 5) |
         ((uint32_t)(handle >> 15) << 2);
}
static inline int vtd_msi_handle(uint32_t address) {
  if ((address & 0xFFF00000u) != VTD_MSI_BASE || !(address & VTD_MSI_REMAPPABLE))
    return -1;
  return (int)(((address >> 5) & 0x7FFF) | (((address >> 2) & 1) << 15));
}

/* ---- fault reasons (VT-d appendix 7.1.3, the ones we raise) ----------- */
#define VTD_FR_ROOT_NOT_PRESENT 0x1
#define VTD_FR_CTX_NOT_PRESENT 0x2
#define VTD_FR_SL_NOT_PRESENT 0x5   /* no translation for the address */
#define VTD_FR_SL_WRITE 0x6         /* write to a read-only mapping */
#define VTD_FR_SL_READ 0x7          /* read without read permission */
#define VTD_FR_ADDR_BEYOND_AW 0x4   /* address beyond the 48-bit width */
#define VTD_FR_IR_INDEX 0x21        /* interrupt index beyond the table */
#define VTD_FR_IR_NOT_PRESENT 0x22  /* IRTE not present */
#define VTD_FR_IR_SID 0x26          /* requester id fails SID validation */
#define VTD_FR_IR_FORMAT 0x25       /* compatibility-format interrupt blocked */

#endif /* HV_IOMMU_ABI_H */
