/*
 * checkpoint.c — whole-simulation checkpoints of a level-1 machine in
 * memory (see checkpoint.h).
 */
#include "checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "coro.h"

#define CKPT_PAGE 4096u

int ckpt_set_init(struct ckpt_set *cs, struct sim *s, struct arena *a) {
  memset(cs, 0, sizeof *cs);
  cs->sim = s;
  cs->arena = a;
  cs->mem_pages = s->mem_bytes / CKPT_PAGE;
  cs->mark = calloc(cs->mem_pages ? cs->mem_pages : 1, 1);
  cs->touched = malloc((cs->mem_pages ? cs->mem_pages : 1) * sizeof *cs->touched);
  if (!cs->mark || !cs->touched) {
    ckpt_set_free(cs);
    return -1;
  }
  s->recycle = false; /* the dirty marks are the set's now: the memory is not reused after the run */
  s->journal = &cs->journal;
  return 0;
}

int ckpt_region(struct ckpt_set *cs, void *p, size_t n) {
  if (cs->nregions == CKPT_MAX_REGIONS)
    return -1;
  cs->region[cs->nregions].p = p;
  cs->region[cs->nregions++].n = n;
  return 0;
}

static void ckpt_mark(struct ckpt_set *cs, uint64_t p) {
  if (p < cs->mem_pages && !cs->mark[p]) {
    cs->mark[p] = 1;
    cs->touched[cs->ntouched++] = (uint32_t)p;
  }
}

/* Move the machine's dirty marks into the set's (pages written since the
 * base), and add the PFN database, written without marks. */
static void ckpt_harvest(struct ckpt_set *cs) {
  uint8_t *dirty = cs->sim->dirty;
  for (uint64_t i = 0; i < cs->mem_pages; i += 8) {
    uint64_t w;
    if (i + 8 <= cs->mem_pages) {
      memcpy(&w, dirty + i, 8);
      if (!w)
        continue;
    }
    for (uint64_t p = i; p < i + 8 && p < cs->mem_pages; p++)
      if (dirty[p]) {
        dirty[p] = 0;
        ckpt_mark(cs, p);
      }
  }
  const struct hv *hv = cs->sim->hv;
  uint64_t db = (uint64_t)((const uint8_t *)hv->pfndb - cs->sim->mem) / CKPT_PAGE;
  for (uint64_t p = db; p < db + hv->hv_pages; p++)
    ckpt_mark(cs, p);
}

static int ckpt_cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void ckpt_unmark_all(struct ckpt_set *cs) {
  for (uint64_t i = 0; i < cs->ntouched; i++)
    cs->mark[cs->touched[i]] = 0;
  cs->ntouched = 0;
}

static int ckpt_grow(struct ckpt_set *cs) {
  if (cs->n < cs->cap)
    return 0;
  uint32_t cap = cs->cap ? cs->cap * 2 : 16;
  struct ckpt *c = realloc(cs->c, cap * sizeof *c);
  if (!c)
    return -1;
  cs->c = c, cs->cap = cap;
  return 0;
}

static void ckpt_free_one(struct ckpt *c) {
  free(c->blocks);
  free(c->skip);
  free(c->entries);
  free(c->blob);
  free(c->pfns);
  free(c->pages);
  memset(c, 0, sizeof *c);
}

/* The arena's blocks and the regions into c. */
static int ckpt_take_blocks(struct ckpt_set *cs, struct ckpt *c) {
  const struct arena_head *h = cs->arena->head;
  c->nblocks = h->nblocks;
  c->brk = h->brk;
  c->blocks = malloc((h->nblocks + 1) * sizeof *c->blocks);
  c->skip = calloc(h->nblocks + 1, sizeof *c->skip);
  c->entries = calloc(h->nblocks + 1, sizeof *c->entries);
  if (!c->blocks || !c->skip || !c->entries)
    return -1;
  memcpy(c->blocks, h->b, h->nblocks * sizeof *c->blocks);
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < h->nblocks; i++)
    if (h->b[i].kind != ARENA_FREE) {
      c->skip[i] = arena_block_skip(cs->arena, &h->b[i]);

      bytes += h->b[i].size - c->skip[i];
    }
  for (uint32_t i = 0; i < cs->nregions; i++)
    bytes += cs->region[i].n;
  c->blob = malloc(bytes ? bytes : 1);
  if (!c->blob)
    return -1;
  c->blob_bytes = bytes;
  uint8_t *o = c->blob;
  for (uint32_t i = 0; i < h->nblocks; i++)
    if (h->b[i].kind != ARENA_FREE) {
      uint64_t n = h->b[i].size - c->skip[i];
      if (h->b[i].kind == ARENA_STACK) /* the suspended frames lose their redzones (AddressSanitizer) */
        coro_stack_unpoison(cs->arena->base + h->b[i].off + c->skip[i], n);
      memcpy(o, cs->arena->base + h->b[i].off + c->skip[i], n);
      o += n;
    }
  for (uint32_t i = 0; i < cs->nregions; i++) {
    memcpy(o, cs->region[i].p, cs->region[i].n);
    o += cs->region[i].n;
  }
  return 0;
}

int ckpt_take(struct ckpt_set *cs, uint64_t tag) {
  if (cs->restored || ckpt_grow(cs) != 0)
    return -1;
  ckpt_harvest(cs);
  struct ckpt *c = &cs->c[cs->n];
  memset(c, 0, sizeof *c);
  c->tag = tag;
  c->journal_pos = cs->journal.pos;
  c->pfns = malloc((cs->ntouched ? cs->ntouched : 1) * sizeof *c->pfns);
  c->pages = malloc((cs->ntouched ? cs->ntouched : 1) * CKPT_PAGE);
  if (!c->pfns || !c->pages || ckpt_take_blocks(cs, c) != 0) {
    ckpt_free_one(c);
    return -1;
  }
  memcpy(c->pfns, cs->touched, cs->ntouched * sizeof *c->pfns);
  c->npages = cs->ntouched;
  qsort(c->pfns, c->npages, sizeof *c->pfns, ckpt_cmp_u32);
  for (uint64_t i = 0; i < c->npages; i++)
    memcpy(c->pages + i * CKPT_PAGE, cs->sim->mem + (uint64_t)c->pfns[i] * CKPT_PAGE, CKPT_PAGE);
  ckpt_unmark_all(cs);
  cs->base = cs->n;
  return (int)cs->n++;
}

/* Page p's copy in checkpoint c, or NULL. */
static const uint8_t *ckpt_page_in(const struct ckpt *c, uint32_t p) {
  uint64_t lo = 0, hi = c->npages;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (c->pfns[mid] < p)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->npages && c->pfns[lo] == p ? c->pages + lo * CKPT_PAGE : 0;
}

/* Stack block i of c is live and unchanged since the state left c. */
static bool ckpt_stack_unchanged(const struct ckpt_set *cs, const struct ckpt *c, uint32_t i, bool from_c) {
  const struct arena_head *h = cs->arena->head;
  const struct arena_block *b = &c->blocks[i];
  return from_c && b->kind == ARENA_STACK && i < h->nblocks && h->b[i].kind == ARENA_STACK &&
         h->b[i].off == b->off && h->b[i].size == b->size && h->b[i].sp_slot == b->sp_slot && c->entries[i] &&
         arena_block_entries(cs->arena, &h->b[i]) == c->entries[i];
}

static void ckpt_restore_blocks(struct ckpt_set *cs, const struct ckpt *c, bool from_c) {
  static bool same[ARENA_MAX_BLOCKS];
  for (uint32_t i = 0; i < c->nblocks; i++)
    same[i] = ckpt_stack_unchanged(cs, c, i, from_c);
  const struct arena_head *cur = cs->arena->head;
  for (uint32_t i = 0; i < cur->nblocks; i++) /* the frames about to be replaced */
    if (cur->b[i].kind == ARENA_STACK && !(i < c->nblocks && same[i])) {
      uint64_t skip = arena_block_skip(cs->arena, &cur->b[i]);
      coro_stack_unpoison(cs->arena->base + cur->b[i].off + skip, cur->b[i].size - skip);
    }
  struct arena_head *h = cs->arena->head;
  h->nblocks = c->nblocks;
  h->brk = c->brk;
  memcpy(h->b, c->blocks, c->nblocks * sizeof *c->blocks);
  const uint8_t *o = c->blob;
  for (uint32_t i = 0; i < c->nblocks; i++)
    if (c->blocks[i].kind != ARENA_FREE) {
      uint64_t n = c->blocks[i].size - c->skip[i];
      if (same[i]) {
        o += n;
        continue;
      }
      if (c->blocks[i].kind == ARENA_STACK) /* frames without redzones: they come back from a copy */
        coro_stack_unpoison(cs->arena->base + c->blocks[i].off + c->skip[i], n);
      memcpy(cs->arena->base + c->blocks[i].off + c->skip[i], o, n);
      o += n;
    }
  for (uint32_t i = 0; i < cs->nregions; i++) {
    memcpy(cs->region[i].p, o, cs->region[i].n);
    o += cs->region[i].n;
  }
}

const uint8_t *ckpt_page_at(const struct ckpt_set *cs, uint32_t k, uint32_t pfn) {
  const uint8_t *src = 0;
  for (uint32_t j = (k < cs->n ? k : cs->n - 1) + 1; cs->n && j-- > 0 && !src;)
    src = ckpt_page_in(&cs->c[j], pfn);
  return src;
}

int ckpt_restore(struct ckpt_set *cs, uint32_t k) {
  if (k >= cs->n || cs->journal.error || sim_journal_seek(&cs->journal, cs->c[k].journal_pos) != 0)
    return -1;
  ckpt_harvest(cs);
  uint32_t lo = cs->base < k ? cs->base : k, hi = cs->base < k ? k : cs->base;
  for (uint32_t j = lo + 1; j <= hi && j < cs->n; j++) /* pages that differ between the base and k */
    for (uint64_t i = 0; i < cs->c[j].npages; i++)
      ckpt_mark(cs, cs->c[j].pfns[i]);
  ckpt_restore_blocks(cs, &cs->c[k], cs->base == k);
  for (uint64_t i = 0; i < cs->ntouched; i++) {
    uint32_t p = cs->touched[i];
    const uint8_t *src = ckpt_page_at(cs, k, p);
    if (src)
      memcpy(cs->sim->mem + (uint64_t)p * CKPT_PAGE, src, CKPT_PAGE);
    else
      memset(cs->sim->mem + (uint64_t)p * CKPT_PAGE, 0, CKPT_PAGE);
  }
  ckpt_unmark_all(cs);
  cs->base = k;
  cs->restored = true;
  return 0;
}

uint64_t ckpt_bytes(const struct ckpt_set *cs, uint32_t k) {
  if (k >= cs->n)
    return 0;
  const struct ckpt *c = &cs->c[k];
  return c->blob_bytes + c->npages * (CKPT_PAGE + sizeof *c->pfns) +
         c->nblocks * (sizeof *c->blocks + sizeof *c->skip);
}

void ckpt_set_free(struct ckpt_set *cs) {
  for (uint32_t i = 0; i < cs->n; i++)
    ckpt_free_one(&cs->c[i]);
  free(cs->c);
  free(cs->mark);
  free(cs->touched);
  if (cs->sim && cs->sim->journal == &cs->journal)
    cs->sim->journal = 0;
  sim_journal_free(&cs->journal);
  memset(cs, 0, sizeof *cs);
}
