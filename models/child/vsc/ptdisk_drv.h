/*
 * ptdisk_drv.h — the child's driver for its pass-through disk
 * (ptdisk.c), shared by the workload program and the hostile one.
 * Guest software: registers, queues and buffers are the child's own
 * memory (layout below); the device reaches them by DMA.
 */
#ifndef MODELS_CHILD_PTDISK_DRV_H
#define MODELS_CHILD_PTDISK_DRV_H

#include "models/child/child.h"
#include "hvsim/ptdisk_regs.h"

#define PTDRV_SQ_GPA 0x9000ull     /* submission queue (64 x 64 B) */
#define PTDRV_CQ_GPA 0xA000ull     /* completion queue (64 x 16 B) */
#define PTDRV_SHADOW_GPA 0xB000ull /* shadow copy: generation per LBA (u32), 1024 LBAs */
#define PTDRV_BUF_GPA 0x10000ull   /* data buffers: slot i at + i * 64 KiB */
#define PTDRV_MAX_LBAS 1024u
#define PTDRV_MAX_QD 16u
#define PTDRV_QSIZE 32u
#define PTDRV_BLOCK_MAGIC 0x31304B4C42535648ull /* "HVSBLK01" */
#define MARK_IO_ERROR 8     /* a command failed: value = status << 16 | cid */
#define MARK_DISK_READY 9   /* the controller came up: value = blocks */

struct ptdrv {
  struct guest *g;
  uint64_t seed;
  uint32_t sq_tail, cq_head;
  uint8_t phase;
  uint64_t nblocks;
  bool irq;              /* wait by HLT (interrupts), else by polling */
};

/* Program the queues and enable; wait up to wait_loops polls for ready.
 * Returns false (and MARK_ERROR) when the controller never came up. */
bool ptdrv_start(struct ptdrv *d, struct guest *g, uint64_t seed, uint64_t wait_loops);
/* Queue one command and ring the doorbell. */
void ptdrv_submit(struct ptdrv *d, uint8_t opc, uint16_t cid, uint64_t prp, uint64_t slba, uint32_t nblocks);
/* Wait for completion entries; returns how many were taken, each into
 * cids[i] / status[i] (status field, 0 = success). */
uint32_t ptdrv_reap(struct ptdrv *d, uint16_t *cids, uint16_t *status, uint32_t max);
/* The 8-byte word k of block lba at generation gen (the shadow's truth). */
uint64_t ptdrv_word(uint64_t seed, uint64_t lba, uint32_t gen, uint32_t k);

#endif /* MODELS_CHILD_PTDISK_DRV_H */
