/*
 * mgmt_api.h — the management API of the root partition (the WMI box of
 * the architecture): requests from tools and scenario scripts to VMMS.
 *
 * A single-producer single-consumer queue: the platform pushes requests
 * and raises MGMT_API_VECTOR on the root's VP 0; VMMS pops them. Results
 * come back as trace events (HV_TR_MGMT, HV_TR_VM_STATE).
 */
#ifndef MODELS_ROOT_MGMT_API_H
#define MODELS_ROOT_MGMT_API_H

#include <guest/guest.h>

#define MGMT_API_VECTOR 0x40
#define MGMT_QUEUE_LEN 256
#define MGMT_MAX_VMS 256

enum mgmt_action {
  MGMT_CREATE = 1,
  MGMT_START = 2,
  MGMT_STOP = 3,
  MGMT_PAUSE = 4,
  MGMT_RESUME = 5,
  MGMT_DELETE = 6,
};

/* Same numbers as enum scn_mgmt_status. */
enum mgmt_error {
  MGMT_OK = 0,
  MGMT_INVALID_STATE = 1,
  MGMT_FAILED = 2,
  MGMT_NOT_FOUND = 3,
};

/* VM states, same numbers as enum scn_vm_state. */
enum vm_state {
  VM_OFF = 0,
  VM_STARTING = 1,
  VM_RUNNING = 2,
  VM_PAUSED = 3,
  VM_STOPPING = 4,
  VM_DELETED = 5,
};

struct mgmt_vm_config {
  char name[32];
  uint64_t memory_bytes;
  uint32_t vps;
  char program[32];
  uint32_t nparams;
  struct guest_boot_param params[GUEST_MAX_PARAMS];
};

struct mgmt_request {
  uint32_t action; /* enum mgmt_action */
  uint32_t vm_id;  /* 1..MGMT_MAX_VMS, chosen by the caller */
  struct mgmt_vm_config config; /* MGMT_CREATE */
};

struct mgmt_channel {
  struct mgmt_request q[MGMT_QUEUE_LEN];
  uint32_t head, tail; /* head: next to pop; tail: next free */
  uint64_t seed;       /* run seed, for per-VM seeds */
};

/* Returns false when the queue is full. */
static inline bool mgmt_channel_push(struct mgmt_channel *c, const struct mgmt_request *r) {
  if (c->tail - c->head >= MGMT_QUEUE_LEN)
    return false;
  c->q[c->tail % MGMT_QUEUE_LEN] = *r;
  c->tail++;
  return true;
}

static inline bool mgmt_channel_pop(struct mgmt_channel *c, struct mgmt_request *r) {
  if (c->head == c->tail)
    return false;
  *r = c->q[c->head % MGMT_QUEUE_LEN];
  c->head++;
  return true;
}

#endif /* MODELS_ROOT_MGMT_API_H */
