/*
 * ptdisk_hostile.c — a child that owns a pass-through disk and turns it
 * against everyone else: it asks for the root's IOMMU hypercalls, then
 * programs its device to read and write memory it was never given (past
 * its RAM, far above it, beyond the 48-bit address width), and points
 * the submission queue outside its memory. Each refusal is a
 * MARK_DENIED (op), each success a MARK_ALLOWED (a bug). The isolation
 * oracle and the IOMMU's foreign-DMA check prove nothing else changed.
 */
#include "models/child/vsc/ptdisk_drv.h"

#include "hv/iommu_abi.h"

static void hostile_verdict(struct guest *g, uint32_t op, bool refused) {
  guest_mark(g, refused ? MARK_DENIED : MARK_ALLOWED, op);
}

/* Root-only calls, asked for itself: ACCESS_DENIED expected. */
static void hostile_hypercalls(struct guest *g, struct winhv *w) {
  uint64_t dom[5] = {HV_PARTITION_ID_SELF, 0, (uint64_t)7 << 32, 0, 0};
  uint64_t map[6] = {HV_PARTITION_ID_SELF, 0, (uint64_t)7 << 32, (uint64_t)HV_MAP_GPA_READABLE << 32, 0, 0};
  uint64_t msi[3] = {HV_PARTITION_ID_SELF, hv_device_id_pci(PTDISK_RID), 0x50ull << 32};
  uint64_t out = 0;
  hostile_verdict(g, 0x100, winhv_status(winhv_call(w, HVCALL_CREATE_DEVICE_DOMAIN, dom, 28, 0, 0)) ==
                                HV_STATUS_ACCESS_DENIED);
  dom[3] = hv_device_id_pci(PTDISK_RID);
  hostile_verdict(g, 0x101, winhv_status(winhv_call(w, HVCALL_ATTACH_DEVICE_DOMAIN, dom, 32, 0, 0)) ==
                                HV_STATUS_ACCESS_DENIED);
  hostile_verdict(g, 0x102,
                  winhv_status(winhv_call(w, HVCALL_MAP_DEVICE_GPA_PAGES | (1ull << HV_HYPERCALL_REP_COMP_OFFSET),
                                          map, sizeof map, 0, 0)) == HV_STATUS_ACCESS_DENIED);
  hostile_verdict(g, 0x103, winhv_status(winhv_call(w, HVCALL_HVSIM_MAP_DEVICE_MSI, msi, sizeof msi, &out, 8)) ==
                                HV_STATUS_ACCESS_DENIED);
}

/* One command at a stray address; refused when it completes in error. */
static void hostile_dma(struct ptdrv *d, uint32_t op, uint8_t opc, uint64_t prp) {
  uint16_t cid, st = 0;
  ptdrv_submit(d, opc, (uint16_t)op, prp, op & 0xFF, 1);
  ptdrv_reap(d, &cid, &st, 1);
  hostile_verdict(d->g, op, st == PTDISK_SC_DATA_TRANSFER);
}

void prog_ptdisk_hostile(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  struct ptdrv d = {0};
  if (!child_winhv(g, b, &w) || guest_vp_index(g) != 0)
    goto idle;
  hostile_hypercalls(g, &w);
  d.irq = guest_param(b, "irq", 1) != 0;
  if (!ptdrv_start(&d, g, b->seed, guest_param(b, "wait", 100000)))
    goto idle;
  const uint64_t stray[] = {b->memory_bytes, b->memory_bytes + 0x200000, 0x40000000ull, 0x100000000ull,
                            0x7FFFFFFFF000ull, 0xFFFFFFFFF000ull, 1ull << 52, 0xFFFFFFFFFFFFF000ull};
  uint32_t rounds = (uint32_t)guest_param(b, "rounds", 1);
  for (uint32_t r = 0; r < rounds; r++)
    for (uint32_t i = 0; i < sizeof stray / sizeof stray[0]; i++) {
      hostile_dma(&d, 0x200 + i, PTDISK_OP_READ, stray[i]);  /* device writes there */
      hostile_dma(&d, 0x300 + i, PTDISK_OP_WRITE, stray[i]); /* device reads there */
    }
  /* The queue itself outside its memory: the controller must fail, not wander. */
  uint64_t bad_sq = b->memory_bytes + 0x10000;
  uint32_t zero = 0, en = PTDISK_CC_EN, tail = 1, csts = 0;
  guest_write(g, PTDISK_REGS_GPA + PTDISK_REG_CC, &zero, 4);
  guest_work(g, 20000);
  guest_write(g, PTDISK_REGS_GPA + PTDISK_REG_SQ, &bad_sq, 8);
  guest_write(g, PTDISK_REGS_GPA + PTDISK_REG_CC, &en, 4);
  guest_write(g, PTDISK_REGS_GPA + PTDISK_REG_SQ_TAIL, &tail, 4);
  for (int i = 0; i < 200 && !(csts & PTDISK_CSTS_CFS); i++) {
    guest_work(g, 4000);
    guest_read(g, PTDISK_REGS_GPA + PTDISK_REG_CSTS, &csts, 4);
  }
  hostile_verdict(g, 0x400, (csts & PTDISK_CSTS_CFS) != 0);
  guest_mark(g, MARK_DONE, rounds);
idle:
  for (;;) {
    guest_halt(g, 0);
    guest_wrmsr(g, HV_X64_MSR_EOI, 0);
  }
}
