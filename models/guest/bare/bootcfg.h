/*
 * bootcfg.h — the run description handed to the bare-metal image.
 *
 * The host runner (sim/bochs) translates a scenario into this flat,
 * fixed-size structure; it reaches the image as a Bochs option ROM at
 * BARE_CFG_ROM_ADDR (or as multiboot module 0 under QEMU/GRUB). The
 * hypervisor uses only the machine part; it copies the whole block into
 * the root partition's boot page, where the root's management agent
 * (root_agent.c) executes the timeline through VMMS — the way a Hyper-V
 * host's management service, not the hypervisor, runs VMs.
 * Little-endian, no pointers; shared by host and freestanding code.
 */
#ifndef MODELS_GUEST_BARE_BOOTCFG_H
#define MODELS_GUEST_BARE_BOOTCFG_H

#include <stdint.h>

#define BARE_CFG_MAGIC 0x314746434D564848ull /* "HHVMCFG1" */
#define BARE_CFG_VERSION 1u
#define BARE_CFG_ROM_ADDR 0xD0000u /* option ROM: 55 AA, size, then the block at +16 */
#define BARE_CFG_ROM_OFFSET 16u
#define BARE_MAX_VMS 8
#define BARE_MAX_PARAMS 16
#define BARE_MAX_ACTIONS 64
#define BARE_NAME_MAX 32

struct bare_param {
  char key[BARE_NAME_MAX];
  uint64_t value;
};

struct bare_vm {
  char name[BARE_NAME_MAX];
  char program[BARE_NAME_MAX];
  uint64_t memory_bytes;
  uint32_t vps;
  uint32_t nparams;
  uint32_t explicit_create; /* else created at time 0, as the simulator does */
  uint32_t reserved;
  struct bare_param params[BARE_MAX_PARAMS];
};

/* Timeline action kinds: the management actions keep the numbers of enum
 * mgmt_action (models/root/mgmt_api.h: create 1 .. delete 6); a device
 * interrupt is BARE_ACT_INTERRUPT (one, no storms). The runner refuses
 * anything else before the run. */
#define BARE_ACT_INTERRUPT 16u

struct bare_action {
  uint64_t at_ns;
  uint32_t kind;
  uint32_t ntargets;
  uint32_t targets[BARE_MAX_VMS]; /* indices into vms[]; interrupt: vector, LP */
};

struct bare_cfg {
  uint64_t magic;
  uint32_t version;
  uint32_t size; /* sizeof(struct bare_cfg) */
  uint64_t seed;
  uint64_t memory_bytes; /* the machine's RAM */
  uint64_t cpu_mhz;      /* cycles per microsecond: scenario ns -> cycles */
  uint64_t slice_us;
  uint64_t until_ns;     /* end of the timeline */
  uint64_t max_cycles;   /* the image stops the run past this TSC (watchdog) */
  uint32_t lps;
  uint32_t nvms;
  uint32_t nactions;
  uint32_t reserved;
  struct bare_vm vms[BARE_MAX_VMS];
  struct bare_action actions[BARE_MAX_ACTIONS];
};

/* Root partition layout in the bare-metal image (GPA = SPA): the root's
 * image (linked here, guest.ld), then the management channel the platform
 * fills (struct mgmt_channel), then the root_boot block (models/root/
 * root_boot.h) and the RAM VID manages, up to the top of memory. */
#define BARE_ROOT_IMAGE_GPA 0x1000000ull
#define BARE_ROOT_IMAGE_MAX 0x400000ull
#define BARE_MGMT_CHANNEL_GPA 0x1400000ull
#define BARE_ROOT_BOOT_GPA 0x1440000ull
/* A child's image is loaded at GUEST_ENTRY_RIP (models/root/root_boot.h). */

/* Guest events (guest_event) leave a bare-metal guest as one 32-bit OUT to
 * port BARE_EVENT_PORT with EAX = BARE_EVENT_TAG | kind, RSI = a, RDI = b,
 * R8 = c; the backend records it as a trace record of the VP's partition
 * and resumes the guest. Byte OUTs to the port are guest console output. */
#define BARE_EVENT_PORT 0xE9u
#define BARE_EVENT_TAG 0x48560000u

#endif /* MODELS_GUEST_BARE_BOOTCFG_H */
