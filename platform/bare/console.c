/*
 * console.c — output of the bare-metal image: port 0xE9 and COM1.
 *
 * Port 0xE9 (Bochs's port_e9_hack, QEMU's debugcon) costs one OUT per
 * byte and reads back 0xE9 when present; COM1 is a 16550 UART
 * programmed for 115200 8N1, and every byte waits for LSR.THRE (bit 5)
 * first, since a UART drops bytes written while its holding register is
 * full (PC16550D data sheet, "Line Status Register"). On Bochs the output
 * goes to 0xE9 only (the UART would cost thousands of instructions per
 * byte in polling); on hardware to COM1.
 */
#include "hv/arch/x86/console.h"

#include "hv/arch/x86/x86.h"

#define COM1 0x3F8
#define E9 0xE9

static bool console_e9; /* platform state: the machine's console */

void console_init(void) {
  console_e9 = x86_inb(E9) == 0xE9;
  x86_outb(COM1 + 1, 0x00); /* IER: no interrupts */
  x86_outb(COM1 + 3, 0x80); /* LCR.DLAB */
  x86_outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
  x86_outb(COM1 + 1, 0x00);
  x86_outb(COM1 + 3, 0x03); /* 8N1 */
  x86_outb(COM1 + 2, 0x07); /* FIFO on, cleared */
  x86_outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void console_putc(char c) {
  if (console_e9) {
    x86_outb(E9, (uint8_t)c);
    return;
  }
  while (!(x86_inb(COM1 + 5) & 0x20))
    ;
  x86_outb(COM1, (uint8_t)c);
}

void console_write(const char *s, uint64_t n) {
  while (n--)
    console_putc(*s++);
}

void console_drain(void) {
  if (console_e9)
    return;
  while (!(x86_inb(COM1 + 5) & 0x40))
    ;
}

static void console_put_u64(uint64_t v, unsigned base, int width, char pad) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (n < width--)
    console_putc(pad);
  while (n)
    console_putc(buf[--n]);
}

void console_vprintf(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      console_putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0, lng = 0;
    if (*fmt == '0')
      pad = '0';
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      lng++;
      fmt++;
    }
    switch (*fmt) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s)
        s = "(null)";
      while (*s)
        console_putc(*s++);
      break;
    }
    case 'c':
      console_putc((char)va_arg(ap, int));
      break;
    case 'd': {
      int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
      if (v < 0) {
        console_putc('-');
        v = -v;
      }
      console_put_u64((uint64_t)v, 10, width, pad);
      break;
    }
    case 'u':
      console_put_u64(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad);
      break;
    case 'x':
      console_put_u64(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad);
      break;
    case 'p':
      console_putc('0');
      console_putc('x');
      console_put_u64((uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, ' ');
      break;
    case '%':
      console_putc('%');
      break;
    default:
      console_putc('?');
      break;
    }
  }
}

void console_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  console_vprintf(fmt, ap);
  va_end(ap);
}
