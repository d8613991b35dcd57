/*
 * guest_lib.c — guest operations built from the primitives of guest.h, the
 * same on every runtime. Guest software, freestanding.
 */
#include "guest.h"

#include "hv/hvgdk.h"

void guest_eoi(struct guest *g) { guest_wrmsr(g, HV_X64_MSR_EOI, 0); }
