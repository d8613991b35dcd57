/*
 * vmwp_pm.c — ACPI PM1 control and sleep registers (see vmwp_pm.h).
 */
#include "vmwp_pm.h"

#include "vmwp_platform.h"

#define PM_SCI_EN 0x01u
#define PM_SLP_EN 0x20u /* in the high byte of PM1 control / the sleep control register */

void vmwp_pm_reset(struct vmwp_pm *p) { *p = (struct vmwp_pm){0}; }

bool vmwp_pm_owns(uint16_t port) {
  return port == VMWP_PM1A_CNT_PORT || port == VMWP_PM1A_CNT_PORT + 1 || port == VMWP_SLEEP_CONTROL_PORT ||
         port == VMWP_SLEEP_STATUS_PORT;
}

/* SLP_TYP in bits 4:2 and SLP_EN in bit 5 of b. */
static void pm_sleep(struct vmwp_pm *p, uint8_t b) {
  p->slp_typ = (b >> 2) & 7;
  if ((b & PM_SLP_EN) && p->slp_typ == VMWP_SLP_TYP_S5)
    p->off = true;
}

uint8_t vmwp_pm_read(struct vmwp_pm *p, uint16_t port) {
  if (port == VMWP_PM1A_CNT_PORT)
    return p->pm1_cnt_low | PM_SCI_EN; /* always in ACPI mode: there is no SMI_CMD */
  if (port == VMWP_PM1A_CNT_PORT + 1)
    return (uint8_t)(p->slp_typ << 2); /* SLP_EN is write-only, reads 0 */
  return 0;                            /* sleep control reads 0; WAK_STS never set */
}

void vmwp_pm_write(struct vmwp_pm *p, uint16_t port, uint8_t value) {
  if (port == VMWP_PM1A_CNT_PORT)
    p->pm1_cnt_low = value & (uint8_t)~PM_SCI_EN; /* SCI_EN is read-only here */
  else if (port == VMWP_PM1A_CNT_PORT + 1 || port == VMWP_SLEEP_CONTROL_PORT)
    pm_sleep(p, value);
  /* sleep status: write-1-to-clear bits, none of them ever set */
}
