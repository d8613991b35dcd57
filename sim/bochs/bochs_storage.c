/*
 * bochs_storage.c — the root partition's disks at level 2: every image a
 * scenario's `disk:` names becomes an ATA drive of the emulated machine
 * (Bochs `ataN-master:` lines; QEMU -drive with ide-hd devices), and the
 * VMs' payloads and the boot files of their `kernel:` keys go into one
 * read-only "files" image (hvsim/bare_files.h) on the next drive. The run description (hvsim/bare_cfg.h, struct
 * bare_storage) tells the root's driver where each drive answers and
 * which drive backs which VM.
 *
 * One drive per distinct image, not one image with a partition per VM:
 * the images are the very files the scenario names and level 1 writes,
 * so the check after a run (or after an abrupt stop of the emulator) reads
 * them the same way on every level; VMs naming the same path share the
 * drive (a verifier started on a crashed writer's disk). Drive d sits on
 * ATA channel d / 2 (the four legacy ISA channels), master when even:
 * eight drives at most, the files image included.
 */
#include "bochs_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvsim/bare_files.h"
#include "sim/scenario/kernel.h"
#include "sim/world/run.h"

/* The legacy channels: command block, control register, IRQ (Bochs's
 * ata0..ata3 defaults; QEMU's PIIX3 IDE has the first two, isa-ide
 * devices give the others). */
static const struct {
  uint16_t cmd, ctl;
  uint8_t irq;
} storage_channel[BARE_MAX_DRIVES / 2] = {
    {0x1F0, 0x3F6, 14}, {0x170, 0x376, 15}, {0x1E8, 0x3E6, 11}, {0x168, 0x366, 9}};

static uint64_t storage_align(uint64_t bytes) {
  return (bytes + BARE_FILES_ALIGN - 1) / BARE_FILES_ALIGN * BARE_FILES_ALIGN;
}

/* The payload of partition i: the caller's (run options), else the file's. */
static struct sim_payload storage_payload(const struct scenario *scn, const struct run_opts *opts, uint32_t i) {
  if (opts && opts->payload[i].len)
    return opts->payload[i];
  return (struct sim_payload){scn->partitions[i].payload, scn->partitions[i].payload_bytes};
}

/* One file of the files image: whose (VM vm = partition + 1), what
 * (enum bare_file_kind), its bytes and its name for people. */
struct storage_entry {
  uint32_t kind, vm;
  struct sim_payload data;
  struct scn_pos pos; /* what a refusal points at */
  char name[40];
};

/* The files of the scenario, in directory order: per partition its
 * payload, then its kernel's boot files. At most max into e[]; returns
 * how many there are. */
static uint32_t storage_entries(const struct scenario *scn, const struct run_opts *opts, struct storage_entry *e,
                                uint32_t max) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < scn->npartitions; i++) {
    const struct scn_partition *p = &scn->partitions[i];
    struct sim_payload pl = storage_payload(scn, opts, i);
    if (pl.len) {
      if (n < max) {
        e[n] = (struct storage_entry){BARE_FILE_PAYLOAD, i + 1, pl, p->pos, ""};
        snprintf(e[n].name, sizeof e[n].name, "payload/%s", p->name);
      }
      n++;
    }
    if (!p->kernel)
      continue;
    uint32_t index[BARE_FILES_MAX];
    const struct scn_blob *file[BARE_FILES_MAX];
    uint32_t k = scn_kernel_boot_files(p->kernel, index, file, BARE_FILES_MAX);
    for (uint32_t j = 0; j < k && j < BARE_FILES_MAX; j++, n++)
      if (n < max) {
        e[n] = (struct storage_entry){BARE_FILE_BOOT + index[j], i + 1, {file[j]->data, file[j]->bytes},
                                      p->kernel->pos, ""};
        snprintf(e[n].name, sizeof e[n].name, "boot%u/%s", index[j], p->name);
      }
    n += k > BARE_FILES_MAX ? k - BARE_FILES_MAX : 0;
  }
  return n;
}

static void storage_drive_at(struct bare_storage *st, uint32_t d, uint64_t sectors, bool read_only) {
  st->drives[d] = (struct bare_drive){.cmd_port = storage_channel[d / 2].cmd,
                                      .ctl_port = storage_channel[d / 2].ctl,
                                      .slave = (uint8_t)(d % 2),
                                      .read_only = read_only,
                                      .sectors = sectors};
}

int bochs_storage_plan(const struct scenario *scn, const struct run_opts *opts, const char *backend,
                       struct bare_storage *st, char *err, size_t errlen) {
  memset(st, 0, sizeof *st);
  st->files_drive = BARE_NO_DRIVE;
  for (uint32_t v = 0; v <= BARE_MAX_VMS; v++)
    st->vm_disks[v].drive = BARE_NO_DRIVE;
  struct storage_entry e[BARE_FILES_MAX + 1];
  uint32_t nfiles = storage_entries(scn, opts, e, BARE_FILES_MAX + 1);
  uint64_t files_bytes = BARE_FILES_DIR_SECTORS * 512ull;
  if (nfiles > BARE_FILES_MAX)
    return bochs_refuse(err, errlen, scn, e[BARE_FILES_MAX].pos, backend,
                        "the files image holds at most 62 files (payloads and kernels' boot files)");
  for (uint32_t i = 0; i < nfiles; i++)
    files_bytes += storage_align(e[i].data.len);
  uint32_t limit = BARE_MAX_DRIVES - (nfiles ? 1 : 0);
  for (uint32_t i = 0; i < scn->npartitions && i < BARE_MAX_VMS; i++) {
    const struct scn_partition *p = &scn->partitions[i];
    if (!p->disk_path[0])
      continue;
    uint32_t d = BARE_NO_DRIVE;
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(scn->partitions[j].disk_path, p->disk_path) == 0)
        d = st->vm_disks[j + 1].drive;
    if (d == BARE_NO_DRIVE) {
      if (st->ndrives == limit)
        return bochs_refuse(err, errlen, scn, p->disk_pos, backend,
                            "disk: the machine has 8 ATA drives (4 channels), one of them the "
                            "files image "
                            "when a VM has a payload: too many distinct disk images");
      d = st->ndrives++;
      storage_drive_at(st, d, 0, false);
    }
    uint64_t sectors = p->disk_bytes / 512;
    if (sectors > st->drives[d].sectors)
      st->drives[d].sectors = sectors; /* the image grows to the largest size that names it */
    st->vm_disks[i + 1].drive = (uint8_t)d;
    st->vm_disks[i + 1].sectors = (uint32_t)sectors;
  }
  if (nfiles) {
    st->files_drive = (uint8_t)st->ndrives++;
    storage_drive_at(st, st->files_drive, files_bytes / 512, true);
  }
  return 0;
}

/* The files image: the directory, then each file at its aligned LBA. */
static int storage_files(const struct scenario *scn, const struct run_opts *opts, const struct bare_storage *st,
                         const char *path) {
  struct bare_files_dir *dir = calloc(1, BARE_FILES_DIR_SECTORS * 512);
  FILE *f = fopen(path, "wb");
  int rc = (dir && f) ? 0 : -1;
  uint64_t lba = BARE_FILES_DIR_SECTORS;
  if (rc == 0) {
    dir->magic = BARE_FILES_MAGIC;
    dir->version = BARE_FILES_VERSION;
    dir->sectors = st->drives[st->files_drive].sectors;
    rc = fseek(f, (long)(lba * 512), SEEK_SET);
  }
  struct storage_entry e[BARE_FILES_MAX];
  uint32_t n = storage_entries(scn, opts, e, BARE_FILES_MAX);
  for (uint32_t i = 0; rc == 0 && i < n && i < BARE_FILES_MAX; i++) {
    struct bare_file *d = &dir->files[dir->nfiles++];
    d->kind = e[i].kind;
    d->vm = e[i].vm;
    d->lba = lba;
    d->bytes = e[i].data.len;
    memcpy(d->name, e[i].name, sizeof d->name);
    static const uint8_t zero[BARE_FILES_ALIGN];
    uint64_t pad = storage_align(e[i].data.len) - e[i].data.len;
    if (fwrite(e[i].data.data, 1, e[i].data.len, f) != e[i].data.len || fwrite(zero, 1, pad, f) != pad)
      rc = -1;
    lba += storage_align(e[i].data.len) / 512;
  }
  if (rc == 0 && lba != dir->sectors)
    rc = -1; /* the plan and the image disagree: a bug here */
  if (rc == 0 &&
      (fseek(f, 0, SEEK_SET) != 0 || fwrite(dir, 1, BARE_FILES_DIR_SECTORS * 512, f) != BARE_FILES_DIR_SECTORS * 512))
    rc = -1;
  if (f && fclose(f) != 0)
    rc = -1;
  free(dir);
  return rc;
}

int bochs_storage_make(const struct scenario *scn, const struct run_opts *opts, const struct bare_storage *st,
                       const char *work, struct bochs_drives *out) {
  memset(out, 0, sizeof *out);
  for (uint32_t i = 0; i < scn->npartitions && i < BARE_MAX_VMS; i++) {
    uint8_t d = st->vm_disks[i + 1].drive;
    if (d == BARE_NO_DRIVE)
      continue;
    char path[BOCHS_PATH_MAX];
    int fd = run_disk_image(scn, &scn->partitions[i], opts->trace_dir, path, sizeof path);
    if (fd < 0)
      return -1;
    close(fd);
    if (!out->path[d][0] && !realpath(path, out->path[d])) {
      fprintf(stderr, "hvsim: %s: %s\n", path, strerror(errno));
      return -1;
    }
  }
  if (st->files_drive != BARE_NO_DRIVE) {
    char *path = out->path[st->files_drive];
    if (snprintf(path, BOCHS_PATH_MAX, "%s/files.img", work) >= BOCHS_PATH_MAX ||
        storage_files(scn, opts, st, path) != 0) {
      fprintf(stderr, "hvsim: %s: cannot write the files image\n", path);
      return -1;
    }
  }
  return 0;
}

/* A geometry Bochs accepts for a flat image of n sectors (n a multiple of
 * 8, the scenario's 4 KiB granule): heads * spt * cylinders = n, so the
 * whole image is addressable. */
static void storage_chs(uint64_t n, uint64_t *c, uint64_t *h, uint64_t *s) {
  *s = 8;
  *h = 1;
  while (*h < 16 && (n / (*s * *h)) % 2 == 0 && n / (*s * *h) > 1024)
    *h *= 2;
  *c = n / (*s * *h);
}

void bochs_storage_bochsrc(FILE *f, const struct bare_storage *st, const struct bochs_drives *drives) {
  for (uint32_t ch = 0; ch * 2 < st->ndrives; ch++)
    fprintf(f, "ata%u: enabled=1, ioaddr1=0x%x, ioaddr2=0x%x, irq=%u\n", ch, storage_channel[ch].cmd,
            storage_channel[ch].ctl - 6, storage_channel[ch].irq);
  for (uint32_t d = 0; d < st->ndrives; d++) {
    uint64_t c, h, s;
    storage_chs(st->drives[d].sectors, &c, &h, &s);
    fprintf(f,
            "ata%u-%s: type=disk, mode=flat, path=\"%s\", cylinders=%llu, "
            "heads=%llu, spt=%llu\n",
            d / 2, d % 2 ? "slave" : "master", drives->path[d], (unsigned long long)c, (unsigned long long)h,
            (unsigned long long)s);
  }
}

int bochs_storage_qemu(const struct bare_storage *st, const struct bochs_drives *drives, char *args, size_t len,
                       char **argv, int max) {
  int n = 0;
  size_t used = 0;
#define STORAGE_ARG(...)                                                                                               \
  do {                                                                                                                 \
    int k = snprintf(args + used, len - used, __VA_ARGS__);                                                            \
    if (k < 0 || (size_t)k >= len - used || n == max)                                                                  \
      return -1;                                                                                                       \
    argv[n++] = args + used;                                                                                           \
    used += (size_t)k + 1;                                                                                             \
  } while (0)
  for (uint32_t ch = 2; ch * 2 < st->ndrives; ch++) { /* PIIX3 has channels 0 and 1 */
    STORAGE_ARG("-device");
    STORAGE_ARG("isa-ide,iobase=0x%x,iobase2=0x%x,irq=%u,id=ata%u", storage_channel[ch].cmd, storage_channel[ch].ctl,
                storage_channel[ch].irq, ch);
  }
  for (uint32_t d = 0; d < st->ndrives; d++) {
    STORAGE_ARG("-drive");
    /* QEMU's ide-hd takes no read-only node: the files drive gets a
     * throw-away overlay instead (the root never writes it anyway) */
    STORAGE_ARG("file=%s,format=raw,if=none,id=drive%u,cache=writethrough%s", drives->path[d], d,
                st->drives[d].read_only ? ",snapshot=on" : "");
    STORAGE_ARG("-device");
    if (d / 2 < 2)
      STORAGE_ARG("ide-hd,drive=drive%u,bus=ide.%u,unit=%u", d, d / 2, d % 2);
    else
      STORAGE_ARG("ide-hd,drive=drive%u,bus=ata%u.0,unit=%u", d, d / 2, d % 2);
  }
#undef STORAGE_ARG
  return n;
}
