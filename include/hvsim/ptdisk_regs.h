/*
 * ptdisk_regs.h — the pass-through disk's programming interface: what the
 * simulated NVMe-like controller (sim/devices/nvme.c) and its child driver
 * (models/child/vsc/ptdisk.c) agree on.
 *
 * Queues as in NVMe 1.4 (one I/O submission queue of 64-byte commands,
 * one completion queue of 16-byte entries with a phase bit, both in the
 * guest's memory and reached by the device through DMA). The controller's
 * registers are a page of guest memory at a fixed GPA, the way NVMe 1.3
 * shadow doorbells ("Doorbell Buffer Config") let a virtualised
 * controller read doorbells from host memory: the controller polls that
 * page by DMA instead of trapping MMIO writes. Completions raise the MSI
 * the root programmed, remapped by the IOMMU to the owning VP.
 */
#ifndef HVSIM_PTDISK_REGS_H
#define HVSIM_PTDISK_REGS_H

#define PTDISK_RID 0x0020u          /* default requester id: 00:04.0 */
#define PTDISK_REGS_GPA 0x8000ull   /* the register page (shadow BAR) */
#define PTDISK_BLOCK 4096u          /* bytes per logical block */

/* Register page offsets (little-endian). */
#define PTDISK_REG_MAGIC 0x00       /* u32, device writes PTDISK_MAGIC when ready */
#define PTDISK_REG_NBLOCKS 0x08     /* u64, device writes */
#define PTDISK_REG_CC 0x10          /* u32, driver: bit 0 enable */
#define PTDISK_REG_CSTS 0x14        /* u32, device: bit 0 ready, bit 1 fatal */
#define PTDISK_REG_SQ 0x20          /* u64, driver: submission queue GPA */
#define PTDISK_REG_CQ 0x28          /* u64, driver: completion queue GPA */
#define PTDISK_REG_QSIZE 0x30       /* u32, driver: entries per queue (2..64) */
#define PTDISK_REG_SQ_TAIL 0x40     /* u32, driver: submission doorbell */
#define PTDISK_REG_CQ_HEAD 0x44     /* u32, driver: completion doorbell */
#define PTDISK_MAGIC 0x53564D4Eu    /* "NMVS" */
#define PTDISK_CC_EN 0x1u
#define PTDISK_CSTS_RDY 0x1u
#define PTDISK_CSTS_CFS 0x2u
#define PTDISK_QMAX 64u

/* Submission entry (64 bytes, NVMe command layout). */
#define PTDISK_SQE_SIZE 64u
#define PTDISK_SQE_OPC 0    /* u8: 0x01 write, 0x02 read, 0x00 flush */
#define PTDISK_SQE_CID 2    /* u16 */
#define PTDISK_SQE_PRP1 24  /* u64: data buffer GPA (contiguous) */
#define PTDISK_SQE_SLBA 40  /* u64 */
#define PTDISK_SQE_NLB 48   /* u16: blocks - 1 */
#define PTDISK_OP_FLUSH 0x00
#define PTDISK_OP_WRITE 0x01
#define PTDISK_OP_READ 0x02

/* Completion entry (16 bytes). */
#define PTDISK_CQE_SIZE 16u
#define PTDISK_CQE_SQHD 8   /* u16 */
#define PTDISK_CQE_CID 12   /* u16 */
#define PTDISK_CQE_STATUS 14 /* u16: bit 0 phase, 15:1 status field */
/* Status field values (NVMe generic / media status codes, SCT << 8 | SC). */
#define PTDISK_SC_SUCCESS 0x000
#define PTDISK_SC_INVALID_OPCODE 0x001
#define PTDISK_SC_DATA_TRANSFER 0x004   /* the DMA was blocked */
#define PTDISK_SC_LBA_RANGE 0x080
#define PTDISK_SC_MEDIA_READ 0x281      /* unrecovered read error (injected) */
#define PTDISK_SC_MEDIA_WRITE 0x280     /* write fault (injected) */

#endif /* HVSIM_PTDISK_REGS_H */
