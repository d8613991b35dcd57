/*
 * bare_cfg.h — the run description handed to the bare-metal image.
 *
 * The host runner (sim/bochs) translates a scenario into this flat,
 * fixed-size structure; it reaches the image as a Bochs option ROM at
 * BARE_CFG_ROM_ADDR (or as multiboot module 0 under QEMU/GRUB). The
 * platform (hv/arch/x86/main.c) plays the world: at each event's time it
 * pushes the prepared management request onto the root's queue (VMMS in
 * the root carries it out, as on the simulator) or raises the interrupt.
 * Little-endian, no pointers; shared by host and freestanding code.
 */
#ifndef HVSIM_BARE_CFG_H
#define HVSIM_BARE_CFG_H

#include <stdint.h>

#include "mgmt.h"

#define BARE_CFG_MAGIC 0x314746434D564848ull /* "HHVMCFG1" */
#define BARE_CFG_VERSION 2u
#define BARE_CFG_ROM_ADDR 0xD0000u /* option ROM: 55 AA, size, then the block at +16 */
#define BARE_CFG_ROM_OFFSET 16u

/* The world's timeline, prepared by the runner exactly as the simulator's
 * world (sim/world/run.c) would act: management requests ready to push onto the
 * root's queue (struct mgmt_request, include/hvsim/mgmt.h — creations of
 * VMs without an explicit `create` come first, at time 0) and device
 * interrupts, a storm being `count` of them `period_ns` apart. */
#define BARE_MAX_EVENTS 64
enum bare_event_kind {
  BARE_EV_MGMT = 1,      /* push reqs[req], raise MGMT_API_VECTOR on LP 0 */
  BARE_EV_INTERRUPT = 2, /* physical interrupt `vector` on `lp` */
};

struct bare_event {
  uint64_t at_ns;
  uint32_t kind;
  uint32_t req;    /* BARE_EV_MGMT: index into reqs[] */
  uint32_t vector; /* BARE_EV_INTERRUPT */
  uint32_t lp;
  uint32_t count;  /* >= 1 */
  uint32_t reserved;
  uint64_t period_ns;
};

struct bare_cfg {
  uint64_t magic;
  uint32_t version;
  uint32_t size; /* sizeof(struct bare_cfg) */
  uint64_t seed;
  uint64_t memory_bytes; /* the machine's RAM */
  uint64_t cpu_mhz;      /* cycles per microsecond: scenario ns -> cycles */
  uint64_t slice_us;
  uint64_t until_ns;     /* end of the run */
  uint32_t lps;
  uint32_t nevents;
  uint32_t nreqs;
  uint32_t reserved;
  struct bare_event events[BARE_MAX_EVENTS]; /* sorted by time, stable */
  struct mgmt_request reqs[BARE_MAX_EVENTS];
};

/* Root partition layout in the bare-metal image (GPA = SPA): the root's
 * image (linked here, guest.ld), then the management channel the platform
 * fills (struct mgmt_channel), then the root_boot block (models/root/
 * root_boot.h) and the RAM VID manages, up to the top of memory. */
#define BARE_ROOT_IMAGE_GPA 0x1000000ull
#define BARE_ROOT_IMAGE_MAX 0x400000ull
#define BARE_MGMT_CHANNEL_GPA 0x1400000ull
#define BARE_ROOT_BOOT_GPA 0x1440000ull
/* A child's image is loaded at GUEST_ENTRY_RIP (include/hvsim/root_boot.h). */

/* Guest events (guest_event) leave a bare-metal guest as one 32-bit OUT to
 * port BARE_EVENT_PORT with EAX = BARE_EVENT_TAG | kind, RSI = a, RDI = b,
 * R8 = c; the backend records it as a trace record of the VP's partition
 * and resumes the guest. Byte OUTs to the port are guest console output. */
#define BARE_EVENT_PORT 0xE9u
#define BARE_EVENT_TAG 0x48560000u

#endif /* HVSIM_BARE_CFG_H */
