/*
 * vmwp_uart.h — a 16550A UART, the VM's COM1, emulated by its worker
 * through I/O intercepts (registers: National Semiconductor PC16550D data
 * sheet, "Register Summary").
 *
 * Transmission is immediate: THR is always empty (LSR.THRE and TEMT set),
 * each byte written goes to the worker's output sink (the VM's console,
 * the `serial` trace kind) unless the loopback bit of MCR sends it back to
 * RBR. There is no interrupt line (the platform has no interrupt
 * controller for ISA IRQ 4), but IIR reports a pending THRE interrupt as
 * the chip does — raised when IER enables it while THR is empty and after
 * each byte, cleared by reading IIR — so a driver that polls IIR (Linux's
 * 8250 without an IRQ) transmits. FIFOs report as enabled (a 16550A) when
 * FCR bit 0 is set; they never hold data.
 */
#ifndef MODELS_ROOT_VMWP_UART_H
#define MODELS_ROOT_VMWP_UART_H

#include <stdbool.h>
#include <stdint.h>

#define VMWP_UART_PORTS 8u

/* Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0 and 1). */
enum {
  UART_RBR_THR_DLL = 0,
  UART_IER_DLM = 1,
  UART_IIR_FCR = 2,
  UART_LCR = 3,
  UART_MCR = 4,
  UART_LSR = 5,
  UART_MSR = 6,
  UART_SCR = 7,
};

#define UART_LCR_DLAB 0x80u
#define UART_IER_RDI 0x01u  /* received data available */
#define UART_IER_THRI 0x02u /* THR empty */
#define UART_IIR_NO_INT 0x01u
#define UART_IIR_THRI 0x02u
#define UART_IIR_RDI 0x04u
#define UART_IIR_FIFOS 0xC0u
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u
#define UART_MCR_LOOP 0x10u

struct vmwp_uart {
  uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
  uint8_t rbr;       /* a received byte (loopback only) */
  bool rx_ready;     /* LSR.DR */
  bool thre_pending; /* the THRE interrupt is asserted */
  /* Where transmitted bytes go. */
  void (*tx)(void *ctx, uint8_t byte);
  void *tx_ctx;
};

/* Power-on state (DLAB clear, everything 0), output to tx(ctx, byte). */
void vmwp_uart_reset(struct vmwp_uart *u, void (*tx)(void *ctx, uint8_t byte), void *ctx);
/* One byte-wide register access at offset reg (0-7). */
uint8_t vmwp_uart_read(struct vmwp_uart *u, uint8_t reg);
void vmwp_uart_write(struct vmwp_uart *u, uint8_t reg, uint8_t value);

#endif /* MODELS_ROOT_VMWP_UART_H */
