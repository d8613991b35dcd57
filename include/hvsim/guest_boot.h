/*
 * guest_boot.h — the boot page of a child VM: what the root's worker
 * (VMWP) writes at GPA 0 before it hands the memory over, and the guest
 * program reads (its name, memory, VPs, seed and parameters). An agreement
 * between the root's loader and guest software, like a boot loader's
 * information block; the management API carries the same parameters.
 */
#ifndef HVSIM_GUEST_BOOT_H
#define HVSIM_GUEST_BOOT_H

#include <stdint.h>

/* Parameters a program receives, read from the boot page at GPA 0 that the
 * root's worker process (VMWP) wrote before handing the memory over. */
#define GUEST_BOOT_MAGIC 0x544f4f4256534856ull /* "HVSVBOOT" */
#define GUEST_MAX_PARAMS 16
struct guest_boot_param {
  char key[32];
  uint64_t value;
};
struct guest_boot {
  uint64_t magic;
  char program[32];
  uint64_t memory_bytes; /* the partition's RAM, GPA 0 .. memory_bytes */
  uint32_t vps;
  uint32_t nparams;
  uint64_t seed;         /* per-VM seed derived from the run seed */
  struct guest_boot_param params[GUEST_MAX_PARAMS];
};
#define GUEST_BOOT_GPA 0x0ull

#endif /* HVSIM_GUEST_BOOT_H */
