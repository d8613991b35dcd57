/*
 * test_bochs_storage.c — the level-2 runner's storage (sim/bochs/
 * bochs_storage.c): which ATA drive backs which VM (one per distinct
 * image, shared paths share one, the files drive last), the channels'
 * ports, the 8-drive limit refused with file:line:col, the images made as
 * level 1 makes them, the files image's directory and contents (payloads
 * and a kernel's boot files), the bochsrc lines and QEMU's options.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvsim/bare_files.h"
#include "sim/bochs/bochs_int.h"

static struct scenario scn;
static struct run_opts opts;
static struct bare_storage st;
static char err[512];

static const char three_vms[] = "version: 1\n"
                                "name: disks\n"
                                "machine: { lps: 1, memory: 64MiB }\n"
                                "partitions:\n"
                                "  - { name: a, memory: 4MiB, program: idle, disk: { path: a.img, size: 64KiB } }\n"
                                "  - { name: b, memory: 4MiB, program: idle, disk: { path: b.img, size: 1MiB } }\n"
                                "  - { name: c, memory: 4MiB, program: idle, disk: { path: b.img, size: 2MiB } }\n"
                                "  - { name: d, memory: 4MiB, program: idle }\n";

static int plan(const char *text) {
  struct scn_error e;
  cr_assert_eq(scenario_load_mem("s.yaml", (const uint8_t *)text, strlen(text), &scn, &e), 0, "%s", e.msg);
  return bochs_storage_plan(&scn, &opts, "bochs-vmx", &st, err, sizeof err);
}

static void fini(void) { scenario_free(&scn); }

static void init(void) { memset(&opts, 0, sizeof opts); }

TestSuite(bochs_storage, .init = init, .fini = fini);

Test(bochs_storage, one_drive_per_distinct_image) {
  cr_assert_eq(plan(three_vms), 0, "%s", err);
  cr_assert_eq(st.ndrives, 2);
  cr_assert_eq(st.files_drive, BARE_NO_DRIVE);
  cr_assert_eq(st.vm_disks[1].drive, 0);
  cr_assert_eq(st.vm_disks[2].drive, 1);
  cr_assert_eq(st.vm_disks[3].drive, 1, "c names b's image: the same drive");
  cr_assert_eq(st.vm_disks[4].drive, BARE_NO_DRIVE);
  cr_assert_eq(st.vm_disks[2].sectors, 2048);
  cr_assert_eq(st.vm_disks[3].sectors, 4096, "each VM keeps its own size");
  cr_assert_eq(st.drives[1].sectors, 4096, "the image grows to the largest size naming it");
  cr_assert_eq(st.drives[0].cmd_port, 0x1F0);
  cr_assert_eq(st.drives[0].ctl_port, 0x3F6);
  cr_assert_eq(st.drives[0].slave, 0);
  cr_assert_eq(st.drives[1].cmd_port, 0x1F0);
  cr_assert_eq(st.drives[1].slave, 1);
}

Test(bochs_storage, payloads_go_on_a_read_only_files_drive_last) {
  static const uint8_t blob[5000] = {1, 2, 3};
  opts.payload[3] = (struct sim_payload){(uint8_t *)blob, sizeof blob};
  cr_assert_eq(plan(three_vms), 0, "%s", err);
  cr_assert_eq(st.ndrives, 3);
  cr_assert_eq(st.files_drive, 2);
  cr_assert(st.drives[2].read_only);
  cr_assert_eq(st.drives[2].cmd_port, 0x170, "drive 2: channel 1, master");
  cr_assert_eq(st.drives[2].sectors, BARE_FILES_DIR_SECTORS + 16, "the directory, then 5000 bytes in 8 KiB");
}

Test(bochs_storage, more_than_eight_drives_refused_with_the_position) {
  char text[4096] = "version: 1\nname: many\nmachine: { lps: 1, memory: 64MiB }\npartitions:\n";
  for (int i = 0; i < 9; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "  - { name: v%d, memory: 4MiB, program: idle, disk: { path: d%d.img, size: 64KiB } }\n", i, i);
  cr_assert_eq(plan(text), -1);
  cr_assert(strstr(err, "s.yaml:13:52: disk: the machine has 8 ATA drives") != 0, "%s", err);
  cr_assert(strstr(err, "(level 2, bochs-vmx)") != 0, "%s", err);
}

Test(bochs_storage, images_files_image_and_emulator_lines) {
  static uint8_t blob[5000];
  for (size_t i = 0; i < sizeof blob; i++)
    blob[i] = (uint8_t)(i * 7);
  opts.payload[3] = (struct sim_payload){blob, sizeof blob};
  char dir[] = "/tmp/hvsim-storage-XXXXXX";
  cr_assert(mkdtemp(dir));
  opts.trace_dir = dir;
  cr_assert_eq(plan(three_vms), 0, "%s", err);
  static struct bochs_drives drives;
  cr_assert_eq(bochs_storage_make(&scn, &opts, &st, dir, &drives), 0);
  struct stat sb;
  cr_assert_eq(stat(drives.path[1], &sb), 0);
  cr_assert_eq(sb.st_size, 2 << 20, "grown to the largest size");
  cr_assert(strstr(drives.path[0], "/a.img") != 0, "%s", drives.path[0]);

  FILE *f = fopen(drives.path[2], "rb");
  cr_assert(f);
  static uint8_t img[BARE_FILES_DIR_SECTORS * 512 + 8192];
  cr_assert_eq(fread(img, 1, sizeof img, f), sizeof img);
  cr_assert_eq(fgetc(f), EOF, "the image ends at the padded file");
  fclose(f);
  const struct bare_files_dir *d = (const void *)img;
  cr_assert_eq(d->magic, BARE_FILES_MAGIC);
  cr_assert_eq(d->nfiles, 1);
  cr_assert_eq(d->files[0].kind, BARE_FILE_PAYLOAD);
  cr_assert_eq(d->files[0].vm, 4);
  cr_assert_eq(d->files[0].lba, BARE_FILES_DIR_SECTORS);
  cr_assert_eq(d->files[0].bytes, sizeof blob);
  cr_assert_str_eq(d->files[0].name, "payload/d");
  cr_assert_eq(memcmp(img + BARE_FILES_DIR_SECTORS * 512, blob, sizeof blob), 0);

  char *rc = 0;
  size_t rclen = 0;
  FILE *m = open_memstream(&rc, &rclen);
  bochs_storage_bochsrc(m, &st, &drives);
  fclose(m);
  cr_assert(strstr(rc, "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14\n") != 0, "%s", rc);
  cr_assert(strstr(rc, "ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15\n") != 0, "%s", rc);
  cr_assert(strstr(rc, "ata0-slave: type=disk, mode=flat, path=\"") != 0, "%s", rc);
  cr_assert(strstr(rc, "b.img\", cylinders=512, heads=1, spt=8\n") != 0, "4096 sectors, exactly: %s", rc);
  cr_assert(strstr(rc, "ata1-master: type=disk, mode=flat, path=\"") != 0, "%s", rc);
  free(rc);

  static char args[8192];
  char *argv[32];
  int n = bochs_storage_qemu(&st, &drives, args, sizeof args, argv, 32);
  cr_assert_eq(n, 12, "three drives: -drive and -device each");
  cr_assert(strstr(argv[9], "snapshot=on") != 0, "the files drive is never written: %s", argv[9]);
  cr_assert_str_eq(argv[11], "ide-hd,drive=drive2,bus=ide.1,unit=0");
  cr_assert_eq(bochs_storage_qemu(&st, &drives, args, sizeof args, argv, 5), -1, "too few slots");

  for (int i = 0; i < 3; i++)
    unlink(drives.path[i]);
  rmdir(dir);
}

/* A minimal ELF32 multiboot kernel (one PT_LOAD at 1 MiB holding the
 * header, then HLT; JMP): what the parser's dry run of the loader accepts. */
static void write_multiboot_elf(const char *path) {
  uint8_t f[84 + 64] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  uint32_t hdr[3] = {0x1BADB002u, 3u, (uint32_t)-(0x1BADB002u + 3u)};
  uint16_t eh16[] = {2, 3};
  uint32_t eh32[] = {1, 0x10000C, 52, 0, 0};
  uint16_t eh16b[] = {52, 32, 1, 0, 0, 0};
  uint32_t ph[8] = {1, 84, 0x100000, 0x100000, 64, 0x1000, 5, 0x1000};
  memcpy(f + 16, eh16, sizeof eh16);
  memcpy(f + 20, eh32, sizeof eh32);
  memcpy(f + 40, eh16b, sizeof eh16b);
  memcpy(f + 52, ph, sizeof ph);
  memcpy(f + 84, hdr, sizeof hdr);
  f[84 + 12] = 0xF4, f[84 + 13] = 0xEB;
  FILE *o = fopen(path, "wb");
  cr_assert(o);
  cr_assert_eq(fwrite(f, 1, sizeof f, o), sizeof f);
  fclose(o);
}

Test(bochs_storage, a_kernels_boot_files_go_on_the_files_drive) {
  char dir[] = "/tmp/hvsim-storage-XXXXXX", path[512], text[1024];
  cr_assert(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/mb.elf", dir);
  write_multiboot_elf(path);
  snprintf(path, sizeof path, "%s/mod.bin", dir);
  FILE *m = fopen(path, "wb");
  cr_assert(m);
  fputs("MODULE-0", m);
  fclose(m);
  snprintf(text, sizeof text,
           "version: 1\nname: mb\nmachine: { lps: 1, memory: 64MiB }\npartitions:\n"
           "  - { name: idle, memory: 4MiB, program: idle }\n"
           "  - { name: mb, memory: 4MiB, kernel: { multiboot: %s/mb.elf, cmdline: \"a b\", "
           "modules: [%s/mod.bin, { path: %s/mod.bin, cmdline: two }] } }\n",
           dir, dir, dir);
  opts.trace_dir = dir;
  cr_assert_eq(plan(text), 0, "%s", err);
  cr_assert_eq(st.files_drive, 0, "no disks: the files drive is drive 0");
  cr_assert(st.drives[0].read_only);
  /* kernel, command line, module 0 and its string (its path as written),
   * module 1 and its string: 6 files of one 4 KiB granule each */
  cr_assert_eq(st.drives[0].sectors, BARE_FILES_DIR_SECTORS + 6 * 8);
  static struct bochs_drives drives;
  cr_assert_eq(bochs_storage_make(&scn, &opts, &st, dir, &drives), 0);
  FILE *f = fopen(drives.path[0], "rb");
  cr_assert(f);
  static uint8_t img[BARE_FILES_DIR_SECTORS * 512 + 6 * 4096];
  cr_assert_eq(fread(img, 1, sizeof img, f), sizeof img);
  cr_assert_eq(fgetc(f), EOF);
  fclose(f);
  const struct bare_files_dir *d = (const void *)img;
  cr_assert_eq(d->nfiles, 6);
  const uint64_t bytes[6] = {148, 3, 8, strlen(dir) + 8, 8, 3};
  for (uint32_t i = 0; i < 6; i++) {
    cr_assert_eq(d->files[i].kind, BARE_FILE_BOOT + i, "file %u: kind 0x%x", i, d->files[i].kind);
    cr_assert_eq(d->files[i].vm, 2, "the second partition is VM 2");
    cr_assert_eq(d->files[i].lba, BARE_FILES_DIR_SECTORS + 8 * i);
    cr_assert_eq(d->files[i].bytes, bytes[i], "file %u: %lu bytes", i, (unsigned long)d->files[i].bytes);
  }
  cr_assert_str_eq(d->files[0].name, "boot0/mb");
  cr_assert_eq(memcmp(img + (BARE_FILES_DIR_SECTORS + 8) * 512, "a b", 3), 0, "the command line, no NUL");
  cr_assert_eq(memcmp(img + (BARE_FILES_DIR_SECTORS + 16) * 512, "MODULE-0", 8), 0);
  cr_assert_eq(memcmp(img + (BARE_FILES_DIR_SECTORS + 40) * 512, "two", 3), 0);
  unlink(drives.path[0]);
  snprintf(path, sizeof path, "%s/mb.elf", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/mod.bin", dir);
  unlink(path);
  rmdir(dir);
}

Test(bochs_storage, more_than_62_files_refused_at_the_partition) {
  char text[16384] = "version: 1\nname: many\nmachine: { lps: 1, memory: 64MiB }\npartitions:\n";
  static uint8_t blob[8] = {1};
  for (int i = 0; i < 63; i++) {
    snprintf(text + strlen(text), sizeof text - strlen(text), "  - { name: v%d, memory: 4MiB, program: idle }\n", i);
    opts.payload[i] = (struct sim_payload){blob, sizeof blob};
  }
  cr_assert_eq(plan(text), -1);
  cr_assert(strstr(err, "s.yaml:67:5: the files image holds at most 62 files") != 0, "%s", err);
}
