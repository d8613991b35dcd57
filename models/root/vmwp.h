/*
 * vmwp.h — the VM worker process: one per running VM in the root
 * partition. It builds the VM's partition (memory, boot block, VPs),
 * starts, pauses, resumes and tears it down, and holds its device state.
 */
#ifndef MODELS_ROOT_VMWP_H
#define MODELS_ROOT_VMWP_H

#include "hvsim/mgmt.h"
#include "vid.h"
#include "vmwp_pm.h"
#include "vmwp_rtc.h"
#include "vmwp_uart.h"

#define VMWP_MAX_EXTENTS 64

/* The worker's emulated device: an I/O port a child reaches through an
 * intercept. OUT stores the value; IN returns the stored value + 1. */
#define VMWP_TESTDEV_PORT 0x600

struct vmwp {
  uint32_t vm_id;
  uint64_t partition_id; /* 0 when none */
  uint64_t ref_start;    /* the root's TIME_REF_COUNT when the partition's reference time began (0) */
  struct vid_extent ram[VMWP_MAX_EXTENTS];
  uint32_t nram;
  uint32_t testdev;  /* the test device's register */
  uint64_t io_count; /* emulated accesses */
  struct guest *g;   /* the root's VP the worker runs on */
  uint32_t platform; /* VMWP_PLATFORM_* devices of this VM */
  struct vmwp_uart com1;
  struct vmwp_pm pm;
  struct vmwp_rtc rtc; /* with the ACPI platform: the CMOS clock */
  uint8_t mmio_regs[64]; /* the MMIO test page's registers (vmwp_mmio.c) */
  uint64_t mmio_count;   /* emulated memory-mapped accesses */
};

/* An intercept message of the VM (a copy of the 256-byte SIM slot, TLFS
 * HV_MESSAGE): emulate the access and complete it. Returns an HV_STATUS. */
uint16_t vmwp_intercept(struct vmwp *w, struct vid *vid, const uint8_t *msg);
/* Emulate an intercepted I/O access of VP vp and complete it (RAX for an
 * IN, RIP past the instruction, clear the intercept suspend). An access
 * that powers the VM off (ACPI S5) is not completed: the VP stays
 * suspended until VMMS tears the partition down (vmwp_powered_off). */
uint16_t vmwp_io(struct vmwp *w, struct vid *vid, uint32_t vp, uint16_t port, bool write, uint8_t size,
                 uint64_t rax, uint64_t rip, uint8_t len);
/* The guest entered ACPI S5: VMMS is to turn the VM off. */
static inline bool vmwp_powered_off(const struct vmwp *w) { return w->pm.off; }

/* Copy len bytes to the VM's GPA gpa through the root's pages that will
 * back it (before the map hands them over). Returns an HV_STATUS. */
uint16_t vmwp_write_gpa(struct vmwp *w, struct vid *vid, uint64_t gpa, const void *src, size_t len);

/* vmwp_mmio.c — memory-mapped devices, reached through unmapped-GPA and
 * GPA-intercept messages. vmwp_mmio: emulate and complete one (an
 * HV_STATUS). The rest is exposed for tests: the message's fields, and the
 * devices' byte-accurate read/write (false: no device at gpa; a read then
 * gives all ones). */
struct vmwp_mmio_access {
  uint32_t vp;
  uint8_t access; /* 0 read, 1 write, 2 execute */
  int mode;       /* 16, 32, 64 */
  uint64_t rip, gpa;
  uint8_t nbytes, bytes[16]; /* the instruction's bytes the message carries */
};
bool vmwp_mmio_parse(const uint8_t *msg, struct vmwp_mmio_access *a);
bool vmwp_mmio_read(struct vmwp *w, uint64_t gpa, uint8_t size, uint64_t *value);
bool vmwp_mmio_write(struct vmwp *w, uint64_t gpa, uint8_t size, uint64_t value);
uint16_t vmwp_mmio(struct vmwp *w, struct vid *vid, const uint8_t *msg);
/* vmwp_mmio with the VP's registers reached through regs (the hypervisor's
 * Get/SetVpRegisters, or a test's). */
struct vmwp_vp_regs {
  uint16_t (*get)(void *ctx, uint32_t vp, uint32_t name, uint64_t *value);
  uint16_t (*set)(void *ctx, uint32_t vp, const uint32_t *names, const uint64_t *values, uint32_t n);
  void *ctx;
};
uint16_t vmwp_mmio_emulate(struct vmwp *w, const uint8_t *msg, const struct vmwp_vp_regs *regs);

/* vmwp_platform.c — the platform devices (VMWP_PLATFORM_*). Reset the
 * devices and write the ACPI tables into the VM's RAM (before the map),
 * install the devices' I/O intercepts (after it); each returns an
 * HV_STATUS. vmwp_platform_io: one port access of size bytes, *value the
 * data (in: RAX, out: the merged result); false when no platform device
 * decodes the port. */
/* vmwp_kernel.c — a VM that boots a kernel (cfg->kernel): load it from
 * the VM's boot files into its RAM (before the map), the entry registers
 * into *regs; then, once the VPs exist, start VP 0 there and hold the
 * others for INIT-SIPI. Return an HV_STATUS. */
struct vmwp_boot_regs;
uint16_t vmwp_kernel_load(struct vmwp *w, struct vid *vid, const struct mgmt_vm_config *cfg,
                          struct vmwp_boot_regs *regs);
uint16_t vmwp_kernel_vps(struct vmwp *w, struct vid *vid, uint32_t vps, const struct vmwp_boot_regs *regs);

uint16_t vmwp_platform_load(struct vmwp *w, struct vid *vid, const struct mgmt_vm_config *cfg);
uint16_t vmwp_platform_intercepts(struct vmwp *w, struct vid *vid);
bool vmwp_platform_io(struct vmwp *w, uint16_t port, bool write, uint8_t size, uint64_t *value);

/* Build and start the VM's partition. Returns an HV_STATUS; on failure
 * everything built so far is torn down. */
uint16_t vmwp_start(struct vmwp *w, struct vid *vid, uint32_t vm_id, const struct mgmt_vm_config *cfg,
                    uint64_t seed);
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
