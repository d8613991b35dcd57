/*
 * storage.c — the machine's storage, handed to the root partition: the
 * ATA drives the runner attached (the run description's struct
 * bare_storage, hvsim/bare_cfg.h) belong to the root, as a Hyper-V root
 * owns the machine's storage controllers. The map goes into the root's
 * RAM, where its bare runtime finds which drive backs which VM; the
 * drives' ports go into the root's I/O permission, so its driver's port
 * I/O runs without exits. Children still exit on every port.
 */
#include "hvsim/bare_cfg.h"
#include "platform_bare.h"

static const struct bare_storage *storage;

void platform_storage_init(const struct bare_storage *s) { storage = s; }

static void storage_grant(uint8_t *bitmap, uint32_t port, uint32_t n) {
  for (uint32_t p = port; p < port + n && p < 0x10000; p++)
    bitmap[p / 8] &= (uint8_t) ~(1u << (p % 8));
}

void platform_root_io_grant(uint8_t *bitmap) {
  for (uint32_t i = 0; storage && i < storage->ndrives && i < BARE_MAX_DRIVES; i++) {
    storage_grant(bitmap, storage->drives[i].cmd_port, 8); /* data .. status/command */
    storage_grant(bitmap, storage->drives[i].ctl_port, 1); /* device control / alternate status */
  }
}

void platform_storage_load(void) {
  struct bare_storage *dst = (struct bare_storage *)(uintptr_t)BARE_ROOT_STORAGE_GPA;
  if (storage)
    *dst = *storage;
  else
    hv_memset(dst, 0, sizeof *dst);
}
