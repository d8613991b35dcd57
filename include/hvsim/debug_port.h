/*
 * debug_port.h — the bare-metal image's debug port: how a guest's events
 * leave it and what the image prints for the level-2 runner (sim/bochs),
 * which turns the lines back into trace records, counters and figures.
 *
 * Port 0xE9 (Bochs port_e9_hack, QEMU -debugcon), one line each:
 *   "hvsim: ..."          human-readable log lines
 *   "@T <80 hex digits>"  one trace record (struct hv_trace_rec, 40 bytes,
 *                         little-endian, the bytes of trace.bin)
 *   "@S pid=P vp=V guest=G hv=H exit=E exits=X hypercalls=C dispatches=D"
 *                         one VP's counters at the end of the run
 *   "@F key=value ..."    figures (instruction counts) for the report
 *   "@END status=N"       the run is over (N = 0 ok, else a panic)
 */
#ifndef HVSIM_DEBUG_PORT_H
#define HVSIM_DEBUG_PORT_H

/* Guest events (guest_event) leave a bare-metal guest as one 32-bit OUT to
 * port BARE_EVENT_PORT with EAX = BARE_EVENT_TAG | kind, RSI = a, RDI = b,
 * R8 = c; the backend records it as a trace record of the VP's partition
 * and resumes the guest. Byte OUTs to the port are guest console output. */
#define BARE_EVENT_PORT 0xE9u
#define BARE_EVENT_TAG 0x48560000u

#define DEBUG_LINE_TRACE "@T "
#define DEBUG_LINE_STATS "@S "
#define DEBUG_LINE_FIGURES "@F "
#define DEBUG_LINE_END "@END status="

/* Status of "@END": the run reached its end; the image found bad input;
 * the hypervisor panicked. */
#define DEBUG_END_OK 0
#define DEBUG_END_BAD_INPUT 2
#define DEBUG_END_PANIC 3

#endif /* HVSIM_DEBUG_PORT_H */
