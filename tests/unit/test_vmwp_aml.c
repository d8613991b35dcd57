/*
 * test_vmwp_aml.c — unit tests of the worker's AML writer
 * (models/root/vmwp_aml.c): integer and name encodings, PkgLength at each
 * size boundary (1 to 4 bytes, ACPI 6.4 §20.2.4), EISA ids, resource
 * descriptors, and every way a writer fails (full buffer, bad names,
 * unbalanced objects) instead of writing out of bounds.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/root/vmwp_aml.h"

static uint8_t buf[1 << 16];
static struct aml a;

static void setup(void) {
  memset(buf, 0xEE, sizeof buf);
  aml_init(&a, buf, sizeof buf);
}

TestSuite(vmwp_aml, .init = setup);

static void expect(const uint8_t *want, uint32_t n) {
  cr_assert(!a.failed);
  cr_assert_eq(a.len, n, "length %u, want %u", a.len, n);
  cr_assert_arr_eq(buf, want, n);
}

Test(vmwp_aml, integers_take_their_shortest_form) {
  uint64_t v[] = {0, 1, ~0ull, 2, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFFFF, 0x100000000ull};
  for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
    aml_int(&a, v[i]);
  const uint8_t want[] = {0x00, 0x01, 0xFF, 0x0A, 0x02, 0x0A, 0xFF, 0x0B, 0x00, 0x01, 0x0B,
                          0xFF, 0xFF, 0x0C, 0x00, 0x00, 0x01, 0x00, 0x0C, 0xFF, 0xFF, 0xFF,
                          0xFF, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  expect(want, sizeof want);
}

Test(vmwp_aml, names_segments_and_prefixes) {
  aml_name(&a, "_HID");
  aml_name(&a, "\\_SB");
  aml_name(&a, "\\_SB_.VMOD");
  aml_name(&a, "^^A.B.C");
  const uint8_t want[] = {'_', 'H', 'I', 'D', 0x5C, '_', 'S', 'B',  '_',  0x5C, 0x2E, '_',
                          'S', 'B', '_', 'V', 'M',  'O', 'D', 0x5E, 0x5E, 0x2F, 3,    'A',
                          '_', '_', '_', 'B', '_',  '_', '_', 'C',  '_',  '_',  '_'};
  expect(want, sizeof want);
}

Test(vmwp_aml, malformed_names_fail_the_writer) {
  const char *bad[] = {"", "\\", "TOOLONG", "A..B", "A.", "1ABC", "a", "_S-B", "^"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    aml_init(&a, buf, sizeof buf);
    aml_name(&a, bad[i]);
    cr_assert(a.failed, "\"%s\" accepted", bad[i]);
  }
}

Test(vmwp_aml, strings_and_eisa_ids) {
  aml_string(&a, "VMBus");
  aml_eisaid(&a, "PNP0501");
  aml_eisaid(&a, "PNP0A08");
  const uint8_t want[] = {0x0D, 'V',  'M',  'B',  'u',  's',  0,    0x0C, 0x41,
                          0xD0, 0x05, 0x01, 0x0C, 0x41, 0xD0, 0x0A, 0x08};
  expect(want, sizeof want);
  const char *bad[] = {"PNP050", "PNP05011", "pnp0501", "PNP05G1"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    aml_init(&a, buf, sizeof buf);
    aml_eisaid(&a, bad[i]);
    cr_assert(a.failed, "%s accepted", bad[i]);
  }
  aml_init(&a, buf, sizeof buf);
  aml_string(&a, "\x80");
  cr_assert(a.failed);
}

/* A package holding `body` bytes after its element count: PkgLength
 * counts itself, the count byte and the body. */
static uint32_t package_with_body(uint32_t body) {
  aml_init(&a, buf, sizeof buf);
  aml_package_open(&a, 0);
  for (uint32_t i = 0; i < body; i++)
    aml_byte(&a, 0x5A);
  aml_close(&a);
  cr_assert(!a.failed);
  return a.len;
}

Test(vmwp_aml, pkglength_uses_the_fewest_bytes) {
  /* 1 byte up to a total of 63, 2 up to 4095, 3 up to 2^20 - 1 */
  struct {
    uint32_t body, lenbytes;
  } c[] = {{0, 1}, {61, 1}, {62, 2}, {4092, 2}, {4093, 3}, {60000, 3}};
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
    uint32_t len = package_with_body(c[i].body);
    cr_assert_eq(len, 1 + c[i].lenbytes + 1 + c[i].body, "body %u", c[i].body);
    uint32_t total = c[i].lenbytes + 1 + c[i].body, got;
    uint8_t lead = buf[1];
    if (c[i].lenbytes == 1) {
      got = lead;
    } else {
      cr_assert_eq(lead >> 6, c[i].lenbytes - 1);
      cr_assert_eq(lead & 0x30, 0);
      got = lead & 0xF;
      for (uint32_t k = 1; k < c[i].lenbytes; k++)
        got |= (uint32_t)buf[1 + k] << (4 + 8 * (k - 1));
    }
    cr_assert_eq(got, total, "body %u: PkgLength %u, want %u", c[i].body, got, total);
    cr_assert_eq(buf[1 + c[i].lenbytes], 0, "element count after the PkgLength");
    cr_assert(c[i].body == 0 || buf[len - 1] == 0x5A);
  }
}

Test(vmwp_aml, device_method_and_scope_nest) {
  aml_scope_open(&a, "_SB_");
  aml_device_open(&a, "DEV0");
  aml_method_open(&a, "_STA", 0, false);
  aml_return(&a);
  aml_int(&a, 0x0F);
  aml_close(&a);
  aml_close(&a);
  aml_close(&a);
  const uint8_t want[] = {0x10, 0x16, '_',  'S', 'B', '_', 0x5B, 0x82, 0x0F, 'D',  'E', 'V',
                          '0',  0x14, 0x09, '_', 'S', 'T', 'A',  0x00, 0xA4, 0x0A, 0x0F};
  expect(want, sizeof want);
  cr_assert_eq(a.depth, 0);
}

Test(vmwp_aml, methods_take_at_most_seven_arguments) {
  aml_method_open(&a, "M000", 7, true);
  aml_close(&a);
  cr_assert(!a.failed);
  cr_assert_eq(buf[6], 0x0F);
  aml_method_open(&a, "M001", 8, false);
  cr_assert(a.failed);
}

Test(vmwp_aml, unbalanced_or_too_deep_objects_fail) {
  aml_close(&a);
  cr_assert(a.failed);
  aml_init(&a, buf, sizeof buf);
  for (int i = 0; i <= AML_MAX_DEPTH; i++)
    aml_package_open(&a, 0);
  cr_assert(a.failed);
}

Test(vmwp_aml, a_full_buffer_fails_without_writing_past_it) {
  uint8_t small[8];
  memset(buf, 0xEE, sizeof buf);
  aml_init(&a, small, 6);
  aml_string(&a, "VMBus");
  cr_assert(a.failed);
  cr_assert_eq(a.len, 6);
  aml_init(&a, buf, 10);
  aml_buffer(&a, "0123456789", 10);
  cr_assert(a.failed);
  cr_assert_eq(buf[10], 0xEE);
}

Test(vmwp_aml, resource_descriptors) {
  aml_res_io(&a, 0x3F8, 8);
  aml_res_qword_memory(&a, 0xF0000000ull, 0x0C000000ull);
  aml_res_end(&a);
  cr_assert(!a.failed);
  cr_assert_eq(a.len, 8 + 46 + 2);
  const uint8_t io[] = {0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08};
  cr_assert_arr_eq(buf, io, sizeof io);
  const uint8_t *q = buf + 8;
  cr_assert_eq(q[0], 0x8A);
  cr_assert_eq(q[1] | q[2] << 8, 43);
  uint64_t min = 0, max = 0, len = 0;
  for (int i = 7; i >= 0; i--) {
    min = min << 8 | q[14 + i];
    max = max << 8 | q[22 + i];
    len = len << 8 | q[38 + i];
  }
  cr_assert_eq(min, 0xF0000000ull);
  cr_assert_eq(max, 0xFBFFFFFFull);
  cr_assert_eq(len, 0x0C000000ull);
  cr_assert_eq(buf[54], 0x79);
}
