/*
 * vmwp_uart.c — the 16550A model (see vmwp_uart.h).
 */
#include "vmwp_uart.h"

void vmwp_uart_reset(struct vmwp_uart *u, void (*tx)(void *ctx, uint8_t byte), void *ctx) {
  *u = (struct vmwp_uart){0};
  u->tx = tx;
  u->tx_ctx = ctx;
}

/* IIR: the highest-priority pending interrupt the IER enables (received
 * data before THR empty), with the FIFO bits. */
static uint8_t uart_iir(const struct vmwp_uart *u) {
  uint8_t fifos = (u->fcr & 1) ? UART_IIR_FIFOS : 0;
  if ((u->ier & UART_IER_RDI) && u->rx_ready)
    return fifos | UART_IIR_RDI;
  if ((u->ier & UART_IER_THRI) && u->thre_pending)
    return fifos | UART_IIR_THRI;
  return fifos | UART_IIR_NO_INT;
}

/* MSR: in loopback the modem inputs follow MCR (CTS = RTS, DSR = DTR,
 * RI = OUT1, DCD = OUT2); otherwise a terminal is attached (CTS, DSR,
 * DCD). The delta bits never change state. */
static uint8_t uart_msr(const struct vmwp_uart *u) {
  if (!(u->mcr & UART_MCR_LOOP))
    return 0xB0;
  uint8_t m = u->mcr;
  return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

uint8_t vmwp_uart_read(struct vmwp_uart *u, uint8_t reg) {
  bool dlab = u->lcr & UART_LCR_DLAB;
  switch (reg & 7) {
  case UART_RBR_THR_DLL:
    if (dlab)
      return u->dll;
    u->rx_ready = false;
    return u->rbr;
  case UART_IER_DLM: return dlab ? u->dlm : u->ier;
  case UART_IIR_FCR: {
    uint8_t iir = uart_iir(u);
    if ((iir & 0x0F) == UART_IIR_THRI)
      u->thre_pending = false; /* reading IIR clears a THRE interrupt it reports */
    return iir;
  }
  case UART_LCR: return u->lcr;
  case UART_MCR: return u->mcr;
  case UART_LSR: return (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT | (u->rx_ready ? UART_LSR_DR : 0));
  case UART_MSR: return uart_msr(u);
  default: return u->scr;
  }
}

void vmwp_uart_write(struct vmwp_uart *u, uint8_t reg, uint8_t value) {
  bool dlab = u->lcr & UART_LCR_DLAB;
  switch (reg & 7) {
  case UART_RBR_THR_DLL:
    if (dlab) {
      u->dll = value;
    } else if (u->mcr & UART_MCR_LOOP) {
      u->rbr = value;
      u->rx_ready = true;
      u->thre_pending = true;
    } else {
      if (u->tx)
        u->tx(u->tx_ctx, value);
      u->thre_pending = true; /* sent at once: THR is empty again */
    }
    return;
  case UART_IER_DLM:
    if (dlab) {
      u->dlm = value;
    } else {
      if ((value & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
        u->thre_pending = true; /* enabling it while THR is empty raises it */
      u->ier = value & 0x0F;
    }
    return;
  case UART_IIR_FCR:
    u->fcr = value & 0xC9; /* enable, DMA mode, trigger level; bits 1-2 clear the FIFOs */
    if (value & 0x02)
      u->rx_ready = false;
    return;
  case UART_LCR: u->lcr = value; return;
  case UART_MCR: u->mcr = value & 0x1F; return;
  case UART_LSR:
  case UART_MSR: return; /* read-only (factory test writes ignored) */
  default: u->scr = value; return;
  }
}
