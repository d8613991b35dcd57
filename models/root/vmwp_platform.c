/*
 * vmwp_platform.c — the platform a VM's worker gives a guest that asks
 * for it (struct mgmt_vm_config.platform, vmwp_platform.h): the ACPI
 * tables written into the VM's RAM before it starts, the I/O intercepts
 * of the devices, and the dispatch of each intercepted port access to the
 * device model (vmwp_uart.c, vmwp_pm.c, vmwp_rtc.c), one byte lane at a time as an
 * ISA bus decodes a wider access. Guest software in the root partition.
 */
#include "hvsim/trace.h"

#include "vmwp.h"
#include "vmwp_acpi.h"
#include "vmwp_platform.h"

#define VMWP_ACPI_BUILD_BYTES 8192u /* the tables of up to 64 VPs take under 2 KiB */

/* COM1's output: one `serial` trace record per byte (the run writes them
 * to console-<vm>.log). */
static void vmwp_serial_tx(void *ctx, uint8_t byte) {
  struct vmwp *w = ctx;
  guest_event(w->g, HV_TR_SERIAL, w->vm_id, byte, 0);
}

uint16_t vmwp_platform_load(struct vmwp *w, struct vid *vid, const struct mgmt_vm_config *cfg) {
  w->platform = cfg->platform & VMWP_PLATFORM_ALL;
  vmwp_uart_reset(&w->com1, vmwp_serial_tx, w);
  vmwp_pm_reset(&w->pm);
  vmwp_rtc_reset(&w->rtc);
  for (uint32_t i = 0; i < sizeof w->mmio_regs; i++)
    w->mmio_regs[i] = 0;
  w->mmio_count = 0;
  if (!(w->platform & VMWP_PLATFORM_ACPI))
    return HV_STATUS_SUCCESS;
  uint8_t buf[VMWP_ACPI_BUILD_BYTES];
  struct vmwp_acpi_cfg acfg = {cfg->vps, cfg->memory_bytes, (w->platform & VMWP_PLATFORM_COM1) != 0};
  struct vmwp_acpi_layout l;
  if (cfg->memory_bytes < VMWP_HIGH_RAM_GPA || !vmwp_acpi_build(&acfg, VMWP_ACPI_GPA, buf, sizeof buf, &l))
    return HV_STATUS_INVALID_PARAMETER;
  return vmwp_write_gpa(w, vid, VMWP_ACPI_GPA, buf, l.total);
}

static uint16_t vmwp_platform_intercept(struct vmwp *w, struct vid *vid, uint16_t port) {
  return winhv_install_intercept(&vid->hv, w->partition_id,
                                 HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE,
                                 HV_INTERCEPT_TYPE_X64_IO_PORT, port);
}

uint16_t vmwp_platform_intercepts(struct vmwp *w, struct vid *vid) {
  uint16_t st = HV_STATUS_SUCCESS;
  for (uint16_t i = 0; i < VMWP_UART_PORTS && st == HV_STATUS_SUCCESS && (w->platform & VMWP_PLATFORM_COM1);
       i++)
    st = vmwp_platform_intercept(w, vid, (uint16_t)(VMWP_COM1_PORT + i));
  const uint16_t pm[] = {VMWP_PM1A_CNT_PORT, VMWP_PM1A_CNT_PORT + 1, VMWP_SLEEP_CONTROL_PORT,
                         VMWP_SLEEP_STATUS_PORT};
  for (unsigned i = 0;
       i < sizeof pm / sizeof pm[0] && st == HV_STATUS_SUCCESS && (w->platform & VMWP_PLATFORM_ACPI); i++)
    st = vmwp_platform_intercept(w, vid, pm[i]);
  for (uint16_t port = VMWP_RTC_INDEX_PORT;
       port <= VMWP_RTC_DATA_PORT && st == HV_STATUS_SUCCESS && (w->platform & VMWP_PLATFORM_RTC); port++)
    st = vmwp_platform_intercept(w, vid, port);
  return st;
}

/* One byte lane: true when a device decodes port. */
static bool vmwp_platform_byte(struct vmwp *w, uint16_t port, bool write, uint8_t *b) {
  if ((w->platform & VMWP_PLATFORM_COM1) && port >= VMWP_COM1_PORT &&
      port < VMWP_COM1_PORT + VMWP_UART_PORTS) {
    if (write)
      vmwp_uart_write(&w->com1, (uint8_t)(port - VMWP_COM1_PORT), *b);
    else
      *b = vmwp_uart_read(&w->com1, (uint8_t)(port - VMWP_COM1_PORT));
    return true;
  }
  if ((w->platform & VMWP_PLATFORM_ACPI) && vmwp_pm_owns(port)) {
    if (write)
      vmwp_pm_write(&w->pm, port, *b);
    else
      *b = vmwp_pm_read(&w->pm, port);
    return true;
  }
  if ((w->platform & VMWP_PLATFORM_RTC) && vmwp_rtc_owns(port)) {
    if (write)
      vmwp_rtc_write(&w->rtc, port, *b);
    else
      *b = vmwp_rtc_read(&w->rtc, port);
    return true;
  }
  return false;
}

bool vmwp_platform_io(struct vmwp *w, uint16_t port, bool write, uint8_t size, uint64_t *value) {
  bool any = false;
  uint64_t v = *value;
  for (uint8_t i = 0; i < size; i++) {
    uint8_t b = (uint8_t)(*value >> (8 * i));
    bool hit = vmwp_platform_byte(w, (uint16_t)(port + i), write, &b);
    if (!write)
      b = hit ? b : 0xFF; /* a lane nothing decodes floats high */
    any |= hit;
    v = (v & ~(0xFFull << (8 * i))) | (uint64_t)b << (8 * i);
  }
  if (any && !write)
    *value = v;
  return any;
}
