/*
 * arena.c — the memory of one level-1 run (see arena.h). Host code of
 * the simulator.
 */
#include "arena.h"

#include <string.h>
#include <sys/mman.h>

#include "coro.h"

#define ARENA_PAGE 4096u

/* LeakSanitizer, where linked: the arena is memory it does not know, so
 * heap blocks only the run's objects point to would look leaked; the
 * used part of the arena is registered as a root region it scans. */
void __lsan_register_root_region(const void *p, size_t size) __attribute__((weak));
void __lsan_unregister_root_region(const void *p, size_t size) __attribute__((weak));

static void arena_lsan(struct arena *a, uint64_t len) {
  if (!__lsan_register_root_region || len == a->scanned)
    return;
  if (a->scanned)
    __lsan_unregister_root_region(a->base, a->scanned);
  if (len)
    __lsan_register_root_region(a->base, len);
  a->scanned = len;
}

static uint64_t arena_round(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

int arena_create(struct arena *a, uint64_t reserve_bytes) {
  memset(a, 0, sizeof *a);
  void *p = mmap(0, reserve_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return -1;
  a->base = p;
  a->reserve = reserve_bytes;
  a->head = p;
  a->head->brk = arena_round(sizeof *a->head, ARENA_PAGE);
  arena_lsan(a, a->head->brk);
  return 0;
}

void arena_destroy(struct arena *a) {
  if (a->base) {
    arena_lsan(a, 0);
    for (uint32_t i = 0; i < a->head->nblocks; i++) /* stacks that ended suspended */
      if (a->head->b[i].kind == ARENA_STACK)
        coro_stack_unpoison(a->base + a->head->b[i].off, a->head->b[i].size);
    munmap(a->base, a->reserve);
  }
  memset(a, 0, sizeof *a);
}

static struct arena_block *arena_take(struct arena *a, uint64_t size, uint32_t kind, uint64_t align) {
  struct arena_head *h = a->head;
  for (uint32_t i = 0; i < h->nblocks; i++) /* a free block of this size (VPs come and go) */
    if (h->b[i].kind == ARENA_FREE && h->b[i].size == size && h->b[i].off % align == 0) {
      h->b[i].kind = kind;
      h->b[i].sp_slot = 0;
      return &h->b[i];
    }
  uint64_t off = arena_round(h->brk, align);
  if (h->nblocks == ARENA_MAX_BLOCKS || off + size > a->reserve)
    return 0;
  struct arena_block *b = &h->b[h->nblocks++];
  *b = (struct arena_block){off, size, kind, 0, 0};
  h->brk = off + size;
  if (h->brk > a->scanned) /* stacks included: their frames point to heap blocks too */
    arena_lsan(a, h->brk);
  return b;
}

void *arena_alloc(struct arena *a, size_t size) {
  struct arena_block *b = arena_take(a, arena_round(size ? size : 1, ARENA_ALIGN), ARENA_PLAIN, ARENA_ALIGN);
  if (!b)
    return 0;
  memset(a->base + b->off, 0, b->size);
  return a->base + b->off;
}

void *arena_alloc_stack(struct arena *a, size_t size) {
  struct arena_block *b = arena_take(a, arena_round(size, ARENA_PAGE), ARENA_STACK, ARENA_PAGE);
  if (!b)
    return 0;
  coro_stack_unpoison(a->base + b->off, b->size); /* a reused stack's old frames */
  return a->base + b->off;
}

static struct arena_block *arena_find(struct arena *a, const void *p) {
  uint64_t off = (uint64_t)((const uint8_t *)p - a->base);
  for (uint32_t i = 0; i < a->head->nblocks; i++)
    if (a->head->b[i].off == off && a->head->b[i].kind != ARENA_FREE)
      return &a->head->b[i];
  return 0;
}

void arena_stack_sp(struct arena *a, void *stack, void **sp_slot) {
  struct arena_block *b = arena_find(a, stack);
  if (b)
    b->sp_slot = (uint64_t)((uint8_t *)sp_slot - a->base);
}

void *arena_realloc(struct arena *a, void *p, size_t size) {
  struct arena_block *old = p ? arena_find(a, p) : 0;
  uint8_t *n = arena_alloc(a, size);
  if (n && old) {
    memcpy(n, p, old->size < size ? old->size : size);
    arena_free(a, p);
  }
  return n;
}

void arena_free(struct arena *a, void *p) {
  struct arena_block *b = p ? arena_find(a, p) : 0;
  if (!b)
    return;
  if (b->kind == ARENA_STACK)
    coro_stack_unpoison(a->base + b->off, b->size);
  b->kind = ARENA_FREE;
  b->sp_slot = 0;
}

uint64_t arena_block_skip(const struct arena *a, const struct arena_block *b) {
  if (b->kind != ARENA_STACK || !b->sp_slot)
    return 0;
  uint64_t sp;
  memcpy(&sp, a->base + b->sp_slot, sizeof sp);
  uint64_t lo = (uint64_t)(uintptr_t)(a->base + b->off);
  if (sp < lo || sp >= lo + b->size)
    return 0; /* not switched out on this stack: all of it */
  return (sp - lo) & ~(uint64_t)63;
}

uint64_t arena_block_entries(const struct arena *a, const struct arena_block *b) {
  uint64_t n = 0;
  if (b->kind == ARENA_STACK && b->sp_slot)
    memcpy(&n, a->base + b->sp_slot + sizeof(void *), sizeof n);
  return n;
}
