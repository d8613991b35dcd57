/*
 * port_io.c — port I/O for the bare runtime (levels 2 and 3): the real
 * OUT and IN instructions; under a hypervisor they exit (I/O intercept).
 */
#include "models/guest/guest.h"

void guest_out(struct guest *g, uint16_t port, uint8_t size, uint32_t value) {
  (void)g;
  if (size == 1)
    __asm__ volatile("outb %b0, %w1" : : "a"(value), "Nd"(port));
  else if (size == 2)
    __asm__ volatile("outw %w0, %w1" : : "a"(value), "Nd"(port));
  else
    __asm__ volatile("outl %0, %w1" : : "a"(value), "Nd"(port));
}

uint32_t guest_in(struct guest *g, uint16_t port, uint8_t size) {
  (void)g;
  uint32_t v = 0;
  if (size == 1) {
    uint8_t b;
    __asm__ volatile("inb %w1, %b0" : "=a"(b) : "Nd"(port));
    v = b;
  } else if (size == 2) {
    uint16_t w;
    __asm__ volatile("inw %w1, %w0" : "=a"(w) : "Nd"(port));
    v = w;
  } else {
    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
  }
  return v;
}
