/*
 * platform_bare.h — shared by the bare-metal platform's files: boot
 * (main.c), the world's player on this machine (world.c) and the debug
 * stream (debug_stream.c). The hooks the CPU backend calls are declared
 * by the backend, in hv/arch/x86/platform.h.
 */
#ifndef PLATFORM_BARE_H
#define PLATFORM_BARE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/x86/console.h"
#include "hv/arch/x86/platform.h"

struct bare_cfg;
struct bare_storage;

/* main.c: true once the hypervisor has booted (scenario time 0 is set). */
bool platform_booted(void);

/* world.c: the plan of the run description, played on this machine. */
void platform_world_init(struct hv *hv, const struct bare_cfg *cfg);
/* Do what is due at now (core cycles); the time of the next world event. */
uint64_t platform_world(uint64_t now);
/* The world's time (cycles since the end of boot): every LP has reached it. */
uint64_t platform_now(void);
/* Scenario nanoseconds in core cycles. */
uint64_t platform_ns_cycles(uint64_t ns);

/* storage.c: the machine's drives, the root's (before the backend builds
 * the root's I/O bitmap); their map copied into the root's RAM. */
void platform_storage_init(const struct bare_storage *s);
void platform_storage_load(void);

/* debug_stream.c */
void platform_trace_flush(void);
uint64_t platform_trace_total(void);

#endif /* PLATFORM_BARE_H */
