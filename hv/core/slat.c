/*
 * slat.c — second level address translation: GPA -> SPA page tables.
 *
 * Four-level tables in the EPT entry format (Intel SDM Vol. 3C 29.3.2:
 * bits 0-2 read/write/execute, bits 5:3 memory type in leaves, bits
 * 51:12 the next table or the page). The VMX backend points the EPTP at
 * them directly; the SVM backend derives NPT entries from them. Table
 * pages come from the partition's pool.
 *
 * Updates are split as in Hafnium: slat_prepare() allocates any missing
 * intermediate tables (may fail with INSUFFICIENT_MEMORY; it changes no
 * translation), slat_commit() writes the leaf (cannot fail).
 */
#include "objects.h"

#define SLAT_LEVELS 4
#define SLAT_TABLE_PERMS (EPT_READ | EPT_WRITE | EPT_EXEC)

static inline unsigned slat_index(uint64_t gpa, int level) {
  /* level 3 = PML4 (bits 47:39) ... level 0 = PT (bits 20:12) */
  return (unsigned)((gpa >> (12 + 9 * level)) & 0x1FF);
}

static uint64_t *slat_table(struct hv *hv, uint64_t addr, bool write) {
  uint64_t *t = arch_phys_page(hv, spa(addr & EPT_ADDR_MASK), write);
  HV_CHECK(t != 0);
  return t;
}

/* The memo of the last two page tables a walk reached (runs of pages — a
 * map, an unmap, the root's deposits — fall in the same PT; a hypercall's
 * input and output pages in two): a table lives until slat_destroy, so a
 * memo stays right until then. Returns the PT's SPA, 0 when not known. */
static void slat_memo_clear(struct hv_partition *p) {
  p->slat_pt[0] = p->slat_pt[1] = 0;
  p->slat_pt_next = 0;
}

static uint64_t slat_memo_find(const struct hv_partition *p, uint64_t gpa) {
  for (int i = 0; i < 2; i++)
    if (p->slat_pt[i] && p->slat_pt_tag[i] == gpa >> 21)
      return p->slat_pt[i];
  return 0;
}

static void slat_memo_add(struct hv_partition *p, uint64_t gpa, uint64_t pt) {
  p->slat_pt_tag[p->slat_pt_next] = gpa >> 21;
  p->slat_pt[p->slat_pt_next] = pt;
  p->slat_pt_next ^= 1;
}

/* Create the empty PML4 of partition part. */
hv_status_t slat_create(struct hv *hv, uint16_t part) {
  spa_t root;
  hv_status_t st = pool_alloc(hv, part, &root);
  if (st != HV_STATUS_SUCCESS)
    return st;
  hv->partitions[part].slat_root = root;
  slat_memo_clear(&hv->partitions[part]);
  return HV_STATUS_SUCCESS;
}

/* Make sure every table down to the PT covering gpa exists. */
hv_status_t slat_prepare(struct hv *hv, uint16_t part, gpa_t gpa) {
  uint64_t table = hv->partitions[part].slat_root.v;
  HV_CHECK(table != 0);
  if (slat_memo_find(&hv->partitions[part], gpa.v))
    return HV_STATUS_SUCCESS; /* that PT exists */
  for (int level = SLAT_LEVELS - 1; level > 0; level--) {
    uint64_t *t = slat_table(hv, table, false);
    uint64_t e = t[slat_index(gpa.v, level)];
    if (!(e & SLAT_TABLE_PERMS)) {
      spa_t next;
      hv_status_t st = pool_alloc(hv, part, &next);
      if (st != HV_STATUS_SUCCESS)
        return st;
      e = next.v | SLAT_TABLE_PERMS;
      slat_table(hv, table, true)[slat_index(gpa.v, level)] = e;
    }
    table = e & EPT_ADDR_MASK;
  }
  return HV_STATUS_SUCCESS;
}

/* Walk to the PT entry for gpa; NULL when an intermediate table is absent. */
static uint64_t *slat_leaf(struct hv *hv, uint16_t part, uint64_t gpa, bool write) {
  struct hv_partition *p = &hv->partitions[part];
  uint64_t table = p->slat_root.v;
  /* Four levels translate 48 bits: a GPA above has no translation (it
   * must not alias the GPA with its high bits dropped). */
  if (!table || (gpa >> 48) != 0)
    return 0;
  uint64_t pt = slat_memo_find(p, gpa);
  if (pt)
    return &slat_table(hv, pt, write)[slat_index(gpa, 0)];
  for (int level = SLAT_LEVELS - 1; level > 0; level--) {
    uint64_t e = slat_table(hv, table, false)[slat_index(gpa, level)];
    if (!(e & SLAT_TABLE_PERMS))
      return 0;
    table = e & EPT_ADDR_MASK;
  }
  slat_memo_add(p, gpa, table);
  return &slat_table(hv, table, write)[slat_index(gpa, 0)];
}

/* Invariant: slat_prepare(part, gpa) succeeded before. */
void slat_commit(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t perms) {
  uint64_t *leaf = slat_leaf(hv, part, gpa.v, true);
  HV_CHECK(leaf != 0);
  *leaf = (target.v & EPT_ADDR_MASK) | (perms & SLAT_TABLE_PERMS) | EPT_MEMTYPE_WB;
}

/* Map n consecutive pages, gpa -> target onward, with one walk per page
 * table instead of one per page (boot: the root's identity map of all
 * RAM). Invariant: slat_prepare() succeeded for every PT the run covers. */
void slat_commit_run(struct hv *hv, uint16_t part, gpa_t gpa, spa_t target, uint64_t n,
                     uint64_t perms) {
  while (n) {
    uint64_t *leaf = slat_leaf(hv, part, gpa.v, true);
    HV_CHECK(leaf != 0);
    uint64_t in_table = 512 - slat_index(gpa.v, 0), run = n < in_table ? n : in_table;
    uint64_t e = (target.v & EPT_ADDR_MASK) | (perms & SLAT_TABLE_PERMS) | EPT_MEMTYPE_WB;
    for (uint64_t i = 0; i < run; i++, e += HV_PAGE_SIZE)
      leaf[i] = e;
    gpa.v += run * HV_PAGE_SIZE;
    target.v += run * HV_PAGE_SIZE;
    n -= run;
  }
}

/* Remove the translation of gpa; returns false if it had none. */
bool slat_unmap(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *was) {
  uint64_t *leaf = slat_leaf(hv, part, gpa.v, false);
  if (!leaf || !(*leaf & SLAT_TABLE_PERMS))
    return false;
  if (was)
    *was = spa(*leaf & EPT_ADDR_MASK);
  leaf = slat_leaf(hv, part, gpa.v, true);
  *leaf = 0;
  return true;
}

bool slat_lookup(struct hv *hv, uint16_t part, gpa_t gpa, spa_t *out, uint64_t *perms) {
  uint64_t *leaf = slat_leaf(hv, part, gpa.v, false);
  if (!leaf || !(*leaf & SLAT_TABLE_PERMS))
    return false;
  if (out)
    *out = spa((*leaf & EPT_ADDR_MASK) | (gpa.v & HV_PAGE_MASK));
  if (perms)
    *perms = *leaf & SLAT_TABLE_PERMS;
  return true;
}

struct slat_walk {
  struct hv *hv;
  void (*leaf)(void *ctx, uint64_t gpa, uint64_t spa, uint64_t perms);
  void (*table)(void *ctx, uint64_t spa);
  void *ctx;
};

static void slat_walk_level(struct slat_walk *w, uint64_t table, int level, uint64_t base) {
  uint64_t *t = slat_table(w->hv, table, false);
  for (unsigned i = 0; i < 512; i++) {
    uint64_t e = t[i];
    if (!(e & SLAT_TABLE_PERMS))
      continue;
    uint64_t gpa = base | ((uint64_t)i << (12 + 9 * level));
    if (level == 0) {
      if (w->leaf)
        w->leaf(w->ctx, gpa, e & EPT_ADDR_MASK, e & SLAT_TABLE_PERMS);
    } else {
      slat_walk_level(w, e & EPT_ADDR_MASK, level - 1, gpa);
    }
  }
  if (w->table)
    w->table(w->ctx, table);
}

void slat_walk_all(struct hv *hv, uint16_t part,
                   void (*leaf)(void *ctx, uint64_t gpa, uint64_t spa, uint64_t perms),
                   void (*table)(void *ctx, uint64_t spa), void *ctx) {
  struct slat_walk w = {hv, leaf, table, ctx};
  if (hv->partitions[part].slat_root.v)
    slat_walk_level(&w, hv->partitions[part].slat_root.v, SLAT_LEVELS - 1, 0);
}

static void slat_free_table(void *ctx, uint64_t spa_v) {
  struct hv *hv = ((struct slat_walk *)ctx)->hv;
  uint16_t part = (uint16_t)(uintptr_t)((struct slat_walk *)ctx)->ctx;
  pool_free(hv, part, spa(spa_v));
}

/* Free every table page back to the partition's pool. Leaves must have
 * been taken care of (their pages returned) by the caller. */
void slat_destroy(struct hv *hv, uint16_t part) {
  struct slat_walk inner = {hv, 0, 0, (void *)(uintptr_t)part};
  slat_walk_all(hv, part, 0, slat_free_table, &inner);
  hv->partitions[part].slat_root = spa(0);
  slat_memo_clear(&hv->partitions[part]);
}
