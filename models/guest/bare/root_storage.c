/*
 * root_storage.c — the root partition's physical storage on the bare
 * runtime (levels 2 and 3): guest.h's guest_root_disk_* (the disks behind
 * the VMs' synthetic SCSI disks, served by the storage VSP in
 * models/vmbus), guest_root_payload_* and guest_root_boot_file_* (the
 * files the platform hands a VM's worker: a payload, a kernel's boot
 * files), on the ATA drives of the machine (ata.c).
 *
 * Which drive backs which VM is the machine's storage map
 * (hvsim/bare_cfg.h, struct bare_storage) that the platform copied into
 * the root's RAM at BARE_ROOT_STORAGE_GPA; files come from the read-only
 * files drive, whose directory (hvsim/bare_files.h) is read once. A drive
 * is identified on first use; one that does not answer, or is smaller than
 * the map says, backs no disk. Only the root has storage (a child's image
 * links these functions too, and gets none). Single-threaded: the root's
 * VP 0 runs every caller (root_main.c).
 */
#include "models/guest/guest.h"

#include "hvsim/bare_cfg.h"
#include "hvsim/bare_files.h"

#include "ata.h"

enum { DRIVE_UNKNOWN = 0, DRIVE_UP, DRIVE_FAILED };

static struct {
  bool loaded; /* the map copied and checked */
  bool valid;
  struct bare_storage map;
  uint8_t state[BARE_MAX_DRIVES];
  struct ata_info info[BARE_MAX_DRIVES];
  uint8_t dir_state; /* DRIVE_* for the files directory */
  struct bare_files_dir dir;
  uint8_t bounce[BARE_FILES_ALIGN];
} rs;

static void storage_copy(void *d, const void *s, size_t n) {
  size_t q = n / 8, b = n % 8; /* quadwords, then the tail (one instruction per REP iteration on Bochs) */
  __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(b) : : "memory");
}

/* The map, once: only in the root (linked at its image's GPA), and only
 * if every drive index in it names a drive. */
static const struct bare_storage *storage_map(void) {
  if (rs.loaded)
    return rs.valid ? &rs.map : 0;
  rs.loaded = true;
  if ((uint64_t)(uintptr_t)&rs < BARE_ROOT_IMAGE_GPA)
    return 0; /* a child: no machine storage */
  storage_copy(&rs.map, (const void *)(uintptr_t)BARE_ROOT_STORAGE_GPA, sizeof rs.map);
  const struct bare_storage *m = &rs.map;
  if (m->ndrives > BARE_MAX_DRIVES || (m->files_drive != BARE_NO_DRIVE && m->files_drive >= m->ndrives))
    return 0;
  for (uint32_t i = 0; i <= BARE_MAX_VMS; i++)
    if (m->vm_disks[i].drive != BARE_NO_DRIVE && m->vm_disks[i].drive >= m->ndrives)
      return 0;
  rs.valid = true;
  return m;
}

/* Drive i, identified on first use; NULL if it does not answer as an ATA
 * disk holding at least the sectors the map gives it. */
static const struct bare_drive *storage_drive(uint32_t i) {
  const struct bare_storage *m = storage_map();
  if (!m || i >= m->ndrives)
    return 0;
  if (rs.state[i] == DRIVE_UNKNOWN) {
    bool ok = ata_identify(&m->drives[i], &rs.info[i]) && rs.info[i].sectors >= m->drives[i].sectors;
    rs.state[i] = ok ? DRIVE_UP : DRIVE_FAILED;
  }
  return rs.state[i] == DRIVE_UP ? &m->drives[i] : 0;
}

/* VM vm's disk: its drive, or NULL. */
static const struct bare_drive *storage_vm_drive(uint32_t vm, uint64_t *sectors) {
  const struct bare_storage *m = storage_map();
  if (!m || vm == 0 || vm > BARE_MAX_VMS || m->vm_disks[vm].drive == BARE_NO_DRIVE)
    return 0;
  const struct bare_drive *d = storage_drive(m->vm_disks[vm].drive);
  if (!d)
    return 0;
  *sectors = m->vm_disks[vm].sectors < d->sectors ? m->vm_disks[vm].sectors : d->sectors;
  return d;
}

static const struct bare_drive *storage_range(uint32_t vm, uint64_t lba, uint32_t n) {
  uint64_t sectors = 0;
  const struct bare_drive *d = storage_vm_drive(vm, &sectors);
  if (!d || lba > sectors || n > sectors - lba)
    return 0;
  return d;
}

static const struct ata_info *storage_info(const struct bare_drive *d) { return &rs.info[d - rs.map.drives]; }

uint64_t guest_root_disk_sectors(struct guest *g, uint32_t disk) {
  uint64_t sectors = 0;
  return storage_vm_drive(disk, &sectors) ? sectors : 0;
}

bool guest_root_disk_read(struct guest *g, uint32_t disk, uint64_t lba, void *buf, uint32_t sectors) {
  const struct bare_drive *d = storage_range(disk, lba, sectors);
  return d && ata_read(d, storage_info(d), lba, buf, sectors);
}

bool guest_root_disk_write(struct guest *g, uint32_t disk, uint64_t lba, const void *buf, uint32_t sectors) {
  const struct bare_drive *d = storage_range(disk, lba, sectors);
  return d && ata_write(d, storage_info(d), lba, buf, sectors);
}

bool guest_root_disk_flush(struct guest *g, uint32_t disk) {
  const struct bare_drive *d = storage_range(disk, 0, 0);
  return d && ata_flush(d);
}

/* ---- the files drive ------------------------------------------------------
 */

/* The directory, read and checked once: every file inside the drive. */
static const struct bare_files_dir *storage_dir(void) {
  if (rs.dir_state == DRIVE_UNKNOWN) {
    rs.dir_state = DRIVE_FAILED;
    const struct bare_storage *m = storage_map();
    const struct bare_drive *d = m && m->files_drive != BARE_NO_DRIVE ? storage_drive(m->files_drive) : 0;
    if (!d || !ata_read(d, storage_info(d), 0, &rs.dir, BARE_FILES_DIR_SECTORS))
      return 0;
    if (rs.dir.magic != BARE_FILES_MAGIC || rs.dir.version != BARE_FILES_VERSION || rs.dir.nfiles > BARE_FILES_MAX)
      return 0;
    for (uint32_t i = 0; i < rs.dir.nfiles; i++) {
      const struct bare_file *f = &rs.dir.files[i];
      uint64_t n = (f->bytes + 511) / 512;
      if (f->lba < BARE_FILES_DIR_SECTORS || f->lba > d->sectors || n > d->sectors - f->lba)
        return 0;
    }
    rs.dir_state = DRIVE_UP;
  }
  return rs.dir_state == DRIVE_UP ? &rs.dir : 0;
}

static const struct bare_file *storage_file(uint32_t kind, uint32_t vm) {
  const struct bare_files_dir *dir = storage_dir();
  for (uint32_t i = 0; dir && i < dir->nfiles; i++)
    if (dir->files[i].kind == kind && dir->files[i].vm == vm)
      return &dir->files[i];
  return 0;
}

/* Bytes off..off+len of file f, through a bounce buffer of whole sectors. */
static bool storage_file_read(const struct bare_file *f, uint64_t off, void *buf, uint32_t len) {
  if (off > f->bytes || len > f->bytes - off)
    return false;
  const struct bare_drive *d = storage_drive(rs.map.files_drive);
  uint8_t *out = buf;
  while (len) {
    uint64_t first = off / 512, skip = off % 512;
    uint32_t n = (uint32_t)((skip + len + 511) / 512);
    if (n > sizeof rs.bounce / 512)
      n = sizeof rs.bounce / 512;
    uint64_t k = (uint64_t)n * 512 - skip;
    if (k > len)
      k = len;
    if (!d || !ata_read(d, storage_info(d), f->lba + first, rs.bounce, n))
      return false;
    storage_copy(out, rs.bounce + skip, (size_t)k);
    out += k;
    off += k;
    len -= (uint32_t)k;
  }
  return true;
}

uint64_t guest_root_payload_size(struct guest *g, uint32_t vm) {
  const struct bare_file *f = storage_file(BARE_FILE_PAYLOAD, vm);
  return f ? f->bytes : 0;
}

bool guest_root_payload_read(struct guest *g, uint32_t vm, uint64_t off, void *buf, uint32_t len) {
  const struct bare_file *f = storage_file(BARE_FILE_PAYLOAD, vm);
  return f && storage_file_read(f, off, buf, len);
}

uint64_t guest_root_boot_file_size(struct guest *g, uint32_t vm, uint32_t index) {
  const struct bare_file *f = index < BARE_FILE_BOOT_MAX ? storage_file(BARE_FILE_BOOT + index, vm) : 0;
  return f ? f->bytes : 0;
}

bool guest_root_boot_file_read(struct guest *g, uint32_t vm, uint32_t index, uint64_t off, void *buf, uint32_t len) {
  const struct bare_file *f = index < BARE_FILE_BOOT_MAX ? storage_file(BARE_FILE_BOOT + index, vm) : 0;
  return f && storage_file_read(f, off, buf, len);
}
