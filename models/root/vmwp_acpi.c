/*
 * vmwp_acpi.c — the VM's ACPI tables (see vmwp_acpi.h). Layouts from ACPI
 * 6.4: RSDP §5.2.5, header §5.2.6, RSDT §5.2.7, XSDT §5.2.8, FADT §5.2.9
 * (Table 5.9), MADT §5.2.12, generic address structure §5.2.3.2.
 *
 * Why hardware-reduced (FADT flag HW_REDUCED_ACPI): the platform has no
 * 8259 PIC, no I/O APIC and no PIT. A full-hardware FADT obliges the OS to
 * install the SCI on a legacy interrupt (Linux's acpi_bus_init gives up on
 * ACPI when that fails, and with it the VMBus device); the hardware-reduced
 * profile has no SCI, no PM1 event or timer blocks, and makes x86 Linux
 * skip the PIC and PIT (acpi_generic_reduced_hw_init). Power-off then goes
 * through the FADT's sleep control register (SLP_TYP in bits 4:2, SLP_EN
 * bit 5), which the worker models beside a classic PM1a control register
 * (described too, for guests that ignore the flag and read PM1a_CNT_BLK).
 *
 * DSDT (what `iasl -d` prints of it):
 *   Name (\_S5, Package (0x04) { 5, 5, 0, 0 })
 *   Scope (\_SB) {
 *     Device (VMOD) { Name (_HID, "ACPI0004")  Name (_UID, 0)
 *                     Name (_CRS, ResourceTemplate () { QWordMemory (MMIO window) })
 *       Device (VMBS) { Name (_HID, "VMBus")  Name (_DDN, "VMBUS")  Name (_UID, 0)
 *                       Method (_STA) { Return (0x0F) }
 *                       Name (_CRS, ResourceTemplate () {}) } }
 *     Device (UAR1) { Name (_HID, EisaId ("PNP0501"))  Name (_UID, 1)  Name (_DDN, "COM1")
 *                     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8) }) } }
 * VMBS has an empty _CRS because Linux's vmbus_acpi_add walks the device's
 * own _CRS first and fails the probe when the walk fails (no _CRS is
 * AE_NOT_FOUND); the MMIO window is the parent's, as on Hyper-V generation
 * 2. COM1 has no interrupt: there is no interrupt controller for ISA IRQ 4,
 * so Linux's 8250 driver polls it (irq 0).
 */
#include "vmwp_acpi.h"

#include "models/vmbus/vmbus_bytes.h"

#include "vmwp_aml.h"
#include "vmwp_platform.h"

const char *const vmwp_acpi_signatures[ACPI_NTABLES] = {"RSD PTR ", "RSDT", "XSDT", "FACP", "APIC", "DSDT"};

#define ACPI_HDR 36u
#define ACPI_FADT_LEN 276u
#define ACPI_RSDP_LEN 36u
#define ACPI_MADT_LAPIC_LEN 8u
#define ACPI_MADT_X2APIC_LEN 16u
#define ACPI_DSDT_MAX 1024u

/* FADT flags (Table 5.10) and IA-PC boot architecture flags (Table 5.11). */
#define FADT_WBINVD (1u << 0)
#define FADT_PWR_BUTTON (1u << 4) /* no fixed power button */
#define FADT_SLP_BUTTON (1u << 5) /* no fixed sleep button */
#define FADT_HW_REDUCED_ACPI (1u << 20)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

uint8_t vmwp_acpi_sum(const uint8_t *p, uint32_t n) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++)
    s = (uint8_t)(s + p[i]);
  return s;
}

static void acpi_put(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void acpi_chars(uint8_t *p, const char *s, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)s[i];
}

/* The common header (§5.2.6); the checksum is set by acpi_seal. */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev) {
  acpi_chars(t, sig, 4);
  acpi_put(t + 4, len, 4);
  t[8] = rev;
  acpi_chars(t + 10, "HVSIM ", 6);   /* OEMID */
  acpi_chars(t + 16, "HVSIMVM ", 8); /* OEM table id */
  acpi_put(t + 24, 1, 4);            /* OEM revision */
  acpi_chars(t + 28, "HVSM", 4);     /* creator id */
  acpi_put(t + 32, 1, 4);            /* creator revision */
}

static void acpi_seal(uint8_t *t, uint32_t len, uint32_t sum_at) {
  t[sum_at] = (uint8_t)-vmwp_acpi_sum(t, len);
}

/* Generic Address Structure (§5.2.3.2): system I/O space, access in
 * bytes of the register's width. */
static void acpi_gas_io(uint8_t *g, uint16_t port, uint8_t bits) {
  g[0] = 1; /* System I/O */
  g[1] = bits;
  g[2] = 0;
  g[3] = bits == 8 ? 1 : bits == 16 ? 2 : 3; /* byte / word / dword access */
  acpi_put(g + 4, port, 8);
}

static void acpi_fadt(uint8_t *t, uint64_t dsdt) {
  acpi_header(t, "FACP", ACPI_FADT_LEN, 6);
  t[131] = 4; /* FADT minor version: ACPI 6.4 */
  acpi_put(t + 40, dsdt, 4);
  acpi_put(t + 140, dsdt, 8); /* X_DSDT */
  acpi_put(t + 64, VMWP_PM1A_CNT_PORT, 4);
  t[89] = 2;                 /* PM1_CNT_LEN */
  acpi_put(t + 96, 101, 2);  /* P_LVL2_LAT > 100: no C2 */
  acpi_put(t + 98, 1001, 2); /* P_LVL3_LAT > 1000: no C3 */
  acpi_put(t + 109, IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_NOT_PRESENT, 2);
  acpi_put(t + 112, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_HW_REDUCED_ACPI, 4);
  acpi_gas_io(t + 172, VMWP_PM1A_CNT_PORT, 16); /* X_PM1a_CNT_BLK */
  acpi_gas_io(t + 244, VMWP_SLEEP_CONTROL_PORT, 8);
  acpi_gas_io(t + 256, VMWP_SLEEP_STATUS_PORT, 8);
  acpi_seal(t, ACPI_FADT_LEN, 9);
}

/* MADT: local APIC address, flags 0 (no 8259s), then per VP a Processor
 * Local APIC (type 0) or, for ids the 8-bit field cannot hold, a
 * Processor Local x2APIC (type 9); UID = VP index, enabled. */
static uint32_t acpi_madt(uint8_t *t, uint32_t vps) {
  uint32_t len = ACPI_HDR + 8;
  acpi_put(t + 36, VMWP_LAPIC_GPA, 4);
  acpi_put(t + 40, 0, 4);
  for (uint32_t i = 0; i < vps; i++) {
    uint8_t *e = t + len;
    if (i < 255) {
      e[0] = 0;
      e[1] = ACPI_MADT_LAPIC_LEN;
      e[2] = (uint8_t)i; /* ACPI processor UID */
      e[3] = (uint8_t)i; /* APIC id */
      acpi_put(e + 4, 1, 4);
      len += ACPI_MADT_LAPIC_LEN;
    } else {
      e[0] = 9;
      e[1] = ACPI_MADT_X2APIC_LEN;
      acpi_put(e + 2, 0, 2);
      acpi_put(e + 4, i, 4); /* x2APIC id */
      acpi_put(e + 8, 1, 4);
      acpi_put(e + 12, i, 4); /* ACPI processor UID */
      len += ACPI_MADT_X2APIC_LEN;
    }
  }
  acpi_header(t, "APIC", len, 5);
  acpi_seal(t, len, 9);
  return len;
}

/* Name (_CRS, <the resource template written into r>). */
static void acpi_crs(struct aml *a, const struct aml *r) {
  if (r->failed) {
    a->failed = true;
    return;
  }
  aml_name_decl(a, "_CRS");
  aml_buffer(a, r->buf, r->len);
}

static void acpi_dsdt_vmod(struct aml *a, uint64_t ram_bytes) {
  uint8_t crs[64];
  struct aml r;
  aml_device_open(a, "VMOD");
  aml_name_decl(a, "_HID");
  aml_string(a, "ACPI0004");
  aml_name_decl(a, "_UID");
  aml_int(a, 0);
  aml_init(&r, crs, sizeof crs);
  aml_res_qword_memory(&r, vmwp_mmio_base(ram_bytes), VMWP_MMIO_BYTES);
  aml_res_end(&r);
  acpi_crs(a, &r);
  aml_device_open(a, "VMBS");
  aml_name_decl(a, "_HID");
  aml_string(a, "VMBus");
  aml_name_decl(a, "_DDN");
  aml_string(a, "VMBUS");
  aml_name_decl(a, "_UID");
  aml_int(a, 0);
  aml_method_open(a, "_STA", 0, false);
  aml_return(a);
  aml_int(a, 0x0F); /* present, enabled, shown, functioning */
  aml_close(a);
  aml_init(&r, crs, sizeof crs);
  aml_res_end(&r);
  acpi_crs(a, &r);
  aml_close(a);
  aml_close(a);
}

static void acpi_dsdt_com1(struct aml *a) {
  uint8_t crs[16];
  struct aml r;
  aml_device_open(a, "UAR1");
  aml_name_decl(a, "_HID");
  aml_eisaid(a, "PNP0501");
  aml_name_decl(a, "_UID");
  aml_int(a, 1);
  aml_name_decl(a, "_DDN");
  aml_string(a, "COM1");
  aml_init(&r, crs, sizeof crs);
  aml_res_io(&r, VMWP_COM1_PORT, 8);
  aml_res_end(&r);
  acpi_crs(a, &r);
  aml_close(a);
}

/* The DSDT (revision 2: 64-bit integers) into t, at most cap bytes.
 * Returns its length, 0 when it does not fit. */
static uint32_t acpi_dsdt(uint8_t *t, uint32_t cap, const struct vmwp_acpi_cfg *cfg) {
  struct aml a;
  if (cap < ACPI_HDR)
    return 0;
  aml_init(&a, t + ACPI_HDR, cap - ACPI_HDR);
  aml_name_decl(&a, "_S5_"); /* at the root: no prefix needed (iasl emits none either) */
  aml_package_open(&a, 4);
  aml_int(&a, VMWP_SLP_TYP_S5); /* SLP_TYPa */
  aml_int(&a, VMWP_SLP_TYP_S5); /* SLP_TYPb */
  aml_int(&a, 0);
  aml_int(&a, 0);
  aml_close(&a);
  aml_scope_open(&a, "_SB_");
  acpi_dsdt_vmod(&a, cfg->ram_bytes);
  if (cfg->com1)
    acpi_dsdt_com1(&a);
  aml_close(&a);
  if (a.failed || a.depth != 0)
    return 0;
  uint32_t len = ACPI_HDR + a.len;
  acpi_header(t, "DSDT", len, 2);
  acpi_seal(t, len, 9);
  return len;
}

static uint32_t acpi_align16(uint32_t x) { return (x + 15) & ~15u; }

bool vmwp_acpi_build(const struct vmwp_acpi_cfg *cfg, uint64_t base_gpa, uint8_t *buf, uint32_t cap,
                     struct vmwp_acpi_layout *out) {
  if (!cfg->vps || cfg->vps > 4096 || base_gpa + cap > 0x100000000ull)
    return false; /* RSDT entries are 32-bit */
  uint32_t madt_len = ACPI_HDR + 8 + (cfg->vps < 255 ? cfg->vps : 255) * ACPI_MADT_LAPIC_LEN +
                      (cfg->vps > 255 ? cfg->vps - 255 : 0) * ACPI_MADT_X2APIC_LEN;
  uint32_t *off = out->off, *len = out->len;
  len[ACPI_RSDP] = ACPI_RSDP_LEN;
  len[ACPI_RSDT] = ACPI_HDR + 2 * 4;
  len[ACPI_XSDT] = ACPI_HDR + 2 * 8;
  len[ACPI_FADT] = ACPI_FADT_LEN;
  len[ACPI_MADT] = madt_len;
  len[ACPI_DSDT] = ACPI_DSDT_MAX; /* an upper bound until it is written */
  uint32_t at = 0;
  for (int i = 0; i < ACPI_NTABLES; i++) {
    off[i] = at;
    at = acpi_align16(at + len[i]);
  }
  if (at > cap)
    return false;
  vmbus_bzero(buf, at);
  len[ACPI_DSDT] = acpi_dsdt(buf + off[ACPI_DSDT], ACPI_DSDT_MAX, cfg);
  if (!len[ACPI_DSDT])
    return false;
  out->total = off[ACPI_DSDT] + len[ACPI_DSDT];
  acpi_madt(buf + off[ACPI_MADT], cfg->vps);
  acpi_fadt(buf + off[ACPI_FADT], base_gpa + off[ACPI_DSDT]);
  uint8_t *rsdt = buf + off[ACPI_RSDT], *xsdt = buf + off[ACPI_XSDT];
  acpi_header(rsdt, "RSDT", len[ACPI_RSDT], 1);
  acpi_header(xsdt, "XSDT", len[ACPI_XSDT], 1);
  const int listed[2] = {ACPI_FADT, ACPI_MADT};
  for (int i = 0; i < 2; i++) {
    acpi_put(rsdt + ACPI_HDR + 4 * i, base_gpa + off[listed[i]], 4);
    acpi_put(xsdt + ACPI_HDR + 8 * i, base_gpa + off[listed[i]], 8);
  }
  acpi_seal(rsdt, len[ACPI_RSDT], 9);
  acpi_seal(xsdt, len[ACPI_XSDT], 9);
  uint8_t *rsdp = buf + off[ACPI_RSDP];
  acpi_chars(rsdp, "RSD PTR ", 8);
  acpi_chars(rsdp + 9, "HVSIM ", 6);
  rsdp[15] = 2; /* revision: ACPI 2.0+ (XSDT) */
  acpi_put(rsdp + 16, base_gpa + off[ACPI_RSDT], 4);
  acpi_put(rsdp + 20, ACPI_RSDP_LEN, 4);
  acpi_put(rsdp + 24, base_gpa + off[ACPI_XSDT], 8);
  rsdp[8] = (uint8_t)-vmwp_acpi_sum(rsdp, 20);             /* checksum of the ACPI 1.0 part */
  rsdp[32] = (uint8_t)-vmwp_acpi_sum(rsdp, ACPI_RSDP_LEN); /* extended checksum */
  return true;
}
