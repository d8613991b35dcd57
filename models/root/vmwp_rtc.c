/*
 * vmwp_rtc.c — the CMOS real-time clock of a VM (see vmwp_rtc.h).
 * Register numbers and bits: the MC146818A data sheet (registers A-D at
 * 0x0A-0x0D; A bit 7 UIP, B bit 1 24-hour, bit 2 binary, D bit 7 VRT).
 */
#include "vmwp_rtc.h"

#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D
#define RTC_CENTURY 0x32 /* the FADT's CENTURY byte is 0: Linux does not read it */

void vmwp_rtc_reset(struct vmwp_rtc *r) {
  *r = (struct vmwp_rtc){0};
  /* 2026-01-01 00:00:00, a Thursday (day of week 5, Sunday = 1), BCD */
  r->ram[0x06] = 0x05;
  r->ram[0x07] = 0x01;
  r->ram[0x08] = 0x01;
  r->ram[0x09] = 0x26;
  r->ram[RTC_CENTURY] = 0x20;
  r->ram[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate; UIP clear */
  r->ram[RTC_REG_B] = 0x02; /* 24-hour, BCD, no interrupts */
  r->ram[RTC_REG_D] = 0x80; /* valid RAM and time (battery good) */
}

bool vmwp_rtc_owns(uint16_t port) { return port == VMWP_RTC_INDEX_PORT || port == VMWP_RTC_DATA_PORT; }

uint8_t vmwp_rtc_read(struct vmwp_rtc *r, uint16_t port) {
  if (port == VMWP_RTC_INDEX_PORT)
    return 0xFF; /* the index register is write-only */
  return r->ram[r->index];
}

void vmwp_rtc_write(struct vmwp_rtc *r, uint16_t port, uint8_t value) {
  if (port == VMWP_RTC_INDEX_PORT) {
    r->index = value & 0x7F;
    return;
  }
  switch (r->index) {
  case RTC_REG_A:
    r->ram[RTC_REG_A] = value & 0x7F; /* UIP is read-only */
    break;
  case RTC_REG_B:
    r->ram[RTC_REG_B] = value & 0x7F; /* SET (bit 7) would stop updates: they never run */
    break;
  case RTC_REG_C:
  case RTC_REG_D:
    break; /* read-only */
  default:
    r->ram[r->index] = value;
    break;
  }
}
