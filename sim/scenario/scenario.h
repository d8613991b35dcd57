/*
 * scenario.h — the in-memory form of a scenario file (scenarios/ *.yaml).
 *
 * A scenario declares the machine, the VMs (child partitions) the root's
 * VMMS manages, a timeline of actions at virtual times and expectations.
 * scenario_load() parses YAML with libyaml and validates everything
 * (types, ranges, names, references) before anything runs; every error
 * names file:line:column and the field. Host code (sim/), not hv/.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_NAME_MAX 32
#define SCN_MAX_PARAMS 16
#define SCN_MAX_PARTITIONS 256
#define SCN_MAX_TARGETS 256
#define SCN_VERSION 1
/* Parser bounds (a scenario file is untrusted input; these keep the parser
 * fast and small on anything a fuzzer can produce). */
#define SCN_MAX_ACTIONS 4096
#define SCN_MAX_EXPECTS 1024
#define SCN_MAX_FILE_BYTES (1u << 20)
#define SCN_DESCRIPTION_MAX 4096 /* 'description:' text, bytes with its NUL */

struct scn_pos { uint32_t line, col; }; /* 1-based, of the YAML node */

/* A workload parameter: integer, or a string (when is_string). */
struct scn_param {
  char key[SCN_NAME_MAX];
  bool is_string;
  uint64_t value;
  char str[128];
  struct scn_pos pos;
};

struct scn_partition {
  char name[SCN_NAME_MAX];
  uint64_t memory_bytes; /* multiple of 4 KiB, >= 64 KiB */
  uint32_t vps;          /* 1..64 */
  char program[SCN_NAME_MAX];
  struct scn_param params[SCN_MAX_PARAMS];
  uint32_t nparams;
  bool explicit_create; /* the timeline has a 'create' for it */
  struct scn_pos pos;
  /* disk: { path, size } — the raw image behind the VM's synthetic SCSI
   * disk (VMBus storage); relative paths: to the trace dir or cwd. */
  char disk_path[256];   /* "" = no disk */
  uint64_t disk_bytes;   /* multiple of 4 KiB, 64 KiB .. 4 GiB */
  struct scn_pos disk_pos;
  /* payload: FILE — bytes the VM's worker loads into its RAM at
   * GUEST_PAYLOAD_GPA (models/guest/guest.h), e.g. a vmbus-script script.
   * Read when the scenario is loaded; relative paths: to the scenario
   * file's directory. */
  uint8_t *payload;      /* NULL = none (owned; scenario_free releases it) */
  uint64_t payload_bytes;
  /* kernel: and platform: (scenario_kernel.h): a kernel booted instead of a
   * program (NULL = none; owned), the devices the worker emulates. */
  struct scn_kernel *kernel;
  uint32_t platform; /* VMWP_PLATFORM_* (models/root/vmwp_platform.h) */
};

enum scn_action_kind {
  SCN_ACT_CREATE,
  SCN_ACT_START,
  SCN_ACT_STOP,
  SCN_ACT_PAUSE,
  SCN_ACT_RESUME,
  SCN_ACT_DELETE,
  SCN_ACT_INTERRUPT, /* world: a device raises an interrupt (or a storm) */
  SCN_ACT_CONNECT,   /* management: a SynIC port in `to`, connected from `from` */
  SCN_ACT_ROUTE,     /* management: a physical vector routed to a VM (HvCallMapDeviceInterrupt) */
  SCN_ACT_ASSIGN,      /* management: a device passed through to a VM (IOMMU domain) */
  SCN_ACT_UNASSIGN,    /* management: the device taken back */
  SCN_ACT_DMA_STORM,   /* world: the device issues a burst of DMA reads */
  SCN_ACT_DEVICE_FAULT,/* world: a fault injected into the device */
  SCN_ACT_SHUTDOWN,    /* management: ask the guest to shut down (VMBus shutdown IC) */
};

struct scn_action {
  uint64_t at_ns;
  enum scn_action_kind kind;
  /* management actions: indices into scenario.partitions */
  uint32_t targets[SCN_MAX_TARGETS];
  uint32_t ntargets;
  /* SCN_ACT_INTERRUPT */
  struct {
    char device[SCN_NAME_MAX];
    uint32_t vector; /* 16..255 */
    uint32_t lp;     /* LP the interrupt arrives on */
    uint32_t count;  /* >= 1; a storm when > 1 */
    uint64_t period_ns;
  } irq;
  /* SCN_ACT_CONNECT: targets[0] = from, targets[1] = to */
  struct {
    uint32_t id;         /* port and connection id, 1..0xFFFFFF */
    uint32_t sint;       /* target SINT, 1..15 */
    uint32_t flags;      /* event ports: flag count; 0 = a message port */
  } conn;
  /* SCN_ACT_ROUTE: targets[0] = the VM */
  struct {
    uint32_t vector;     /* physical vector, 16..255 */
    uint32_t to_vector;  /* vector seen by the VM */
    uint32_t vp;
  } route;
  /* SCN_ACT_ASSIGN .. SCN_ACT_DEVICE_FAULT: index into scenario.devices;
   * ASSIGN: targets[0] = the VM */
  struct {
    uint32_t index;
    uint32_t vector, vp;     /* ASSIGN: completion interrupt */
    uint32_t count, bytes;   /* DMA_STORM: reads of bytes; DEVICE_FAULT: times */
    uint64_t period_ns;      /* DMA_STORM */
    bool random, anywhere;   /* DMA_STORM: pattern, inside the domain or not */
    uint32_t fault;          /* DEVICE_FAULT: enum scn_device_fault */
  } dev;
  struct scn_pos pos;
};

enum scn_device_fault { SCN_FAULT_MEDIA, SCN_FAULT_STRAY_DMA, SCN_FAULT_BAD_MSI };

/* A DMA-capable device of the machine (devices: section). */
#define SCN_MAX_DEVICES 8
struct scn_device {
  char name[SCN_NAME_MAX];
  uint16_t rid;            /* PCI requester id from bdf "BB:DD.F" */
  char image[256];         /* raw image file; relative: to the trace dir or cwd */
  uint64_t size_bytes;     /* multiple of 4 KiB; the image is created this size */
  uint64_t read_ns, write_ns, poll_ns; /* media latency per command, register poll period */
  struct scn_pos pos;
};

enum scn_expect_kind {
  SCN_EXP_STATE,     /* at T, VM x is in state S */
  SCN_EXP_COUNT,     /* count of matching events compares with N */
  SCN_EXP_ISOLATION, /* no isolation violation during the run */
  SCN_EXP_FAIR,      /* guest cycles of the listed VMs within tolerance */
  SCN_EXP_LATENCY,   /* the largest latency of matching msg_deliver / timer
                        events (their field b, cycles) compared with n (ns) */
  SCN_EXP_CONSOLE,   /* VM targets[0]'s COM1 output (serial events) contains text */
};

enum scn_cmp { SCN_CMP_EQ, SCN_CMP_GE, SCN_CMP_LE };

/* VM states, in VMMS order (models/root/vmms.h uses the same numbers). */
enum scn_vm_state {
  SCN_VM_OFF,
  SCN_VM_STARTING,
  SCN_VM_RUNNING,
  SCN_VM_PAUSED,
  SCN_VM_STOPPING,
  SCN_VM_DELETED,
};

struct scn_filter {
  int32_t kind;      /* enum hv_trace_kind, or -1 for any */
  int32_t partition; /* index into scenario.partitions; -1 any; -2 root */
  int32_t vp;        /* -1 any */
  int32_t call;      /* hypercall code, -1 any */
  int32_t status;    /* hypercall / mgmt status, -1 any */
  bool status_not;   /* status: "!X" — match when status != X */
  int32_t reason;    /* exit reason for vp_exit, -1 any */
  int64_t code;      /* guest marks: the mark's code (field a), -1 any */
  bool has_value;    /* guest marks: match the mark's value (field b) */
  uint64_t value;
};

struct scn_expect {
  enum scn_expect_kind kind;
  /* SCN_EXP_STATE */
  uint64_t at_ns;
  uint32_t targets[SCN_MAX_TARGETS]; /* partitions */
  enum scn_vm_state states[SCN_MAX_TARGETS];
  uint32_t ntargets;
  /* SCN_EXP_COUNT */
  struct scn_filter filter;
  enum scn_cmp cmp;
  uint64_t n;
  /* SCN_EXP_FAIR: targets[] + tolerance in percent */
  uint32_t tolerance_pct;
  /* SCN_EXP_CONSOLE: targets[0] + the text */
  char contains[64];
  char text[160]; /* the expectation as written, for the verdict line */
  struct scn_pos pos;
};

struct scenario {
  char path[512];
  uint32_t version;
  char name[64];
  /* 'description:' — what the scenario shows and which events to look at
   * (the tour's chapters, shown by hvsim tour and the run report); "" none */
  char description[SCN_DESCRIPTION_MAX];
  struct {
    uint32_t lps;          /* 1..64 */
    uint64_t memory_bytes; /* >= 16 MiB, multiple of 2 MiB */
    uint64_t cpu_mhz;      /* cycles per microsecond; default 2000 */
    uint64_t slice_us;     /* scheduler time slice; default 1000 */
    uint64_t wall_filetime; /* UTC at time 0 in 100 ns since 1601-01-01 (Windows FILETIME):
                               'wall_time: YYYY-MM-DDTHH:MM:SSZ', default 2025-01-01T00:00:00Z */
  } machine;
  uint64_t until_ns;       /* 'until:' or 0 = derive from timeline */
  struct scn_partition *partitions;
  uint32_t npartitions;
  struct scn_action *actions; /* sorted by at_ns, stable */
  uint32_t nactions;
  struct scn_expect *expects;
  uint32_t nexpects;
  struct scn_device devices[SCN_MAX_DEVICES];
  uint32_t ndevices;
};

/* Error from scenario_load: "file:line:col: field: message". */
struct scn_error {
  char msg[512];
};

/* Parse and validate the file at path. Returns 0 and fills *out (free with
 * scenario_free), or -1 with *err set; nothing is allocated on error. */
int scenario_load(const char *path, struct scenario *out, struct scn_error *err);
/* Same, from a buffer (fuzzing); name is used in messages. */
int scenario_load_mem(const char *name, const uint8_t *buf, size_t len,
                      struct scenario *out, struct scn_error *err);
void scenario_free(struct scenario *s);


/* Names shared by the parser, the summary and the tools. */
const char *scn_vm_state_name(enum scn_vm_state s);
int scn_vm_state_parse(const char *name);   /* -1 if unknown */
const char *scn_trace_kind_name(int kind);  /* "hypercall", ... */
int scn_trace_kind_parse(const char *name); /* -1 if unknown */
const char *scn_status_name(int status);    /* "SUCCESS", "ACCESS_DENIED" */
int scn_status_parse(const char *name);     /* accepts names and numbers */
const char *scn_call_name(int code);        /* "HvCallCreatePartition" */
int scn_call_parse(const char *name);       /* accepts names and numbers */
/* VP exit reasons (enum hv_exit_reason) for a vp_exit filter: "hlt", ... */
const char *scn_exit_reason_name(int reason); /* NULL if unknown */
int scn_exit_reason_parse(const char *name);  /* -1 if unknown */

/* Status of a management action (trace kind mgmt, field b). */
enum scn_mgmt_status {
  SCN_MGMT_OK = 0,
  SCN_MGMT_INVALID_STATE = 1,
  SCN_MGMT_FAILED = 2,
  SCN_MGMT_NOT_FOUND = 3,
};
const char *scn_mgmt_status_name(int status); /* "ok", ...; NULL if unknown */
int scn_mgmt_status_parse(const char *name);  /* names and numbers; -1 */

/* Unsigned integer in decimal or 0x hex, the whole string, no sign or
 * spaces. Returns 0 and *out, -1 if not such a number, -2 on overflow. */
int scn_parse_uint(const char *s, uint64_t *out);

/* Times as scenario files write them: a decimal number and a unit ns, us,
 * ms or s ("10ms", "1.5us"), a whole number of nanoseconds. */
enum scn_time_err {
  SCN_TIME_OK = 0,
  SCN_TIME_SYNTAX = -1,   /* not a time */
  SCN_TIME_NO_UNIT = -2,  /* a plain number: the unit is required */
  SCN_TIME_FRACTION = -3, /* not a whole number of nanoseconds */
  SCN_TIME_OVERFLOW = -4,
};
int scn_time_parse(const char *s, uint64_t *ns); /* SCN_TIME_* */
/* ns in the largest unit that divides it ("10ms", "1500ns"); returns buf. */
const char *scn_time_format(uint64_t ns, char *buf, size_t cap);
/* Sizes: an integer (decimal or 0x hex) with KiB, MiB, GiB or none (bytes).
 * Returns 0, -1 if not a size, -2 on overflow. */
int scn_size_parse(const char *s, uint64_t *bytes);
const char *scn_size_format(uint64_t bytes, char *buf, size_t cap);

/* An event filter written as in an expectation's `count:` (flow YAML,
 * e.g. "{ event: hypercall, partition: web, status: ACCESS_DENIED }"),
 * over scenario s's partitions. Returns 0, or -1 with err's message. */
int scn_filter_parse(const struct scenario *s, const char *text, struct scn_filter *out, struct scn_error *err);

#endif /* SIM_SCENARIO_H */
