/*
 * fuzz_hypercalls.c — the `hypercalls` harness: the hypercall ABI and the
 * synthetic MSRs of the core, driven as any VP of any partition.
 *
 * World (built once, reset between inputs by fuzz_world.c): a 4 MiB
 * machine with 2 LPs, the root partition (slot 0, id 1, 2 VPs, not running
 * its program) and two running children built by the root through
 * hypercalls (slots 1 and 2, ids 2 and 3, 32 pages of RAM at GPA 0,
 * 2 VPs each, hypercall page enabled).
 *
 * Input: an ordered program of operations, each a kind byte and a body
 * (integers little-endian; a short input reads as zeros):
 *   kind % 6 == 0, 1  HYPERCALL  caller:u8 where:u8 control:u64 len:u16 data[len]
 *   kind % 6 == 2     MSR WRITE  caller:u8 msr:u32 value:u64
 *   kind % 6 == 3     MSR READ   caller:u8 msr:u32
 *   kind % 6 == 4     TIME       delta:u32  (every LP clock += delta * 16 cycles)
 *   kind % 6 == 5     IRQ        lp:u8 vector:u8 (a physical interrupt)
 * caller: partition slot = bits 2:0, VP index = bits 5:3; an operation
 * whose caller is not a VP of an active partition is skipped.
 * HYPERCALL: control is RCX as the guest sets it (any code, fast bit, rep
 * count and start, reserved bits). data goes to the caller's input page
 * (memory convention) or, for fast calls, its first 16 bytes to RDX, R8.
 * Input page = io + in offset, output page = io + 0x1000 + out offset, where
 * io is GPA 0x2000 * (vp + 1) in a child and that offset from the root's
 * first free page after its boot and hypercall pages in the root;
 * where = out selector << 4 | in selector picks the offsets (table
 * fzh_where). Page tokens: any 8-byte-aligned word of data (and an MSR
 * value) whose top 24 bits are F00DF0 is replaced by the root's first
 * spare page number + its low 40 bits; F00DF1, by that page's GPA — so
 * seeds name "the root's k-th spare page" independent of the boot layout.
 *
 * Oracles after every operation (abort with "ORACLE FAILED" on a miss):
 * ASan/UBSan; the core's own checks; hv_check_isolation() == 0; the ABI
 * contract (defined status, zero reserved result bits, reps completed <=
 * rep count and == rep count on success of a rep call, 0 for other calls,
 * RIP advanced only on completion, continuations progress, #UD exactly
 * when the hypercall page is disabled, output written only on success —
 * or for completed reps — and only inside the output block, checked by
 * poisoning the output page; no other RAM page written — output sizes come
 * from the table fzh_calls, a call missing there gets the page-level
 * check only); partitions other
 * than the caller and its children unchanged (the root and the other
 * children keep running, read-only operations change nothing); the root
 * stays active with its VPs.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/core/entry.h"
#include "hv/core/hc.h"
#include "hv/core/objects.h"
#include "fuzz_common.h"
#include "fuzz_status.h"
#include "fuzz_world.h"

#define FZH_LPS 2
#define FZH_MEM_BYTES (4ull << 20)
#define FZH_CHILD_PAGES 32
#define FZH_CHILD_VPS 2
#define FZH_MAX_OPS 64
#define FZH_CYCLES_PER_TICK 16
#define FZH_TOKEN_PFN 0xF00DF0ull
#define FZH_TOKEN_GPA 0xF00DF1ull
#define FZH_POISON 0xA5
#define FZH_NONE 0xFFFFu
#define FZH_ANY_VP 0xFFFEu /* fzh_check_others: any VP may change */
#define FZH_MESSAGING 0xFFFDu /* ... and other partitions' SynIC and pool state */
#define FZH_MAX_ENTRIES 64 /* continuations of one call (4095 reps / 512 per entry = 8) */
#define FZH_GPA_BITS 48

static struct fz_world W;
static bool fzh_ready;
static uint64_t fzh_spare_pfn; /* the root's first page not used by the setup */
static uint32_t *fzh_pfndb_checked; /* the PFN database at the last isolation check */

/* What the harness expects of each call: TLFS output sizes (fixed
 * header, per rep element) and whether it is a rep call. */
struct fzh_call {
  uint16_t code;
  bool rep, read_only;
  uint16_t in_size, rep_in, out_size, rep_out;
};

static const struct fzh_call fzh_calls[] = {
    {HVCALL_NOTIFY_LONG_SPIN_WAIT, false, false, 8, 0, 0, 0},
    {HVCALL_CREATE_PARTITION, false, false, 56, 0, 8, 0},
    {HVCALL_INITIALIZE_PARTITION, false, false, 8, 0, 0, 0},
    {HVCALL_FINALIZE_PARTITION, false, false, 8, 0, 0, 0},
    {HVCALL_DELETE_PARTITION, false, false, 8, 0, 0, 0},
    {HVCALL_GET_PARTITION_PROPERTY, false, true, 16, 0, 8, 0},
    {HVCALL_SET_PARTITION_PROPERTY, false, false, 24, 0, 0, 0},
    {HVCALL_GET_PARTITION_ID, false, true, 0, 0, 8, 0},
    {HVCALL_GET_NEXT_CHILD_PARTITION, false, true, 16, 0, 8, 0},
    {HVCALL_DEPOSIT_MEMORY, true, false, 8, 8, 0, 0},
    {HVCALL_WITHDRAW_MEMORY, true, false, 16, 0, 0, 8},
    {HVCALL_GET_MEMORY_BALANCE, false, true, 16, 0, 16, 0},
    {HVCALL_MAP_GPA_PAGES, true, false, 24, 8, 0, 0},
    {HVCALL_UNMAP_GPA_PAGES, true, false, 24, 0, 0, 0},
    {HVCALL_CREATE_VP, false, false, 40, 0, 0, 0},
    {HVCALL_DELETE_VP, false, false, 16, 0, 0, 0},
    {HVCALL_GET_VP_REGISTERS, true, true, 16, 4, 0, 16},
    {HVCALL_SET_VP_REGISTERS, true, false, 16, 32, 0, 0},
#ifdef HVCALL_HVSIM_COPY_CHILD_GPA
    {HVCALL_HVSIM_COPY_CHILD_GPA, false, false, 32, 0, 0, 0},
#endif
};

/* Calls that copy guest memory on the caller's behalf: they may write RAM
 * of the caller and of its children (not only the output page). */
static bool fzh_copies(uint16_t code) {
  (void)code;
#ifdef HVCALL_HVSIM_COPY_CHILD_GPA
  if (code == HVCALL_HVSIM_COPY_CHILD_GPA)
    return true;
#endif
  return false;
}

/* Calls whose purpose is to reach another partition (a message or an
 * event through a connection the root set up): they may write the
 * receiver's pages and change its VPs' SynIC state, never its lifecycle,
 * memory or VPs' existence. */
static bool fzh_messaging(uint16_t code) {
  (void)code;
#ifdef HVCALL_POST_MESSAGE
  if (code == HVCALL_POST_MESSAGE)
    return true;
#endif
#ifdef HVCALL_SIGNAL_EVENT
  if (code == HVCALL_SIGNAL_EVENT)
    return true;
#endif
  return false;
}

static const struct fzh_call *fzh_call_of(uint16_t code) {
  for (size_t i = 0; i < sizeof fzh_calls / sizeof fzh_calls[0]; i++)
    if (fzh_calls[i].code == code)
      return &fzh_calls[i];
  return 0;
}

/* Every HV_STATUS_* of hvgdk.h (fuzz_status.h is generated from it). */
static bool fzh_status_defined(uint16_t st) {
  static const uint16_t defined[] = {
#define FZ_STATUS(name) name,
      FZ_STATUS_LIST
#undef FZ_STATUS
  };
  for (size_t i = 0; i < sizeof defined / sizeof defined[0]; i++)
    if (defined[i] == st)
      return true;
  return false;
}

/* Input / output GPA offsets by selector; FZH_ABS marks an absolute GPA. */
#define FZH_ABS (1ull << 63)
static const uint64_t fzh_where[16] = {
    0,      8,      1,      0xFF8,        0x800,         0x1000,      (uint64_t)-0x1000,
    (uint64_t)-0x2000, 0x4000, 0x100000, 0x1000000, FZH_ABS | 0xFFFFFFFFF000ull,
    FZH_ABS | 0,  FZH_ABS | (1ull << 52), 4, FZH_ABS | 1, /* 15: the root's first spare page */
};

static void fzh_check_isolation(bool force);

/* The operation running, described only when an oracle fails. */
struct fzh_op {
  unsigned no;
  char kind; /* h hypercall, w/r MSR write/read, t time, i interrupt, 0 none */
  uint16_t part;
  uint32_t vp;
  uint64_t a, b, c; /* control, RDX, R8 | msr, value | cycles | vector */
  size_t n;
};
static struct fzh_op fzh_cur;

static void fzh_describe(char *buf, size_t len) {
  const struct fzh_op *o = &fzh_cur;
  unsigned long long a = o->a, b = o->b, c = o->c;
  switch (o->kind) {
  case 'h':
    snprintf(buf, len,
             "op %u: hypercall 0x%04llx control 0x%016llx from slot %u vp %u, in 0x%llx out "
             "0x%llx, %zu input bytes",
             o->no, a & 0xFFFF, a, o->part, o->vp, b, c, o->n);
    break;
  case 'w':
  case 'r':
    snprintf(buf, len, "op %u: %s msr 0x%08llx value 0x%016llx from slot %u vp %u", o->no,
             o->kind == 'w' ? "wrmsr" : "rdmsr", a, b, o->part, o->vp);
    break;
  case 't': snprintf(buf, len, "op %u: time +%llu cycles", o->no, a); break;
  case 'i': snprintf(buf, len, "op %u: physical interrupt %llu on LP %u", o->no, a, o->vp); break;
  default: snprintf(buf, len, "%s", fzh_ready ? "between inputs" : "setup"); break;
  }
}

static void fzh_setup(void) {
  fz_set_describe(fzh_describe);
  if (fz_world_init(&W, FZH_LPS, FZH_MEM_BYTES) != 0)
    abort();
  for (int c = 0; c < 2; c++) {
    uint16_t slot;
    FZ_CHECK(hcdrive_child(&W.d, FZH_CHILD_PAGES, FZH_CHILD_VPS, &slot) != 0,
             "setup: building child %d failed", c);
  }
  fzh_spare_pfn = W.d.root_next_gpfn;
  struct hv *hv = fz_hv(&W);
  fzh_pfndb_checked = malloc(hv->boot.mem_pages * sizeof *hv->pfndb);
  FZ_CHECK(fzh_pfndb_checked != 0, "setup: out of memory");
  fzh_check_isolation(true);
  fz_world_snapshot(&W);
  fzh_ready = true;
}

static uint64_t fzh_relocate(uint64_t v) {
  if (v >> 40 == FZH_TOKEN_PFN)
    return fzh_spare_pfn + (v & 0xFFFFFFFFFFull);
  if (v >> 40 == FZH_TOKEN_GPA)
    return (fzh_spare_pfn + (v & 0xFFFFFFFFFFull)) << 12;
  return v;
}

/* The calling VP named by a caller byte, or NULL (operation skipped). */
static struct hv_vp *fzh_caller(uint8_t b, uint16_t *part) {
  struct hv *hv = fz_hv(&W);
  *part = b & 7;
  if (hv->partitions[*part].state != PART_ACTIVE)
    return 0;
  return vp_get(hv, *part, (b >> 3) & 7, 0);
}

static uint64_t fzh_io_base(uint16_t part, uint32_t vp_index) {
  if (part == 0)
    return (W.d.root_base_gpfn << 12) + HCDRIVE_IN_GPA_OFF + 0x2000ull * vp_index;
  return HCDRIVE_IN_GPA_OFF + 0x2000ull * vp_index;
}

static uint64_t fzh_gpa_at(uint64_t base, unsigned sel) {
  uint64_t w = fzh_where[sel & 15];
  if (sel == 15)
    return fzh_spare_pfn << 12;
  return (w & FZH_ABS) ? (w & ~FZH_ABS) : base + w;
}

/* ---- "nothing else changed": state before an operation ---------------- */

static struct hv_partition fzh_before_p[HV_MAX_PARTITIONS];
static struct hv_vp fzh_before_v[HV_MAX_VPS];
static uint32_t fzh_phi, fzh_vhi;

static void fzh_capture(void) {
  struct hv *hv = fz_hv(&W);
  fzh_phi = W.snap_phi + W.partition_creations;
  fzh_vhi = W.snap_vhi + W.vp_creations;
  if (fzh_phi > HV_MAX_PARTITIONS)
    fzh_phi = HV_MAX_PARTITIONS;
  if (fzh_vhi > HV_MAX_VPS)
    fzh_vhi = HV_MAX_VPS;
  memcpy(fzh_before_p, hv->partitions, fzh_phi * sizeof fzh_before_p[0]);
  memcpy(fzh_before_v, hv->vps, fzh_vhi * sizeof fzh_before_v[0]);
}

/* May an operation of partition `actor` change partition slot i? Itself
 * and its children (before or after the operation). FZH_NONE: nothing. */
static bool fzh_related(uint16_t actor, uint16_t i) {
  const struct hv_partition *now = &fz_hv(&W)->partitions[i], *was = &fzh_before_p[i];
  if (actor == FZH_NONE)
    return false;
  if (i == actor)
    return true;
  return i != 0 && ((was->state != PART_FREE && was->parent == actor) ||
                    (now->state != PART_FREE && now->parent == actor));
}

/* actor: partition allowed to change (with its children), or FZH_NONE;
 * self_vp: a VP slot whose registers and counters may change (the caller
 * of a read-only call), FZH_ANY_VP, FZH_MESSAGING (any VP, and of other
 * partitions only lifecycle, RAM and VP existence are compared), or
 * FZH_NONE. */
static void fzh_check_others(uint16_t actor, uint16_t self_vp) {
  struct hv *hv = fz_hv(&W);
  uint32_t phi = W.snap_phi + W.partition_creations, vhi = W.snap_vhi + W.vp_creations;
  phi = phi > HV_MAX_PARTITIONS ? HV_MAX_PARTITIONS : phi;
  vhi = vhi > HV_MAX_VPS ? HV_MAX_VPS : vhi;
  FZ_CHECK(phi == fzh_phi || actor != FZH_NONE, "a read-only operation created a partition");
  for (uint16_t i = 0; i < fzh_phi; i++) {
    if (fzh_related(actor, i))
      continue;
    const struct hv_partition *a = &fzh_before_p[i], *b = &hv->partitions[i];
    bool same = self_vp == FZH_MESSAGING
                    ? a->state == b->state && a->id == b->id && a->parent == b->parent &&
                          a->privileges == b->privileges && a->ram_pages == b->ram_pages &&
                          a->slat_root.v == b->slat_root.v && a->nvps == b->nvps &&
                          fz_equal(a->vps, b->vps, sizeof a->vps)
                    : fz_equal(a, b, sizeof *a);
    FZ_CHECK(same,
             "partition slot %u (id %llu) changed by an operation of slot %d: state %u->%u, "
             "ram %llu->%llu, pool free %llu->%llu used %llu->%llu, vps %u->%u",
             i, (unsigned long long)a->id, actor == FZH_NONE ? -1 : (int)actor, a->state, b->state,
             (unsigned long long)a->ram_pages, (unsigned long long)b->ram_pages,
             (unsigned long long)a->pool_free, (unsigned long long)b->pool_free,
             (unsigned long long)a->pool_used, (unsigned long long)b->pool_used, a->nvps, b->nvps);
  }
  /* rq_next may change: the run queue links through its neighbours */
  const size_t rq = offsetof(struct hv_vp, rq_next), rq_end = rq + sizeof(uint16_t);
  for (uint16_t i = 0; i < fzh_vhi && self_vp != FZH_ANY_VP && self_vp != FZH_MESSAGING; i++) {
    const struct hv_vp *a = &fzh_before_v[i], *b = &hv->vps[i];
    if (!a->in_use || i == self_vp || fzh_related(actor, a->partition))
      continue;
    FZ_CHECK(fz_equal(a, b, rq) && fz_equal((const uint8_t *)a + rq_end,
                                            (const uint8_t *)b + rq_end, sizeof *a - rq_end),
             "VP slot %u (partition slot %u, index %u) changed by an operation of slot %d", i,
             a->partition, a->index, actor == FZH_NONE ? -1 : (int)actor);
  }
  (void)vhi;
  const struct hv_partition *root = &hv->partitions[0];
  FZ_CHECK(root->state == PART_ACTIVE && root->id == HV_ROOT_PARTITION_ID,
           "the root partition is no longer active (state %u)", root->state);
  FZ_CHECK(root->nvps == hv->boot.nlps, "the root has %u VPs, not %u", root->nvps,
           hv->boot.nlps);
}

/* Pages written by the operation (marks since the last harvest): none may
 * be a hypervisor page or belong to an unrelated partition; a RAM page
 * only if it is allowed_ram_pfn (the output page), or with FZH_OWN_RAM
 * any RAM page of the actor (the overlay pages an MSR write enables:
 * hypercall page, SynIC message and event pages). */
#define FZH_OWN_RAM (UINT64_MAX - 1)
#define FZH_ANY_PAGE (UINT64_MAX - 2) /* messaging: the receiver's pages too */
#define FZH_RELATED_RAM (UINT64_MAX - 3) /* copies: RAM of the actor and its children */
static void fzh_check_writes(uint16_t actor, uint64_t allowed_ram_pfn, const char *what) {
  struct hv *hv = fz_hv(&W);
  for (uint64_t p = fz_world_next_dirty(&W, 0); p != UINT64_MAX; p = fz_world_next_dirty(&W, p + 1)) {
    uint32_t *e = pfn_entry(hv, p);
    FZ_CHECK(e != 0, "%s wrote page %llu outside RAM", what, (unsigned long long)p);
    uint16_t owner = pfn_owner_of(*e);
    FZ_CHECK(pfn_type_of(*e) != PFN_HV, "%s wrote hypervisor page %llu", what,
             (unsigned long long)p);
    FZ_CHECK(actor != FZH_NONE && owner < HV_MAX_PARTITIONS &&
                 (fzh_related(actor, owner) || allowed_ram_pfn == FZH_ANY_PAGE),
             "%s wrote page %llu of partition slot %u (type %u)", what, (unsigned long long)p,
             owner, pfn_type_of(*e));
    FZ_CHECK(pfn_type_of(*e) != PFN_RAM || p == allowed_ram_pfn || allowed_ram_pfn == FZH_ANY_PAGE ||
                 (allowed_ram_pfn == FZH_OWN_RAM && owner == actor) ||
                 allowed_ram_pfn == FZH_RELATED_RAM,
             "%s wrote RAM page %llu of partition slot %u", what, (unsigned long long)p, owner);
  }
}

/* The isolation invariant depends only on the PFN database, the SLAT
 * table pages and the partitions' states and counters. When an operation
 * changed none of them the result cannot differ from the last check, so
 * the check runs exactly when one changed: a written page that is not RAM
 * (tables, pool), a PFN database entry, or a partition's memory fields. */
static bool fzh_ownership_changed(void) {
  struct hv *hv = fz_hv(&W);
  for (uint64_t p = fz_world_next_dirty(&W, 0); p != UINT64_MAX; p = fz_world_next_dirty(&W, p + 1)) {
    uint32_t *e = pfn_entry(hv, p);
    if (!e || pfn_type_of(*e) != PFN_RAM)
      return true;
  }
  if (!fz_equal(fzh_pfndb_checked, hv->pfndb, hv->boot.mem_pages * sizeof *hv->pfndb))
    return true;
  uint32_t phi = W.snap_phi + W.partition_creations;
  phi = phi > HV_MAX_PARTITIONS ? HV_MAX_PARTITIONS : phi;
  for (uint32_t i = 0; i < phi; i++) {
    const struct hv_partition *a = &fzh_before_p[i], *b = &hv->partitions[i];
    if (i >= fzh_phi)
      return b->state != PART_FREE;
    if (a->state != b->state || a->ram_pages != b->ram_pages || a->pool_free != b->pool_free ||
        a->pool_used != b->pool_used || a->slat_root.v != b->slat_root.v ||
        a->pool_free_head != b->pool_free_head || a->parent != b->parent)
      return true;
  }
  return false;
}

static void fzh_check_isolation(bool force) {
  struct hv *hv = fz_hv(&W);
  if (!force && !fzh_ownership_changed())
    return;
  uint64_t v = hv_check_isolation(hv, &hv->lps[0]);
  FZ_CHECK(v == 0, "isolation invariant: %llu violation(s)", (unsigned long long)v);
  memcpy(fzh_pfndb_checked, hv->pfndb, hv->boot.mem_pages * sizeof *hv->pfndb);
}

/* ---- operations --------------------------------------------------------- */

struct fzh_out_watch {
  bool on;         /* the output page is the caller's writable RAM */
  uint64_t pfn;    /* its system page */
  uint32_t off;    /* r8 within the page */
  uint8_t before[HV_PAGE_SIZE];
};
static struct fzh_out_watch fzh_watch;

/* Poison the output page from r8 to its end, then (after the input was
 * written) remember the whole page. */
static void fzh_watch_poison(uint16_t part, uint64_t r8) {
  struct hv *hv = fz_hv(&W);
  spa_t s;
  uint64_t perms;
  fzh_watch.on = false;
  if (r8 >> FZH_GPA_BITS || !slat_lookup(hv, part, gpa(r8 & ~HV_PAGE_MASK), &s, &perms) ||
      !(perms & EPT_WRITE))
    return;
  uint32_t *e = pfn_entry(hv, spa_pfn(s));
  if (!e || pfn_type_of(*e) != PFN_RAM || pfn_owner_of(*e) != part)
    return;
  static uint8_t poison[HV_PAGE_SIZE];
  if (!poison[0])
    memset(poison, FZH_POISON, sizeof poison);
  fzh_watch.on = true;
  fzh_watch.pfn = spa_pfn(s);
  fzh_watch.off = (uint32_t)(r8 & HV_PAGE_MASK);
  gpa_write(hv, part, gpa(r8), poison, HV_PAGE_SIZE - fzh_watch.off);
}

static void fzh_watch_remember(void) {
  if (fzh_watch.on)
    memcpy(fzh_watch.before, W.d.sim.mem + (fzh_watch.pfn << 12), HV_PAGE_SIZE);
}

/* Bytes of the output page outside [off, off + allowed) are unchanged. */
static void fzh_watch_check(uint16_t part, uint64_t allowed, uint16_t code, uint16_t st) {
  struct hv *hv = fz_hv(&W);
  if (!fzh_watch.on)
    return;
  uint32_t *e = pfn_entry(hv, fzh_watch.pfn);
  if (pfn_type_of(*e) != PFN_RAM || pfn_owner_of(*e) != part)
    return; /* the call gave the page away (a deposit, a map) */
  const uint8_t *now = W.d.sim.mem + (fzh_watch.pfn << 12);
  uint64_t end = fzh_watch.off + allowed;
  FZ_CHECK(end <= HV_PAGE_SIZE || allowed == 0,
           "call 0x%04x status 0x%x: output block of %llu bytes at page offset %u crosses the page",
           code, st, (unsigned long long)allowed, fzh_watch.off);
  if (end > HV_PAGE_SIZE)
    end = HV_PAGE_SIZE;
  if (fz_equal(now, fzh_watch.before, fzh_watch.off) &&
      fz_equal(now + end, fzh_watch.before + end, HV_PAGE_SIZE - end))
    return;
  for (uint64_t b = 0; b < HV_PAGE_SIZE; b++) {
    if (b >= fzh_watch.off && b < end)
      continue;
    FZ_CHECK(now[b] == fzh_watch.before[b],
             "call 0x%04x status 0x%x wrote output page byte %llu outside its %llu-byte output "
             "block at offset %u",
             code, st, (unsigned long long)b, (unsigned long long)allowed, fzh_watch.off);
  }
}

static void fzh_hypercall(struct fz_in *in, unsigned opno) {
  struct hv *hv = fz_hv(&W);
  struct hv_lp *lp = &hv->lps[0];
  uint16_t part;
  uint8_t who = fz_u8(in), where = fz_u8(in);
  uint64_t control = fz_u64(in);
  uint16_t len = fz_u16(in);
  const uint8_t *raw;
  size_t n = fz_take(in, len > HV_PAGE_SIZE ? HV_PAGE_SIZE : len, &raw);
  struct hv_vp *vp = fzh_caller(who, &part);
  if (!vp)
    return;
  static uint8_t data[HV_PAGE_SIZE + 16];
  memset(data, 0, 16);
  memcpy(data, raw, n);
  for (size_t off = 0; off + 8 <= n; off += 8) {
    uint64_t v;
    memcpy(&v, data + off, 8);
    v = fzh_relocate(v);
    memcpy(data + off, &v, 8);
  }
  uint16_t code = (uint16_t)(control & HV_HYPERCALL_CODE_MASK);
  bool fast = control & HV_HYPERCALL_FAST_BIT;
  uint64_t base = fzh_io_base(part, vp->index);
  uint64_t rdx = fzh_gpa_at(base, where & 15), r8 = fzh_gpa_at(base + 0x1000, where >> 4);
  fzh_cur = (struct fzh_op){opno, 'h', part, vp->index, control, rdx, r8, n};
  if (fast) {
    memcpy(&rdx, data, 8);
    memcpy(&r8, data + 8, 8);
    fzh_watch.on = false;
  } else {
    fzh_watch_poison(part, r8);
    if (n && !(rdx >> FZH_GPA_BITS)) /* what the guest can write: its own GPA space */
      gpa_write(hv, part, gpa(rdx), data, n);
    fzh_watch_remember();
  }
  fz_world_harvest(&W);
  fzh_capture();
  bool enabled = hv->partitions[part].hypercall_msr & HV_X64_MSR_HYPERCALL_ENABLE;
  uint16_t vslot = vp_slot(hv, vp);
  vp->arch.gpr[1] = control;
  vp->arch.gpr[2] = rdx;
  vp->arch.gpr[8] = r8;
  bool exc = false;
  for (int entry = 0;; entry++) {
    uint64_t rip = vp->arch.rip, rcx = vp->arch.gpr[1];
    vp->arch.vcpu->exc_pending = false;
    hv_hypercall(hv, lp, vp);
    FZ_CHECK(vp->in_use && hv->vps[vslot].partition == part, "the calling VP was deleted");
    if (vp->arch.vcpu->exc_pending) {
      vp->arch.vcpu->exc_pending = false;
      exc = true;
      FZ_CHECK(vp->arch.rip == rip, "#UD with RIP advanced");
      break;
    }
    /* A continuation leaves RIP on the VMCALL with reps still to do; a
     * completed call advances RIP past it (3 bytes) — unless the call set
     * the caller's own RIP (SetVpRegisters), which then wins. */
    uint64_t res = vp->arch.gpr[0];
    uint32_t done = (uint32_t)((res & HV_HYPERCALL_REP_DONE_MASK) >> HV_HYPERCALL_REP_DONE_OFFSET);
    uint32_t count = (uint32_t)((control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET);
    bool continued = vp->arch.rip == rip && (res & HV_HYPERCALL_RESULT_MASK) == HV_STATUS_SUCCESS &&
                     done < count;
    if (!continued) {
      FZ_CHECK(vp->arch.rip == rip + 3 || code == HVCALL_SET_VP_REGISTERS,
               "RIP advanced by %llu, not 3", (unsigned long long)(vp->arch.rip - rip));
      break;
    }
    /* a continuation: same call, rep start index moved forward, success so far */
    uint64_t ncx = vp->arch.gpr[1];
    FZ_CHECK((ncx & ~HV_HYPERCALL_REP_START_MASK) == (control & ~HV_HYPERCALL_REP_START_MASK),
             "continuation changed RCX beyond the rep start index: 0x%016llx",
             (unsigned long long)ncx);
    FZ_CHECK((ncx & HV_HYPERCALL_REP_START_MASK) > (rcx & HV_HYPERCALL_REP_START_MASK),
             "continuation without progress (RCX 0x%016llx)", (unsigned long long)ncx);
    FZ_CHECK((vp->arch.gpr[0] & 0xFFFF) == HV_STATUS_SUCCESS, "continuation with status 0x%llx",
             (unsigned long long)(vp->arch.gpr[0] & 0xFFFF));
    FZ_CHECK(entry < FZH_MAX_ENTRIES, "more than %d continuations", FZH_MAX_ENTRIES);
  }
  FZ_CHECK(exc == !enabled, exc ? "#UD although the hypercall page is enabled"
                                : "hypercall ran although the hypercall page is disabled");
  const struct fzh_call *call = fzh_call_of(code);
  uint64_t rax = vp->arch.gpr[0], allowed = 0;
  uint16_t st = (uint16_t)(rax & HV_HYPERCALL_RESULT_MASK);
  uint32_t reps = (uint32_t)((rax & HV_HYPERCALL_REP_DONE_MASK) >> HV_HYPERCALL_REP_DONE_OFFSET);
  uint32_t rep_count = (uint32_t)((control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET);
  if (!exc) {
    FZ_CHECK(fzh_status_defined(st), "undefined status 0x%x", st);
    FZ_CHECK((rax & ~(HV_HYPERCALL_RESULT_MASK | HV_HYPERCALL_REP_DONE_MASK)) == 0,
             "reserved bits set in the result 0x%016llx", (unsigned long long)rax);
    FZ_CHECK(reps <= rep_count, "reps completed %u > rep count %u", reps, rep_count);
    if (call && !call->rep)
      FZ_CHECK(reps == 0, "a simple call reports %u reps completed", reps);
    if (call && call->rep && st == HV_STATUS_SUCCESS)
      FZ_CHECK(reps == rep_count, "a rep call succeeded after %u of %u reps", reps, rep_count);
    if (st == HV_STATUS_SUCCESS && call && !fast) {
      bool in_used = call->in_size + (uint64_t)rep_count * call->rep_in > 0;
      bool out_used = call->out_size + (uint64_t)rep_count * call->rep_out > 0;
      FZ_CHECK(!(in_used && rdx >> FZH_GPA_BITS) && !(out_used && r8 >> FZH_GPA_BITS),
               "call 0x%04x succeeded with a block above the %d-bit GPA space", code,
               FZH_GPA_BITS);
    }
    if (call && !fast) {
      if (st == HV_STATUS_SUCCESS)
        allowed = call->out_size + (uint64_t)rep_count * call->rep_out;
      else if (call->rep && call->rep_out)
        allowed = call->out_size + (uint64_t)reps * call->rep_out;
    } else if (!call && !fast && (st == HV_STATUS_SUCCESS || reps)) {
      /* a call this table does not describe: the page-level contract only */
      allowed = HV_PAGE_SIZE - (r8 & HV_PAGE_MASK);
    }
  }
  /* A copy call writes the caller page its input names — which may be the
   * output page: its writes are checked by fzh_check_writes instead. */
  if (!fzh_copies(code))
    fzh_watch_check(part, allowed, code, st);
  bool messaging = !exc && fzh_messaging(code);
  fzh_check_writes(part,
                   messaging                              ? FZH_ANY_PAGE
                   : !exc && fzh_copies(code)             ? FZH_RELATED_RAM
                   : allowed && fzh_watch.on              ? fzh_watch.pfn
                                                          : UINT64_MAX,
                   "the hypercall");
  /* read-only calls, unknown codes and #UD change nothing but the caller's
   * registers; a failed call may have changed its caller or a child (the
   * reps before the failure, tables a prepare allocated) */
  if (exc || st == HV_STATUS_INVALID_HYPERCALL_CODE || (call && call->read_only))
    fzh_check_others(FZH_NONE, vslot);
  else
    fzh_check_others(part, messaging ? FZH_MESSAGING : FZH_NONE);
  if (part != 0)
    FZ_CHECK(hv->partitions[part].state == PART_ACTIVE, "the calling child is no longer active");
  fzh_check_isolation(false);
  if (fz_verbose())
    fprintf(stderr, "hvsim-fuzz: op %u: slot %u vp %u call 0x%04x ctl 0x%016llx -> %s0x%016llx\n",
            opno, part, vp->index, code, (unsigned long long)control, exc ? "#UD " : "",
            (unsigned long long)rax);
}

static void fzh_msr(struct fz_in *in, unsigned opno, bool write) {
  struct hv *hv = fz_hv(&W);
  struct hv_lp *lp = &hv->lps[0];
  uint16_t part;
  uint8_t who = fz_u8(in);
  uint32_t msr = fz_u32(in);
  uint64_t value = write ? fzh_relocate(fz_u64(in)) : 0;
  struct hv_vp *vp = fzh_caller(who, &part);
  if (!vp)
    return;
  fzh_cur = (struct fzh_op){opno, write ? 'w' : 'r', part, vp->index, msr, value, 0, 0};
  fz_world_harvest(&W);
  fzh_capture();
  bool ok;
  if (write) {
    ok = msr_write(hv, lp, vp, msr, value);
    fzh_check_writes(part, FZH_OWN_RAM, "the MSR write");
    fzh_check_others(part, FZH_NONE);
  } else {
    uint64_t v = 0;
    ok = msr_read(hv, lp, vp, msr, &v);
    const struct hv_partition *p = &hv->partitions[part];
    if (ok && msr == HV_X64_MSR_VP_INDEX)
      FZ_CHECK(v == vp->index, "VP_INDEX reads %llu for VP %u", (unsigned long long)v, vp->index);
    if (ok && msr == HV_X64_MSR_GUEST_OS_ID)
      FZ_CHECK(v == p->guest_os_id, "GUEST_OS_ID reads a different value");
    if (ok && msr == HV_X64_MSR_HYPERCALL)
      FZ_CHECK(v == p->hypercall_msr, "HYPERCALL MSR reads a different value");
    fzh_check_writes(FZH_NONE, UINT64_MAX, "the MSR read");
    fzh_check_others(FZH_NONE, FZH_NONE);
  }
  FZ_CHECK(hv->partitions[part].state == PART_ACTIVE, "the MSR access stopped its partition");
  fzh_check_isolation(false);
  if (fz_verbose())
    fprintf(stderr, "hvsim-fuzz: op %u: slot %u vp %u %s 0x%08x 0x%016llx -> %s\n", opno, part,
            vp->index, write ? "wrmsr" : "rdmsr", msr, (unsigned long long)value, ok ? "ok" : "#GP");
}

static void fzh_time(struct fz_in *in, unsigned opno) {
  struct hv *hv = fz_hv(&W);
  uint64_t delta = (uint64_t)fz_u32(in) * FZH_CYCLES_PER_TICK;
  fzh_cur = (struct fzh_op){opno, 't', 0, 0, delta, 0, 0, 0};
  for (uint32_t i = 0; i < hv->boot.nlps; i++)
    hv->lps[i].arch.clock += delta;
}

/* A physical interrupt goes to whichever VP the routing table names: no
 * partition may change, only VP state (pending interrupts, run state). */
static void fzh_irq(struct fz_in *in, unsigned opno) {
  struct hv *hv = fz_hv(&W);
  uint32_t lp = fz_u8(in) % hv->boot.nlps;
  uint8_t vector = fz_u8(in);
  fzh_cur = (struct fzh_op){opno, 'i', 0, lp, vector, 0, 0, 0};
  fz_world_harvest(&W);
  fzh_capture();
  hv_irq_raise(hv, lp, vector);
  fzh_check_writes(FZH_NONE, UINT64_MAX, "the interrupt");
  fzh_check_others(FZH_NONE, FZH_ANY_VP);
  fzh_check_isolation(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fzh_ready)
    fzh_setup();
  struct fz_in in = fz_in_make(data, size);
  for (unsigned op = 0; op < FZH_MAX_OPS && fz_more(&in); op++) {
    switch (fz_u8(&in) % 6) {
    case 0:
    case 1: fzh_hypercall(&in, op); break;
    case 2: fzh_msr(&in, op, true); break;
    case 3: fzh_msr(&in, op, false); break;
    case 4: fzh_time(&in, op); break;
    default: fzh_irq(&in, op); break;
    }
  }
  fz_world_reset(&W);
  struct hv *hv = fz_hv(&W);
  memcpy(fzh_pfndb_checked, hv->pfndb, hv->boot.mem_pages * sizeof *hv->pfndb);
  fzh_cur.kind = 0;
  return 0;
}
