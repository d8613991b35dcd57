/*
 * ptdisk.c — the child's pass-through disk driver and the "ptdisk"
 * workload: `ops` commands (`write_pct`% writes, the rest reads of blocks
 * written before) over `lbas` blocks, `random` or sequential, up to `qd`
 * in flight, each read checked against the shadow copy (the generation
 * each block was last written with, from which its content follows).
 * Completions are taken on the device's remapped MSI (HLT), or by
 * polling when `irq` is 0. Marks: DISK_READY, IO_ERROR per failed
 * command, VERIFY_FAIL per mismatching block, DONE with the commands
 * completed.
 */
#include "ptdisk_drv.h"

static void ptdrv_reg32(struct guest *g, uint64_t off, uint32_t v) { guest_write(g, PTDISK_REGS_GPA + off, &v, 4); }
static void ptdrv_reg64(struct guest *g, uint64_t off, uint64_t v) { guest_write(g, PTDISK_REGS_GPA + off, &v, 8); }

uint64_t ptdrv_word(uint64_t seed, uint64_t lba, uint32_t gen, uint32_t k) {
  switch (k) {
  case 0: return PTDRV_BLOCK_MAGIC;
  case 1: return lba;
  case 2: return gen;
  case 3: return seed;
  default: {
    uint64_t z = seed ^ (lba * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)gen << 40) ^ k;
    z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
    return z ^ (z >> 29);
  }
  }
}

bool ptdrv_start(struct ptdrv *d, struct guest *g, uint64_t seed, uint64_t wait_loops) {
  uint32_t zero[PTDISK_QMAX * PTDISK_CQE_SIZE / 4] = {0};
  d->g = g;
  d->seed = seed;
  d->sq_tail = d->cq_head = 0;
  d->phase = 1;
  guest_write(g, PTDRV_CQ_GPA, zero, sizeof zero);
  ptdrv_reg32(g, PTDISK_REG_CC, 0);
  ptdrv_reg64(g, PTDISK_REG_SQ, PTDRV_SQ_GPA);
  ptdrv_reg64(g, PTDISK_REG_CQ, PTDRV_CQ_GPA);
  ptdrv_reg32(g, PTDISK_REG_QSIZE, PTDRV_QSIZE);
  ptdrv_reg32(g, PTDISK_REG_SQ_TAIL, 0);
  ptdrv_reg32(g, PTDISK_REG_CQ_HEAD, 0);
  ptdrv_reg32(g, PTDISK_REG_CC, PTDISK_CC_EN);
  for (uint64_t i = 0; i < wait_loops; i++) {
    uint32_t csts = 0, magic = 0;
    guest_read(g, PTDISK_REGS_GPA + PTDISK_REG_CSTS, &csts, 4);
    guest_read(g, PTDISK_REGS_GPA + PTDISK_REG_MAGIC, &magic, 4);
    if ((csts & PTDISK_CSTS_RDY) && magic == PTDISK_MAGIC) {
      guest_read(g, PTDISK_REGS_GPA + PTDISK_REG_NBLOCKS, &d->nblocks, 8);
      guest_mark(g, MARK_DISK_READY, d->nblocks);
      return true;
    }
    if (csts & PTDISK_CSTS_CFS)
      break;
    guest_work(g, 4000);
  }
  guest_mark(g, MARK_ERROR, 0xD15C);
  return false;
}

void ptdrv_submit(struct ptdrv *d, uint8_t opc, uint16_t cid, uint64_t prp, uint64_t slba, uint32_t nblocks) {
  uint8_t e[PTDISK_SQE_SIZE] = {0};
  uint16_t nlb = (uint16_t)(nblocks - 1);
  e[PTDISK_SQE_OPC] = opc;
  for (int i = 0; i < 2; i++) {
    e[PTDISK_SQE_CID + i] = (uint8_t)(cid >> (8 * i));
    e[PTDISK_SQE_NLB + i] = (uint8_t)(nlb >> (8 * i));
  }
  for (int i = 0; i < 8; i++) {
    e[PTDISK_SQE_PRP1 + i] = (uint8_t)(prp >> (8 * i));
    e[PTDISK_SQE_SLBA + i] = (uint8_t)(slba >> (8 * i));
  }
  guest_write(d->g, PTDRV_SQ_GPA + (uint64_t)d->sq_tail * PTDISK_SQE_SIZE, e, sizeof e);
  d->sq_tail = (d->sq_tail + 1) % PTDRV_QSIZE;
  ptdrv_reg32(d->g, PTDISK_REG_SQ_TAIL, d->sq_tail); /* the doorbell, after the entry */
}

uint32_t ptdrv_reap(struct ptdrv *d, uint16_t *cids, uint16_t *status, uint32_t max) {
  uint32_t n = 0;
  for (;;) {
    while (n < max) {
      uint8_t c[PTDISK_CQE_SIZE];
      guest_read(d->g, PTDRV_CQ_GPA + (uint64_t)d->cq_head * PTDISK_CQE_SIZE, c, sizeof c);
      uint16_t st = (uint16_t)(c[PTDISK_CQE_STATUS] | c[PTDISK_CQE_STATUS + 1] << 8);
      if ((st & 1) != d->phase)
        break;
      cids[n] = (uint16_t)(c[PTDISK_CQE_CID] | c[PTDISK_CQE_CID + 1] << 8);
      status[n++] = st >> 1;
      d->cq_head = (d->cq_head + 1) % PTDRV_QSIZE;
      if (d->cq_head == 0)
        d->phase ^= 1;
    }
    if (n) {
      ptdrv_reg32(d->g, PTDISK_REG_CQ_HEAD, d->cq_head);
      return n;
    }
    if (d->irq) {
      guest_halt(d->g, 0);
      guest_wrmsr(d->g, HV_X64_MSR_EOI, 0); /* end of interrupt (ignored where no vAPIC) */
    } else {
      guest_work(d->g, 2000);
    }
  }
}

struct ptdisk_slot {
  bool busy;
  uint8_t opc;
  uint64_t lba;
  uint32_t gen;
};

/* Pick an op and a block no other command in flight touches. */
static void ptdisk_pick(const struct guest_boot *b, uint64_t *rng, uint64_t lbas, uint64_t *seq,
                        const struct ptdisk_slot *s, uint32_t qd, const uint32_t *gen, struct ptdisk_slot *out) {
  bool random = guest_param(b, "random", 1) != 0;
  for (;;) {
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t lba = random ? (*rng >> 33) % lbas : (*seq)++ % lbas;
    bool clash = false;
    for (uint32_t i = 0; i < qd; i++)
      clash |= s[i].busy && s[i].lba == lba;
    if (clash)
      continue;
    bool write = gen[lba] == 0 || ((*rng >> 20) % 100) < guest_param(b, "write_pct", 50);
    *out = (struct ptdisk_slot){true, write ? PTDISK_OP_WRITE : PTDISK_OP_READ, lba, gen[lba] + (write ? 1 : 0)};
    return;
  }
}

static void ptdisk_fill(struct guest *g, uint64_t seed, uint64_t buf, uint64_t lba, uint32_t gen) {
  uint64_t w[PTDISK_BLOCK / 8];
  for (uint32_t k = 0; k < PTDISK_BLOCK / 8; k++)
    w[k] = ptdrv_word(seed, lba, gen, k);
  guest_write(g, buf, w, sizeof w);
}

static bool ptdisk_check(struct guest *g, uint64_t seed, uint64_t buf, uint64_t lba, uint32_t gen) {
  uint64_t w[PTDISK_BLOCK / 8];
  guest_read(g, buf, w, sizeof w);
  for (uint32_t k = 0; k < PTDISK_BLOCK / 8; k++)
    if (w[k] != ptdrv_word(seed, lba, gen, k))
      return false;
  return true;
}

void prog_ptdisk(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  struct ptdrv d = {0};
  uint32_t gen[PTDRV_MAX_LBAS]; /* the shadow copy: generation last written per block */
  struct ptdisk_slot slot[PTDRV_MAX_QD] = {0};
  if (!child_winhv(g, b, &w) || guest_vp_index(g) != 0)
    goto idle;
  d.irq = guest_param(b, "irq", 1) != 0;
  if (!ptdrv_start(&d, g, b->seed, guest_param(b, "wait", 100000)))
    goto idle;
  uint64_t ops = guest_param(b, "ops", 256), lbas = guest_param(b, "lbas", 256), rng = b->seed, seq = 0;
  uint32_t qd = (uint32_t)guest_param(b, "qd", 4), submitted = 0, done = 0;
  if (lbas > PTDRV_MAX_LBAS)
    lbas = PTDRV_MAX_LBAS;
  if (lbas > d.nblocks)
    lbas = d.nblocks;
  if (qd < 1 || qd > PTDRV_MAX_QD || qd >= lbas)
    qd = 1;
  for (uint32_t i = 0; i < PTDRV_MAX_LBAS; i++)
    gen[i] = 0;
  while (done < ops) {
    for (uint32_t i = 0; i < qd && submitted < ops; i++) {
      if (slot[i].busy)
        continue;
      ptdisk_pick(b, &rng, lbas, &seq, slot, qd, gen, &slot[i]);
      uint64_t buf = PTDRV_BUF_GPA + 0x10000ull * i;
      if (slot[i].opc == PTDISK_OP_WRITE)
        ptdisk_fill(g, b->seed, buf, slot[i].lba, slot[i].gen);
      ptdrv_submit(&d, slot[i].opc, (uint16_t)i, buf, slot[i].lba, 1);
      submitted++;
    }
    uint16_t cids[PTDRV_MAX_QD], st[PTDRV_MAX_QD];
    uint32_t n = ptdrv_reap(&d, cids, st, PTDRV_MAX_QD);
    for (uint32_t k = 0; k < n; k++) {
      struct ptdisk_slot *s = cids[k] < qd ? &slot[cids[k]] : 0;
      if (!s || !s->busy) {
        guest_mark(g, MARK_ERROR, 0xC1D0000u | cids[k]);
        continue;
      }
      if (st[k])
        guest_mark(g, MARK_IO_ERROR, (uint64_t)st[k] << 16 | cids[k]);
      else if (s->opc == PTDISK_OP_WRITE)
        gen[s->lba] = s->gen;
      else if (!ptdisk_check(g, b->seed, PTDRV_BUF_GPA + 0x10000ull * cids[k], s->lba, gen[s->lba]))
        guest_mark(g, MARK_VERIFY_FAIL, s->lba);
      s->busy = false;
      done++;
    }
  }
  guest_mark(g, MARK_DONE, done);
idle:
  for (;;) {
    guest_halt(g, 0);
    guest_wrmsr(g, HV_X64_MSR_EOI, 0);
  }
}
