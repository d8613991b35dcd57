/*
 * ata.h — the root's ATA disk driver (bare runtime, levels 2 and 3): PIO
 * commands on a drive of the machine the run description names
 * (hvsim/bare_cfg.h, struct bare_drive), polled with the drive's
 * interrupt disabled (nIEN). Used by root_storage.c only.
 */
#ifndef MODELS_GUEST_BARE_ATA_H
#define MODELS_GUEST_BARE_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "hvsim/bare_cfg.h"

struct ata_info {
  uint64_t sectors; /* addressable sectors the drive reports (IDENTIFY words 60-61) */
};

/* Reset the drive's channel interrupt (nIEN) and IDENTIFY it. Returns
 * false when no ATA disk answers at its ports. */
bool ata_identify(const struct bare_drive *d, struct ata_info *info);

/* READ / WRITE SECTORS of n sectors at lba, in commands of at most
 * 256 sectors. A write returns true only once the drive reported the
 * last sector done (BSY and DRQ clear, no ERR or DF): the data then is in
 * the drive's medium, which for an emulated drive is its image file.
 * false: a timeout, or the drive reported an error. */
bool ata_read(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, void *buf, uint32_t n);
bool ata_write(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, const void *buf, uint32_t n);
/* FLUSH CACHE: the drive's write cache on its medium. */
bool ata_flush(const struct bare_drive *d);

#endif /* MODELS_GUEST_BARE_ATA_H */
