/*
 * bench_iommu.c — `hvsim bench-iommu`: how fast the simulated IOMMU
 * translates DMA, and what its IOTLB catches.
 *
 * A machine is booted, a child built and its 64 MiB passed through to a
 * device domain exactly as the root does it (the device-domain
 * hypercalls, driven by hcdrive); then the device issues DMA reads of
 * `--bytes` (default 512, a sector) through sim_iommu_dma: a sequential
 * pass over the child's memory, and the same number at random offsets.
 * Printed per workload: translations per wall second, IOTLB hit ratio,
 * simulated cycles per translation (walks, hits and transfer, from the
 * cost table in sim/machine/iommu.c). The stale-entry check on IOTLB hits is off
 * here (hardware has none); `--verify` turns it on. Wall time is measured
 * outside the simulation only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "sim/machine/hcdrive.h"

#define BENCH_IOMMU_RID 0x0020
#define BENCH_IOMMU_PAGES 16384u /* 64 MiB */

static double bi_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t bi_call(struct hcdrive *d, uint64_t control, const void *in, size_t len) {
  return (uint16_t)(hcdrive_call(d, 0, 0, control, in, len, 0, 0) & 0xFFFF);
}

/* The child's RAM in a domain with the device attached, as VMWP does it. */
static int bi_assign(struct hcdrive *d, uint64_t id) {
  uint64_t dom[4] = {id, 0, 1ull << 32, HV_CREATE_DEVICE_DOMAIN_FORWARD_PROGRESS};
  uint64_t dep[1 + 64];
  dep[0] = HV_PARTITION_ID_SELF;
  for (int round = 0; round < 2; round++) { /* the root's pool, then the child's, 64 pages each */
    dep[0] = round ? id : HV_PARTITION_ID_SELF;
    for (uint32_t i = 0; i < 64; i++)
      dep[1 + i] = hcdrive_root_pages(d, 1);
    bi_call(d, HVCALL_DEPOSIT_MEMORY | (64ull << 32), dep, sizeof dep);
  }
  if (bi_call(d, HVCALL_CREATE_DEVICE_DOMAIN, dom, 28) != HV_STATUS_SUCCESS)
    return -1;
  dom[3] = hv_device_id_pci(BENCH_IOMMU_RID);
  if (bi_call(d, HVCALL_ATTACH_DEVICE_DOMAIN, dom, 32) != HV_STATUS_SUCCESS)
    return -1;
  static uint64_t in[5 + 500];
  for (uint32_t done = 0; done < BENCH_IOMMU_PAGES;) {
    uint32_t n = BENCH_IOMMU_PAGES - done < 500 ? BENCH_IOMMU_PAGES - done : 500;
    in[0] = id, in[1] = 0, in[2] = 1ull << 32, in[3] = (uint64_t)(HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE) << 32;
    in[4] = (uint64_t)done << 12;
    for (uint32_t i = 0; i < n; i++)
      in[5 + i] = done + i;
    uint64_t r = hcdrive_call(d, 0, 0, HVCALL_MAP_DEVICE_GPA_PAGES | ((uint64_t)n << 32), in, 40 + 8ull * n, 0, 0);
    if ((r & 0xFFFF) == HV_STATUS_INSUFFICIENT_MEMORY) {
      dep[0] = id;
      for (uint32_t i = 0; i < 64; i++)
        dep[1 + i] = hcdrive_root_pages(d, 1);
      bi_call(d, HVCALL_DEPOSIT_MEMORY | (64ull << 32), dep, sizeof dep);
    } else if ((r & 0xFFFF) != HV_STATUS_SUCCESS) {
      return -1;
    }
    done += (uint32_t)((r >> 32) & 0xFFF);
  }
  return 0;
}

static void bi_workload(struct sim *s, const char *name, bool random, uint64_t n, uint32_t bytes) {
  static uint8_t buf[65536];
  uint64_t space = (uint64_t)BENCH_IOMMU_PAGES << 12, rng = 0x9E3779B97F4A7C15ull, addr = 0, cyc = 0;
  memset(&s->iommu.stats, 0, sizeof s->iommu.stats);
  double t0 = bi_now();
  for (uint64_t i = 0; i < n; i++) {
    if (random) {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      addr = ((rng >> 17) % (space / bytes)) * bytes;
    }
    sim_iommu_dma(s, BENCH_IOMMU_RID, addr, buf, bytes, false, &cyc);
    addr = (addr + bytes) % space;
  }
  double wall = bi_now() - t0;
  const struct sim_iommu_stats *t = &s->iommu.stats;
  printf("iommu %-10s %8llu DMAs of %u B: %12.0f translations/s, IOTLB hit ratio %5.1f%%, "
         "%6.1f sim cycles/translation, %llu faults\n",
         name, (unsigned long long)n, bytes, wall > 0 ? (double)t->translations / wall : 0.0,
         t->translations ? 100.0 * (double)t->hits / (double)t->translations : 0.0,
         t->translations ? (double)cyc / (double)t->translations : 0.0, (unsigned long long)t->faults);
}

int bench_iommu_main(int argc, char **argv) {
  uint64_t n = 2000000;
  uint32_t bytes = 512;
  bool verify = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--dmas") == 0 && i + 1 < argc)
      n = strtoull(argv[++i], 0, 0);
    else if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc)
      bytes = (uint32_t)strtoul(argv[++i], 0, 0);
    else if (strcmp(argv[i], "--verify") == 0)
      verify = true;
    else {
      fprintf(stderr, "hvsim: bench-iommu: unknown option %s (--dmas N, --bytes B, --verify)\n", argv[i]);
      return 2;
    }
  }
  if (bytes < 8 || bytes > 65536 || (bytes & (bytes - 1))) {
    fprintf(stderr, "hvsim: bench-iommu: --bytes must be a power of two, 8..65536\n");
    return 2;
  }
  static struct hcdrive d;
  if (hcdrive_init(&d, 1, 256ull << 20) != 0)
    return 3;
  uint16_t slot;
  uint64_t id = hcdrive_child(&d, BENCH_IOMMU_PAGES, 1, &slot);
  if (!id || bi_assign(&d, id) != 0) {
    fprintf(stderr, "hvsim: bench-iommu: could not assign the device\n");
    hcdrive_fini(&d);
    return 3;
  }
  d.sim.iommu.no_verify = !verify;
  d.sim.trace_fn = 0;
  bi_workload(&d.sim, "sequential", false, n, bytes);
  bi_workload(&d.sim, "random", true, n, bytes);
  hcdrive_fini(&d);
  return 0;
}
