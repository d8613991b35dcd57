/*
 * vmwp_rtc.h — the VM's CMOS real-time clock (MC146818 compatible: index
 * port 0x70, data port 0x71), emulated by its worker through I/O
 * intercepts, as Hyper-V's generation 2 VMs have one (ACPI's FADT does
 * not say "no CMOS RTC"). An unmodified Linux reads it once at boot for
 * the wall clock and waits while it reports an update in progress.
 *
 * The clock is not running: it reads the fixed date 2026-01-01 00:00:00
 * (BCD, 24-hour mode, register B = 0x02), never "update in progress",
 * battery good; a deterministic wall clock for every run. Time registers
 * and the other bytes of the 128-byte CMOS RAM keep what is written;
 * registers A-D keep only their writable bits and raise no interrupts
 * (no IRQ 8: the platform has no I/O APIC).
 */
#ifndef MODELS_ROOT_VMWP_RTC_H
#define MODELS_ROOT_VMWP_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define VMWP_RTC_INDEX_PORT 0x70u
#define VMWP_RTC_DATA_PORT 0x71u

struct vmwp_rtc {
  uint8_t index;    /* last index written to 0x70 (bit 7: NMI disable, ignored) */
  uint8_t ram[128]; /* CMOS RAM, registers 0x00-0x0D included */
};

void vmwp_rtc_reset(struct vmwp_rtc *r);
bool vmwp_rtc_owns(uint16_t port);
uint8_t vmwp_rtc_read(struct vmwp_rtc *r, uint16_t port);
void vmwp_rtc_write(struct vmwp_rtc *r, uint16_t port, uint8_t value);

#endif /* MODELS_ROOT_VMWP_RTC_H */
