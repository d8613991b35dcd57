/*
 * fuzz_world.c — snapshot and cheap reset of a simulated machine between
 * fuzz inputs (see fuzz_world.h for what is restored and why).
 */
#include "fuzz_world.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static void fz_world_trace(void *ctx, const struct hv_trace_rec *r) {
  struct fz_world *w = ctx;
  if (r->kind == HV_TR_VP_LIFECYCLE && r->b == 1)
    w->vp_creations++;
  else if (r->kind == HV_TR_PARTITION_STATE && r->c == PART_CREATED)
    w->partition_creations++;
  if (w->trace_fn)
    w->trace_fn(w->trace_ctx, r);
}

int fz_world_init(struct fz_world *w, uint32_t lps, uint64_t mem_bytes) {
  memset(w, 0, sizeof *w);
  if (hcdrive_init(&w->d, lps, mem_bytes) != 0)
    return -1;
  struct sim *s = &w->d.sim;
  w->mem_pages = s->mem_bytes >> 12;
  s->recycle = false; /* the marks become this world's: each reset takes them */
  memset(s->dirty, 0, w->mem_pages);
  w->touched = calloc(w->mem_pages, sizeof *w->touched);
  w->touched_mark = calloc(w->mem_pages, 1);
  if (!s->dirty || !w->touched || !w->touched_mark) {
    fprintf(stderr, "hvsim-fuzz: out of memory\n");
    return -1;
  }
  s->trace_fn = fz_world_trace;
  s->trace_ctx = w;
  const char *v = getenv("HVSIM_FUZZ_VERIFY");
  w->verify = v && *v && strcmp(v, "0") != 0;
  return 0;
}

/* One 8-byte load (a constant-size memcpy compiles to a plain load). */
FZ_NO_ASAN static inline uint64_t fz_world_word(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

FZ_NO_ASAN void fz_world_harvest(struct fz_world *w) {
  uint8_t *dirty = w->d.sim.dirty;
  uint64_t n = w->mem_pages;
  for (uint64_t i = 0; i < n; i += 8) {
    if (i + 8 <= n && fz_world_word(dirty + i) == 0)
      continue;
    for (uint64_t p = i; p < i + 8 && p < n; p++) {
      if (!dirty[p])
        continue;
      dirty[p] = 0;
      if (!w->touched_mark[p]) {
        w->touched_mark[p] = 1;
        w->touched[w->ntouched++] = (uint32_t)p;
      }
    }
  }
}

FZ_NO_ASAN uint64_t fz_world_next_dirty(const struct fz_world *w, uint64_t from) {
  const uint8_t *dirty = w->d.sim.dirty;
  uint64_t p = from;
  while (p < w->mem_pages && (p & 7))
    if (dirty[p++])
      return p - 1;
  while (p + 8 <= w->mem_pages && fz_world_word(dirty + p) == 0)
    p += 8;
  for (; p < w->mem_pages; p++)
    if (dirty[p])
      return p;
  return UINT64_MAX;
}

static void fz_world_restore_pages(struct fz_world *w) {
  struct sim *s = &w->d.sim;
  fz_world_harvest(w);
  for (uint64_t i = 0; i < w->ntouched; i++) {
    uint64_t off = (uint64_t)w->touched[i] << 12;
    memcpy(s->mem + off, w->snap_mem + off, HV_PAGE_SIZE);
    w->touched_mark[w->touched[i]] = 0;
  }
  w->ntouched = 0;
  /* The PFN database is written through the core's direct pointer, not
   * arch_phys_page, so it has no dirty marks: always restore it. */
  struct hv *hv = fz_hv(w);
  uint64_t db = (uint64_t)((uint8_t *)hv->pfndb - s->mem);
  memcpy(s->mem + db, w->snap_mem + db, hv->hv_pages * HV_PAGE_SIZE);
}

void fz_world_snapshot(struct fz_world *w) {
  struct hv *hv = fz_hv(w);
  struct sim *s = &w->d.sim;
  fz_world_harvest(w);
  for (uint64_t i = 0; i < w->ntouched; i++)
    w->touched_mark[w->touched[i]] = 0;
  w->ntouched = 0;
  if (!w->snap_hv)
    w->snap_hv = malloc(sizeof *hv);
  if (!w->snap_mem)
    w->snap_mem = malloc(s->mem_bytes);
  if (!w->snap_hv || !w->snap_mem)
    fz_fail("out of memory for the snapshot");
  memcpy(w->snap_hv, hv, sizeof *hv);
  memcpy(w->snap_mem, s->mem, s->mem_bytes);
  w->snap_phi = w->snap_vhi = 0;
  for (uint32_t i = 0; i < HV_MAX_PARTITIONS; i++)
    if (hv->partitions[i].state != PART_FREE)
      w->snap_phi = i + 1;
  for (uint32_t i = 0; i < HV_MAX_VPS; i++)
    if (hv->vps[i].in_use)
      w->snap_vhi = i + 1;
  free(w->snap_vcpu);
  w->snap_vcpu = calloc(w->snap_vhi ? w->snap_vhi : 1, sizeof *w->snap_vcpu);
  if (!w->snap_vcpu)
    fz_fail("out of memory for the snapshot");
  for (uint32_t i = 0; i < w->snap_vhi; i++)
    if (hv->vps[i].in_use && hv->vps[i].arch.vcpu)
      w->snap_vcpu[i] = *hv->vps[i].arch.vcpu;
  memcpy(w->snap_parked, s->parked, sizeof s->parked);
  memcpy(w->snap_lp_timer, s->lp_timer, sizeof s->lp_timer);
  w->snap_boundary = s->boundary;
  w->snap_now = s->now;
  w->snap_steps = s->steps;
  w->snap_ngone = s->ngone;
  w->vp_creations = w->partition_creations = 0;
}

/* A new backend object for snapshot VP slot i, whose own was freed when
 * the input deleted the VP. */
static struct sim_vcpu *fz_world_new_vcpu(struct fz_world *w, uint32_t i) {
  struct hv *hv = fz_hv(w);
  struct hv_vp scratch;
  memset(&scratch, 0, sizeof scratch);
  if (arch_vp_init(hv, &hv->partitions[w->snap_hv->vps[i].partition], &scratch, spa(0)) !=
      HV_STATUS_SUCCESS)
    fz_fail("out of memory recreating VP slot %u", i);
  return scratch.arch.vcpu;
}

/* Make the set of live backend objects that of the snapshot. */
static void fz_world_reconcile_vcpus(struct fz_world *w, uint32_t vhi) {
  struct hv *hv = fz_hv(w);
  static struct sim_vcpu *live[HV_MAX_VPS];
  uint32_t n = 0;
  for (uint32_t i = 0; i < vhi; i++)
    if (hv->vps[i].in_use && hv->vps[i].arch.vcpu)
      live[n++] = hv->vps[i].arch.vcpu;
  for (uint32_t i = 0; i < w->snap_vhi; i++) {
    struct hv_vp *sv = &w->snap_hv->vps[i];
    if (!sv->in_use || !sv->arch.vcpu)
      continue;
    bool found = false;
    for (uint32_t k = 0; k < n; k++) {
      if (live[k] == sv->arch.vcpu) {
        live[k] = 0; /* still allocated (the same object or one at its address) */
        found = true;
        break;
      }
    }
    if (!found)
      sv->arch.vcpu = fz_world_new_vcpu(w, i);
  }
  for (uint32_t k = 0; k < n; k++) {
    if (live[k]) { /* a VP created by the input */
      coro_destroy(&live[k]->coro);
      free(live[k]);
    }
  }
}

static void fz_world_verify(struct fz_world *w) {
  struct hv *hv = fz_hv(w);
  struct sim *s = &w->d.sim;
  if (memcmp(hv, w->snap_hv, sizeof *hv) != 0) {
    const uint8_t *a = (const uint8_t *)hv, *b = (const uint8_t *)w->snap_hv;
    size_t off = 0;
    while (a[off] == b[off])
      off++;
    fz_fail("reset: struct hv differs from the snapshot at byte offset %zu", off);
  }
  for (uint64_t p = 0; p < w->mem_pages; p++)
    FZ_CHECK(memcmp(s->mem + (p << 12), w->snap_mem + (p << 12), HV_PAGE_SIZE) == 0,
             "reset: memory page %llu differs from the snapshot", (unsigned long long)p);
  for (uint32_t i = 0; i < w->snap_vhi; i++) {
    if (!hv->vps[i].in_use)
      continue;
    struct sim_vcpu a = *hv->vps[i].arch.vcpu, b = w->snap_vcpu[i];
    memset(&a.coro, 0, sizeof a.coro);
    memset(&b.coro, 0, sizeof b.coro);
    FZ_CHECK(memcmp(&a, &b, sizeof a) == 0, "reset: backend state of VP slot %u differs", i);
  }
}

void fz_world_reset(struct fz_world *w) {
  struct hv *hv = fz_hv(w);
  struct sim *s = &w->d.sim;
  uint32_t vhi = w->snap_vhi + w->vp_creations, phi = w->snap_phi + w->partition_creations;
  if (vhi > HV_MAX_VPS)
    vhi = HV_MAX_VPS;
  if (phi > HV_MAX_PARTITIONS)
    phi = HV_MAX_PARTITIONS;
  fz_world_reconcile_vcpus(w, vhi);
  /* struct hv: header, LPs in use, the touched slot prefixes, the tail */
  memcpy(hv, w->snap_hv, offsetof(struct hv, lps));
  memcpy(hv->lps, w->snap_hv->lps, hv->boot.nlps * sizeof hv->lps[0]);
  memcpy(hv->partitions, w->snap_hv->partitions, phi * sizeof hv->partitions[0]);
  memcpy(hv->vps, w->snap_hv->vps, vhi * sizeof hv->vps[0]);
  memcpy(&hv->rq_head, &w->snap_hv->rq_head, sizeof *hv - offsetof(struct hv, rq_head));
  for (uint32_t i = 0; i < w->snap_vhi; i++) {
    if (!hv->vps[i].in_use || !hv->vps[i].arch.vcpu)
      continue;
    /* all but the coroutine (this object's own stack) and the TLB (only
     * guest accesses fill it, and no guest runs: it stays flushed) */
    struct sim_vcpu *v = hv->vps[i].arch.vcpu;
    const struct sim_vcpu *sv = &w->snap_vcpu[i];
    v->sim = sv->sim;
    v->vp = sv->vp;
    v->lp = sv->lp;
    memcpy((uint8_t *)v + offsetof(struct sim_vcpu, exit), (const uint8_t *)sv + offsetof(struct sim_vcpu, exit),
           offsetof(struct sim_vcpu, tlb) - offsetof(struct sim_vcpu, exit));
  }
  fz_world_restore_pages(w);
  memcpy(s->parked, w->snap_parked, sizeof s->parked);
  memcpy(s->lp_timer, w->snap_lp_timer, sizeof s->lp_timer);
  s->boundary = w->snap_boundary;
  s->now = w->snap_now;
  s->steps = w->snap_steps;
  s->ngone = w->snap_ngone;
  s->stop = false;
  s->current = 0;
  w->vp_creations = w->partition_creations = 0;
  if (w->verify)
    fz_world_verify(w);
}
