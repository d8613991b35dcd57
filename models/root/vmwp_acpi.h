/*
 * vmwp_acpi.h — the ACPI tables a VM's worker builds for it (ACPI 6.4
 * §5.2): RSDP (revision 2), RSDT and XSDT, FADT (revision 6, hardware-
 * reduced), MADT (one processor entry per VP) and a DSDT with the VMBus
 * device under a module device, the S5 sleep package and, when the VM has
 * one, COM1. Built into a byte buffer for a given guest-physical base (the
 * tables point at each other by GPA), then copied into the VM's RAM.
 */
#ifndef MODELS_ROOT_VMWP_ACPI_H
#define MODELS_ROOT_VMWP_ACPI_H

#include <stdbool.h>
#include <stdint.h>

struct vmwp_acpi_cfg {
  uint32_t vps;       /* processors: local APIC ids 0 .. vps-1 */
  uint64_t ram_bytes; /* places the MMIO window (vmwp_platform.h) */
  bool com1;          /* describe the 16550 at 0x3F8 */
};

enum vmwp_acpi_table { ACPI_RSDP, ACPI_RSDT, ACPI_XSDT, ACPI_FADT, ACPI_MADT, ACPI_DSDT, ACPI_NTABLES };

struct vmwp_acpi_layout {
  uint32_t off[ACPI_NTABLES], len[ACPI_NTABLES]; /* within the buffer */
  uint32_t total;                                /* bytes used */
};

/* Table signatures as they appear in the headers ("RSD PTR " for the RSDP). */
extern const char *const vmwp_acpi_signatures[ACPI_NTABLES];

/* Build the tables for base_gpa into buf (cap bytes). Returns true and
 * fills *out, or false when cap is too small or the configuration is
 * out of range (no VP, more than 255 VPs). */
bool vmwp_acpi_build(const struct vmwp_acpi_cfg *cfg, uint64_t base_gpa, uint8_t *buf, uint32_t cap,
                     struct vmwp_acpi_layout *out);

/* The bytes' ACPI checksum complement: sum of p[0..n) mod 256 (0 for a
 * well-formed table). */
uint8_t vmwp_acpi_sum(const uint8_t *p, uint32_t n);

#endif /* MODELS_ROOT_VMWP_ACPI_H */
