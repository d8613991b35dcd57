/*
 * trace.h — the architectural event record shared by the core, the
 * simulator, the bare-metal image and the tools.
 *
 * Every architectural event (VP entry and exit, hypercall, state change,
 * scheduler decision, interrupt, management action) is one fixed-size
 * 40-byte little-endian record. The core emits records through
 * arch_trace(); the simulator writes them to trace.bin / trace.jsonl /
 * trace.perfetto.json, the bare-metal image streams them out of the
 * serial port in the same binary layout. The meaning of a, b, c per kind
 * is given next to each kind below and must not change without bumping
 * HV_TRACE_VERSION.
 */
#ifndef HVSIM_TRACE_H
#define HVSIM_TRACE_H

#include <stdint.h>

#define HV_TRACE_VERSION 1u
#define HV_TRACE_NONE 0xFFFFu /* lp / vp / partition not applicable */
#define HV_TRACE_ROOT_PARTITION 1u /* the root partition's id (the core creates it first) */

struct hv_trace_rec {
  uint64_t time;      /* virtual time in cycles of the LP's clock */
  uint16_t kind;      /* enum hv_trace_kind */
  uint16_t lp;        /* logical processor, or HV_TRACE_NONE */
  uint16_t vp;        /* VP index within the partition, or HV_TRACE_NONE */
  uint16_t partition; /* partition id, or HV_TRACE_NONE */
  uint64_t a, b, c;   /* payload, per kind */
};
_Static_assert(sizeof(struct hv_trace_rec) == 40, "trace record is 40 bytes");

enum hv_trace_kind {
  HV_TR_NONE = 0,
  /* a = partition id created/changed, b = old state, c = new state */
  HV_TR_PARTITION_STATE = 1,
  /* a = vp index, b = 1 created / 0 deleted */
  HV_TR_VP_LIFECYCLE = 2,
  /* VP put on an LP by the scheduler: a = slice end (cycles) */
  HV_TR_VP_ENTRY = 3,
  /* a = exit reason (enum hv_exit_reason), b = qualification, c = rip */
  HV_TR_VP_EXIT = 4,
  /* a = input value (RCX), b = result value (RAX), c = cycles spent */
  HV_TR_HYPERCALL = 5,
  /* scheduler decision: a = 0 switch-out / 1 switch-in / 2 idle, b = reason */
  HV_TR_SCHED = 6,
  /* physical interrupt taken by the hypervisor: a = vector, b = target
   * partition (0 = none: held), c = target vp */
  HV_TR_IRQ_PHYS = 7,
  /* virtual interrupt delivered into a VP: a = vector */
  HV_TR_IRQ_VIRT = 8,
  /* guest access to a GPA it does not own: a = gpa, b = access (1 r/2 w/4 x),
   * c = action taken (1 = #GP injected, 2 = partition stopped) */
  HV_TR_GPA_VIOLATION = 9,
  /* MSR access: a = msr, b = value, c = 0 read / 1 write / 2 faulted */
  HV_TR_MSR = 10,
  /* VP halted (HLT): a = rip */
  HV_TR_HALT = 11,
  /* memory pool: a = partition id, b = pages deposited(+)/withdrawn, c = op */
  HV_TR_POOL = 12,
  /* management action (VMMS): a = action (enum mgmt_action), b = status
   * (0 ok, else enum mgmt_error), c = VM id */
  HV_TR_MGMT = 13,
  /* VM state change (VMMS): a = VM id, b = old state, c = new state */
  HV_TR_VM_STATE = 14,
  /* guest program marker: a = code, b = value, c = extra */
  HV_TR_GUEST = 15,
  /* expectation verdict at the end of a run: a = index, b = 1 held/0 failed */
  HV_TR_EXPECT = 16,
  /* isolation oracle violation found: a = spa pfn, b = owner, c = reacher */
  HV_TR_ISOLATION = 17,
  /* world / fault action by the simulator: a = kind, b = arg, c = arg */
  HV_TR_WORLD = 18,
  /* exception injected into a VP: a = vector, b = error code */
  HV_TR_EXCEPTION = 19,
  /* VMMS bound a VM to a partition: a = VM id, b = partition id */
  HV_TR_VM_BIND = 20,
  /* IPI sent through the ICR: a = vector, b = target VP index, c = shorthand */
  HV_TR_IPI = 21,
  /* HvCallPostMessage queued: a = connection id, b = message type | size
   * << 32, c = the message's sequence number (pairs it with its delivery) */
  HV_TR_MSG_POST = 22,
  /* a message placed in a VP's SIM slot: a = SINT, b = latency in cycles
   * (post to delivery), c = message type | sequence number (low 32 bits) << 32 */
  HV_TR_MSG_DELIVER = 23,
  /* an event flag set: a = SINT, b = absolute flag, c = 1 newly set */
  HV_TR_EVENT_SIGNAL = 24,
  /* a timer expired: a = timer (0-3 STIMERn, 4 APIC timer), b = latency in
   * cycles (expiry to delivery), c = 0 message / 1 direct interrupt */
  HV_TR_TIMER = 25,
  /* an intercept: a = message type, b = port / MSR / leaf, c = 0 sent to
   * the root, 1 completed by the root */
  HV_TR_INTERCEPT = 26,
  /* device-domain change (hv/core/iommu.c): a = op (1 create, 2 delete,
   * 3 attach, 4 detach, 5 map, 6 unmap, 7 msi map, 8 msi unmap),
   * b = domain id or requester id, c = pages / handle */
  HV_TR_IOMMU = 27,
  /* a device command completed (sim devices): a = requester id,
   * b = opcode << 56 | data buffer device address,
   * c = first block << 24 | blocks << 16 | status (0 = success) */
  HV_TR_DMA = 28,
  /* DMA or interrupt request blocked by the IOMMU: a = requester id,
   * b = device address (or interrupt handle), c = reason << 8 | access
   * (1 read, 2 write, 4 interrupt) */
  HV_TR_DMA_FAULT = 29,
  /* remapped device interrupt posted to a VP: a = requester id,
   * b = vector, c = handle */
  HV_TR_IRQ_REMAP = 30,
  /* world action on a device (assign, unassign, storm, fault):
   * a = action, b = requester id, c = argument */
  HV_TR_DEVICE = 31,
  /* VMBus channel event in the root's server (models/vmbus): a = op
   * (1 contact, 2 offer, 3 gpadl created, 4 open, 5 close, 6 gpadl torn
   * down, 7 channel closed by the server, 8 unload, 9 gpadl refused,
   * 10 open refused), b = vm id << 32 | relid or gpadl handle,
   * c = version / status / reason (1 bad index, 2 bad packet, 3 too big,
   * 4 memory unreachable, 5 protocol violation, 6 page not owned) */
  HV_TR_VMBUS = 32,
  /* a VMBus packet through a VSP: a = vm id << 32 | relid,
   * b = direction << 32 | packet type (0 guest to host, 1 host to guest),
   * c = bytes */
  HV_TR_VMBUS_PACKET = 33,
  /* a byte a VM sent through a UART its worker emulates (the VM's
   * console): a = VM id, b = the byte, c = the UART (0 = COM1) */
  HV_TR_SERIAL = 34,
  HV_TR_KIND_COUNT
};

/* ---- sub-codes of the payload fields, by kind ------------------------- */

/* HV_TR_WORLD field a: what the world did (b, c as listed). */
enum hv_world_op {
  HV_WORLD_INTERRUPT = 1, /* b = vector, c = LP */
  HV_WORLD_MGMT = 2,      /* b = enum mgmt_action, c = VM id */
  HV_WORLD_SAMPLE = 3,    /* an observation point: b = the state expectation's index */
};

/* HV_TR_DEVICE field a: the world's action on a device (b = requester id). */
enum hv_device_op {
  HV_DEVICE_ASSIGN = 1,      /* c = VM id */
  HV_DEVICE_UNASSIGN = 2,    /* c = VM id */
  HV_DEVICE_DMA_STORM = 3,   /* c = reads */
  HV_DEVICE_FAULT_MEDIA = 4, /* c = count; 4 + enum of the fault kind */
  HV_DEVICE_FAULT_STRAY_DMA = 5,
  HV_DEVICE_FAULT_BAD_MSI = 6,
};

/* HV_TR_GPA_VIOLATION field c: what the hypervisor did. */
enum hv_gpa_action {
  HV_GPA_ACTION_GP = 1,   /* #GP injected */
  HV_GPA_ACTION_STOP = 2, /* partition stopped */
};

/* HV_TR_IOMMU field a. */
enum hv_iommu_op {
  HV_IOMMU_CREATE = 1,
  HV_IOMMU_DELETE = 2,
  HV_IOMMU_ATTACH = 3,
  HV_IOMMU_DETACH = 4,
  HV_IOMMU_MAP = 5,
  HV_IOMMU_UNMAP = 6,
  HV_IOMMU_MSI_MAP = 7,
  HV_IOMMU_MSI_UNMAP = 8,
};

/* HV_TR_VMBUS field a: the server's channel event. */
enum hv_vmbus_op {
  HV_VMBUS_CONTACT = 1,       /* c = version */
  HV_VMBUS_OFFER = 2,         /* c = device kind */
  HV_VMBUS_GPADL = 3,         /* c = pages */
  HV_VMBUS_OPEN = 4,          /* c = device kind */
  HV_VMBUS_CLOSE = 5,         /* c = 1 when the channel was dead */
  HV_VMBUS_TEARDOWN = 6,
  HV_VMBUS_KILLED = 7,        /* closed by the server: c = enum hv_vmbus_reason */
  HV_VMBUS_UNLOAD = 8,
  HV_VMBUS_GPADL_REFUSED = 9, /* c = enum hv_vmbus_reason */
  HV_VMBUS_OPEN_REFUSED = 10, /* c = enum hv_vmbus_reason */
  HV_VMBUS_MODIFY = 11,       /* MODIFYCHANNEL: c = the new target VP, or HV_VMBUS_PROTOCOL when refused */
  HV_VMBUS_TL_REFUSED = 12,   /* TL_CONNECT_REQUEST refused: no hv_sock service */
  HV_VMBUS_DROPPED = 13,      /* a message dropped: the VM left its answers unread too long (c = type) */
};

/* Why the VMBus server refused or closed something (HV_TR_VMBUS field c). */
enum hv_vmbus_reason {
  HV_VMBUS_OK = 0,
  HV_VMBUS_BAD_INDEX = 1,   /* ring indices out of range */
  HV_VMBUS_BAD_PACKET = 2,  /* a malformed packet descriptor */
  HV_VMBUS_TOO_BIG = 3,     /* a packet larger than the provider takes */
  HV_VMBUS_UNREACHABLE = 4, /* the channel's memory could not be copied */
  HV_VMBUS_PROTOCOL = 5,    /* a protocol violation */
  HV_VMBUS_NOT_OWNED = 6,   /* a page the guest does not own */
  HV_VMBUS_IN_USE = 7,      /* a GPADL handle already in use */
  HV_VMBUS_NO_RESOURCES = 8, /* the server's GPADL list pages are all taken */
};

/* VP exit reasons, vendor neutral (the backends translate to these). */
enum hv_exit_reason {
  HV_EXIT_NONE = 0,
  HV_EXIT_HYPERCALL = 1,
  HV_EXIT_MSR_READ = 2,
  HV_EXIT_MSR_WRITE = 3,
  HV_EXIT_CPUID = 4,
  HV_EXIT_IO = 5,
  HV_EXIT_HLT = 6,
  HV_EXIT_GPA_VIOLATION = 7,
  HV_EXIT_EXCEPTION = 8,
  HV_EXIT_PREEMPT = 9,     /* slice or deadline reached (preemption timer) */
  HV_EXIT_INTERRUPT = 10,  /* external interrupt while in guest */
  HV_EXIT_SHUTDOWN = 11,   /* triple fault / guest finished */
  HV_EXIT_REASON_COUNT
};

#endif /* HVSIM_TRACE_H */
