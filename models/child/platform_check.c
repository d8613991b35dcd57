/*
 * platform_check.c — a guest program that finds the platform its VM's
 * worker gives it the way an operating system does, before any operating
 * system runs on it: the ACPI tables (the RSDP by the BIOS-area scan,
 * every checksum, the XSDT's FADT and MADT, one MADT processor per VP,
 * the DSDT's \_S5_ sleep type), the 16550 on COM1 (scratch register,
 * loopback, line status), a report on the console, then ACPI power-off —
 * through the FADT's sleep control register, or with param pm1 = 1 the
 * PM1a control register — after which the VP must never run again.
 *
 * VP 0 does the work; the other VPs halt. Markers: MARK_COUNT = the MADT's
 * processors, MARK_DONE = the checks passed (just before power-off),
 * MARK_ERROR = the first check that failed (codes below).
 */
#include "child.h"

enum {
  PC_NO_RSDP = 1,
  PC_BAD_TABLE = 2,
  PC_NO_FADT = 3,
  PC_NO_MADT = 4,
  PC_MADT_COUNT = 5,
  PC_NO_S5 = 6,
  PC_UART = 7,
  PC_NO_SLEEP_REG = 8,
  PC_STILL_RUNNING = 9,
};

#define PC_COM1 0x3F8
#define PC_TABLE_MAX 4096u

struct pc_acpi {
  uint64_t fadt, madt, dsdt;
  uint32_t processors;
  uint8_t slp_typ;
  uint16_t sleep_port, pm1a_port;
};

static uint64_t pc_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static bool pc_sum_ok(const uint8_t *p, uint32_t n) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++)
    s = (uint8_t)(s + p[i]);
  return s == 0;
}

/* A table at gpa into buf (at most PC_TABLE_MAX bytes), checksum right. */
static bool pc_table(struct guest *g, uint64_t gpa, uint8_t *buf, uint32_t *len) {
  if (!guest_read(g, gpa, buf, 36))
    return false;
  *len = (uint32_t)pc_le(buf + 4, 4);
  return *len >= 36 && *len <= PC_TABLE_MAX && guest_read(g, gpa, buf, *len) && pc_sum_ok(buf, *len);
}

static uint64_t pc_rsdp(struct guest *g) {
  uint8_t r[36];
  for (uint64_t a = 0xE0000; a < 0x100000; a += 16)
    if (guest_read(g, a, r, sizeof r) && pc_le(r, 8) == 0x2052545020445352ull /* "RSD PTR " */ &&
        pc_sum_ok(r, 20) && (r[15] < 2 || pc_sum_ok(r, 36)))
      return a;
  return 0;
}

/* \_S5_'s first element: NameOp "_S5_" PackageOp PkgLength NumElements,
 * then a ByteConst, Zero or One. */
static bool pc_s5(const uint8_t *d, uint32_t len, uint8_t *typ) {
  for (uint32_t i = 36; i + 8 < len; i++) {
    if (d[i] != '_' || d[i + 1] != 'S' || d[i + 2] != '5' || d[i + 3] != '_' || d[i + 4] != 0x12)
      continue;
    uint32_t at = i + 5 + 1 + (d[i + 5] >> 6) + 1; /* past PkgLength and NumElements */
    if (at + 1 >= len)
      return false;
    *typ = d[at] == 0x0A ? d[at + 1] : d[at] == 0x01 ? 1 : 0;
    return true;
  }
  return false;
}

static uint32_t pc_madt_processors(const uint8_t *m, uint32_t len) {
  uint32_t n = 0;
  for (uint32_t at = 44; at + 2 <= len && m[at + 1] >= 2 && at + m[at + 1] <= len; at += m[at + 1])
    if ((m[at] == 0 && m[at + 1] >= 8 && (m[at + 4] & 1)) ||
        (m[at] == 9 && m[at + 1] >= 16 && (m[at + 8] & 1)))
      n++;
  return n;
}

/* The tables an OS reads; 0 or a PC_* code. */
static int pc_acpi_find(struct guest *g, struct pc_acpi *a) {
  uint8_t buf[PC_TABLE_MAX], x[PC_TABLE_MAX];
  uint32_t len, xlen;
  uint64_t rsdp = pc_rsdp(g);
  if (!rsdp)
    return PC_NO_RSDP;
  if (!guest_read(g, rsdp + 24, buf, 8) || !pc_table(g, pc_le(buf, 8), x, &xlen))
    return PC_BAD_TABLE;
  for (uint32_t i = 36; i + 8 <= xlen; i += 8) {
    uint64_t t = pc_le(x + i, 8);
    if (!pc_table(g, t, buf, &len))
      return PC_BAD_TABLE;
    if (pc_le(buf, 4) == 0x50434146u) { /* "FACP" */
      a->fadt = t;
      a->dsdt = len >= 148 ? pc_le(buf + 140, 8) : pc_le(buf + 40, 4);
      a->pm1a_port = (uint16_t)pc_le(buf + 64, 4);
      bool reduced = (pc_le(buf + 112, 4) >> 20) & 1;
      a->sleep_port = reduced && len >= 256 && buf[244] == 1 ? (uint16_t)pc_le(buf + 248, 8) : 0;
    } else if (pc_le(buf, 4) == 0x43495041u) { /* "APIC" */
      a->madt = t;
      a->processors = pc_madt_processors(buf, len);
    }
  }
  if (!a->fadt)
    return PC_NO_FADT;
  if (!a->madt)
    return PC_NO_MADT;
  if (!pc_table(g, a->dsdt, buf, &len))
    return PC_BAD_TABLE;
  return pc_s5(buf, len, &a->slp_typ) ? 0 : PC_NO_S5;
}

/* COM1 as a driver sets it up: 8N1 at divisor 1, FIFOs on; scratch and
 * loopback answer as a 16550's do. */
static bool pc_uart_init(struct guest *g) {
  guest_out(g, PC_COM1 + 3, 1, 0x80); /* DLAB */
  guest_out(g, PC_COM1 + 0, 1, 0x01);
  guest_out(g, PC_COM1 + 1, 1, 0x00);
  guest_out(g, PC_COM1 + 3, 1, 0x03);
  guest_out(g, PC_COM1 + 2, 1, 0x07);
  guest_out(g, PC_COM1 + 7, 1, 0x5A);
  if (guest_in(g, PC_COM1 + 7, 1) != 0x5A)
    return false;
  guest_out(g, PC_COM1 + 4, 1, 0x1B); /* loopback, DTR, RTS, OUT2 */
  guest_out(g, PC_COM1 + 0, 1, 0xA5);
  bool loop = (guest_in(g, PC_COM1 + 5, 1) & 1) && guest_in(g, PC_COM1 + 0, 1) == 0xA5 &&
              (guest_in(g, PC_COM1 + 6, 1) & 0xF0) == 0xB0;
  guest_out(g, PC_COM1 + 4, 1, 0x0B);
  return loop && (guest_in(g, PC_COM1 + 2, 1) & 0xC0) == 0xC0;
}

static void pc_puts(struct guest *g, const char *s) {
  for (; *s; s++) {
    for (int spin = 0; spin < 100 && !(guest_in(g, PC_COM1 + 5, 1) & 0x20); spin++)
      ;
    guest_out(g, PC_COM1, 1, (uint8_t)*s);
  }
}

static void pc_putu(struct guest *g, uint64_t v) {
  char d[21];
  int i = 20;
  d[i] = 0;
  do
    d[--i] = (char)('0' + v % 10);
  while ((v /= 10) && i > 0);
  pc_puts(g, d + i);
}

void prog_platform_check(struct guest *g, const struct guest_boot *b) {
  if (guest_vp_index(g) != 0)
    return;
  struct pc_acpi a = {0};
  int err = pc_acpi_find(g, &a);
  if (!err && !pc_uart_init(g))
    err = PC_UART;
  if (!err && a.processors != b->vps)
    err = PC_MADT_COUNT;
  bool pm1 = guest_param(b, "pm1", 0) != 0;
  if (!err && !(pm1 ? a.pm1a_port : a.sleep_port))
    err = PC_NO_SLEEP_REG;
  guest_mark(g, MARK_COUNT, a.processors);
  if (err) {
    guest_mark(g, MARK_ERROR, (uint64_t)err);
    return;
  }
  pc_puts(g, "HVSIM-PLATFORM-OK vps=");
  pc_putu(g, b->vps);
  pc_puts(g, " madt=");
  pc_putu(g, a.processors);
  pc_puts(g, " s5=");
  pc_putu(g, a.slp_typ);
  pc_puts(g, pm1 ? " via=pm1a\n" : " via=sleep-control\n");
  guest_mark(g, MARK_DONE, 7);
  if (pm1)
    guest_out(g, a.pm1a_port, 2, (uint32_t)a.slp_typ << 10 | 1u << 13);
  else
    guest_out(g, a.sleep_port, 1, (uint32_t)a.slp_typ << 2 | 1u << 5);
  guest_mark(g, MARK_ERROR, PC_STILL_RUNNING); /* the VM should be off */
}
