/*
 * vmwp.h — the VM worker process: one per running VM in the root
 * partition. It builds the VM's partition (memory, boot block, VPs),
 * starts, pauses, resumes and tears it down, and holds its device state.
 */
#ifndef MODELS_ROOT_VMWP_H
#define MODELS_ROOT_VMWP_H

#include "mgmt_api.h"
#include "vid.h"

#define VMWP_MAX_EXTENTS 64

struct vmwp {
  uint32_t vm_id;
  uint64_t partition_id; /* 0 when none */
  struct vid_extent ram[VMWP_MAX_EXTENTS];
  uint32_t nram;
};

/* Build and start the VM's partition. Returns an HV_STATUS; on failure
 * everything built so far is torn down. */
uint16_t vmwp_start(struct vmwp *w, struct vid *vid, uint32_t vm_id,
                    const struct mgmt_vm_config *cfg, uint64_t seed);
/* Suspend (1) or resume (0) every VP of the VM. */
uint16_t vmwp_suspend(struct vmwp *w, struct vid *vid, bool suspend);
/* Tear the partition down and return its memory to VID. */
uint16_t vmwp_stop(struct vmwp *w, struct vid *vid);

#endif /* MODELS_ROOT_VMWP_H */
