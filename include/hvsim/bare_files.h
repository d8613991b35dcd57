/*
 * bare_files.h — the files image: how the level-2 runner delivers files
 * into the machine (a VM's `payload:`; the boot files of a VM's `kernel:`:
 * the kernel, its command line, its initrd or modules and their strings),
 * and the root reads them.
 *
 * The runner (sim/bochs) assembles one raw image per run and attaches it
 * as a read-only ATA drive (bare_cfg.h: struct bare_storage, files_drive);
 * the root's bare runtime reads its directory once and then the files,
 * sector by sector, through the same driver as the VMs' disks — the way a
 * real root loads a VM's boot files from its own storage.
 *
 * Layout (little-endian): the directory at LBA 0 (BARE_FILES_DIR_SECTORS
 * sectors), then each file at a 4 KiB-aligned LBA, zero-padded to the next
 * 4 KiB. A file is named by its kind and the VM id it belongs to; its name
 * is for people (the scenario's path, truncated).
 */
#ifndef HVSIM_BARE_FILES_H
#define HVSIM_BARE_FILES_H

#include <stdint.h>

#define BARE_FILES_MAGIC 0x31534546564D5648ull /* "HVMVFES1" */
#define BARE_FILES_VERSION 1u
#define BARE_FILES_MAX 62
#define BARE_FILES_DIR_SECTORS 8u /* 4 KiB */
#define BARE_FILES_ALIGN 4096u

enum bare_file_kind {
  BARE_FILE_PAYLOAD = 1, /* partition key payload: (guest.h guest_root_payload_*) */
  BARE_FILE_BOOT = 0x100, /* + i: boot file i of a kernel: (guest.h GUEST_BOOT_FILE_*,
                             guest_root_boot_file_*) */
};
#define BARE_FILE_BOOT_MAX 0x100u /* boot file indexes 0..255 */

struct bare_file {
  uint32_t kind; /* enum bare_file_kind */
  uint32_t vm;   /* VM id, 1..BARE_MAX_VMS */
  uint64_t lba;  /* first sector */
  uint64_t bytes;
  char name[40]; /* NUL-terminated */
};

struct bare_files_dir {
  uint64_t magic;
  uint32_t version;
  uint32_t nfiles;
  uint64_t sectors; /* of the whole image */
  uint64_t reserved[5];
  struct bare_file files[BARE_FILES_MAX];
};

_Static_assert(sizeof(struct bare_file) == 64, "a directory entry is 64 bytes");
_Static_assert(sizeof(struct bare_files_dir) <= BARE_FILES_DIR_SECTORS * 512u, "the directory fits its sectors");

#endif /* HVSIM_BARE_FILES_H */
