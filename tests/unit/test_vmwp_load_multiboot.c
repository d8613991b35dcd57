/*
 * test_vmwp_load_multiboot.c — unit tests of the multiboot v1 loader
 * (models/root/vmwp_load_multiboot.c): the header search and checksum,
 * ELF and address-field ("a.out kludge") kernels, the information
 * structure (memory, command line, modules with their strings, memory
 * map, loader name) as a kernel reads it, modules page-aligned after the
 * kernel, EAX/EBX at the entry, and the refusals.
 */
#include "loadlib.h"

#include "models/root/vmwp_load.h"
#include "models/root/vmwp_platform.h"

static struct ll_elf img;
static struct vmwp_file kernel, modules[3], strings[3], cmdline;
static struct vmwp_kernel_in in;
static struct vmwp_boot_regs regs;
static struct vmwp_boot_layout layout;
static uint64_t detail;

/* A multiboot header at off of buf: magic, flags, checksum (+ addresses). */
static void mb_header(uint8_t *buf, uint32_t flags, const uint32_t *addr) {
  ll_put(buf, MULTIBOOT_HEADER_MAGIC, 4);
  ll_put(buf + 4, flags, 4);
  ll_put(buf + 8, (uint32_t) - (MULTIBOOT_HEADER_MAGIC + flags), 4);
  for (int i = 0; addr && i < 5; i++)
    ll_put(buf + 12 + 4 * i, addr[i], 4);
}

/* An ELF32 kernel at 1 MiB whose text holds the multiboot header. */
static void elf_kernel(uint32_t flags) {
  uint8_t text[512];
  memset(text, 0xF4, sizeof text);
  mb_header(text + 16, flags, 0);
  ll_elf_init(&img, false, 0x100020);
  ll_elf_seg(&img, 1, 0x100000, 0x100000, text, sizeof text, 0x3000);
  kernel = ll_file(img.b, img.len);
  in = (struct vmwp_kernel_in){&kernel, 0, 0, 0, 0, VMWP_ACPI_GPA};
}

static const char m0[] = "first module", m1[] = "second";

Test(vmwp_load_multiboot, information_as_a_kernel_reads_it) {
  elf_kernel(0x3);
  modules[0] = ll_file(m0, sizeof m0);
  modules[1] = ll_file(m1, sizeof m1);
  strings[0] = ll_file("mod0 arg=1", 10);
  strings[1] = ll_file("", 0);
  cmdline = ll_file("test.flat -smp 2", 16);
  in.modules = modules;
  in.module_cmdlines = strings;
  in.nmodules = 2;
  in.cmdline = &cmdline;
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 32 << 20);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, &layout, &detail), VMWP_LOAD_OK);
  cr_assert_eq(regs.rip, 0x100020);
  cr_assert_eq(regs.rax, MULTIBOOT_BOOTLOADER_MAGIC);
  cr_assert_eq(regs.rbx, VMWP_BOOT_INFO_GPA);
  const uint8_t *mbi = r.bytes + regs.rbx;
  cr_assert_eq(ll_le(mbi, 4), 0x1 | 0x4 | 0x8 | 0x40 | 0x200);
  cr_assert_eq(ll_le(mbi + 4, 4), 636);
  cr_assert_eq(ll_le(mbi + 8, 4), (32 << 10) - 1024);
  cr_assert_str_eq((const char *)r.bytes + ll_le(mbi + 16, 4), "test.flat -smp 2");
  cr_assert_str_eq((const char *)r.bytes + ll_le(mbi + 64, 4), "hvsim");
  cr_assert_eq(ll_le(mbi + 20, 4), 2);
  const uint8_t *mods = r.bytes + ll_le(mbi + 24, 4);
  uint64_t start0 = ll_le(mods, 4), start1 = ll_le(mods + 16, 4);
  cr_assert_eq(start0, 0x103000, "page-aligned after the kernel's 0x3000 bytes");
  cr_assert_eq(ll_le(mods + 4, 4), start0 + sizeof m0);
  cr_assert_eq(start1, 0x104000);
  cr_assert_str_eq((const char *)r.bytes + start0, m0);
  cr_assert_str_eq((const char *)r.bytes + start1, m1);
  cr_assert_str_eq((const char *)r.bytes + ll_le(mods + 8, 4), "mod0 arg=1");
  cr_assert_str_eq((const char *)r.bytes + ll_le(mods + 24, 4), "");
  cr_assert_eq(ll_le(mbi + 44, 4), 3 * 24);
  const uint8_t *mmap = r.bytes + ll_le(mbi + 48, 4);
  cr_assert_eq(ll_le(mmap, 4), 20);
  cr_assert_eq(ll_le(mmap + 24 + 4, 8), 0x9F000);
  cr_assert_eq(ll_le(mmap + 24 + 20, 4), 2);
  cr_assert_eq(ll_le(mmap + 48 + 12, 8), (32 << 20) - 0x100000);
  for (uint32_t i = 512; i < 0x3000; i++)
    cr_assert_eq(r.bytes[0x100000 + i], 0, "bss");
  free(r.bytes);
}

Test(vmwp_load_multiboot, address_fields_kernel) {
  static uint8_t flat[0x3000];
  memset(flat, 0xAB, sizeof flat);
  /* header at file offset 0x40 = GPA 0x200040; text from GPA 0x200000 = offset 0 */
  uint32_t addr[5] = {0x200040, 0x200000, 0x202000, 0x205000, 0x200100};
  mb_header(flat + 0x40, 1u << 16, addr);
  kernel = ll_file(flat, sizeof flat);
  in = (struct vmwp_kernel_in){&kernel, 0, 0, 0, 0, 0};
  struct ll_ram r;
  struct vmwp_mem m = ll_mem(&r, 16 << 20);
  memset(r.bytes, 0xEE, r.size);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, &layout, &detail), VMWP_LOAD_OK);
  cr_assert_eq(regs.rip, 0x200100);
  cr_assert_eq(r.bytes[0x201FFF], 0xAB);
  cr_assert_eq(r.bytes[0x202000], 0, "bss from load_end_addr");
  cr_assert_eq(r.bytes[0x204FFF], 0);
  cr_assert_eq(r.bytes[0x205000], 0xEE);
  cr_assert_eq(layout.kernel_hi, 0x205000);
  /* header_addr below load_addr, and a header beyond what the file holds */
  uint32_t bad1[5] = {0x1FF000, 0x200000, 0, 0, 0x200100};
  mb_header(flat + 0x40, 1u << 16, bad1);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, 0, &detail), VMWP_LOAD_MB_ADDRESS);
  uint32_t bad2[5] = {0x200040, 0x200000, 0x210000, 0, 0x200100};
  mb_header(flat + 0x40, 1u << 16, bad2);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, 0, &detail), VMWP_LOAD_MB_ADDRESS);
  uint32_t bad3[5] = {0x200040, 0x200000, 0x202000, 0x201000, 0x200100}; /* bss ends before the data */
  mb_header(flat + 0x40, 1u << 16, bad3);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, 0, &detail), VMWP_LOAD_MB_ADDRESS);
  uint32_t bad4[5] = {0x200040, 0x200000, 0x202000, 0x205000, 0x300000}; /* entry outside */
  mb_header(flat + 0x40, 1u << 16, bad4);
  cr_assert_eq(vmwp_load_multiboot(&in, &m, &regs, 0, &detail), VMWP_LOAD_ENTRY);
  free(r.bytes);
}

Test(vmwp_load_multiboot, header_refusals) {
  struct vmwp_mem dry = {16 << 20, 0, 0};
  elf_kernel(0x4); /* a video mode: cannot be honoured */
  cr_assert_eq(vmwp_load_multiboot(&in, &dry, &regs, 0, &detail), VMWP_LOAD_MB_FLAGS);
  cr_assert_eq(detail, 0x4);
  elf_kernel(0x3);
  uint32_t text_off = (uint32_t)ll_le(img.b + 64 + 4, 4);
  ll_put(img.b + text_off + 16 + 8, 1, 4);
  cr_assert_eq(vmwp_load_multiboot(&in, &dry, &regs, 0, &detail), VMWP_LOAD_MB_CHECKSUM);
  static uint8_t none[9000];
  kernel = ll_file(none, sizeof none);
  cr_assert_eq(vmwp_load_multiboot(&in, &dry, &regs, 0, &detail), VMWP_LOAD_NO_MULTIBOOT);
  static uint8_t late[9000];
  mb_header(late + 8192, 0, 0); /* beyond the first 8 KiB */
  kernel = ll_file(late, sizeof late);
  cr_assert_eq(vmwp_load_multiboot(&in, &dry, &regs, 0, &detail), VMWP_LOAD_NO_MULTIBOOT);
  kernel = ll_file(late, 3);
  cr_assert_eq(vmwp_load_multiboot(&in, &dry, &regs, 0, &detail), VMWP_LOAD_NO_MULTIBOOT);
}

Test(vmwp_load_multiboot, modules_must_fit_below_the_end_of_ram) {
  elf_kernel(0x3);
  static uint8_t big[3 << 20];
  modules[0] = ll_file(big, sizeof big);
  in.modules = modules;
  in.nmodules = 1;
  struct vmwp_mem small = {4 << 20, 0, 0}, ok = {8 << 20, 0, 0};
  cr_assert_eq(vmwp_load_multiboot(&in, &small, &regs, 0, &detail), VMWP_LOAD_NO_ROOM);
  cr_assert_eq(vmwp_load_multiboot(&in, &ok, &regs, &layout, &detail), VMWP_LOAD_OK);
  cr_assert_eq(layout.module_gpa[0], 0x103000);
}
