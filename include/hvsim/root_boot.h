/*
 * root_boot.h — what the loader tells the root partition at boot: the
 * range of RAM it owns (identity-mapped GPAs) and the machine. The block
 * sits in the first page of that range; RSI holds its GPA at entry.
 */
#ifndef HVSIM_ROOT_BOOT_H
#define HVSIM_ROOT_BOOT_H

#include <stddef.h>
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
  /* ---- read from the boot block (the root's first page, kept) where used ---- */
  uint64_t wall_filetime; /* UTC at the machine's time 0, 100 ns since 1601 (the scenario's wall_time) */
};
/* What the runtime copies for root_main; later fields stay in the block. */
#define ROOT_BOOT_HEAD_BYTES offsetof(struct root_boot, wall_filetime)

#endif /* HVSIM_ROOT_BOOT_H */
