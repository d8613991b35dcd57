/*
 * scenario_names.c — the vocabulary of scenario files: names for numbers
 * of the architecture (VM states of VMMS, trace record kinds, hypercall
 * status and call codes under their TLFS names, VP exit reasons,
 * management statuses) and the units of times and sizes ("1.5us",
 * "64MiB"). Shared by the scenario parser, the run summary and the tools,
 * so that what one prints the others read back.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "hvsim/trace.h"
#include "scenario.h"

struct code_name {
  int code;
  const char *name;
};

/* A status code under its TLFS name without the HV_STATUS_ prefix. */
#define STATUS(sym)                                                                                \
  { HV_STATUS_##sym, #sym }
static const struct code_name status_names[] = {
    STATUS(SUCCESS),
    STATUS(INVALID_HYPERCALL_CODE),
    STATUS(INVALID_HYPERCALL_INPUT),
    STATUS(INVALID_ALIGNMENT),
    STATUS(INVALID_PARAMETER),
    STATUS(ACCESS_DENIED),
    STATUS(INVALID_PARTITION_STATE),
    STATUS(OPERATION_DENIED),
    STATUS(UNKNOWN_PROPERTY),
    STATUS(PROPERTY_VALUE_OUT_OF_RANGE),
    STATUS(INSUFFICIENT_MEMORY),
    STATUS(PARTITION_TOO_DEEP),
    STATUS(INVALID_PARTITION_ID),
    STATUS(INVALID_VP_INDEX),
    STATUS(NOT_FOUND),
    STATUS(INVALID_PORT_ID),
    STATUS(INVALID_CONNECTION_ID),
    STATUS(INSUFFICIENT_BUFFERS),
    STATUS(NOT_ACKNOWLEDGED),
    STATUS(INVALID_VP_STATE),
    STATUS(ACKNOWLEDGED),
    STATUS(INVALID_SAVE_RESTORE_STATE),
    STATUS(INVALID_SYNIC_STATE),
    STATUS(OBJECT_IN_USE),
    STATUS(NO_DATA),
    STATUS(INACTIVE),
    STATUS(NO_RESOURCES),
    STATUS(FEATURE_UNAVAILABLE),
    STATUS(INSUFFICIENT_DEVICE_DOMAINS),
    STATUS(INVALID_REGISTER_VALUE),
    STATUS(INVALID_DEVICE_ID),
    STATUS(INVALID_DEVICE_STATE),
    STATUS(DEVICE_ALREADY_IN_DOMAIN),
    STATUS(OPERATION_FAILED),
};
#undef STATUS

/* A call code: its TLFS name and its Linux HVCALL_ name without prefix. */
struct call_name {
  int code;
  const char *tlfs;
  const char *sym;
};
#define CALL(sym, tlfs)                                                                            \
  { HVCALL_##sym, tlfs, #sym }
static const struct call_name call_names[] = {
    CALL(NOTIFY_LONG_SPIN_WAIT, "HvCallNotifyLongSpinWait"),
    CALL(CREATE_PARTITION, "HvCallCreatePartition"),
    CALL(INITIALIZE_PARTITION, "HvCallInitializePartition"),
    CALL(FINALIZE_PARTITION, "HvCallFinalizePartition"),
    CALL(DELETE_PARTITION, "HvCallDeletePartition"),
    CALL(GET_PARTITION_PROPERTY, "HvCallGetPartitionProperty"),
    CALL(SET_PARTITION_PROPERTY, "HvCallSetPartitionProperty"),
    CALL(GET_PARTITION_ID, "HvCallGetPartitionId"),
    CALL(GET_NEXT_CHILD_PARTITION, "HvCallGetNextChildPartition"),
    CALL(DEPOSIT_MEMORY, "HvCallDepositMemory"),
    CALL(WITHDRAW_MEMORY, "HvCallWithdrawMemory"),
    CALL(GET_MEMORY_BALANCE, "HvCallGetMemoryBalance"),
    CALL(MAP_GPA_PAGES, "HvCallMapGpaPages"),
    CALL(UNMAP_GPA_PAGES, "HvCallUnmapGpaPages"),
    CALL(INSTALL_INTERCEPT, "HvCallInstallIntercept"),
    CALL(CREATE_VP, "HvCallCreateVp"),
    CALL(DELETE_VP, "HvCallDeleteVp"),
    CALL(GET_VP_REGISTERS, "HvCallGetVpRegisters"),
    CALL(SET_VP_REGISTERS, "HvCallSetVpRegisters"),
    CALL(DELETE_PORT, "HvCallDeletePort"),
    CALL(DISCONNECT_PORT, "HvCallDisconnectPort"),
    CALL(POST_MESSAGE, "HvCallPostMessage"),
    CALL(SIGNAL_EVENT, "HvCallSignalEvent"),
    CALL(ASSERT_VIRTUAL_INTERRUPT, "HvCallAssertVirtualInterrupt"),
    CALL(CREATE_PORT, "HvCallCreatePort"),
    CALL(CONNECT_PORT, "HvCallConnectPort"),
    CALL(MAP_DEVICE_INTERRUPT, "HvCallMapDeviceInterrupt"),
    CALL(CREATE_DEVICE_DOMAIN, "HvCallCreateDeviceDomain"),
    CALL(ATTACH_DEVICE_DOMAIN, "HvCallAttachDeviceDomain"),
    CALL(MAP_DEVICE_GPA_PAGES, "HvCallMapDeviceGpaPages"),
    CALL(UNMAP_DEVICE_GPA_PAGES, "HvCallUnmapDeviceGpaPages"),
    CALL(DETACH_DEVICE_DOMAIN, "HvCallDetachDeviceDomain"),
    CALL(DELETE_DEVICE_DOMAIN, "HvCallDeleteDeviceDomain"),
    CALL(HVSIM_MAP_DEVICE_MSI, "HvCallHvsimMapDeviceMsi"),
    CALL(HVSIM_UNMAP_DEVICE_MSI, "HvCallHvsimUnmapDeviceMsi"),
    CALL(HVSIM_COPY_CHILD_GPA, "HvCallHvsimCopyChildGpa"),
};
#undef CALL

/* Indexed by enum scn_vm_state. */
static const char *const vm_state_names[] = {
    "Off", "Starting", "Running", "Paused", "Stopping", "Deleted",
};

/* Indexed by enum hv_trace_kind; NULL where a kind has no name. */
static const char *const trace_kind_names[HV_TR_KIND_COUNT] = {
    [HV_TR_PARTITION_STATE] = "partition_state",
    [HV_TR_VP_LIFECYCLE] = "vp_lifecycle",
    [HV_TR_VP_ENTRY] = "vp_entry",
    [HV_TR_VP_EXIT] = "vp_exit",
    [HV_TR_HYPERCALL] = "hypercall",
    [HV_TR_SCHED] = "sched",
    [HV_TR_IRQ_PHYS] = "irq_phys",
    [HV_TR_IRQ_VIRT] = "irq_virt",
    [HV_TR_GPA_VIOLATION] = "gpa_violation",
    [HV_TR_MSR] = "msr",
    [HV_TR_HALT] = "halt",
    [HV_TR_POOL] = "pool",
    [HV_TR_MGMT] = "mgmt",
    [HV_TR_VM_STATE] = "vm_state",
    [HV_TR_GUEST] = "guest",
    [HV_TR_EXPECT] = "expect",
    [HV_TR_ISOLATION] = "isolation",
    [HV_TR_WORLD] = "world",
    [HV_TR_EXCEPTION] = "exception",
    [HV_TR_VM_BIND] = "vm_bind",
    [HV_TR_IPI] = "ipi",
    [HV_TR_MSG_POST] = "msg_post",
    [HV_TR_MSG_DELIVER] = "msg_deliver",
    [HV_TR_EVENT_SIGNAL] = "event_signal",
    [HV_TR_TIMER] = "timer",
    [HV_TR_INTERCEPT] = "intercept",
    [HV_TR_IOMMU] = "iommu",
    [HV_TR_DMA] = "dma",
    [HV_TR_DMA_FAULT] = "dma_fault",
    [HV_TR_IRQ_REMAP] = "irq_remap",
    [HV_TR_DEVICE] = "device",
    [HV_TR_VMBUS] = "vmbus",
    [HV_TR_VMBUS_PACKET] = "vmbus_packet",
    [HV_TR_SERIAL] = "serial",
};

/* Indexed by enum hv_exit_reason; HV_EXIT_NONE has no name. */
static const char *const exit_reason_names[HV_EXIT_REASON_COUNT] = {
    [HV_EXIT_HYPERCALL] = "hypercall",
    [HV_EXIT_MSR_READ] = "msr_read",
    [HV_EXIT_MSR_WRITE] = "msr_write",
    [HV_EXIT_CPUID] = "cpuid",
    [HV_EXIT_IO] = "io",
    [HV_EXIT_HLT] = "hlt",
    [HV_EXIT_GPA_VIOLATION] = "gpa_violation",
    [HV_EXIT_EXCEPTION] = "exception",
    [HV_EXIT_PREEMPT] = "preempt",
    [HV_EXIT_INTERRUPT] = "interrupt",
    [HV_EXIT_SHUTDOWN] = "shutdown",
};

/* Indexed by enum scn_mgmt_status. */
static const char *const mgmt_status_names[] = {
    [SCN_MGMT_OK] = "ok",
    [SCN_MGMT_INVALID_STATE] = "invalid_state",
    [SCN_MGMT_FAILED] = "failed",
    [SCN_MGMT_NOT_FOUND] = "not_found",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define KIB UINT64_C(1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

int scn_parse_uint(const char *s, uint64_t *out) {
  unsigned base = 10;
  uint64_t v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (*s == '\0')
    return -1;
  for (; *s; s++) {
    int d = hex_digit(*s);
    if (d < 0 || (unsigned)d >= base)
      return -1;
    if (v > (UINT64_MAX - (uint64_t)d) / base)
      return -2;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return 0;
}

/* A number no larger than max, or -1. */
static int names_parse_number(const char *name, uint64_t max) {
  uint64_t v;
  if (scn_parse_uint(name, &v) != 0 || v > max)
    return -1;
  return (int)v;
}

/* Index of name in a table of names (NULL holes allowed), or -1. */
static int names_index(const char *const *table, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (table[i] && strcmp(table[i], name) == 0)
      return (int)i;
  return -1;
}

static const char *names_at(const char *const *table, size_t n, int i) {
  if (i < 0 || (size_t)i >= n)
    return NULL;
  return table[i];
}

const char *scn_vm_state_name(enum scn_vm_state s) {
  return names_at(vm_state_names, COUNT_OF(vm_state_names), (int)s);
}

int scn_vm_state_parse(const char *name) {
  return names_index(vm_state_names, COUNT_OF(vm_state_names), name);
}

const char *scn_trace_kind_name(int kind) {
  return names_at(trace_kind_names, COUNT_OF(trace_kind_names), kind);
}

int scn_trace_kind_parse(const char *name) {
  return names_index(trace_kind_names, COUNT_OF(trace_kind_names), name);
}

const char *scn_exit_reason_name(int reason) {
  return names_at(exit_reason_names, COUNT_OF(exit_reason_names), reason);
}

int scn_exit_reason_parse(const char *name) {
  int i = names_index(exit_reason_names, COUNT_OF(exit_reason_names), name);
  if (i < 0) {
    i = names_parse_number(name, HV_EXIT_REASON_COUNT - 1);
    if (i == HV_EXIT_NONE)
      i = -1;
  }
  return i;
}

const char *scn_mgmt_status_name(int status) {
  return names_at(mgmt_status_names, COUNT_OF(mgmt_status_names), status);
}

int scn_mgmt_status_parse(const char *name) {
  int i = names_index(mgmt_status_names, COUNT_OF(mgmt_status_names), name);
  if (i < 0)
    i = names_parse_number(name, COUNT_OF(mgmt_status_names) - 1);
  return i;
}

const char *scn_status_name(int status) {
  for (size_t i = 0; i < COUNT_OF(status_names); i++)
    if (status_names[i].code == status)
      return status_names[i].name;
  return NULL;
}

/* Accepts "ACCESS_DENIED", "HV_STATUS_ACCESS_DENIED" or a 16-bit number. */
int scn_status_parse(const char *name) {
  const char *bare = name;
  if (strncmp(name, "HV_STATUS_", 10) == 0)
    bare = name + 10;
  for (size_t i = 0; i < COUNT_OF(status_names); i++)
    if (strcmp(status_names[i].name, bare) == 0)
      return status_names[i].code;
  return names_parse_number(name, HV_HYPERCALL_RESULT_MASK);
}

const char *scn_call_name(int code) {
  for (size_t i = 0; i < COUNT_OF(call_names); i++)
    if (call_names[i].code == code)
      return call_names[i].tlfs;
  return NULL;
}

/* Accepts "HvCallCreatePartition", "CREATE_PARTITION",
 * "HVCALL_CREATE_PARTITION" or a 16-bit number. */
int scn_call_parse(const char *name) {
  const char *bare = name;
  if (strncmp(name, "HVCALL_", 7) == 0)
    bare = name + 7;
  for (size_t i = 0; i < COUNT_OF(call_names); i++)
    if (strcmp(call_names[i].tlfs, name) == 0 || strcmp(call_names[i].sym, bare) == 0)
      return call_names[i].code;
  return names_parse_number(name, HV_HYPERCALL_CODE_MASK);
}

/* ---- units ---------------------------------------------------------------- */

static bool str_ends(const char *s, const char *suffix, size_t *prefix_len) {
  size_t ls = strlen(s), lx = strlen(suffix);
  if (ls < lx || strcmp(s + ls - lx, suffix) != 0)
    return false;
  *prefix_len = ls - lx;
  return true;
}

/* "64MiB", "4KiB", "1GiB" or plain bytes. 0 ok, -1 syntax, -2 overflow. */
int scn_size_parse(const char *s, uint64_t *out) {
  static const struct {
    const char *unit;
    uint64_t mul;
  } units[] = {{"KiB", KIB}, {"MiB", MIB}, {"GiB", GIB}};
  char num[48];
  uint64_t mul = 1, v;
  size_t len = strlen(s);
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (str_ends(s, units[i].unit, &len)) {
      mul = units[i].mul;
      break;
    }
  if (len == 0 || len >= sizeof num)
    return -1;
  memcpy(num, s, len);
  num[len] = '\0';
  int rc = scn_parse_uint(num, &v);
  if (rc != 0)
    return rc;
  if (v > UINT64_MAX / mul)
    return -2;
  *out = v * mul;
  return 0;
}

/* Bytes as the largest unit that divides them: "64MiB", "4KiB", "100". */
const char *scn_size_format(uint64_t b, char *buf, size_t cap) {
  if (b && b % GIB == 0)
    snprintf(buf, cap, "%" PRIu64 "GiB", b / GIB);
  else if (b && b % MIB == 0)
    snprintf(buf, cap, "%" PRIu64 "MiB", b / MIB);
  else if (b && b % KIB == 0)
    snprintf(buf, cap, "%" PRIu64 "KiB", b / KIB);
  else
    snprintf(buf, cap, "%" PRIu64, b);
  return buf;
}

static int time_unit(const char *s, size_t *len, uint64_t *unit) {
  static const struct {
    const char *unit;
    uint64_t ns;
  } units[] = {{"ns", 1}, {"us", NS_PER_US}, {"ms", NS_PER_MS}, {"s", NS_PER_S}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (str_ends(s, units[i].unit, len)) {
      *unit = units[i].ns;
      return 0;
    }
  return -1;
}

/* Digits of s[0..len) into *v; returns the count, -1 on overflow. */
static int digits_parse(const char *s, size_t len, uint64_t *v) {
  int n = 0;
  *v = 0;
  while ((size_t)n < len && s[n] >= '0' && s[n] <= '9') {
    uint64_t d = (uint64_t)(s[n] - '0');
    if (*v > (UINT64_MAX - d) / 10)
      return -1;
    *v = *v * 10 + d;
    n++;
  }
  return n;
}

static bool digits_only(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return len > 0;
}

/* The decimals of a time: frac / scale, trailing zeros dropped. */
static int time_fraction(const char *s, size_t len, uint64_t *frac, uint64_t *scale) {
  *frac = 0;
  *scale = 1;
  if (!digits_only(s, len))
    return SCN_TIME_SYNTAX;
  while (len > 0 && s[len - 1] == '0')
    len--;
  if (len > 9) /* finer than 1e-9 of a second: never whole nanoseconds */
    return SCN_TIME_FRACTION;
  digits_parse(s, len, frac);
  for (size_t i = 0; i < len; i++)
    *scale *= 10;
  return SCN_TIME_OK;
}

/* "10ms", "1.5us", "2s": a whole number of nanoseconds. */
int scn_time_parse(const char *s, uint64_t *out) {
  uint64_t ip, frac = 0, unit, scale = 1;
  size_t len;
  if (time_unit(s, &len, &unit) != 0)
    return digits_only(s, strlen(s)) ? SCN_TIME_NO_UNIT : SCN_TIME_SYNTAX;
  int n = digits_parse(s, len, &ip);
  if (n < 0)
    return SCN_TIME_OVERFLOW;
  if (n == 0)
    return SCN_TIME_SYNTAX;
  if ((size_t)n < len) {
    if (s[n] != '.')
      return SCN_TIME_SYNTAX;
    int rc = time_fraction(s + n + 1, len - (size_t)n - 1, &frac, &scale);
    if (rc != SCN_TIME_OK)
      return rc;
  }
  if (frac * unit % scale)
    return SCN_TIME_FRACTION;
  if (ip > (UINT64_MAX - frac * unit / scale) / unit)
    return SCN_TIME_OVERFLOW;
  *out = ip * unit + frac * unit / scale;
  return SCN_TIME_OK;
}

/* Nanoseconds as the largest unit that divides them: "10ms", "1500ns". */
const char *scn_time_format(uint64_t ns, char *buf, size_t cap) {
  if (ns == 0)
    snprintf(buf, cap, "0ms");
  else if (ns % NS_PER_S == 0)
    snprintf(buf, cap, "%" PRIu64 "s", ns / NS_PER_S);
  else if (ns % NS_PER_MS == 0)
    snprintf(buf, cap, "%" PRIu64 "ms", ns / NS_PER_MS);
  else if (ns % NS_PER_US == 0)
    snprintf(buf, cap, "%" PRIu64 "us", ns / NS_PER_US);
  else
    snprintf(buf, cap, "%" PRIu64 "ns", ns);
  return buf;
}
