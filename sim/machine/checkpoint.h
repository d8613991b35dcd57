/*
 * checkpoint.h — whole-simulation checkpoints of a level-1 machine, in
 * memory: every byte a run can change, taken at a step boundary of
 * sim_run (no VP running) and put back in place, so that the restored
 * run continues byte-identically. Host code of the simulator, below the
 * hypervisor: the core and the guest software know nothing of it.
 *
 * What a checkpoint holds (the three kinds of run state):
 *   - the arena (arena.h): its block table, every plain block whole
 *     (struct run with struct sim, the world player, the devices, the
 *     verdict and digest; struct hv; the VPs' backend objects), and of
 *     each coroutine stack the live part from its saved stack pointer up;
 *   - regions the caller names that live outside the arena (fixed-size
 *     arrays allocated before the run);
 *   - simulated memory, page by page: the pages written since the
 *     previous checkpoint (struct sim's dirty map, set by every write the
 *     backend, the guest runtime and the IOMMU make), plus the PFN
 *     database, which the core writes through its own pointer;
 *   - the disks: a position in the undo log of disk writes (journal.h).
 * Memory pages are incremental: checkpoint k holds the pages written in
 * (k-1, k]; a page's content at k is its copy in the latest checkpoint
 * <= k that has one, else zero (memory starts zeroed).
 *
 * Restoring k writes back: the block table and the blocks' bytes, the
 * regions, the pages written since the state's base checkpoint plus the
 * pages of every checkpoint between the base and k, and the journal's
 * position. Cost: the plain blocks (~0.9 MB for any machine, struct hv
 * and struct run) plus 4 KiB per changed page plus the live stacks.
 *
 * A stack whose coroutine was not switched to since the state left
 * checkpoint k (its switch count is k's) is left as it is by a restore
 * of k: only running code changes its own stack.
 *
 * Checkpoints are taken in order along one timeline (the recording);
 * after a restore, ckpt_take refuses until the set is cleared, and the
 * re-executed run may pass later checkpoints (equal, by determinism).
 */
#ifndef SIM_CHECKPOINT_H
#define SIM_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "journal.h"
#include "sim.h"

#define CKPT_MAX_REGIONS 8u

struct ckpt {
  uint64_t tag;              /* the caller's position (events) */
  uint32_t nblocks;
  uint64_t brk;
  struct arena_block *blocks; /* the block table */
  uint64_t *skip;            /* per block: bytes from its start not copied */
  uint64_t *entries;         /* per stack block: its coroutine's switch count */
  uint8_t *blob;             /* the blocks' bytes (copied parts, in table order), then the regions */
  uint64_t blob_bytes;
  uint32_t *pfns;            /* sorted: pages written in (previous, this] */
  uint8_t *pages;            /* their contents, 4 KiB each */
  uint64_t npages;
  uint64_t journal_pos;
};

struct ckpt_set {
  struct sim *sim;
  struct arena *arena;
  struct { void *p; size_t n; } region[CKPT_MAX_REGIONS];
  uint32_t nregions;
  struct ckpt *c;
  uint32_t n, cap;
  uint32_t base;             /* the checkpoint the live state descends from (n: none yet) */
  bool restored;             /* a restore happened: no more takes */
  uint64_t mem_pages;
  uint8_t *mark;             /* pages written since base (harvested from sim->dirty) */
  uint32_t *touched;
  uint64_t ntouched;
  struct sim_journal journal;
};

/* Start checkpointing machine s whose objects live in arena a (from now
 * on s's dirty marks belong to the set, and its disk writes are logged).
 * Returns 0, or -1 when out of memory. */
int ckpt_set_init(struct ckpt_set *cs, struct sim *s, struct arena *a);
/* A region outside the arena that is run state (fixed address and size). */
int ckpt_region(struct ckpt_set *cs, void *p, size_t n);
/* Take a checkpoint of the live state (at a step boundary), tagged tag.
 * Returns its index, or -1 (out of memory, or taken after a restore). */
int ckpt_take(struct ckpt_set *cs, uint64_t tag);
/* Make the live state checkpoint k's. Returns 0, or -1 (no such
 * checkpoint, or a disk file could not be rolled to it). */
int ckpt_restore(struct ckpt_set *cs, uint32_t k);
/* Page pfn of simulated memory as it was at checkpoint k (its copy in the
 * latest checkpoint <= k that has one), or NULL: zero there. */
const uint8_t *ckpt_page_at(const struct ckpt_set *cs, uint32_t k, uint32_t pfn);
/* Bytes checkpoint k holds (blocks, regions, pages). */
uint64_t ckpt_bytes(const struct ckpt_set *cs, uint32_t k);
/* Stop checkpointing: free everything (the journal too; the disk files
 * keep the live state's contents). */
void ckpt_set_free(struct ckpt_set *cs);

#endif /* SIM_CHECKPOINT_H */
