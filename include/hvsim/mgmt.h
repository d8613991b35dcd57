/*
 * mgmt.h — the management API of the root partition (the WMI box of
 * the architecture): requests from tools and scenario scripts to VMMS.
 *
 * A single-producer single-consumer queue: the platform pushes requests
 * and raises MGMT_API_VECTOR on the root's VP 0; VMMS pops them. Results
 * come back as trace events (HV_TR_MGMT, HV_TR_VM_STATE).
 */
#ifndef HVSIM_MGMT_H
#define HVSIM_MGMT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_boot.h"

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
  MGMT_CONNECT = 7, /* a SynIC port in peer_vm, connected from vm_id */
  MGMT_ROUTE = 8,   /* route a physical interrupt vector to the VM */
  MGMT_ASSIGN = 9,   /* pass device `rid` through to the VM (IOMMU domain, MSI) */
  MGMT_UNASSIGN = 10,/* take device `rid` back */
  MGMT_SHUTDOWN = 11, /* ask the guest to shut down (VMBus shutdown IC); VMMS stops the VM once it agrees */
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
  uint32_t platform; /* devices the worker emulates: VMWP_PLATFORM_* (models/root/vmwp_platform.h) */
  uint32_t kernel;   /* VMWP_KERNEL_*: 0 runs `program`; else the kernel in the VM's boot files
                        (guest_root_boot_file_*) instead */
};

struct mgmt_request {
  uint32_t action; /* enum mgmt_action */
  uint32_t vm_id;  /* 1..MGMT_MAX_VMS, chosen by the caller */
  struct mgmt_vm_config config; /* MGMT_CREATE */
  uint32_t peer_vm;  /* MGMT_CONNECT: the receiving VM */
  uint32_t conn_id;  /* MGMT_CONNECT: port and connection id */
  uint8_t sint;      /* MGMT_CONNECT: target SINT */
  uint16_t flags;    /* MGMT_CONNECT: event flag count, 0 = message port */
  uint8_t vector, to_vector; /* MGMT_ROUTE */
  uint32_t vp;       /* MGMT_ROUTE: target VP */
  uint16_t rid;      /* MGMT_ASSIGN / MGMT_UNASSIGN: the device (vector, vp: its MSI target) */
};

/* A device's PCI configuration as the root programmed it (bus master
 * enable, MSI address and data). Level 1: the simulator's devices read it
 * here, as hardware reads its configuration space. */
#define MGMT_MAX_DEVICES 8
struct mgmt_device_cfg {
  uint16_t rid;
  bool enabled;          /* bus mastering on: the device may DMA */
  uint64_t owner;        /* partition id it is assigned to (for traces) */
  uint32_t msi_address, msi_data;
};

struct mgmt_channel {
  struct mgmt_request q[MGMT_QUEUE_LEN];
  uint32_t head, tail; /* head: next to pop; tail: next free */
  uint64_t seed;       /* run seed, for per-VM seeds */
  struct mgmt_device_cfg devices[MGMT_MAX_DEVICES];
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

#endif /* HVSIM_MGMT_H */
