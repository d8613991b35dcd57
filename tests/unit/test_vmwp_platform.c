/*
 * test_vmwp_platform.c — unit tests of the worker's port dispatch
 * (models/root/vmwp_platform.c, vmwp_platform_io): byte lanes of a wide
 * access each go to the device that decodes them, lanes nothing decodes
 * read 0xFF, devices the VM was not given decode nothing, and a 16-bit
 * write to PM1a control powers off through its high byte.
 */
#include <criterion/criterion.h>

#include "models/root/vmwp.h"
#include "models/root/vmwp_platform.h"

static struct vmwp w;
static uint8_t sent[16];
static unsigned nsent;

static void sink(void *ctx, uint8_t b) {
  (void)ctx;
  sent[nsent++ % sizeof sent] = b;
}

static void setup(uint32_t platform) {
  w = (struct vmwp){0};
  w.platform = platform;
  nsent = 0;
  vmwp_uart_reset(&w.com1, sink, &w);
  vmwp_pm_reset(&w.pm);
}

Test(vmwp_platform, uart_bytes_and_wide_accesses) {
  setup(VMWP_PLATFORM_ALL);
  uint64_t v = 'A';
  cr_assert(vmwp_platform_io(&w, VMWP_COM1_PORT, true, 1, &v));
  cr_assert_eq(nsent, 1);
  cr_assert_eq(sent[0], 'A');
  v = 0x1234567800000000ull;
  cr_assert(vmwp_platform_io(&w, VMWP_COM1_PORT + 4, false, 4, &v)); /* MCR, LSR, MSR, SCR */
  cr_assert_eq(v & 0xFFFFFFFFull, 0x00B06000ull);
  cr_assert_eq(v >> 32, 0x12345678, "the upper half of RAX kept");
  v = 0;
  cr_assert(vmwp_platform_io(&w, VMWP_COM1_PORT + 6, false, 4, &v)); /* MSR, SCR, then two undecoded ports */
  cr_assert_eq(v, 0xFFFF00B0ull);
}

Test(vmwp_platform, pm1a_word_write_powers_off) {
  setup(VMWP_PLATFORM_ALL);
  uint64_t v = VMWP_SLP_TYP_S5 << 10 | 1 << 13;
  cr_assert(vmwp_platform_io(&w, VMWP_PM1A_CNT_PORT, true, 2, &v));
  cr_assert(vmwp_powered_off(&w));
}

Test(vmwp_platform, devices_not_given_decode_nothing) {
  setup(0);
  uint64_t v = 0x11;
  cr_assert(!vmwp_platform_io(&w, VMWP_COM1_PORT, true, 1, &v));
  cr_assert(!vmwp_platform_io(&w, VMWP_SLEEP_CONTROL_PORT, true, 1, &v));
  cr_assert_eq(nsent, 0);
  setup(VMWP_PLATFORM_COM1);
  v = VMWP_SLP_TYP_S5 << 2 | 0x20;
  cr_assert(!vmwp_platform_io(&w, VMWP_SLEEP_CONTROL_PORT, true, 1, &v));
  cr_assert(!vmwp_powered_off(&w));
  cr_assert(!vmwp_platform_io(&w, 0x2F8, false, 1, &v)); /* COM2: none */
}
