/*
 * nvme.c — the pass-through disk: an NVMe-like controller behind the
 * simulated IOMMU, backed by a raw image file (see nvme.h, and
 * include/hvsim/ptdisk_regs.h for its programming interface).
 *
 * Every poll period while the root has the device enabled, the
 * controller reads its register page by DMA: enable and queue setup,
 * then the submission doorbell. New commands are fetched by DMA and
 * executed one at a time (media latency from the scenario, plus the DMA
 * time the IOMMU charged); at completion the data moves by DMA (reads:
 * image to guest; writes: guest to image, written to the file at once),
 * the completion entry is written by DMA with the phase bit, and the
 * MSI goes through interrupt remapping. A blocked DMA completes the
 * command with "data transfer error"; a blocked queue fetch makes the
 * controller fatal (CSTS.CFS) until the driver disables it. Nothing a
 * guest writes can make the model fail: every field is range-checked.
 */
#include "nvme.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvsim/ptdisk_regs.h"
#include "sim/machine/sim.h"

#define NVME_MAX_XFER_BLOCKS 16 /* 64 KiB per command */

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int nvme_open(struct nvme_dev *d, const struct nvme_cfg *cfg, const char *path, uint64_t cpu_mhz,
              char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  d->cfg = *cfg;
  d->rid = cfg->rid;
  d->cycles_per_us = cpu_mhz;
  d->nblocks = cfg->size_bytes / PTDISK_BLOCK;
  d->fd = open(path, O_RDWR | O_CREAT, 0644);
  struct stat st;
  if (d->fd < 0 || fstat(d->fd, &st) != 0 ||
      ((uint64_t)st.st_size < cfg->size_bytes && ftruncate(d->fd, (off_t)cfg->size_bytes) != 0)) {
    snprintf(err, errlen, "device %s: image %s: %s", cfg->name, path, strerror(errno));
    if (d->fd >= 0)
      close(d->fd);
    d->fd = -1;
    return -1;
  }
  d->next_poll = 0;
  return 0;
}

void nvme_close(struct nvme_dev *d) {
  if (d->fd >= 0) {
    fsync(d->fd);
    close(d->fd);
  }
  d->fd = -1;
}

static uint64_t nvme_cycles(const struct nvme_dev *d, uint64_t ns) { return ns * d->cycles_per_us / 1000; }

static void nvme_trace(struct sim *s, const struct nvme_dev *d, uint16_t kind, uint64_t a, uint64_t b,
                       uint64_t c) {
  struct hv_trace_rec r = {s->now, kind, HV_TRACE_NONE, HV_TRACE_NONE,
                           d->owner ? (uint16_t)d->owner : HV_TRACE_NONE, a, b, c};
  if (s->trace_fn)
    s->trace_fn(s->trace_ctx, &r);
}

static bool nvme_dma(struct sim *s, struct nvme_dev *d, uint64_t addr, void *buf, size_t len, bool write,
                     uint64_t *cycles) {
  return sim_iommu_dma(s, d->rid, addr, buf, len, write, cycles);
}

/* The root's programming of the device (its PCI configuration). */
static void nvme_config(struct nvme_dev *d, struct sim *s) {
  const struct mgmt_device_cfg *c = 0;
  for (unsigned i = 0; i < MGMT_MAX_DEVICES; i++)
    if (s->mgmt.devices[i].enabled && s->mgmt.devices[i].rid == d->rid)
      c = &s->mgmt.devices[i];
  bool was = d->enabled;
  d->enabled = c != 0;
  d->owner = c ? c->owner : 0;
  d->msi_address = c ? c->msi_address : 0;
  d->msi_data = c ? c->msi_data : 0;
  if (was && !d->enabled) {
    d->ready = d->fatal = false;
    d->ninflight = 0; /* function level reset: commands in flight are dropped */
  }
}

/* Enable: validate the queues, announce readiness in the register page. */
static void nvme_enable(struct nvme_dev *d, struct sim *s, const uint8_t *regs) {
  uint64_t cyc = 0;
  d->sq = rd64(regs + PTDISK_REG_SQ);
  d->cq = rd64(regs + PTDISK_REG_CQ);
  d->qsize = rd32(regs + PTDISK_REG_QSIZE);
  uint32_t csts = PTDISK_CSTS_RDY;
  if (d->qsize < 2 || d->qsize > PTDISK_QMAX || (d->sq & HV_PAGE_MASK) || (d->cq & HV_PAGE_MASK))
    csts = PTDISK_CSTS_CFS;
  d->ready = csts == PTDISK_CSTS_RDY;
  d->fatal = !d->ready;
  d->sq_head = d->cq_tail = d->cq_head = 0;
  d->phase = 1;
  uint32_t magic = PTDISK_MAGIC;
  nvme_dma(s, d, PTDISK_REGS_GPA + PTDISK_REG_NBLOCKS, &d->nblocks, 8, true, &cyc);
  nvme_dma(s, d, PTDISK_REGS_GPA + PTDISK_REG_MAGIC, &magic, 4, true, &cyc);
  nvme_dma(s, d, PTDISK_REGS_GPA + PTDISK_REG_CSTS, &csts, 4, true, &cyc);
}

/* Fetch new submission entries into the in-flight list. */
static void nvme_fetch(struct nvme_dev *d, struct sim *s, uint64_t now, uint32_t tail) {
  while (d->sq_head != tail % d->qsize && d->ninflight < NVME_MAX_INFLIGHT) {
    uint8_t e[PTDISK_SQE_SIZE];
    uint64_t cyc = 0;
    if (!nvme_dma(s, d, d->sq + (uint64_t)d->sq_head * PTDISK_SQE_SIZE, e, sizeof e, false, &cyc)) {
      uint32_t csts = PTDISK_CSTS_CFS;
      d->ready = false;
      d->fatal = true;
      nvme_dma(s, d, PTDISK_REGS_GPA + PTDISK_REG_CSTS, &csts, 4, true, &cyc);
      return;
    }
    struct nvme_cmd *c = &d->inflight[d->ninflight++];
    c->opc = e[PTDISK_SQE_OPC];
    memcpy(&c->cid, e + PTDISK_SQE_CID, 2);
    c->prp1 = rd64(e + PTDISK_SQE_PRP1);
    c->slba = rd64(e + PTDISK_SQE_SLBA);
    c->nblocks = (uint32_t)(e[PTDISK_SQE_NLB] | e[PTDISK_SQE_NLB + 1] << 8) + 1;
    c->submitted = now;
    uint64_t start = d->busy_until > now ? d->busy_until : now;
    uint64_t media = c->opc == PTDISK_OP_WRITE ? d->cfg.write_ns : c->opc == PTDISK_OP_READ ? d->cfg.read_ns : 0;
    c->done = start + cyc + nvme_cycles(d, media);
    d->busy_until = c->done;
    d->sq_head = (d->sq_head + 1) % d->qsize;
  }
}

static void nvme_poll(struct nvme_dev *d, struct sim *s, uint64_t now) {
  uint8_t regs[0x48];
  uint64_t cyc = 0;
  d->stats.polls++;
  if (!nvme_dma(s, d, PTDISK_REGS_GPA, regs, sizeof regs, false, &cyc))
    return; /* its registers are unreachable: nothing to do (fault recorded) */
  bool en = rd32(regs + PTDISK_REG_CC) & PTDISK_CC_EN;
  if (!en) {
    if (d->ready || d->fatal) {
      uint32_t csts = 0;
      d->ready = d->fatal = false;
      d->ninflight = 0;
      nvme_dma(s, d, PTDISK_REGS_GPA + PTDISK_REG_CSTS, &csts, 4, true, &cyc);
    }
    return;
  }
  if (!d->ready && !d->fatal)
    nvme_enable(d, s, regs);
  if (!d->ready)
    return;
  d->cq_head = rd32(regs + PTDISK_REG_CQ_HEAD) % d->qsize;
  nvme_fetch(d, s, now, rd32(regs + PTDISK_REG_SQ_TAIL));
}

/* Execute the data transfer of c; returns the status field. */
static uint16_t nvme_execute(struct nvme_dev *d, struct sim *s, struct nvme_cmd *c, uint64_t *bytes) {
  static uint8_t buf[NVME_MAX_XFER_BLOCKS * PTDISK_BLOCK];
  uint64_t cyc = 0, len = (uint64_t)c->nblocks * PTDISK_BLOCK;
  *bytes = 0;
  if (c->opc == PTDISK_OP_FLUSH)
    return PTDISK_SC_SUCCESS;
  if (c->opc != PTDISK_OP_READ && c->opc != PTDISK_OP_WRITE)
    return PTDISK_SC_INVALID_OPCODE;
  if (c->nblocks > NVME_MAX_XFER_BLOCKS || c->slba >= d->nblocks || c->nblocks > d->nblocks - c->slba)
    return PTDISK_SC_LBA_RANGE;
  if (d->inject_media) {
    d->inject_media--;
    return c->opc == PTDISK_OP_READ ? PTDISK_SC_MEDIA_READ : PTDISK_SC_MEDIA_WRITE;
  }
  uint64_t prp = c->prp1;
  if (d->inject_stray) {
    d->inject_stray--;
    prp = 0x7F0000000000ull + ((c->slba & 0xFFFF) << 12); /* a wild bus address */
  }
  off_t off = (off_t)(c->slba * PTDISK_BLOCK);
  if (c->opc == PTDISK_OP_READ) {
    if (pread(d->fd, buf, len, off) != (ssize_t)len)
      memset(buf, 0, len);
    if (!nvme_dma(s, d, prp, buf, len, true, &cyc))
      return PTDISK_SC_DATA_TRANSFER;
  } else {
    if (!nvme_dma(s, d, prp, buf, len, false, &cyc))
      return PTDISK_SC_DATA_TRANSFER; /* nothing reaches the medium */
    if (sim_disk_pwrite(s, d->fd, buf, len, (uint64_t)off) != (long)len)
      return PTDISK_SC_MEDIA_WRITE;
  }
  *bytes = len;
  return PTDISK_SC_SUCCESS;
}

/* Complete the oldest command due at now (false: none, or the CQ is full). */
static bool nvme_complete_one(struct nvme_dev *d, struct sim *s, uint64_t now) {
  if (!d->ninflight || d->inflight[0].done > now || !d->ready)
    return false;
  if ((d->cq_tail + 1) % d->qsize == d->cq_head)
    return false; /* completion queue full: wait for the driver's doorbell */
  struct nvme_cmd c = d->inflight[0];
  memmove(d->inflight, d->inflight + 1, (d->ninflight - 1) * sizeof d->inflight[0]);
  d->ninflight--;
  uint64_t bytes, cyc = 0;
  uint16_t sc = nvme_execute(d, s, &c, &bytes);
  uint8_t cqe[PTDISK_CQE_SIZE] = {0};
  uint16_t sqhd = (uint16_t)d->sq_head, status = (uint16_t)(sc << 1 | d->phase);
  memcpy(cqe + PTDISK_CQE_SQHD, &sqhd, 2);
  memcpy(cqe + PTDISK_CQE_CID, &c.cid, 2);
  memcpy(cqe + PTDISK_CQE_STATUS, &status, 2);
  d->stats.commands++;
  d->stats.reads += c.opc == PTDISK_OP_READ;
  d->stats.writes += c.opc == PTDISK_OP_WRITE;
  d->stats.errors += sc != PTDISK_SC_SUCCESS;
  d->stats.bytes += bytes;
  d->stats.latency_sum += now - c.submitted;
  if (now - c.submitted > d->stats.latency_max)
    d->stats.latency_max = now - c.submitted;
  nvme_trace(s, d, HV_TR_DMA, d->rid, ((uint64_t)c.opc << 56) | (c.prp1 & 0x00FFFFFFFFFFFFFFull),
             (c.slba & 0xFFFFFFFFFFull) << 24 | (uint64_t)(c.nblocks & 0xFF) << 16 | sc);
  if (!nvme_dma(s, d, d->cq + (uint64_t)d->cq_tail * PTDISK_CQE_SIZE, cqe, sizeof cqe, true, &cyc))
    return true; /* the entry could not be posted: no interrupt either */
  d->cq_tail = (d->cq_tail + 1) % d->qsize;
  if (d->cq_tail == 0)
    d->phase ^= 1;
  uint32_t addr = d->msi_address;
  if (d->inject_msi) {
    d->inject_msi--;
    addr = vtd_msi_address((uint16_t)(vtd_msi_handle(addr) + 1)); /* another entry's handle */
  }
  d->stats.msis++;
  sim_iommu_msi(s, d->rid, addr, d->msi_data);
  return true;
}

static void nvme_storm_step(struct nvme_dev *d, struct sim *s, uint64_t now) {
  static uint8_t buf[65536];
  while (d->storm_left && d->storm_next <= now) {
    uint64_t space = 1ull << 47;
    if (!d->storm_anywhere) {
      uint16_t slot = 0xFFFF;
      for (uint16_t i = 1; i < HV_MAX_PARTITIONS; i++)
        if (s->hv->partitions[i].state != PART_FREE && s->hv->partitions[i].id == d->owner)
          slot = i;
      space = slot == 0xFFFF ? HV_PAGE_SIZE : s->hv->partitions[slot].ram_pages << 12;
    }
    if (space < d->storm_bytes)
      space = d->storm_bytes; /* a domain smaller than one transfer: it faults, never divides by 0 */
    uint64_t addr;
    if (d->storm_random) {
      d->storm_rng = d->storm_rng * 6364136223846793005ull + 1442695040888963407ull;
      addr = ((d->storm_rng >> 17) % (space / d->storm_bytes)) * d->storm_bytes;
    } else {
      addr = d->storm_addr;
      d->storm_addr = (d->storm_addr + d->storm_bytes) % (space - space % d->storm_bytes);
    }
    d->stats.storm_dmas++;
    if (!nvme_dma(s, d, addr, buf, d->storm_bytes, false, 0))
      d->stats.storm_faults++;
    d->storm_left--;
    d->storm_next += d->storm_period;
  }
}

uint64_t nvme_step(struct nvme_dev *d, struct sim *s, uint64_t now) {
  nvme_storm_step(d, s, now);
  if (now >= d->next_poll) {
    nvme_config(d, s);
    if (d->enabled)
      nvme_poll(d, s, now);
    d->next_poll = now + nvme_cycles(d, d->cfg.poll_ns);
  }
  while (nvme_complete_one(d, s, now))
    ;
  uint64_t next = d->next_poll;
  if (d->ninflight && d->inflight[0].done > now && d->inflight[0].done < next)
    next = d->inflight[0].done;
  if (d->storm_left && d->storm_next < next)
    next = d->storm_next;
  return next;
}

void nvme_storm(struct nvme_dev *d, uint64_t now, uint64_t count, uint64_t period, uint32_t bytes,
                bool random, bool anywhere, uint64_t seed) {
  d->storm_left = count;
  d->storm_next = now;
  d->storm_period = period ? period : 1;
  d->storm_bytes = bytes;
  d->storm_random = random;
  d->storm_anywhere = anywhere;
  d->storm_rng = seed ^ 0x5DEECE66Dull;
  d->storm_addr = 0;
}

void nvme_inject(struct nvme_dev *d, enum nvme_fault kind, uint32_t count) {
  if (kind == NVME_FAULT_MEDIA)
    d->inject_media += count;
  else if (kind == NVME_FAULT_STRAY_DMA)
    d->inject_stray += count;
  else
    d->inject_msi += count;
}

void nvme_report(const struct nvme_dev *d, FILE *f) {
  const struct nvme_stats *t = &d->stats;
  double lat = t->commands ? (double)t->latency_sum / (double)t->commands / (double)d->cycles_per_us : 0;
  fprintf(f,
          "device %s (%02x:%02x.%x): %llu commands (%llu reads, %llu writes, %llu errors), %llu bytes, "
          "latency mean %.2f us max %.2f us, %llu MSIs, %llu polls, storm %llu DMAs (%llu blocked)\n",
          d->cfg.name, d->rid >> 8, (d->rid >> 3) & 31, d->rid & 7, (unsigned long long)t->commands,
          (unsigned long long)t->reads, (unsigned long long)t->writes, (unsigned long long)t->errors,
          (unsigned long long)t->bytes, lat, (double)t->latency_max / (double)d->cycles_per_us,
          (unsigned long long)t->msis, (unsigned long long)t->polls, (unsigned long long)t->storm_dmas,
          (unsigned long long)t->storm_faults);
}
