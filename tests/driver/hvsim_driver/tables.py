"""Name tables for decoding trace records, kept in sync with the C headers.

Sources: include/hvsim/trace.h (trace kinds, exit reasons), hv/include/hv/hvgdk.h
(HV_STATUS_*, HVCALL_*), sim/scenario/scenario.h (VM states, management statuses),
include/hvsim/mgmt.h (management actions).
tests/scenarios/test_driver.py parses those headers and fails when a table
here drifts from them; the names are the ones sim/scenario/names.c prints.
"""

TRACE_NONE = 0xFFFF
ROOT_PARTITION = 1

# enum hv_trace_kind (trace.h): HV_TR_<NAME> -> "<name>"; HV_TR_NONE has no name
TRACE_KINDS = {
    1: "partition_state",
    2: "vp_lifecycle",
    3: "vp_entry",
    4: "vp_exit",
    5: "hypercall",
    6: "sched",
    7: "irq_phys",
    8: "irq_virt",
    9: "gpa_violation",
    10: "msr",
    11: "halt",
    12: "pool",
    13: "mgmt",
    14: "vm_state",
    15: "guest",
    16: "expect",
    17: "isolation",
    18: "world",
    19: "exception",
    20: "vm_bind",
    21: "ipi",
    22: "msg_post",
    23: "msg_deliver",
    24: "event_signal",
    25: "timer",
    26: "intercept",
    27: "iommu",
    28: "dma",
    29: "dma_fault",
    30: "irq_remap",
    31: "device",
    32: "vmbus",
    33: "vmbus_packet",
    34: "serial",
}

# enum hv_exit_reason (trace.h): HV_EXIT_<NAME> -> "<name>"; HV_EXIT_NONE has none
EXIT_REASONS = {
    1: "hypercall",
    2: "msr_read",
    3: "msr_write",
    4: "cpuid",
    5: "io",
    6: "hlt",
    7: "gpa_violation",
    8: "exception",
    9: "preempt",
    10: "interrupt",
    11: "shutdown",
}

# HV_STATUS_<NAME> (hvgdk.h) -> "<NAME>"
STATUSES = {
    0x0000: "SUCCESS",
    0x0002: "INVALID_HYPERCALL_CODE",
    0x0003: "INVALID_HYPERCALL_INPUT",
    0x0004: "INVALID_ALIGNMENT",
    0x0005: "INVALID_PARAMETER",
    0x0006: "ACCESS_DENIED",
    0x0007: "INVALID_PARTITION_STATE",
    0x0008: "OPERATION_DENIED",
    0x0009: "UNKNOWN_PROPERTY",
    0x000A: "PROPERTY_VALUE_OUT_OF_RANGE",
    0x000B: "INSUFFICIENT_MEMORY",
    0x000C: "PARTITION_TOO_DEEP",
    0x000D: "INVALID_PARTITION_ID",
    0x000E: "INVALID_VP_INDEX",
    0x0010: "NOT_FOUND",
    0x0011: "INVALID_PORT_ID",
    0x0012: "INVALID_CONNECTION_ID",
    0x0013: "INSUFFICIENT_BUFFERS",
    0x0014: "NOT_ACKNOWLEDGED",
    0x0015: "INVALID_VP_STATE",
    0x0016: "ACKNOWLEDGED",
    0x0017: "INVALID_SAVE_RESTORE_STATE",
    0x0018: "INVALID_SYNIC_STATE",
    0x0019: "OBJECT_IN_USE",
    0x001B: "NO_DATA",
    0x001C: "INACTIVE",
    0x001D: "NO_RESOURCES",
    0x001E: "FEATURE_UNAVAILABLE",
    0x0038: "INSUFFICIENT_DEVICE_DOMAINS",
    0x0050: "INVALID_REGISTER_VALUE",
    0x0057: "INVALID_DEVICE_ID",
    0x0058: "INVALID_DEVICE_STATE",
    0x0066: "DEVICE_ALREADY_IN_DOMAIN",
    0x0071: "OPERATION_FAILED",
}

# HVCALL_<WORDS> (hvgdk.h) -> "HvCall<Words>" (TLFS names)
CALLS = {
    0x0008: "HvCallNotifyLongSpinWait",
    0x0040: "HvCallCreatePartition",
    0x0041: "HvCallInitializePartition",
    0x0042: "HvCallFinalizePartition",
    0x0043: "HvCallDeletePartition",
    0x0044: "HvCallGetPartitionProperty",
    0x0045: "HvCallSetPartitionProperty",
    0x0046: "HvCallGetPartitionId",
    0x0047: "HvCallGetNextChildPartition",
    0x0048: "HvCallDepositMemory",
    0x0049: "HvCallWithdrawMemory",
    0x004A: "HvCallGetMemoryBalance",
    0x004B: "HvCallMapGpaPages",
    0x004C: "HvCallUnmapGpaPages",
    0x004D: "HvCallInstallIntercept",
    0x004E: "HvCallCreateVp",
    0x004F: "HvCallDeleteVp",
    0x0050: "HvCallGetVpRegisters",
    0x0051: "HvCallSetVpRegisters",
    0x0058: "HvCallDeletePort",
    0x005B: "HvCallDisconnectPort",
    0x005C: "HvCallPostMessage",
    0x005D: "HvCallSignalEvent",
    0x0094: "HvCallAssertVirtualInterrupt",
    0x0095: "HvCallCreatePort",
    0x0096: "HvCallConnectPort",
    0x007C: "HvCallMapDeviceInterrupt",
    0x00B1: "HvCallCreateDeviceDomain",
    0x00B2: "HvCallAttachDeviceDomain",
    0x00B3: "HvCallMapDeviceGpaPages",
    0x00B4: "HvCallUnmapDeviceGpaPages",
    0x00C4: "HvCallDetachDeviceDomain",
    0x00C5: "HvCallDeleteDeviceDomain",
    0x0038: "HvCallHvsimMapDeviceMsi",
    0x0039: "HvCallHvsimUnmapDeviceMsi",
    0x003C: "HvCallHvsimCopyChildGpa",
}

# enum scn_vm_state (scenario.h), in VMMS order
VM_STATES = {0: "Off", 1: "Starting", 2: "Running", 3: "Paused", 4: "Stopping", 5: "Deleted"}

# enum scn_mgmt_status (scenario.h): trace kind mgmt, field b
MGMT_STATUSES = {0: "ok", 1: "invalid_state", 2: "failed", 3: "not_found"}

# enum mgmt_action (include/hvsim/mgmt.h): trace kind mgmt, field a
MGMT_ACTIONS = {1: "create", 2: "start", 3: "stop", 4: "pause", 5: "resume", 6: "delete", 7: "connect",
                8: "route", 9: "assign", 10: "unassign", 11: "shutdown"}

# trace kind sched, field a
SCHED_WHAT = {0: "switch_out", 1: "switch_in", 2: "idle"}

# Sub-codes of payload fields, by kind (trace.h, "sub-codes of the payload
# fields"): enum <name> item HV_<PREFIX>_<NAME> -> "<name>".
# enum hv_world_op: kind world, field a
WORLD_OPS = {1: "interrupt", 2: "mgmt", 3: "sample"}
# enum hv_device_op: kind device, field a
DEVICE_OPS = {1: "assign", 2: "unassign", 3: "dma_storm", 4: "fault_media", 5: "fault_stray_dma",
              6: "fault_bad_msi"}
# enum hv_gpa_action: kind gpa_violation, field c
GPA_ACTIONS = {1: "action_gp", 2: "action_stop"}
# enum hv_iommu_op: kind iommu, field a
IOMMU_OPS = {1: "create", 2: "delete", 3: "attach", 4: "detach", 5: "map", 6: "unmap", 7: "msi_map",
             8: "msi_unmap"}
# enum hv_vmbus_op: kind vmbus, field a
VMBUS_OPS = {1: "contact", 2: "offer", 3: "gpadl", 4: "open", 5: "close", 6: "teardown", 7: "killed",
             8: "unload", 9: "gpadl_refused", 10: "open_refused", 11: "modify",
             12: "tl_refused", 13: "dropped"}
# enum hv_vmbus_reason: kind vmbus, field c of killed / refused
VMBUS_REASONS = {0: "ok", 1: "bad_index", 2: "bad_packet", 3: "too_big", 4: "unreachable", 5: "protocol",
                 6: "not_owned", 7: "in_use", 8: "no_resources"}

# hypercall input (RCX) and result (RAX) fields, TLFS 1.2 / 1.4 (hvgdk.h)
HC_CODE_MASK = 0xFFFF
HC_FAST_BIT = 1 << 16
HC_REP_COUNT_SHIFT, HC_REP_COUNT_MASK = 32, 0xFFF
HC_REP_START_SHIFT, HC_REP_START_MASK = 48, 0xFFF
HC_RESULT_MASK = 0xFFFF
HC_REP_DONE_SHIFT, HC_REP_DONE_MASK = 32, 0xFFF


def _inverse(table):
    return {v: k for k, v in table.items()}


KIND_CODES = _inverse(TRACE_KINDS)
EXIT_CODES = _inverse(EXIT_REASONS)
STATUS_CODES = _inverse(STATUSES)
CALL_CODES = _inverse(CALLS)
VM_STATE_CODES = _inverse(VM_STATES)
MGMT_STATUS_CODES = _inverse(MGMT_STATUSES)
MGMT_ACTION_CODES = _inverse(MGMT_ACTIONS)
WORLD_OP_CODES = _inverse(WORLD_OPS)
DEVICE_OP_CODES = _inverse(DEVICE_OPS)
IOMMU_OP_CODES = _inverse(IOMMU_OPS)
VMBUS_OP_CODES = _inverse(VMBUS_OPS)
VMBUS_REASON_CODES = _inverse(VMBUS_REASONS)


def kind_code(kind):
    """Trace kind number from a name ("hypercall") or a number."""
    if isinstance(kind, int):
        return kind
    if kind not in KIND_CODES:
        raise ValueError(f"unknown trace kind {kind!r}; known: {sorted(KIND_CODES)}")
    return KIND_CODES[kind]


def status_code(status):
    """Hypercall status number from "ACCESS_DENIED", "HV_STATUS_ACCESS_DENIED" or a number."""
    if isinstance(status, int):
        return status
    name = status[len("HV_STATUS_"):] if status.startswith("HV_STATUS_") else status
    if name not in STATUS_CODES:
        raise ValueError(f"unknown hypercall status {status!r}")
    return STATUS_CODES[name]


def call_code(call):
    """Hypercall code from "HvCallCreatePartition" or a number."""
    if isinstance(call, int):
        return call
    if call not in CALL_CODES:
        raise ValueError(f"unknown hypercall {call!r}")
    return CALL_CODES[call]
