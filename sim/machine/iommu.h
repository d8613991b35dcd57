/*
 * iommu.h — the simulated IOMMU (level 1): DMA remapping and interrupt
 * remapping hardware in the VT-d layout, beside the simulated CPUs.
 *
 * It reads the structures the hypervisor built in simulated physical
 * memory (root table, context entries, second-level tables, interrupt
 * remapping table; see hv/include/hv/iommu_abi.h), caches translations
 * in an IOTLB and context entries in a context cache that only the
 * hypervisor's invalidations (arch_iommu_flush) clear, records faults in
 * a fault log and reports them to the core (hv_iommu_fault), and hands
 * remapped interrupts to the core (hv_iommu_interrupt). Devices (sim/
 * nvme.c) reach memory only through sim_iommu_dma().
 */
#ifndef SIM_IOMMU_H
#define SIM_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_IOTLB_SIZE 256       /* direct mapped on (domain id, page) */
#define SIM_CTX_CACHE_SIZE 16    /* direct mapped on requester id */
#define SIM_IOMMU_FAULT_LOG 64   /* fault recording registers (ring) */

/* Costs in cycles (documented in README's cost table). */
#define SIM_IOMMU_HIT_CYCLES 4        /* IOTLB hit */
#define SIM_IOMMU_WALK_READ_CYCLES 150 /* one table read on a miss (context or paging) */
#define SIM_IOMMU_BYTES_PER_CYCLE 8    /* data transfer once translated */

struct sim_iotlb_entry {
  bool valid;
  uint16_t did;
  uint64_t iova_pfn, spa_pfn, perms;
};

struct sim_ctx_entry {
  bool valid;
  uint16_t rid, did;
  uint64_t sl_root;
};

struct sim_iommu_fault {
  uint16_t rid;
  uint8_t reason;  /* VTD_FR_* */
  uint8_t access;  /* 1 read, 2 write, 4 interrupt */
  uint64_t addr;
  uint64_t time;
};

struct sim_iommu_stats {
  uint64_t translations, hits, misses, walk_reads;
  uint64_t cycles;          /* translation and transfer cycles charged to devices */
  uint64_t bytes;
  uint64_t faults, irq_remapped, irq_faults;
  uint64_t stale_hits;      /* IOTLB hits a fresh walk disagreed with: a missed invalidation */
  uint64_t foreign_writes;  /* DMA that reached a page of another owner (oracle) */
  uint64_t invalidations;
};

struct sim_iommu {
  uint64_t root_table, irt; /* RTADDR_REG, IRTA_REG */
  struct sim_iotlb_entry iotlb[SIM_IOTLB_SIZE];
  struct sim_ctx_entry ctx[SIM_CTX_CACHE_SIZE];
  struct sim_iommu_fault log[SIM_IOMMU_FAULT_LOG];
  uint32_t log_next;        /* ring position */
  bool no_verify;           /* skip the stale-entry check on hits (benchmarks) */
  bool drop_invalidations;  /* test hook: lose every invalidation (a broken hypervisor) */
  struct sim_iommu_stats stats;
};

struct sim;

/* DMA of len bytes at device address addr for requester rid, to (write)
 * or from guest memory. Translates every page, checks permissions,
 * copies. On a blocked page: records the fault, reports it to the core,
 * stops there and returns false (bytes before it were transferred).
 * *cycles (may be NULL) accumulates the time the DMA took. */
bool sim_iommu_dma(struct sim *s, uint16_t rid, uint64_t addr, void *buf, size_t len, bool write,
                   uint64_t *cycles);
/* A device raises the MSI (address, data) it was programmed with. The
 * remapping entry decides the target; returns false if blocked (fault
 * recorded and reported). */
bool sim_iommu_msi(struct sim *s, uint16_t rid, uint32_t address, uint32_t data);
/* Hooks behind arch_iommu_install / arch_iommu_flush (arch_sim.c). */
void sim_iommu_install(struct sim *s, uint64_t root_table, uint64_t irt);
void sim_iommu_flush(struct sim *s, unsigned what, uint16_t did, uint16_t rid, uint64_t iova_pfn);

#endif /* SIM_IOMMU_H */
