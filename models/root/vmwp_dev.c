/*
 * vmwp_dev.c — the worker's pass-through devices: assigning a physical
 * device to the VM (Discrete Device Assignment) and taking it back.
 * Guest software in the root partition; everything through WinHv.
 *
 * Assign: a device domain for the child (its pool holds the tables),
 * the device attached to it (the root's pool holds the root and context
 * tables), all of the child's RAM mapped at device address = GPA, an
 * interrupt remapping entry for the device's MSI to the chosen VP and
 * vector, then the device's MSI and bus mastering programmed (struct
 * mgmt_device_cfg). INSUFFICIENT_MEMORY: deposit into the pool that ran
 * dry and retry. Unassign does it backwards, bus mastering off first so
 * no DMA is in flight while the domain goes away.
 */
#include "vmwp.h"

#include "models/winhv/winhv_iommu.h"

#define VMWP_DEV_RETRIES 32
#define VMWP_DEV_DEPOSIT 16

static uint32_t vmwp_dev_domain(uint16_t rid) { return (uint32_t)rid + 1; } /* 0 is reserved */

static uint64_t vmwp_pages(const struct vmwp *w) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < w->nram; i++)
    n += w->ram[i].n;
  return n;
}

static struct mgmt_device_cfg *vmwp_dev_cfg(struct mgmt_channel *ch, uint16_t rid, bool alloc) {
  for (unsigned i = 0; ch && i < MGMT_MAX_DEVICES; i++)
    if (ch->devices[i].enabled && ch->devices[i].rid == rid)
      return &ch->devices[i];
  for (unsigned i = 0; ch && alloc && i < MGMT_MAX_DEVICES; i++)
    if (!ch->devices[i].enabled)
      return &ch->devices[i];
  return 0;
}

/* Retry a call while a pool runs dry: the child's (to) or the root's. */
#define VMWP_RETRY(st, call, vid, to)                                                              \
  do {                                                                                             \
    for (int vmwp_i = 0; vmwp_i < VMWP_DEV_RETRIES; vmwp_i++) {                                    \
      st = (call);                                                                                 \
      if (st != HV_STATUS_INSUFFICIENT_MEMORY)                                                     \
        break;                                                                                     \
      st = vid_deposit(vid, to, VMWP_DEV_DEPOSIT);                                                 \
      if (st != HV_STATUS_SUCCESS)                                                                 \
        break;                                                                                     \
    }                                                                                              \
  } while (0)

static uint16_t vmwp_dev_map(struct vmwp *w, struct vid *vid, uint32_t dom) {
  uint64_t pages = vmwp_pages(w), next = 0;
  while (next < pages) {
    uint32_t done = 0, n = (uint32_t)(pages - next < 4096 ? pages - next : 4096);
    uint16_t st = winhv_map_device_gpa_pages(&vid->hv, w->partition_id, dom,
                                             HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, next, n, &done);
    next += done;
    if (st == HV_STATUS_INSUFFICIENT_MEMORY)
      st = vid_deposit(vid, w->partition_id, VMWP_DEV_DEPOSIT);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_SUCCESS;
}

uint16_t vmwp_assign(struct vmwp *w, struct vid *vid, struct mgmt_channel *ch, uint16_t rid, uint32_t vp,
                     uint8_t vector) {
  uint32_t dom = vmwp_dev_domain(rid), addr = 0, data = 0;
  struct mgmt_device_cfg *cfg = vmwp_dev_cfg(ch, rid, true);
  uint16_t st;
  if (!w->partition_id || !cfg || cfg->enabled)
    return HV_STATUS_INVALID_DEVICE_STATE;
  VMWP_RETRY(st, winhv_create_device_domain(&vid->hv, w->partition_id, dom), vid, w->partition_id);
  if (st != HV_STATUS_SUCCESS)
    return st;
  VMWP_RETRY(st, winhv_attach_device_domain(&vid->hv, w->partition_id, dom, rid), vid, HV_PARTITION_ID_SELF);
  if (st == HV_STATUS_SUCCESS)
    st = vmwp_dev_map(w, vid, dom);
  if (st == HV_STATUS_SUCCESS)
    VMWP_RETRY(st, winhv_map_device_msi(&vid->hv, w->partition_id, rid, vp, vector, &addr, &data), vid,
               HV_PARTITION_ID_SELF);
  if (st != HV_STATUS_SUCCESS) {
    winhv_detach_device_domain(&vid->hv, w->partition_id, rid);
    winhv_delete_device_domain(&vid->hv, w->partition_id, dom);
    return st;
  }
  cfg->rid = rid;
  cfg->owner = w->partition_id;
  cfg->msi_address = addr;
  cfg->msi_data = data;
  cfg->enabled = true; /* bus mastering on, last */
  return HV_STATUS_SUCCESS;
}

uint16_t vmwp_unassign(struct vmwp *w, struct vid *vid, struct mgmt_channel *ch, uint16_t rid) {
  struct mgmt_device_cfg *cfg = vmwp_dev_cfg(ch, rid, false);
  if (!cfg || cfg->owner != w->partition_id)
    return HV_STATUS_INVALID_DEVICE_STATE;
  cfg->enabled = false; /* bus mastering off first */
  uint16_t st = winhv_unmap_device_msi(&vid->hv, w->partition_id, rid, cfg->msi_address);
  if (st == HV_STATUS_SUCCESS)
    st = winhv_detach_device_domain(&vid->hv, w->partition_id, rid);
  if (st == HV_STATUS_SUCCESS)
    st = winhv_delete_device_domain(&vid->hv, w->partition_id, vmwp_dev_domain(rid));
  return st;
}

void vmwp_devices_release(struct vmwp *w, struct mgmt_channel *ch) {
  for (unsigned i = 0; ch && w->partition_id && i < MGMT_MAX_DEVICES; i++)
    if (ch->devices[i].enabled && ch->devices[i].owner == w->partition_id)
      ch->devices[i].enabled = false; /* the hypervisor tears the domain down with the partition */
}
