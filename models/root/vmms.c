/*
 * vmms.c — VMMS, the management service (see vmms.h). Guest software in
 * the root partition; reports through guest_event().
 */
#include "vmms.h"

#include <hv/trace.h>

void vmms_init(struct vmms *m, struct vid *vid, uint64_t seed) {
  uint8_t *p = (uint8_t *)m->vms;
  for (size_t i = 0; i < sizeof m->vms; i++)
    p[i] = 0;
  m->vid = vid;
  m->seed = seed;
}

static void vmms_set_state(struct vmms *m, uint32_t id, enum vm_state s) {
  struct vmms_vm *vm = &m->vms[id];
  guest_event(m->vid->hv.g, HV_TR_VM_STATE, id, vm->state, s);
  vm->state = (uint8_t)s;
}

static bool vmms_allowed(uint32_t action, uint8_t state) {
  switch (action) {
  case MGMT_START: return state == VM_OFF;
  case MGMT_STOP: return state == VM_RUNNING || state == VM_PAUSED;
  case MGMT_PAUSE: return state == VM_RUNNING;
  case MGMT_RESUME: return state == VM_PAUSED;
  case MGMT_DELETE: return state == VM_OFF;
  default: return false;
  }
}

static uint32_t vmms_apply(struct vmms *m, uint32_t id, uint32_t action) {
  struct vmms_vm *vm = &m->vms[id];
  switch (action) {
  case MGMT_START:
    vmms_set_state(m, id, VM_STARTING);
    if (vmwp_start(&vm->worker, m->vid, id, &vm->config, m->seed) != HV_STATUS_SUCCESS) {
      vmms_set_state(m, id, VM_OFF);
      return MGMT_FAILED;
    }
    vmms_set_state(m, id, VM_RUNNING);
    return MGMT_OK;
  case MGMT_STOP:
    vmms_set_state(m, id, VM_STOPPING);
    if (vmwp_stop(&vm->worker, m->vid) != HV_STATUS_SUCCESS)
      return MGMT_FAILED; /* stays Stopping: the partition could not be torn down */
    vmms_set_state(m, id, VM_OFF);
    return MGMT_OK;
  case MGMT_PAUSE:
  case MGMT_RESUME:
    if (vmwp_suspend(&vm->worker, m->vid, action == MGMT_PAUSE) != HV_STATUS_SUCCESS)
      return MGMT_FAILED;
    vmms_set_state(m, id, action == MGMT_PAUSE ? VM_PAUSED : VM_RUNNING);
    return MGMT_OK;
  case MGMT_DELETE:
    vmms_set_state(m, id, VM_DELETED);
    vm->exists = false;
    return MGMT_OK;
  default:
    return MGMT_FAILED;
  }
}

uint32_t vmms_handle(struct vmms *m, const struct mgmt_request *r) {
  uint32_t err;
  if (r->vm_id == 0 || r->vm_id > MGMT_MAX_VMS) {
    err = MGMT_NOT_FOUND;
  } else if (r->action == MGMT_CREATE) {
    struct vmms_vm *vm = &m->vms[r->vm_id];
    if (vm->exists) {
      err = MGMT_INVALID_STATE;
    } else {
      vm->exists = true;
      vm->config = r->config;
      vm->state = VM_DELETED;
      vmms_set_state(m, r->vm_id, VM_OFF);
      err = MGMT_OK;
    }
  } else if (!m->vms[r->vm_id].exists) {
    err = MGMT_NOT_FOUND;
  } else if (!vmms_allowed(r->action, m->vms[r->vm_id].state)) {
    err = MGMT_INVALID_STATE;
  } else {
    err = vmms_apply(m, r->vm_id, r->action);
  }
  guest_event(m->vid->hv.g, HV_TR_MGMT, r->action, err, r->vm_id);
  return err;
}
