/*
 * nvme.h — a DMA-capable NVMe-like storage controller of the simulated
 * machine (level 1), backed by a raw image file: the pass-through disk.
 *
 * The controller reaches guest memory only through the simulated IOMMU
 * (sim_iommu_dma) under its requester id, and signals completions with
 * the MSI the root programmed (sim_iommu_msi). Its programming interface
 * is include/hvsim/ptdisk_regs.h. It runs as world events: a poll of its
 * register page every poll period while the root has it enabled, command
 * completions at their media time, DMA storms and injected faults.
 */
#ifndef SIM_NVME_H
#define SIM_NVME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sim;

/* The controller's configuration (a scenario's `devices:` entry). */
struct nvme_cfg {
  char name[32];
  uint16_t rid;                        /* PCI requester id */
  uint64_t size_bytes;                 /* multiple of 4 KiB */
  uint64_t read_ns, write_ns, poll_ns; /* media latency per command, register poll period */
};

#define NVME_MAX_INFLIGHT 64

struct nvme_cmd {
  uint8_t opc;
  uint16_t cid;
  uint64_t prp1, slba;
  uint32_t nblocks;
  uint64_t submitted, done; /* cycles */
};

struct nvme_stats {
  uint64_t commands, reads, writes, errors, bytes;
  uint64_t latency_sum, latency_max; /* cycles, submission fetch to completion */
  uint64_t polls, msis, storm_dmas, storm_faults;
};

struct nvme_dev {
  struct nvme_cfg cfg;
  uint16_t rid;
  int fd;
  uint64_t nblocks;
  uint64_t cycles_per_us;
  /* what the root programmed (its config space, struct mgmt_device_cfg) */
  bool enabled;
  uint64_t owner;           /* partition id of the owner */
  uint32_t msi_address, msi_data;
  /* controller state */
  bool ready, fatal;
  uint64_t sq, cq;
  uint32_t qsize, sq_head, cq_tail, cq_head;
  uint8_t phase;
  uint64_t next_poll, busy_until;
  struct nvme_cmd inflight[NVME_MAX_INFLIGHT];
  uint32_t ninflight;
  /* world actions */
  uint64_t storm_left, storm_next, storm_period, storm_addr, storm_rng;
  uint32_t storm_bytes;
  bool storm_random, storm_anywhere;
  uint32_t inject_media, inject_stray, inject_msi;
  struct nvme_stats stats;
};

/* Open (creating when absent, at the configured size) the image at path.
 * Returns 0, or -1 with a message in err. */
int nvme_open(struct nvme_dev *d, const struct nvme_cfg *cfg, const char *path, uint64_t cpu_mhz,
              char *err, size_t errlen);
void nvme_close(struct nvme_dev *d);
/* Run what is due at now; returns the time of its next event. */
uint64_t nvme_step(struct nvme_dev *d, struct sim *s, uint64_t now);
/* World actions: a DMA storm (count reads of bytes, period cycles apart,
 * sequential or random, inside the owner's memory or anywhere), faults
 * (kind 0 media error, 1 stray DMA, 2 bad MSI; count times). */
void nvme_storm(struct nvme_dev *d, uint64_t now, uint64_t count, uint64_t period, uint32_t bytes,
                bool random, bool anywhere, uint64_t seed);
enum nvme_fault { NVME_FAULT_MEDIA, NVME_FAULT_STRAY_DMA, NVME_FAULT_BAD_MSI };
void nvme_inject(struct nvme_dev *d, enum nvme_fault kind, uint32_t count);
/* One summary line. */
void nvme_report(const struct nvme_dev *d, FILE *f);

#endif /* SIM_NVME_H */
