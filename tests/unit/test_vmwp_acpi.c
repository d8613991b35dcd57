/*
 * test_vmwp_acpi.c — unit tests of the worker's ACPI tables
 * (models/root/vmwp_acpi.c): every checksum, the pointers between the
 * tables at the base they are built for, one MADT entry per VP (local
 * APIC, then x2APIC), the FADT's hardware-reduced profile and sleep
 * registers, and refusals (no VP, too small a buffer) that write nothing
 * past the buffer. tests/platform/test_acpi_tables.py disassembles the
 * same tables with iasl and runs them in acpiexec.
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <string.h>

#include "models/root/vmwp_acpi.h"
#include "models/root/vmwp_platform.h"

static uint8_t buf[VMWP_ACPI_BYTES + 64];
static struct vmwp_acpi_layout l;

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void build(uint32_t vps, bool com1) {
  struct vmwp_acpi_cfg cfg = {vps, 512ull << 20, com1};
  memset(buf, 0xEE, sizeof buf);
  cr_assert(vmwp_acpi_build(&cfg, VMWP_ACPI_GPA, buf, VMWP_ACPI_BYTES, &l));
}

Test(vmwp_acpi, checksums_and_links) {
  build(3, true);
  const uint8_t *rsdp = buf + l.off[ACPI_RSDP];
  cr_assert_eq(l.off[ACPI_RSDP], 0);
  cr_assert_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
  cr_assert_eq(vmwp_acpi_sum(rsdp, 20), 0);
  cr_assert_eq(vmwp_acpi_sum(rsdp, 36), 0);
  cr_assert_eq(le(rsdp + 16, 4), VMWP_ACPI_GPA + l.off[ACPI_RSDT]);
  cr_assert_eq(le(rsdp + 24, 8), VMWP_ACPI_GPA + l.off[ACPI_XSDT]);
  for (int t = ACPI_RSDT; t < ACPI_NTABLES; t++) {
    const uint8_t *h = buf + l.off[t];
    cr_assert_eq(memcmp(h, vmwp_acpi_signatures[t], 4), 0, "table %d", t);
    cr_assert_eq(le(h + 4, 4), l.len[t]);
    cr_assert_eq(vmwp_acpi_sum(h, l.len[t]), 0, "%s checksum", vmwp_acpi_signatures[t]);
    cr_assert_eq(l.off[t] % 16, 0);
  }
  const uint8_t *x = buf + l.off[ACPI_XSDT], *r = buf + l.off[ACPI_RSDT];
  cr_assert_eq(le(x + 36, 8), VMWP_ACPI_GPA + l.off[ACPI_FADT]);
  cr_assert_eq(le(x + 44, 8), VMWP_ACPI_GPA + l.off[ACPI_MADT]);
  cr_assert_eq(le(r + 36, 4), VMWP_ACPI_GPA + l.off[ACPI_FADT]);
  cr_assert_eq(le(r + 40, 4), VMWP_ACPI_GPA + l.off[ACPI_MADT]);
  const uint8_t *f = buf + l.off[ACPI_FADT];
  cr_assert_eq(le(f + 40, 4), VMWP_ACPI_GPA + l.off[ACPI_DSDT]);
  cr_assert_eq(le(f + 140, 8), VMWP_ACPI_GPA + l.off[ACPI_DSDT]);
  cr_assert(l.total <= VMWP_ACPI_BYTES);
  cr_assert_eq(buf[VMWP_ACPI_BYTES], 0xEE);
}

Test(vmwp_acpi, fadt_is_hardware_reduced_with_sleep_registers) {
  build(1, false);
  const uint8_t *f = buf + l.off[ACPI_FADT];
  cr_assert_eq(f[8], 6);                  /* revision */
  cr_assert(le(f + 112, 4) & (1u << 20)); /* HW_REDUCED_ACPI */
  cr_assert_eq(f[244], 1);                /* sleep control: system I/O */
  cr_assert_eq(le(f + 248, 8), VMWP_SLEEP_CONTROL_PORT);
  cr_assert_eq(le(f + 260, 8), VMWP_SLEEP_STATUS_PORT);
  cr_assert_eq(le(f + 64, 4), VMWP_PM1A_CNT_PORT);
  cr_assert_eq(le(f + 46, 2), 0); /* no SCI */
}

static void madt_counts(uint32_t vps, uint32_t *lapic, uint32_t *x2apic) {
  const uint8_t *m = buf + l.off[ACPI_MADT];
  *lapic = *x2apic = 0;
  for (uint32_t at = 44; at < l.len[ACPI_MADT]; at += m[at + 1]) {
    cr_assert(m[at + 1] >= 8);
    if (m[at] == 0) {
      cr_assert_eq(m[at + 3], *lapic, "APIC ids in VP order");
      cr_assert_eq(le(m + at + 4, 4), 1);
      (*lapic)++;
    } else {
      cr_assert_eq(m[at], 9);
      cr_assert_eq(le(m + at + 4, 4), 255 + *x2apic);
      (*x2apic)++;
    }
  }
  cr_assert_eq(*lapic + *x2apic, vps);
}

Test(vmwp_acpi, one_madt_entry_per_vp) {
  uint32_t counts[] = {1, 2, 64, 255, 256, 1000};
  for (unsigned i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    uint32_t lapic, x2apic;
    build(counts[i], true);
    madt_counts(counts[i], &lapic, &x2apic);
    cr_assert_eq(lapic, counts[i] < 255 ? counts[i] : 255);
  }
}

Test(vmwp_acpi, refusals_write_nothing_past_the_buffer) {
  struct vmwp_acpi_cfg cfg = {0, 512ull << 20, false};
  cr_assert(!vmwp_acpi_build(&cfg, VMWP_ACPI_GPA, buf, VMWP_ACPI_BYTES, &l)); /* no VP */
  cfg.vps = 4097;
  cr_assert(!vmwp_acpi_build(&cfg, VMWP_ACPI_GPA, buf, VMWP_ACPI_BYTES, &l));
  cfg.vps = 2;
  cr_assert(!vmwp_acpi_build(&cfg, 0xFFFFF000ull, buf, VMWP_ACPI_BYTES, &l)); /* RSDT needs 32-bit */
  memset(buf, 0xEE, sizeof buf);
  cr_assert(!vmwp_acpi_build(&cfg, VMWP_ACPI_GPA, buf, 512, &l));
  for (unsigned i = 0; i < sizeof buf; i++)
    cr_assert_eq(buf[i], 0xEE);
}

Test(vmwp_acpi, dsdt_names_the_vmbus_and_com1) {
  build(2, true);
  const uint8_t *d = buf + l.off[ACPI_DSDT];
  const char *needles[] = {"VMOD", "VMBS", "ACPI0004", "VMBus", "UAR1", "_S5_"};
  for (unsigned i = 0; i < sizeof needles / sizeof needles[0]; i++)
    cr_assert(memmem(d, l.len[ACPI_DSDT], needles[i], strlen(needles[i])), "%s", needles[i]);
  build(2, false);
  d = buf + l.off[ACPI_DSDT];
  cr_assert_null(memmem(d, l.len[ACPI_DSDT], "UAR1", 4));
}
