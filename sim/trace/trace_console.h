/*
 * trace_console.h — the consoles of a run: the bytes VMs send through the
 * UARTs their workers emulate (trace kind `serial`) become
 * DIR/console-<vm>.log in the trace directory, one file per VM that wrote
 * anything, named after the VM (or its id when the trace has no name for
 * it). Written by the trace writer for every level, so the simulator and
 * the bare-metal runners leave the same logs.
 */
#ifndef SIM_TRACE_CONSOLE_H
#define SIM_TRACE_CONSOLE_H

#include "hvsim/trace.h"
#include "trace_file.h"

struct trace_console;

/* Consoles in dir (which exists) for a trace with meta m; NULL when out
 * of memory. */
struct trace_console *trace_console_open(const char *dir, const struct trace_meta *m);
/* Append a `serial` record's byte to its VM's log (other kinds: nothing). */
void trace_console_rec(struct trace_console *c, const struct hv_trace_rec *r);
/* Close every log; 0, or -1 when a write failed. */
int trace_console_close(struct trace_console *c);

#endif /* SIM_TRACE_CONSOLE_H */
