/*
 * mbtest.c — a 32-bit multiboot v1 test kernel of ours: what a loader and
 * a platform hand a kernel like kvm-unit-tests or XTF, checked from the
 * inside. It reads the multiboot information (magic, loader name, command
 * line, modules and their strings, memory map), finds the ACPI tables by
 * the BIOS-area scan (RSDT or XSDT, FADT, MADT, the DSDT's \_S5_), prints
 * one report line on COM1 and powers off through ACPI (the sleep control
 * register when the FADT is hardware-reduced, else PM1a control).
 *
 * Report: HVSIM-MULTIBOOT-OK loader=<name> cmdline=<text> mods=<n>
 *         mod0=<first bytes>:<string> ram=<KiB from the memory map> cpus=<n>
 *         s5=<SLP_TYP> via=<sleep-control|pm1a>
 * or HVSIM-MULTIBOOT-FAIL <what>. Freestanding: no libc, no SSE. Built by
 * guests/multiboot/Makefile into build/guest/mbtest.elf (ELF32 at 1 MiB).
 */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void putc(char c) {
  for (int i = 0; i < 100000 && !(inb(0x3F8 + 5) & 0x20); i++)
    ;
  outb(0x3F8, (uint8_t)c);
}

static void puts(const char *s) {
  while (*s)
    putc(*s++);
}

static void putu(uint32_t v) {
  char d[11];
  int i = 10;
  d[i] = 0;
  do
    d[--i] = (char)('0' + v % 10);
  while ((v /= 10) && i);
  puts(d + i);
}

static uint32_t rd32(uint32_t a) { return *(volatile uint32_t *)a; }
static uint8_t rd8(uint32_t a) { return *(volatile uint8_t *)a; }

static int sum_ok(uint32_t a, uint32_t n) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++)
    s = (uint8_t)(s + rd8(a + i));
  return s == 0;
}

static void fail(const char *what) {
  puts("HVSIM-MULTIBOOT-FAIL ");
  puts(what);
  putc('\n');
  for (;;)
    __asm__ volatile("cli; hlt");
}

struct acpi {
  uint32_t fadt, madt, cpus, pm1a, sleep;
  uint8_t s5;
};

static uint32_t rsdp_find(void) {
  for (uint32_t a = 0xE0000; a < 0x100000; a += 16)
    if (rd32(a) == 0x20445352 && rd32(a + 4) == 0x20525450 && sum_ok(a, 20))
      return a;
  return 0;
}

static void table(struct acpi *t, uint32_t a) {
  if (!sum_ok(a, rd32(a + 4)))
    fail("table checksum");
  if (rd32(a) == 0x50434146) { /* FACP */
    t->fadt = a;
    t->pm1a = rd32(a + 64);
    if (rd32(a + 4) >= 256 && (rd32(a + 112) >> 20 & 1) && rd8(a + 244) == 1)
      t->sleep = rd32(a + 248);
  } else if (rd32(a) == 0x43495041) { /* APIC */
    t->madt = a;
    for (uint32_t e = a + 44; e + 2 <= a + rd32(a + 4) && rd8(e + 1) >= 2; e += rd8(e + 1))
      if ((rd8(e) == 0 && (rd8(e + 4) & 1)) || (rd8(e) == 9 && (rd8(e + 8) & 1)))
        t->cpus++;
  }
}

/* \_S5_: NameOp "_S5_" PackageOp PkgLength NumElements first-element */
static uint8_t s5(uint32_t dsdt) {
  uint32_t len = rd32(dsdt + 4);
  for (uint32_t i = dsdt + 36; i + 8 < dsdt + len; i++)
    if (rd32(i) == 0x5F35535F && rd8(i + 4) == 0x12) {
      uint32_t at = i + 5 + 1 + (rd8(i + 5) >> 6) + 1;
      return rd8(at) == 0x0A ? rd8(at + 1) : rd8(at) == 0x01 ? 1 : 0;
    }
  fail("no \\_S5_");
  return 0;
}

static void acpi_find(struct acpi *t) {
  uint32_t rsdp = rsdp_find();
  if (!rsdp)
    fail("no RSDP");
  uint32_t root = rd32(rsdp + 16), entry = 4;
  if (rd8(rsdp + 15) >= 2 && rd32(rsdp + 24) && !rd32(rsdp + 28)) {
    root = rd32(rsdp + 24); /* XSDT below 4 GiB */
    entry = 8;
  }
  if (!sum_ok(root, rd32(root + 4)))
    fail("RSDT/XSDT checksum");
  for (uint32_t e = root + 36; e + entry <= root + rd32(root + 4); e += entry)
    table(t, rd32(e));
  if (!t->fadt || !t->madt)
    fail("no FADT or MADT");
  uint32_t dsdt = rd32(t->fadt + 40);
  if (!sum_ok(dsdt, rd32(dsdt + 4)))
    fail("DSDT checksum");
  t->s5 = s5(dsdt);
}

void mb_main(uint32_t magic, uint32_t mbi) {
  outb(0x3F8 + 3, 0x03); /* 8N1; the divisor as the loader left it */
  if (magic != 0x2BADB002)
    fail("magic");
  uint32_t flags = rd32(mbi);
  if ((flags & 0x24D) != 0x24D) /* mem, cmdline, mods, mmap, loader name */
    fail("information flags");
  puts("HVSIM-MULTIBOOT-OK loader=");
  puts((const char *)rd32(mbi + 64));
  puts(" cmdline=");
  puts((const char *)rd32(mbi + 16));
  uint32_t mods = rd32(mbi + 20), mod = rd32(mbi + 24);
  puts(" mods=");
  putu(mods);
  if (mods) {
    puts(" mod0=");
    for (uint32_t a = rd32(mod); a < rd32(mod + 4) && a < rd32(mod) + 8; a++)
      putc((char)rd8(a));
    putc(':');
    puts((const char *)rd32(mod + 8));
  }
  uint32_t ram = 0;
  for (uint32_t e = rd32(mbi + 48); e < rd32(mbi + 48) + rd32(mbi + 44); e += rd32(e) + 4)
    if (rd32(e + 20) == 1 && rd32(e + 8) == 0)
      ram += rd32(e + 12) >> 10;
  puts(" ram=");
  putu(ram);
  struct acpi t = {0};
  acpi_find(&t);
  puts(" cpus=");
  putu(t.cpus);
  puts(" s5=");
  putu(t.s5);
  puts(t.sleep ? " via=sleep-control" : " via=pm1a");
  putc('\n');
  if (t.sleep)
    outb((uint16_t)t.sleep, (uint8_t)(t.s5 << 2 | 0x20));
  else
    outw((uint16_t)t.pm1a, (uint16_t)(t.s5 << 10 | 1 << 13));
  for (volatile uint32_t i = 0; i < 200000000u; i++) /* an emulator may finish the request a little later */
    __asm__ volatile("pause");
  fail("still running after S5");
}
