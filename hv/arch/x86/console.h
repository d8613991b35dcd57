/*
 * console.h — the bare-metal image's console: port 0xE9 (Bochs
 * port_e9_hack, QEMU -debugcon) when present, else COM1, and the
 * line protocol the runner (sim/bochs) parses:
 *   "hvsim: ..."          human-readable log lines
 *   "@T <80 hex digits>"  one trace record (struct hv_trace_rec, 40 bytes,
 *                         little-endian, the bytes of trace.bin)
 *   "@F key=value ..."    figures (instruction counts) for the report
 *   "@END status=N"       the run is over (N = 0 ok, else a panic)
 */
#ifndef HV_X86_CONSOLE_H
#define HV_X86_CONSOLE_H

#include <stdarg.h>
#include <stdint.h>

void console_init(void);
void console_putc(char c);
void console_write(const char *s, uint64_t n);
/* printf subset: %s %c %d %u %x %lx %lu %ld %llx %llu %p %%, width 0-padding. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_vprintf(const char *fmt, va_list ap);
/* Wait until everything written has left the UART (LSR.TEMT). */
void console_drain(void);

#endif /* HV_X86_CONSOLE_H */
