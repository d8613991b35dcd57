/*
 * test_vmwp_load_linux.c — unit tests of the Linux PVH loader
 * (models/root/vmwp_load_linux.c): hvm_start_info, module list, memory
 * map and command line as Linux reads them; the initrd top-down above the
 * kernel; refusals (no PVH note, entry outside the image, initrd too big,
 * command line too long, kernel below 1 MiB); a dry run agreeing with the
 * real load; and, when guests/linux/build-image has run, Debian's own
 * vmlinux and initramfs (build/guest/).
 */
#include <stdio.h>

#include "loadlib.h"

#include "models/root/vmwp_load.h"
#include "models/root/vmwp_platform.h"

static struct ll_elf img;
static struct vmwp_file kernel, modules[2], cmdline;
static struct vmwp_kernel_in in;
static struct vmwp_boot_regs regs;
static struct vmwp_boot_layout layout;
static uint64_t detail;

static void pvh_kernel(uint64_t entry) {
  uint8_t text[256], d[8];
  memset(text, 0x90, sizeof text);
  ll_elf_init(&img, true, 0xFFFFFFFF81000000ull);
  ll_elf_seg(&img, 1, 0xFFFFFFFF81000000ull, 0x1000000, text, sizeof text, 0x40000);
  ll_put(d, entry, 8);
  ll_elf_note(&img, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, d, 8);
  kernel = ll_file(img.b, img.len);
  in = (struct vmwp_kernel_in){&kernel, 0, 0, 0, 0, VMWP_ACPI_GPA};
}

static const char initrd[] = "070701 an initramfs stand-in";
static const char args[] = "console=ttyS0 quiet panic=-1";

Test(vmwp_load_linux, start_info_as_linux_reads_it) {
  pvh_kernel(0x1000040);
  modules[0] = ll_file(initrd, sizeof initrd);
  cmdline = ll_file(args, strlen(args));
  in.modules = modules;
  in.nmodules = 1;
  in.cmdline = &cmdline;
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 64 << 20);
  cr_assert_eq(vmwp_load_linux(&in, &m, &regs, &layout, &detail), VMWP_LOAD_OK, "detail 0x%llx",
               (unsigned long long)detail);
  cr_assert_eq(regs.rip, 0x1000040);
  cr_assert_eq(regs.rbx, VMWP_BOOT_INFO_GPA);
  const uint8_t *si = r.bytes + VMWP_BOOT_INFO_GPA;
  cr_assert_eq(ll_le(si, 4), PVH_START_MAGIC);
  cr_assert_eq(ll_le(si + 4, 4), 1);
  cr_assert_eq(ll_le(si + 12, 4), 1);
  cr_assert_eq(ll_le(si + 32, 8), VMWP_ACPI_GPA);
  cr_assert_str_eq((const char *)r.bytes + ll_le(si + 24, 8), args);
  const uint8_t *mod = r.bytes + ll_le(si + 16, 8);
  uint64_t initrd_gpa = ll_le(mod, 8);
  cr_assert_eq(ll_le(mod + 8, 8), sizeof initrd);
  cr_assert_eq(initrd_gpa % 4096, 0);
  cr_assert_eq(initrd_gpa, ((64u << 20) - sizeof initrd) & ~0xFFFull, "top-down from the end of RAM");
  cr_assert_arr_eq(r.bytes + initrd_gpa, initrd, sizeof initrd);
  cr_assert_eq(ll_le(si + 48, 4), 3);
  const uint8_t *map = r.bytes + ll_le(si + 40, 8);
  uint64_t expect[3][3] = {{0, 0x9F000, 1}, {0x9F000, 0x61000, 2}, {0x100000, (64u << 20) - 0x100000, 1}};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(ll_le(map + 24 * i, 8), expect[i][0]);
    cr_assert_eq(ll_le(map + 24 * i + 8, 8), expect[i][1]);
    cr_assert_eq(ll_le(map + 24 * i + 16, 4), expect[i][2]);
  }
  cr_assert_eq(r.bytes[0x1000000], 0x90);
  cr_assert_eq(layout.kernel_hi, 0x1040000);
  free(r.bytes);
}

Test(vmwp_load_linux, dry_run_checks_the_same_and_writes_nothing) {
  pvh_kernel(0x1000040);
  modules[0] = ll_file(initrd, sizeof initrd);
  in.modules = modules;
  in.nmodules = 1;
  struct vmwp_mem dry = {64 << 20, 0, 0};
  struct vmwp_boot_layout l2;
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, &l2, &detail), VMWP_LOAD_OK);
  struct vmwp_mem small = {0x1030000, 0, 0};
  cr_assert_eq(vmwp_load_linux(&in, &small, &regs, &l2, &detail), VMWP_LOAD_NOT_IN_RAM);
}

Test(vmwp_load_linux, refusals) {
  struct vmwp_mem dry = {64 << 20, 0, 0};
  ll_elf_init(&img, true, 0x1000000); /* no PVH note */
  ll_elf_seg(&img, 1, 0x1000000, 0x1000000, "abc", 3, 3);
  kernel = ll_file(img.b, img.len);
  in = (struct vmwp_kernel_in){&kernel, 0, 0, 0, 0, 0};
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_NO_PVH_ENTRY);
  pvh_kernel(0x2000000); /* entry outside the image */
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_ENTRY);
  cr_assert_eq(detail, 0x2000000);
  pvh_kernel(0x100001000ull); /* above 4 GiB */
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_ENTRY);
  pvh_kernel(0x1000040);
  static uint8_t big[40 << 20];
  modules[0] = ll_file(big, sizeof big); /* 40 MiB initrd above a kernel ending at 16.25 MiB in 48 MiB */
  in.modules = modules;
  in.nmodules = 1;
  struct vmwp_mem m48 = {48 << 20, 0, 0};
  cr_assert_eq(vmwp_load_linux(&in, &m48, &regs, 0, &detail), VMWP_LOAD_NO_ROOM);
  in.nmodules = VMWP_MAX_MODULES + 1;
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_MODULES);
  in.nmodules = 0;
  static char longline[VMWP_CMDLINE_MAX + 1];
  memset(longline, 'a', sizeof longline);
  cmdline = ll_file(longline, sizeof longline);
  in.cmdline = &cmdline;
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_CMDLINE);
  cmdline = ll_file("a\0b", 3);
  cr_assert_eq(vmwp_load_linux(&in, &dry, &regs, 0, &detail), VMWP_LOAD_CMDLINE);
  struct vmwp_mem tiny = {1 << 20, 0, 0};
  cr_assert_eq(vmwp_load_linux(&in, &tiny, &regs, 0, &detail), VMWP_LOAD_NOT_IN_RAM);
}

static uint8_t *slurp(const char *path, uint64_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  fseek(f, 0, SEEK_END);
  *size = (uint64_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*size);
  cr_assert_not_null(b);
  cr_assert_eq(fread(b, 1, *size, f), *size);
  fclose(f);
  return b;
}

Test(vmwp_load_linux, debian_vmlinux_and_initramfs) {
  uint64_t ksize = 0, isize = 0;
  uint8_t *k = slurp(HVSIM_SOURCE_DIR "/build/guest/vmlinux", &ksize);
  uint8_t *i = slurp(HVSIM_SOURCE_DIR "/build/guest/initramfs.cpio", &isize);
  if (!k || !i) {
    free(k), free(i);
    cr_skip_test("build/guest/ has no image: run guests/linux/build-image");
  }
  kernel = ll_file(k, ksize);
  modules[0] = ll_file(i, isize);
  cmdline = ll_file(args, strlen(args));
  in = (struct vmwp_kernel_in){&kernel, &cmdline, modules, 0, 1, VMWP_ACPI_GPA};
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 256 << 20);
  cr_assert_eq(vmwp_load_linux(&in, &m, &regs, &layout, &detail), VMWP_LOAD_OK, "%s (0x%llx)",
               vmwp_load_error_text(vmwp_load_linux(&in, &m, &regs, &layout, &detail)),
               (unsigned long long)detail);
  cr_assert_eq(layout.kernel_lo, 0x1000000);               /* LOAD_PHYSICAL_ADDR */
  cr_assert(regs.rip > 0x1000000 && regs.rip < 0x2000000); /* pvh_start_xen */
  cr_assert_eq(memcmp(r.bytes + layout.module_gpa[0], i, isize), 0);
  cr_assert(layout.module_gpa[0] >= layout.kernel_hi);
  cr_assert_eq(memcmp(r.bytes + layout.module_gpa[0], "070701", 6), 0); /* a newc cpio */
  free(r.bytes), free(k), free(i);
}
