/*
 * arena.h — the memory of one level-1 run: a reserved range of host
 * addresses from which the simulator takes every object of the run
 * (struct run and struct sim, struct hv, the VPs' backend objects and
 * their coroutine stacks, the deleted VPs' rows). Host code of the
 * simulator, invisible to the simulation.
 *
 * Why: a whole-simulation checkpoint (checkpoint.h) must capture every
 * byte the run can change and put it back *at the same addresses*, since
 * the coroutine stacks hold return addresses and pointers to these
 * objects that cannot be fixed up. One range with its allocator's own
 * bookkeeping inside it (the block table at its start) makes that a copy
 * of the blocks in use: restoring the table restores which blocks exist,
 * restoring their bytes restores the objects.
 *
 * Blocks are of two kinds: plain (copied whole by a checkpoint) and
 * stacks (only the live part, from the saved stack pointer to the top,
 * whose address arena_stack_sp names). Allocation reuses a free block of
 * the same size, else takes new space at the end; plain blocks are
 * zeroed, as calloc's.
 */
#ifndef SIM_ARENA_H
#define SIM_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_MAX_BLOCKS 2048u
#define ARENA_ALIGN 64u

enum arena_kind { ARENA_FREE = 0, ARENA_PLAIN = 1, ARENA_STACK = 2 };

struct arena_block {
  uint64_t off, size;  /* from the arena's base */
  uint32_t kind;       /* enum arena_kind */
  uint32_t reserved;
  uint64_t sp_slot;    /* stack: offset of the word holding its saved SP (0: unknown); the
                          word after it counts the switches to the stack's coroutine */
};

/* Lives at the arena's base: what a checkpoint copies first. */
struct arena_head {
  uint64_t brk;        /* offset of the first byte never handed out */
  uint32_t nblocks;
  uint32_t reserved;
  struct arena_block b[ARENA_MAX_BLOCKS];
};

struct arena {
  uint8_t *base;
  uint64_t reserve;    /* bytes of address space reserved */
  struct arena_head *head;
  uint64_t scanned;    /* bytes from base that LeakSanitizer scans for pointers (its root region) */
};

/* Reserve the range (no memory is committed until used). Returns 0, or
 * -1 when the address space cannot be reserved. */
int arena_create(struct arena *a, uint64_t reserve_bytes);
void arena_destroy(struct arena *a);
/* Zeroed plain block of size bytes, ARENA_ALIGN-aligned; NULL when the
 * arena is full. */
void *arena_alloc(struct arena *a, size_t size);
/* A stack block (page-aligned, contents undefined); NULL when full. */
void *arena_alloc_stack(struct arena *a, size_t size);
/* Name the word (inside the arena) where the stack's owner keeps its
 * saved stack pointer. */
void arena_stack_sp(struct arena *a, void *stack, void **sp_slot);
/* A plain block of size bytes holding the first bytes of p (freed). */
void *arena_realloc(struct arena *a, void *p, size_t size);
void arena_free(struct arena *a, void *p);
/* Bytes from the block's start that a checkpoint may skip (below the
 * saved SP of a stack; 0 for a plain block). */
uint64_t arena_block_skip(const struct arena *a, const struct arena_block *b);
/* A stack's switch count (the word after its saved SP); 0 when unknown.
 * Equal counts at two moments of one timeline: the stack did not change. */
uint64_t arena_block_entries(const struct arena *a, const struct arena_block *b);

#endif /* SIM_ARENA_H */
