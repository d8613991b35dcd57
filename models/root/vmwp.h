/*
 * vmwp.h — the VM worker process: one per running VM in the root
 * partition. It builds the VM's partition (memory, boot block, VPs),
 * starts, pauses, resumes and tears it down, and holds its device state.
 */
#ifndef MODELS_ROOT_VMWP_H
#define MODELS_ROOT_VMWP_H

#include "hvsim/mgmt.h"
#include "vid.h"

#define VMWP_MAX_EXTENTS 64

/* The worker's emulated device: an I/O port a child reaches through an
 * intercept. OUT stores the value; IN returns the stored value + 1. */
#define VMWP_TESTDEV_PORT 0x600

struct vmwp {
  uint32_t vm_id;
  uint64_t partition_id; /* 0 when none */
  struct vid_extent ram[VMWP_MAX_EXTENTS];
  uint32_t nram;
  uint32_t testdev;      /* the test device's register */
  uint64_t io_count;     /* emulated accesses */
};

/* Emulate an intercepted I/O access of VP vp and complete it (RAX for an
 * IN, RIP past the instruction, clear the intercept suspend). */
uint16_t vmwp_io(struct vmwp *w, struct vid *vid, uint32_t vp, uint16_t port, bool write, uint8_t size,
                 uint64_t rax, uint64_t rip, uint8_t len);

/* Build and start the VM's partition. Returns an HV_STATUS; on failure
 * everything built so far is torn down. */
uint16_t vmwp_start(struct vmwp *w, struct vid *vid, uint32_t vm_id,
                    const struct mgmt_vm_config *cfg, uint64_t seed);
/* Suspend (1) or resume (0) every VP of the VM. */
uint16_t vmwp_suspend(struct vmwp *w, struct vid *vid, bool suspend);
/* Tear the partition down and return its memory to VID. */
uint16_t vmwp_stop(struct vmwp *w, struct vid *vid);

/* vmwp_dev.c — pass-through devices. Assign device rid to the VM, its
 * MSI to (vp, vector); unassign it. Return an HV_STATUS. */
uint16_t vmwp_assign(struct vmwp *w, struct vid *vid, struct mgmt_channel *ch, uint16_t rid, uint32_t vp,
                     uint8_t vector);
uint16_t vmwp_unassign(struct vmwp *w, struct vid *vid, struct mgmt_channel *ch, uint16_t rid);
/* Bus mastering off for every device of the VM (before it is torn down). */
void vmwp_devices_release(struct vmwp *w, struct mgmt_channel *ch);

#endif /* MODELS_ROOT_VMWP_H */
