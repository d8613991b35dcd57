/*
 * test_vmwp_rtc.c — unit tests of the worker's CMOS clock
 * (models/root/vmwp_rtc.c): the fixed date in BCD, never an update in
 * progress, the read-only bits and registers, CMOS RAM keeping writes,
 * the ports it decodes.
 */
#include <criterion/criterion.h>

#include "models/root/vmwp_rtc.h"

static struct vmwp_rtc r;

static void setup(void) { vmwp_rtc_reset(&r); }

TestSuite(vmwp_rtc, .init = setup);

static uint8_t cmos(uint8_t reg) {
  vmwp_rtc_write(&r, VMWP_RTC_INDEX_PORT, reg);
  return vmwp_rtc_read(&r, VMWP_RTC_DATA_PORT);
}

Test(vmwp_rtc, decodes_its_ports_only) {
  cr_assert(vmwp_rtc_owns(0x70) && vmwp_rtc_owns(0x71));
  cr_assert(!vmwp_rtc_owns(0x6F) && !vmwp_rtc_owns(0x72));
}

Test(vmwp_rtc, fixed_date_bcd_no_update_in_progress) {
  cr_assert_eq(cmos(0x00), 0x00, "seconds");
  cr_assert_eq(cmos(0x04), 0x00, "hours");
  cr_assert_eq(cmos(0x07), 0x01, "day of month");
  cr_assert_eq(cmos(0x08), 0x01, "month");
  cr_assert_eq(cmos(0x09), 0x26, "year 26, BCD");
  cr_assert_eq(cmos(0x32), 0x20, "century");
  for (int i = 0; i < 1000; i++)
    cr_assert_eq(cmos(0x0A) & 0x80, 0, "UIP never set");
  cr_assert_eq(cmos(0x0B), 0x02, "24-hour, BCD");
  cr_assert_eq(cmos(0x0D), 0x80, "valid RAM and time");
  cr_assert_eq(cmos(0x80 | 0x09), 0x26, "bit 7 of the index (NMI disable) selects nothing");
}

Test(vmwp_rtc, writable_bits_and_ram) {
  vmwp_rtc_write(&r, VMWP_RTC_INDEX_PORT, 0x0A);
  vmwp_rtc_write(&r, VMWP_RTC_DATA_PORT, 0xA6);
  cr_assert_eq(cmos(0x0A), 0x26, "UIP is read-only");
  vmwp_rtc_write(&r, VMWP_RTC_INDEX_PORT, 0x0D);
  vmwp_rtc_write(&r, VMWP_RTC_DATA_PORT, 0x00);
  cr_assert_eq(cmos(0x0D), 0x80, "register D is read-only");
  vmwp_rtc_write(&r, VMWP_RTC_INDEX_PORT, 0x40);
  vmwp_rtc_write(&r, VMWP_RTC_DATA_PORT, 0x5A);
  cr_assert_eq(cmos(0x40), 0x5A, "CMOS RAM keeps a byte");
  cr_assert_eq(vmwp_rtc_read(&r, VMWP_RTC_INDEX_PORT), 0xFF, "the index port is write-only");
}
