/*
 * test_invariant.c — the isolation oracle (hv/core/invariant.c) and the
 * isolation invariant itself: the check is quiet on a healthy machine,
 * notices a corrupted PFN database entry, SLAT leaf or pool counter, and
 * stays at zero violations over long randomised hypercall sequences
 * (fixed seeds, a private xorshift generator) mixing plausible and
 * garbage arguments, issued by the root and by children.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(invariant, .init = tl_setup, .fini = tl_teardown);

Test(invariant, healthy_machine) {
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  uint16_t s;
  tl_child(64, 2, &s);
  tl_child(600, 1, 0);
  uint64_t checks = tl_hv()->counters.isolation_checks;
  cr_assert_eq(hv_check_isolation(tl_hv(), &tl_hv()->lps[1]), 0);
  cr_assert_eq(tl_hv()->counters.isolation_checks, checks + 1);
  cr_assert_eq(tl_hv()->counters.isolation_violations, 0);
}

Test(invariant, corrupt_pfn_owner_detected) {
  uint16_t s;
  tl_child(16, 1, &s);
  spa_t sp;
  cr_assert(slat_lookup(tl_hv(), s, gpa(0x4000), &sp, 0));
  uint32_t *e = pfn_entry(tl_hv(), spa_pfn(sp)), saved = *e;
  *e = pfn_make(PFN_RAM, 0); /* the root "owns" a page the child maps */
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  cr_assert_geq(tl_hv()->counters.isolation_violations, 1);
  *e = saved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  *e = pfn_make(PFN_POOL_FREE, s); /* RAM turned pool page */
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *e = pfn_make(PFN_RAM, 77); /* owner that does not exist */
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *e = saved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  /* a hypervisor page handed to the root */
  uint32_t *h = pfn_entry(tl_hv(), 0), hsaved = *h;
  *h = pfn_make(PFN_RAM, 0);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *h = hsaved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

/* The PT entry of gpa in partition slot, found by walking memory. */
static uint64_t *leaf_of(uint16_t slot, uint64_t gpa_v) {
  uint64_t table = tl_part(slot)->slat_root.v;
  for (int level = 3; level > 0; level--) {
    uint64_t e;
    memcpy(&e, tl_d.sim.mem + table + 8 * ((gpa_v >> (12 + 9 * level)) & 0x1FF), 8);
    cr_assert_neq(e & 7, 0);
    table = e & EPT_ADDR_MASK;
  }
  return (uint64_t *)(tl_d.sim.mem + table + 8 * ((gpa_v >> 12) & 0x1FF));
}

Test(invariant, corrupt_slat_leaf_detected) {
  uint16_t s;
  tl_child(16, 1, &s);
  uint64_t *leaf = leaf_of(s, 0x3000), saved = *leaf;
  uint64_t root_page = tl_root_pages(1);
  /* the child's leaf now reaches a root page */
  *leaf = (saved & ~EPT_ADDR_MASK) | (root_page << 12);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 2, "foreign page reached and own page lost");
  /* two leaves on one page */
  uint64_t *leaf2 = leaf_of(s, 0x5000);
  *leaf = (saved & ~EPT_ADDR_MASK) | (*leaf2 & EPT_ADDR_MASK);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  /* a leaf reaching a hypervisor page (the PFN database) */
  *leaf = saved & ~EPT_ADDR_MASK;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  /* a leaf outside memory */
  *leaf = (saved & ~EPT_ADDR_MASK) | (tl_d.sim.mem_bytes << 1);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *leaf = saved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  /* a leaf removed: the page is owned but unreachable */
  *leaf = 0;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *leaf = saved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  /* the root's identity map pointed at the child's page */
  uint64_t *rleaf = leaf_of(0, root_page << 12), rsaved = *rleaf;
  *rleaf = (rsaved & ~EPT_ADDR_MASK) | (saved & EPT_ADDR_MASK);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  *rleaf = rsaved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(invariant, corrupt_counters_detected) {
  uint16_t s;
  tl_child(16, 1, &s);
  struct hv_partition *p = tl_part(s);
  p->pool_free++;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  p->pool_free--;
  p->pool_used--;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  p->pool_used++;
  p->ram_pages++;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  p->ram_pages--;
  tl_hv()->hv_pages++;
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1);
  tl_hv()->hv_pages--;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

/* ---- randomised hypercall sequences ------------------------------------ */

#define SEEDS 20
#define OPS 2000
#define RAND_MEM (8ull << 20) /* a smaller machine: the check walks all of it */
#define PAGE_SET 192

struct rnd {
  uint64_t s;
  uint64_t pages[PAGE_SET]; /* root pages the sequence moves around */
  uint64_t ids[16];         /* partition ids seen (alive or not) */
  unsigned nids;
  uint16_t callers[2];      /* well-formed children that may issue calls */
  uint64_t caller_ids[2];
  uint64_t protect_lo, protect_hi; /* the root's boot, hypercall and I/O pages */
};

static uint64_t xs(struct rnd *r) {
  uint64_t x = r->s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return r->s = x;
}
static uint64_t below(struct rnd *r, uint64_t n) { return n ? xs(r) % n : 0; }
static bool chance(struct rnd *r, unsigned pct) { return below(r, 100) < pct; }

/* A live child, found from a random slot onwards; 0 when none. */
static uint64_t live_child(struct rnd *r) {
  unsigned start = (unsigned)below(r, HV_MAX_PARTITIONS - 1);
  for (unsigned k = 0; k < HV_MAX_PARTITIONS - 1; k++) {
    const struct hv_partition *p = tl_part((uint16_t)(1 + (start + k) % (HV_MAX_PARTITIONS - 1)));
    if (p->state != PART_FREE)
      return p->id;
  }
  return 0;
}

static uint64_t pick_id(struct rnd *r) {
  switch (below(r, 20)) {
  case 0: case 1: return HV_PARTITION_ID_SELF;
  case 2: return HV_ROOT_PARTITION_ID;
  case 3: return xs(r);
  case 4: return below(r, tl_hv()->next_partition_id + 3);
  case 5: case 6: case 7: return r->nids ? r->ids[below(r, r->nids)] : HV_PARTITION_ID_SELF;
  default: {
    uint64_t id = live_child(r);
    return id ? id : HV_PARTITION_ID_SELF;
  }
  }
}

static uint64_t pick_page(struct rnd *r) {
  if (chance(r, 85))
    return r->pages[below(r, PAGE_SET)];
  if (chance(r, 50))
    return xs(r);
  uint64_t p = below(r, RAND_MEM >> 12);
  if (p >= r->protect_lo && p < r->protect_hi)
    p = r->protect_hi;
  return p;
}

static uint32_t pick_count(struct rnd *r) {
  if (chance(r, 90))
    return 1 + (uint32_t)below(r, 24);
  return (uint32_t)below(r, 4096);
}

static uint32_t pick_vp(struct rnd *r) {
  return chance(r, 90) ? (uint32_t)below(r, 4) : (uint32_t)xs(r);
}

static void remember(struct rnd *r, uint64_t id) {
  if (r->nids < 16)
    r->ids[r->nids++] = id;
  else
    r->ids[below(r, 16)] = id;
}

/* Build one random call into control / in; returns in_len. */
static size_t rnd_build(struct rnd *r, uint64_t *control, uint64_t *in, size_t *out_len) {
  uint32_t n = pick_count(r);
  *out_len = 0;
  switch (below(r, 11)) {
  case 0: /* deposit */
    in[0] = pick_id(r);
    n = n > 511 ? 511 : n;
    for (uint32_t i = 0; i < n; i++)
      in[1 + i] = pick_page(r);
    *control = tl_rep(HVCALL_DEPOSIT_MEMORY, n);
    return 8ull * (1 + n);
  case 1: /* withdraw */
    in[0] = pick_id(r);
    in[1] = chance(r, 90) ? 0 : xs(r);
    n = n > 512 ? 512 : n;
    *control = tl_rep(HVCALL_WITHDRAW_MEMORY, n);
    *out_len = 8ull * n;
    return 16;
  case 2: /* map */
    in[0] = pick_id(r);
    in[1] = chance(r, 80) ? below(r, 48) : chance(r, 90) ? below(r, 1100) : xs(r);
    in[2] = chance(r, 90) ? 1 + below(r, 15) : xs(r);
    n = chance(r, 80) ? 1 + (uint32_t)below(r, 6) : (n > 509 ? 509 : n);
    for (uint32_t i = 0; i < n; i++)
      in[3 + i] = pick_page(r);
    *control = tl_rep(HVCALL_MAP_GPA_PAGES, n);
    return 8ull * (3 + n);
  case 3: /* unmap */
    in[0] = pick_id(r);
    in[1] = chance(r, 80) ? below(r, 48) : chance(r, 90) ? below(r, 1100) : xs(r);
    in[2] = chance(r, 95) ? 0 : xs(r);
    n = chance(r, 80) ? 1 + (uint32_t)below(r, 6) : n;
    *control = tl_rep(HVCALL_UNMAP_GPA_PAGES, n);
    return 24;
  case 4: /* create */
    memset(in, 0, 56);
    if (chance(r, 10))
      in[below(r, 7)] = xs(r);
    *control = HVCALL_CREATE_PARTITION;
    *out_len = 8;
    return 56;
  case 5: /* initialize */
  case 6: /* finalize / delete */
    in[0] = pick_id(r);
    *control = below(r, 3) == 0 ? HVCALL_INITIALIZE_PARTITION
               : chance(r, 50)  ? HVCALL_FINALIZE_PARTITION
                                : HVCALL_DELETE_PARTITION;
    /* mostly spare the two children that issue calls */
    if ((in[0] == r->caller_ids[0] || in[0] == r->caller_ids[1]) && chance(r, 95))
      in[0] = pick_id(r);
    return 8;
  case 7: /* create VP */
    memset(in, 0, 40);
    in[0] = pick_id(r);
    in[1] = pick_vp(r);
    if (chance(r, 5))
      in[below(r, 5)] ^= xs(r);
    *control = HVCALL_CREATE_VP;
    return 40;
  case 8: /* delete VP */
    in[0] = pick_id(r);
    in[1] = pick_vp(r);
    *control = HVCALL_DELETE_VP;
    return 16;
  case 9: /* registers */
    in[0] = pick_id(r);
    in[1] = pick_vp(r);
    in[2] = chance(r, 50) ? HV_REGISTER_EXPLICIT_SUSPEND : (uint32_t)xs(r);
    in[3] = 0;
    in[4] = below(r, 3);
    in[5] = 0;
    *control = chance(r, 50) ? tl_rep(HVCALL_SET_VP_REGISTERS, 1) : tl_rep(HVCALL_GET_VP_REGISTERS, 1);
    *out_len = (*control & 0xFFFF) == HVCALL_GET_VP_REGISTERS ? 16 : 0;
    return (*control & 0xFFFF) == HVCALL_GET_VP_REGISTERS ? 20 : 48;
  default: { /* garbage: any call code, any control bits, random input */
    *control = chance(r, 50) ? (0x40 + below(r, 0x14)) | (xs(r) & ~0xFFFFull & ~HV_HYPERCALL_FAST_BIT)
                             : xs(r) & ~HV_HYPERCALL_FAST_BIT;
    size_t len = 8 * (1 + below(r, 64));
    for (size_t i = 0; i < len / 8; i++)
      in[i] = chance(r, 50) ? xs(r) : pick_page(r);
    *out_len = 8 * below(r, 8);
    return len;
  }
  }
}

static bool caller_usable(uint16_t slot, uint64_t id) {
  struct hv *hv = tl_hv();
  uint16_t s;
  spa_t sp;
  uint64_t perms;
  if (!partition_by_id(hv, id, &s) || s != slot || !vp_get(hv, slot, 0, 0))
    return false;
  if (!(hv->partitions[slot].hypercall_msr & HV_X64_MSR_HYPERCALL_ENABLE))
    return false;
  /* hcdrive puts a child VP 0's input page at GPA 0, its output at 0x1000 */
  for (uint64_t g = 0; g <= 0x1000; g += 0x1000)
    if (!slat_lookup(hv, slot, gpa(g), &sp, &perms) || !(perms & EPT_WRITE))
      return false;
  return true;
}

struct rnd_stats {
  uint64_t ok[256]; /* successful calls by call code (low byte) */
  uint64_t child_calls, reps_moved;
};

static void rnd_sequence(uint64_t seed, struct rnd_stats *stats) {
  tl_boot(TL_LPS, RAND_MEM);
  struct rnd r;
  memset(&r, 0, sizeof r);
  r.s = seed * 0x9E3779B97F4A7C15ull + 1;
  r.protect_lo = tl_d.root_base_gpfn;
  r.protect_hi = tl_d.root_base_gpfn + 2 + 2 * TL_LPS;
  r.caller_ids[0] = tl_child(16, 1, &r.callers[0]);
  r.caller_ids[1] = tl_child_priv(16, 2,
                                  HV_CHILD_PRIVILEGES | HV_CREATE_PARTITIONS | HV_ACCESS_MEMORY_POOL |
                                      HV_ACCESS_VP_REGISTERS | HV_ACCESS_PARTITION_ID,
                                  &r.callers[1]);
  remember(&r, r.caller_ids[0]);
  remember(&r, r.caller_ids[1]);
  uint64_t g = tl_root_pages(PAGE_SET);
  for (unsigned i = 0; i < PAGE_SET; i++)
    r.pages[i] = g + i;
  static uint64_t in[512], out[512];
  unsigned rebuilds = 0;
  for (unsigned op = 0; op < OPS; op++) {
    uint64_t control;
    size_t out_len, in_len = rnd_build(&r, &control, in, &out_len);
    uint16_t part = 0;
    uint32_t vp = (uint32_t)below(&r, TL_LPS);
    if (chance(&r, 20)) {
      unsigned k = (unsigned)below(&r, 2);
      if (!caller_usable(r.callers[k], r.caller_ids[k]) && rebuilds < 40) {
        /* the random calls broke it: a fresh one (may fail when slots run out) */
        uint16_t slot;
        uint64_t id = hcdrive_child(&tl_d, 16, 1, &slot);
        rebuilds++;
        if (id) {
          r.callers[k] = slot;
          r.caller_ids[k] = id;
          remember(&r, id);
        }
      }
      if (caller_usable(r.callers[k], r.caller_ids[k])) {
        part = r.callers[k];
        vp = 0;
      }
    }
    if (in_len > 4096)
      in_len = 4096;
    uint64_t rax = tl_call(part, vp, control, in, in_len, out, out_len);
    cr_assert_neq(rax, ~0ull, "seed %llu op %u: call raised an exception", (unsigned long long)seed, op);
    uint16_t st = tl_st(rax);
    cr_assert(tl_status_defined(st), "seed %llu op %u: status %#x undefined", (unsigned long long)seed, op,
              st);
    uint32_t count = (uint32_t)((control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET);
    cr_assert_leq(tl_reps(rax), count, "seed %llu op %u: reps %u > count %u", (unsigned long long)seed, op,
                  tl_reps(rax), count);
    cr_assert_eq(rax & ~(HV_HYPERCALL_RESULT_MASK | HV_HYPERCALL_REP_DONE_MASK), 0);
    if ((control & 0xFFFF) == HVCALL_CREATE_PARTITION && st == HV_STATUS_SUCCESS)
      remember(&r, out[0]);
    if ((st == HV_STATUS_SUCCESS || tl_reps(rax)) && (control & 0xFF00) == 0)
      stats->ok[control & 0xFF]++;
    if (part)
      stats->child_calls++;
    uint16_t code = control & 0xFFFF;
    if (code == HVCALL_DEPOSIT_MEMORY || code == HVCALL_WITHDRAW_MEMORY || code == HVCALL_MAP_GPA_PAGES ||
        code == HVCALL_UNMAP_GPA_PAGES)
      stats->reps_moved += tl_reps(rax);
    cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0, "seed %llu op %u: isolation violated after %#llx",
                 (unsigned long long)seed, op, (unsigned long long)control);
  }
  tl_teardown();
}

/* Its own suite: each seed boots (and frees) a machine of RAND_MEM. */
Test(invariant_random, sequences) {
  struct rnd_stats total;
  memset(&total, 0, sizeof total);
  for (uint64_t seed = 1; seed <= SEEDS; seed++)
    rnd_sequence(seed, &total);
  /* not vacuous: every kind of call made progress (success or some reps) */
  static const uint16_t codes[] = {HVCALL_DEPOSIT_MEMORY, HVCALL_WITHDRAW_MEMORY, HVCALL_MAP_GPA_PAGES,
                                   HVCALL_UNMAP_GPA_PAGES, HVCALL_CREATE_PARTITION,
                                   HVCALL_INITIALIZE_PARTITION, HVCALL_FINALIZE_PARTITION,
                                   HVCALL_DELETE_PARTITION, HVCALL_CREATE_VP, HVCALL_DELETE_VP};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    cr_assert_geq(total.ok[codes[i] & 0xFF], 20, "call %#x succeeded only %llu times", codes[i],
                  (unsigned long long)total.ok[codes[i] & 0xFF]);
  cr_assert_geq(total.child_calls, 1000);
  cr_assert_geq(total.reps_moved, 5000);
}

/* Cases only one rule of the oracle sees (the others stay satisfied), so
 * a blind rule is noticed (scripts/mutants: oracle-blind-to-...). */
Test(invariant, swapped_pages_are_foreign) {
  /* the root and a child swap a page: no page mapped twice, none lost,
   * every counter right -- only the owners are wrong */
  uint16_t s;
  tl_child(16, 1, &s);
  uint64_t *leaf = leaf_of(s, 0x3000), saved = *leaf;
  uint64_t root_page = tl_root_pages(1);
  uint64_t *rleaf = leaf_of(0, root_page << 12), rsaved = *rleaf;
  *leaf = (saved & ~EPT_ADDR_MASK) | (rsaved & EPT_ADDR_MASK);
  *rleaf = (rsaved & ~EPT_ADDR_MASK) | (saved & EPT_ADDR_MASK);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 2, "each leaf reaches the other's page");
  *leaf = saved;
  *rleaf = rsaved;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(invariant, page_mapped_twice) {
  /* two leaves of a child on one page; the page the first one left is
   * made a pool page (counters moved along), so nothing is lost */
  uint16_t s;
  tl_child(16, 1, &s);
  struct hv_partition *p = tl_part(s);
  uint64_t *leaf = leaf_of(s, 0x3000), saved = *leaf, *leaf2 = leaf_of(s, 0x5000);
  uint32_t *e = pfn_entry(tl_hv(), (saved & EPT_ADDR_MASK) >> 12), esaved = *e;
  *leaf = (saved & ~EPT_ADDR_MASK) | (*leaf2 & EPT_ADDR_MASK);
  *e = pfn_make(PFN_POOL_FREE, s);
  p->ram_pages--;
  p->pool_free++;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 1, "the page reached twice");
  *leaf = saved;
  *e = esaved;
  p->ram_pages++;
  p->pool_free--;
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}
