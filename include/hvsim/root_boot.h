/*
 * root_boot.h — what the loader tells the root partition at boot: the
 * range of RAM it owns (identity-mapped GPAs) and the machine. The block
 * sits in the first page of that range; RSI holds its GPA at entry.
 */
#ifndef HVSIM_ROOT_BOOT_H
#define HVSIM_ROOT_BOOT_H

#include <stdint.h>

#define ROOT_BOOT_MAGIC 0x544f4f42544f4f52ull /* "ROOTBOOT" */
#define GUEST_ENTRY_RIP 0x100000ull          /* where the loader starts every VP */

struct root_boot {
  uint64_t magic;
  uint64_t first_gpfn; /* first page of the root's RAM (this block's page) */
  uint64_t npages;     /* contiguous pages owned from first_gpfn */
  uint32_t nlps;
  uint32_t reserved;
  uint64_t seed;
};

#endif /* HVSIM_ROOT_BOOT_H */
