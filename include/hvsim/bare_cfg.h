/*
 * bare_cfg.h — the run description handed to the bare-metal image.
 *
 * The host runner (sim/bochs) serialises a scenario's plan (world.h) into
 * this flat, fixed-size structure; it reaches the image as a Bochs option
 * ROM at BARE_CFG_ROM_ADDR (or as multiboot module 0 under QEMU/GRUB). The
 * bare platform (platform/bare/) plays the plan with the same player as
 * the simulator (platform/world/).
 * Little-endian, no pointers; shared by host and freestanding code.
 */
#ifndef HVSIM_BARE_CFG_H
#define HVSIM_BARE_CFG_H

#include <stdint.h>

#include "mgmt.h"
#include "world.h"

#define BARE_CFG_MAGIC 0x314746434D564848ull /* "HHVMCFG1" */
#define BARE_CFG_VERSION 3u
#define BARE_CFG_ROM_ADDR 0xD0000u /* option ROM: 55 AA, size, then the block at +16 */
#define BARE_CFG_ROM_OFFSET 16u

/* The world's plan (world.h), as the runner serialised it: the events the
 * platform plays, and the management requests they push onto the root's
 * queue (struct mgmt_request, mgmt.h). */
#define BARE_MAX_EVENTS 128
#define BARE_MAX_REQS 64

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
  struct world_event events[BARE_MAX_EVENTS]; /* the plan: time-sorted */
  struct mgmt_request reqs[BARE_MAX_REQS];
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

#endif /* HVSIM_BARE_CFG_H */
