/*
 * vmms.c — VMMS, the management service (see vmms.h). Guest software in
 * the root partition; reports through guest_event().
 */
#include "vmms.h"

#include "hvsim/trace.h"

void vmms_init(struct vmms *m, struct vid *vid, uint64_t seed) {
  m->vms_hi = 0;
  m->vid = vid;
  m->seed = seed;
}

/* The slot of VM id (1..MGMT_MAX_VMS, else NULL), zeroed the first time a
 * slot at or above it is asked for. */
static struct vmms_vm *vmms_vm(struct vmms *m, uint32_t id) {
  if (id == 0 || id > MGMT_MAX_VMS)
    return 0;
  for (; m->vms_hi < id; m->vms_hi++) {
    uint8_t *p = (uint8_t *)&m->vms[m->vms_hi + 1];
    for (size_t i = 0; i < sizeof m->vms[0]; i++)
      p[i] = 0;
  }
  return &m->vms[id];
}

static void vmms_set_state(struct vmms *m, uint32_t id, enum vm_state s) {
  struct vmms_vm *vm = vmms_vm(m, id);
  guest_event(m->vid->hv.g, HV_TR_VM_STATE, id, vm->state, s);
  vm->state = (uint8_t)s;
}

static bool vmms_allowed(uint32_t action, uint8_t state) {
  switch (action) {
  case MGMT_CONNECT:
  case MGMT_ROUTE:
  case MGMT_ASSIGN:
  case MGMT_UNASSIGN: return state == VM_RUNNING || state == VM_PAUSED;
  case MGMT_START: return state == VM_OFF;
  case MGMT_STOP: return state == VM_RUNNING || state == VM_PAUSED;
  case MGMT_SHUTDOWN: return state == VM_RUNNING;
  case MGMT_PAUSE: return state == VM_RUNNING;
  case MGMT_RESUME: return state == VM_PAUSED;
  case MGMT_DELETE: return state == VM_OFF;
  default: return false;
  }
}

static uint32_t vmms_apply(struct vmms *m, uint32_t id, uint32_t action) {
  struct vmms_vm *vm = vmms_vm(m, id);
  switch (action) {
  case MGMT_START:
    vmms_set_state(m, id, VM_STARTING);
    if (vmwp_start(&vm->worker, m->vid, id, &vm->config, m->seed) != HV_STATUS_SUCCESS) {
      vmms_set_state(m, id, VM_OFF);
      return MGMT_FAILED;
    }
    if (vmbus_server_wanted(vm->config.program)) /* the VM runs without VMBus on failure */
      vmbus_server_attach(&m->vmbus, id, vm->worker.partition_id, vm->worker.ref_start);
    vmms_set_state(m, id, VM_RUNNING);
    return MGMT_OK;
  case MGMT_STOP:
    vmms_set_state(m, id, VM_STOPPING);
    vmbus_server_detach(&m->vmbus, id);
    vmwp_devices_release(&vm->worker, guest_mgmt_channel(m->vid->hv.g));
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
  case MGMT_CONNECT:
  case MGMT_ROUTE:
    return MGMT_FAILED; /* handled with the request (vmms_link) */
  case MGMT_DELETE:
    vmms_set_state(m, id, VM_DELETED);
    vm->exists = false;
    return MGMT_OK;
  default:
    return MGMT_FAILED;
  }
}

/* A SynIC port in the peer VM (its VP 0, the given SINT), connected from
 * this VM; or a physical interrupt vector routed to this VM. */
static uint32_t vmms_link(struct vmms *m, const struct mgmt_request *r) {
  struct winhv *w = &m->vid->hv;
  uint64_t from = vmms_vm(m, r->vm_id)->worker.partition_id;
  if (r->action == MGMT_ROUTE)
    return winhv_map_device_interrupt(w, from, r->vector, r->vp, r->to_vector) ? MGMT_FAILED : MGMT_OK;
  const struct vmms_vm *peer = vmms_vm(m, r->peer_vm);
  if (!peer || !peer->exists)
    return MGMT_NOT_FOUND;
  if (peer->state != VM_RUNNING && peer->state != VM_PAUSED)
    return MGMT_INVALID_STATE;
  uint64_t to = peer->worker.partition_id;
  uint32_t type = r->flags ? 2 : 1; /* HV_PORT_TYPE_EVENT : HV_PORT_TYPE_MESSAGE */
  if (winhv_create_port(w, to, r->conn_id, from, type, r->sint, 0, 0, r->flags))
    return MGMT_FAILED;
  return winhv_connect_port(w, from, r->conn_id, to, r->conn_id) ? MGMT_FAILED : MGMT_OK;
}

uint16_t vmms_intercept(struct vmms *m, const uint8_t *msg) {
  uint64_t origin = 0;
  for (int i = 7; i >= 0; i--)
    origin = origin << 8 | msg[8 + i];
  for (uint32_t id = 1; id <= m->vms_hi; id++) {
    struct vmms_vm *vm = &m->vms[id];
    if (!vm->exists || vm->worker.partition_id != origin)
      continue;
    uint16_t st = vmwp_intercept(&vm->worker, m->vid, msg);
    if (vmwp_powered_off(&vm->worker) && (vm->state == VM_RUNNING || vm->state == VM_PAUSED)) {
      struct mgmt_request r = {.action = MGMT_STOP, .vm_id = id}; /* the guest powered off: VM Off */
      vmms_handle(m, &r);
    }
    return st;
  }
  return HV_STATUS_INVALID_PARTITION_ID;
}

uint32_t vmms_handle(struct vmms *m, const struct mgmt_request *r) {
  uint32_t err;
  struct vmms_vm *vm = vmms_vm(m, r->vm_id);
  if (!vm) {
    err = MGMT_NOT_FOUND;
  } else if (r->action == MGMT_CREATE) {
    if (vm->exists) {
      err = MGMT_INVALID_STATE;
    } else {
      vm->exists = true;
      vm->config = r->config;
      vm->state = VM_DELETED;
      vmms_set_state(m, r->vm_id, VM_OFF);
      err = MGMT_OK;
    }
  } else if (!vm->exists) {
    err = MGMT_NOT_FOUND;
  } else if (!vmms_allowed(r->action, vm->state)) {
    err = MGMT_INVALID_STATE;
  } else if (r->action == MGMT_CONNECT || r->action == MGMT_ROUTE) {
    err = vmms_link(m, r);
  } else if (r->action == MGMT_SHUTDOWN) {
    err = vmbus_server_shutdown(&m->vmbus, r->vm_id) ? MGMT_OK : MGMT_FAILED;
  } else if (r->action == MGMT_ASSIGN || r->action == MGMT_UNASSIGN) {
    struct mgmt_channel *ch = guest_mgmt_channel(m->vid->hv.g);
    err = (r->action == MGMT_ASSIGN ? vmwp_assign(&vm->worker, m->vid, ch, r->rid, r->vp, r->vector)
                                    : vmwp_unassign(&vm->worker, m->vid, ch, r->rid)) == HV_STATUS_SUCCESS
              ? MGMT_OK
              : MGMT_FAILED;
  } else {
    err = vmms_apply(m, r->vm_id, r->action);
  }
  guest_event(m->vid->hv.g, HV_TR_MGMT, r->action, err, r->vm_id);
  return err;
}
