/*
 * state_file.h — the state file: one format for everything hvsim saves
 * to continue later. Whole-simulation checkpoints of a level-1 run (issue
 * 17: `hvsim run --checkpoint-every N --checkpoint-dir DIR`) use it now;
 * a VM's saved state, its checkpoints and the migration stream (issue 16,
 * written by the root's worker process) are meant to be other kinds of
 * the same file: same header, same blocks, own block types.
 *
 * All integers little-endian. A file is a header and a sequence of
 * blocks, each with its own SHA-256, so damage is localised to a block:
 * a reader names the first bad block (truncated, checksum mismatch) and
 * uses nothing of a file that fails.
 *
 * Header (HVSTATE_HEADER_BYTES = 256):
 *   0    char[8]   magic "HVSTATE\0"
 *   8    u32       format version (HVSTATE_VERSION)
 *   12   u32       kind (enum hvstate_kind)
 *   16   u32       header bytes (256)
 *   20   u32       reserved, 0
 *   24   u64       seed of the run
 *   32   u8[32]    SHA-256 of the scenario file
 *   64   char[64]  build id (NUL-padded): a state file is read by the build that wrote it
 *   128  u64       position: events emitted when the state was taken
 *   136  u64       kind-specific: for a simulation, the address of the run's arena
 *                  (its blocks are meaningful at that address only)
 *   144  u8[80]    reserved, 0
 *   224  u8[32]    SHA-256 of header bytes 0..223
 * Block:
 *   0    u32       type (enum hvstate_block)
 *   4    u32       reserved, 0
 *   8    u64       key (per type: arena offset, page frame number, region index)
 *   16   u64       payload bytes n
 *   24   u8[32]    SHA-256 of the payload
 *   56   payload, n bytes, then zeros to a multiple of 8
 * The last block is HVSTATE_BLOCK_END (n = 0): a file without it is
 * truncated.
 */
#ifndef HVSIM_STATE_FILE_H
#define HVSIM_STATE_FILE_H

#include <stdint.h>

#define HVSTATE_MAGIC "HVSTATE"   /* 7 chars + NUL */
#define HVSTATE_VERSION 1u
#define HVSTATE_HEADER_BYTES 256u
#define HVSTATE_BLOCK_HEADER_BYTES 56u
#define HVSTATE_BUILD_ID_LEN 64u

enum hvstate_kind {
  HVSTATE_KIND_SIMULATION = 1, /* a whole level-1 run (checkpoint.h) */
  HVSTATE_KIND_VM = 2,         /* one VM, saved by its worker (issue 16; not yet written) */
};

enum hvstate_block {
  HVSTATE_BLOCK_END = 0,
  /* simulation */
  HVSTATE_BLOCK_ARENA_TABLE = 1, /* the arena's block table (key: break offset) */
  HVSTATE_BLOCK_ARENA = 2,       /* bytes of an arena block (key: offset of the bytes in the arena) */
  HVSTATE_BLOCK_REGION = 3,      /* a run region outside the arena (key: its index) */
  HVSTATE_BLOCK_PAGE = 4,        /* a page of simulated memory (key: frame number; 4096 bytes) */
  HVSTATE_BLOCK_JOURNAL = 5,     /* the disks' undo-log position (key: entries; no payload) */
  /* VM state (issue 16) takes 64 and up: VP registers, SynIC, guest RAM pages, channels */
  HVSTATE_BLOCK_VM_FIRST = 64,
};

#endif /* HVSIM_STATE_FILE_H */
