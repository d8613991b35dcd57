/*
 * test_vmwp_uart.c — unit tests of the worker's 16550A (models/root/
 * vmwp_uart.c): transmission to the sink, THRE/TEMT always set, the
 * divisor latch behind DLAB, scratch, loopback into RBR with the modem
 * lines following MCR, FIFO bits in IIR, and the THRE interrupt as Linux's
 * 8250 driver polls it (raised on enable and after a byte, cleared by
 * reading IIR, behind received data in priority).
 */
#include <criterion/criterion.h>

#include "models/root/vmwp_uart.h"

static struct vmwp_uart u;
static uint8_t out[64];
static unsigned nout;

static void sink(void *ctx, uint8_t b) {
  cr_assert_eq(ctx, &u);
  out[nout++ % sizeof out] = b;
}

static void setup(void) {
  nout = 0;
  vmwp_uart_reset(&u, sink, &u);
}

TestSuite(vmwp_uart, .init = setup);

Test(vmwp_uart, transmits_and_is_always_ready) {
  cr_assert_eq(vmwp_uart_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 'h');
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 'i');
  cr_assert_eq(nout, 2);
  cr_assert_eq(out[0], 'h');
  cr_assert_eq(out[1], 'i');
  cr_assert_eq(vmwp_uart_read(&u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
  cr_assert_eq(vmwp_uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
}

Test(vmwp_uart, divisor_latch_and_scratch) {
  vmwp_uart_write(&u, UART_IER_DLM, 0x05);
  vmwp_uart_write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 0x0C); /* 9600 baud: a divisor write, not a byte */
  vmwp_uart_write(&u, UART_IER_DLM, 0x00);
  cr_assert_eq(nout, 0);
  cr_assert_eq(vmwp_uart_read(&u, UART_RBR_THR_DLL), 0x0C);
  cr_assert_eq(vmwp_uart_read(&u, UART_IER_DLM), 0x00);
  vmwp_uart_write(&u, UART_LCR, 0x03);
  cr_assert_eq(vmwp_uart_read(&u, UART_IER_DLM), 0x05, "IER untouched by the DLM write");
  cr_assert_eq(vmwp_uart_read(&u, UART_LCR), 0x03);
  vmwp_uart_write(&u, UART_SCR, 0xA5);
  cr_assert_eq(vmwp_uart_read(&u, UART_SCR), 0xA5);
  vmwp_uart_write(&u, UART_IER_DLM, 0xFF);
  cr_assert_eq(vmwp_uart_read(&u, UART_IER_DLM), 0x0F, "IER has four bits");
}

Test(vmwp_uart, loopback_and_modem_lines) {
  cr_assert_eq(vmwp_uart_read(&u, UART_MSR), 0xB0, "a terminal: CTS, DSR, DCD");
  vmwp_uart_write(&u, UART_MCR, 0x10 | 0x0A);              /* loop, RTS, OUT2 */
  cr_assert_eq(vmwp_uart_read(&u, UART_MSR) & 0xF0, 0x90); /* Linux's autoconfig test */
  vmwp_uart_write(&u, UART_MCR, 0x1F);
  cr_assert_eq(vmwp_uart_read(&u, UART_MSR) & 0xF0, 0xF0);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 0x42);
  cr_assert_eq(nout, 0, "looped back, not sent");
  cr_assert(vmwp_uart_read(&u, UART_LSR) & UART_LSR_DR);
  cr_assert_eq(vmwp_uart_read(&u, UART_RBR_THR_DLL), 0x42);
  cr_assert_eq(vmwp_uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
  vmwp_uart_write(&u, UART_MCR, 0x0B);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 0x43);
  cr_assert_eq(nout, 1);
}

Test(vmwp_uart, fifo_bits) {
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT);
  vmwp_uart_write(&u, UART_IIR_FCR, 0x07);
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_NO_INT);
  vmwp_uart_write(&u, UART_IIR_FCR, 0x00);
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT);
}

Test(vmwp_uart, thre_interrupt_as_a_polling_driver_sees_it) {
  vmwp_uart_write(&u, UART_IER_DLM, UART_IER_THRI); /* start_tx: enabling it while THR is empty raises it */
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_THRI);
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT, "reading IIR cleared it");
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 'x');
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_THRI, "raised again once the byte left");
  vmwp_uart_write(&u, UART_IER_DLM, UART_IER_THRI); /* already enabled: no new edge */
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT);
  vmwp_uart_write(&u, UART_IER_DLM, 0);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 'y');
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT, "masked by IER");
  /* received data (loopback) comes first, and does not clear THRE */
  vmwp_uart_write(&u, UART_MCR, 0x10);
  vmwp_uart_write(&u, UART_IER_DLM, UART_IER_RDI | UART_IER_THRI);
  vmwp_uart_write(&u, UART_RBR_THR_DLL, 'z');
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_RDI);
  cr_assert_eq(vmwp_uart_read(&u, UART_RBR_THR_DLL), 'z');
  cr_assert_eq(vmwp_uart_read(&u, UART_IIR_FCR), UART_IIR_THRI);
}

Test(vmwp_uart, read_only_registers_ignore_writes) {
  vmwp_uart_write(&u, UART_LSR, 0);
  vmwp_uart_write(&u, UART_MSR, 0);
  cr_assert_eq(vmwp_uart_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
  cr_assert_eq(vmwp_uart_read(&u, UART_MSR), 0xB0);
}
