/*
 * npt_shadow.h — shadow nested page tables from the core's EPT-format
 * SLAT (AMD-V image); see npt_shadow.c.
 */
#ifndef HV_X86_NPT_SHADOW_H
#define HV_X86_NPT_SHADOW_H

#include "hv/core/hv.h"

enum { NPT_VIOLATION = 0, NPT_FILLED = 1, NPT_RETRY_NEW_ROOT = 2 };

void npt_init(void);
/* The partition's shadow PML4 (allocated if needed) and its generation:
 * a VP that last ran with another generation must flush its ASID. */
uint64_t npt_root(uint16_t part, uint64_t *gen);
/* A nested page fault at gpa with access (1 r, 2 w, 4 x): NPT_FILLED (the
 * core's tables allow it; retry), NPT_RETRY_NEW_ROOT (shadows dropped;
 * retry with a new root) or NPT_VIOLATION (report to the core). */
int npt_fault(struct hv *hv, uint16_t part, uint64_t gpa, uint32_t access);
/* Drop the partition's shadow: its SLAT changed. */
void npt_drop(uint16_t part);
void npt_stats(uint64_t *fills, uint64_t *drops, uint32_t *pages);

#endif /* HV_X86_NPT_SHADOW_H */
