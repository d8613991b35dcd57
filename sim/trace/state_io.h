/*
 * state_io.h — reading and writing state files (include/hvsim/state_file.h:
 * the format, shared by whole-simulation checkpoints and, later, VM state).
 * Host code of the simulator's tools.
 */
#ifndef SIM_STATE_IO_H
#define SIM_STATE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvsim/state_file.h"
#include "sha256.h"

struct state_header {
  uint32_t kind;     /* enum hvstate_kind */
  uint64_t seed;
  uint8_t scenario_sha256[32];
  char build_id[HVSTATE_BUILD_ID_LEN];
  uint64_t position; /* events */
  uint64_t base;     /* kind-specific (simulation: the arena's address) */
};

struct state_writer {
  FILE *f;
  uint64_t blocks;
  int error;         /* a write failed */
};

/* Create path and write the header. Returns 0, or -1 with a message. */
int state_write_open(struct state_writer *w, const char *path, const struct state_header *h, char *err,
                     size_t errlen);
/* Append one block (payload n bytes, may be NULL when n is 0). */
void state_write_block(struct state_writer *w, uint32_t type, uint64_t key, const void *data, uint64_t n);
/* Write the end block and close. Returns 0, or -1 when anything failed. */
int state_write_close(struct state_writer *w);

/* A block of a file that checked out whole; returns 0, or -1 to stop. */
typedef int (*state_block_fn)(void *ctx, uint32_t type, uint64_t key, const uint8_t *data, uint64_t n);

/* Read path: the header (into *got) and every block's checksum first;
 * then, only when the whole file is sound, fn for each block. With
 * expect set, a file of another kind, build, scenario or seed is refused.
 * Returns 0, or -1 with a message naming the file and the first bad
 * block ("block 12 (page 0x1a3, at byte 53248): checksum mismatch"). */
int state_read(const char *path, const struct state_header *expect, struct state_header *got, state_block_fn fn,
               void *ctx, char *err, size_t errlen);

/* Name of a block type ("page", "arena", ...). */
const char *state_block_name(uint32_t type);

#endif /* SIM_STATE_IO_H */
