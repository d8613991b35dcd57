/*
 * vmwp_pm.h — the VM's ACPI power management registers, emulated by its
 * worker through I/O intercepts: the PM1a control register (ACPI 6.4
 * §4.8.3.2.1: SCI_EN bit 0, SLP_TYPx bits 12:10, SLP_EN bit 13) and the
 * hardware-reduced sleep control / status registers (§4.8.3.7: SLP_TYPx
 * bits 4:2, SLP_EN bit 5; WAK_STS bit 7). The high byte of PM1 control and
 * the sleep control register carry SLP_TYP and SLP_EN in the same bits.
 * Writing SLP_EN with the DSDT's S5 type (\_S5_) asks for power-off; other
 * sleep types are not offered (no \_S1-\_S4) and are ignored.
 */
#ifndef MODELS_ROOT_VMWP_PM_H
#define MODELS_ROOT_VMWP_PM_H

#include <stdbool.h>
#include <stdint.h>

struct vmwp_pm {
  uint8_t pm1_cnt_low; /* bits 7:0 of PM1a_CNT (SCI_EN reads back 1) */
  uint8_t slp_typ;     /* last SLP_TYP written */
  bool off;            /* S5 was entered: the VM is to be turned off */
};

void vmwp_pm_reset(struct vmwp_pm *p);
/* Whether port is one of the device's registers. */
bool vmwp_pm_owns(uint16_t port);
/* One byte-wide access at port (vmwp_pm_owns). */
uint8_t vmwp_pm_read(struct vmwp_pm *p, uint16_t port);
void vmwp_pm_write(struct vmwp_pm *p, uint16_t port, uint8_t value);

#endif /* MODELS_ROOT_VMWP_PM_H */
