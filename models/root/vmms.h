/*
 * vmms.h — the virtual machine management service of the root partition:
 * the state of every VM and the management API's implementation.
 *
 * VM states: Off -> Starting -> Running <-> Paused; Running/Paused ->
 * Stopping -> Off; Off -> (delete) Deleted. An action illegal in the
 * current state is refused with MGMT_INVALID_STATE, traced as a
 * management event; nothing changes.
 */
#ifndef MODELS_ROOT_VMMS_H
#define MODELS_ROOT_VMMS_H

#include "hvsim/mgmt.h"
#include "vid.h"
#include "vmwp.h"
#include "models/vmbus/vmbus_server.h"

struct vmms_vm {
  bool exists;
  uint8_t state; /* enum vm_state */
  struct mgmt_vm_config config;
  struct vmwp worker;
};

struct vmms {
  struct vid *vid;
  uint64_t seed;
  uint32_t vms_hi;                      /* slots 1..vms_hi are initialised (on first use: */
  struct vmms_vm vms[MGMT_MAX_VMS + 1]; /*  the table is half a megabyte); by VM id */
  struct vmbus_server vmbus; /* VMBus server and VSPs (root_main sets it up) */
};

void vmms_init(struct vmms *m, struct vid *vid, uint64_t seed);
/* Carry out one request; returns enum mgmt_error. */
uint32_t vmms_handle(struct vmms *m, const struct mgmt_request *r);
/* An intercept message from the root's SINT 0 (a copy of the 256-byte
 * slot): hand it to the VM's worker. Returns an HV_STATUS. */
uint16_t vmms_intercept(struct vmms *m, const uint8_t *msg);

#endif /* MODELS_ROOT_VMMS_H */
