/*
 * test_vmwp_pm.c — unit tests of the worker's ACPI power registers
 * (models/root/vmwp_pm.c): S5 through the PM1a control register (a 16-bit
 * write's high byte) and through the hardware-reduced sleep control
 * register, other sleep types and writes without SLP_EN ignored, SCI_EN
 * reading 1, SLP_EN reading 0, the ports it decodes.
 */
#include <criterion/criterion.h>

#include "models/root/vmwp_platform.h"
#include "models/root/vmwp_pm.h"

static struct vmwp_pm p;

static void setup(void) { vmwp_pm_reset(&p); }

TestSuite(vmwp_pm, .init = setup);

Test(vmwp_pm, decodes_its_ports_only) {
  uint16_t mine[] = {VMWP_PM1A_CNT_PORT, VMWP_PM1A_CNT_PORT + 1, VMWP_SLEEP_CONTROL_PORT,
                     VMWP_SLEEP_STATUS_PORT};
  for (unsigned i = 0; i < 4; i++)
    cr_assert(vmwp_pm_owns(mine[i]));
  cr_assert(!vmwp_pm_owns(VMWP_PM1A_CNT_PORT - 1));
  cr_assert(!vmwp_pm_owns(VMWP_SLEEP_STATUS_PORT + 1));
  cr_assert(!vmwp_pm_owns(0x3F8));
}

Test(vmwp_pm, pm1a_control_s5) {
  uint16_t v = VMWP_SLP_TYP_S5 << 10 | 1 << 13;
  vmwp_pm_write(&p, VMWP_PM1A_CNT_PORT, (uint8_t)v);
  cr_assert(!p.off, "the low byte holds no SLP_EN");
  vmwp_pm_write(&p, VMWP_PM1A_CNT_PORT + 1, (uint8_t)(v >> 8));
  cr_assert(p.off);
}

Test(vmwp_pm, sleep_control_s5) {
  vmwp_pm_write(&p, VMWP_SLEEP_CONTROL_PORT, VMWP_SLP_TYP_S5 << 2);
  cr_assert(!p.off, "SLP_TYP without SLP_EN");
  vmwp_pm_write(&p, VMWP_SLEEP_CONTROL_PORT, VMWP_SLP_TYP_S5 << 2 | 0x20);
  cr_assert(p.off);
}

Test(vmwp_pm, other_sleep_types_do_nothing) {
  for (uint8_t t = 0; t < 8; t++)
    if (t != VMWP_SLP_TYP_S5) {
      vmwp_pm_write(&p, VMWP_SLEEP_CONTROL_PORT, (uint8_t)(t << 2 | 0x20));
      vmwp_pm_write(&p, VMWP_PM1A_CNT_PORT + 1, (uint8_t)(t << 2 | 0x20));
    }
  cr_assert(!p.off);
  vmwp_pm_write(&p, VMWP_SLEEP_STATUS_PORT, 0xFF); /* write-1-to-clear: nothing set */
  cr_assert_eq(vmwp_pm_read(&p, VMWP_SLEEP_STATUS_PORT), 0);
}

Test(vmwp_pm, reads) {
  cr_assert_eq(vmwp_pm_read(&p, VMWP_PM1A_CNT_PORT) & 1, 1, "SCI_EN: always in ACPI mode");
  vmwp_pm_write(&p, VMWP_PM1A_CNT_PORT, 0x06);
  cr_assert_eq(vmwp_pm_read(&p, VMWP_PM1A_CNT_PORT), 0x07);
  vmwp_pm_write(&p, VMWP_PM1A_CNT_PORT + 1, 3 << 2 | 0x20);
  cr_assert_eq(vmwp_pm_read(&p, VMWP_PM1A_CNT_PORT + 1), 3 << 2, "SLP_EN reads 0");
  cr_assert_eq(vmwp_pm_read(&p, VMWP_SLEEP_CONTROL_PORT), 0);
}
