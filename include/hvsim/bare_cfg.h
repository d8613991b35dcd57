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
#define BARE_CFG_VERSION 5u /* 4: the machine's storage (struct bare_storage); 5: wall_filetime */
#define BARE_CFG_ROM_ADDR 0xD0000u /* option ROM: 55 AA, size, then the block at +16 */
#define BARE_CFG_ROM_OFFSET 16u

/* The world's plan (world.h), as the runner serialised it: the events the
 * platform plays, and the management requests they push onto the root's
 * queue (struct mgmt_request, mgmt.h). */
#define BARE_MAX_EVENTS 128
#define BARE_MAX_REQS 64

/* The machine's storage: the ATA drives the runner attached (Bochs
 * `ataN-master:` lines, QEMU -drive/-device options) and which of them
 * backs which VM's disk — the root's physical disks, as Hyper-V's root
 * owns the machine's storage controllers. The platform copies this block
 * into the root's RAM at BARE_ROOT_STORAGE_GPA; the root's bare runtime
 * (models/guest/bare/root_storage.c) drives the drives with PIO, and the
 * hypervisor lets the root's I/O to their ports through (only the root's).
 * Drive d is on ATA channel d / 2, master when d is even. */
#define BARE_MAX_DRIVES 8 /* 4 channels, master and slave */
#define BARE_MAX_VMS 256  /* VM ids 1..256 (mgmt.h MGMT_MAX_VMS) */
#define BARE_NO_DRIVE 0xFFu

struct bare_drive {
  uint16_t cmd_port; /* command block: data +0 .. status/command +7 */
  uint16_t ctl_port; /* control block: device control (write) / alternate status (read) */
  uint8_t slave;     /* the DEV bit of the device register */
  uint8_t read_only; /* the files image: the root never writes it */
  uint16_t reserved;
  uint32_t reserved2;
  uint64_t sectors;  /* 512-byte sectors of the image the runner attached */
};

struct bare_vm_disk {
  uint8_t drive; /* BARE_NO_DRIVE: the VM has no disk */
  uint8_t reserved[3];
  uint32_t sectors; /* the VM's disk: sectors 0 .. sectors-1 of the drive */
};

struct bare_storage {
  uint32_t ndrives;
  uint8_t files_drive; /* BARE_NO_DRIVE, or the files image (hvsim/bare_files.h) */
  uint8_t reserved[3];
  struct bare_drive drives[BARE_MAX_DRIVES];
  struct bare_vm_disk vm_disks[BARE_MAX_VMS + 1]; /* by VM id; [0] unused */
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
  uint64_t wall_filetime; /* UTC at time 0 (FILETIME): the root's time sync IC */
  struct world_event events[BARE_MAX_EVENTS]; /* the plan: time-sorted */
  struct mgmt_request reqs[BARE_MAX_REQS];
  struct bare_storage storage;
};

/* Root partition layout in the bare-metal image (GPA = SPA): the root's
 * image (linked here, guest.ld), then the management channel the platform
 * fills (struct mgmt_channel) and the machine's storage (struct
 * bare_storage), then the root_boot block (models/root/
 * root_boot.h) and the RAM VID manages, up to the top of memory. */
#define BARE_ROOT_IMAGE_GPA 0x1000000ull
#define BARE_ROOT_IMAGE_MAX 0x400000ull
#define BARE_MGMT_CHANNEL_GPA 0x1400000ull
#define BARE_ROOT_STORAGE_GPA 0x1430000ull /* struct bare_storage, after the channel */
#define BARE_ROOT_BOOT_GPA 0x1440000ull
_Static_assert(BARE_MGMT_CHANNEL_GPA + sizeof(struct mgmt_channel) <= BARE_ROOT_STORAGE_GPA,
               "the management channel ends before the storage block");
_Static_assert(BARE_ROOT_STORAGE_GPA + sizeof(struct bare_storage) <= BARE_ROOT_BOOT_GPA,
               "the storage block ends before the root's boot block");
/* A child's image is loaded at GUEST_ENTRY_RIP (include/hvsim/root_boot.h). */

#endif /* HVSIM_BARE_CFG_H */
