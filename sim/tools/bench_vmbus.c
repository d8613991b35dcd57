/*
 * bench_vmbus.c — `hvsim bench-vmbus`: VMBus throughput figures.
 *
 * 1. One channel's ring (models/vmbus/vmbus_ring.c, the code both sides
 *    run) over host memory: a writer fills the ring with packets of 64 B
 *    and 4 KiB payload, a reader drains it, alternately, on one core:
 *    packets and payload bytes per wall second. This is the ring code's
 *    own cost (copies, index checks, signalling decisions), without the
 *    simulated hypervisor around it.
 * 2. Synthetic storage end to end: a child's storvsc doing random 4 KiB
 *    reads and writes through VMBus to the root's storage VSP and a
 *    temporary raw image: I/O per simulated second and per wall second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hvsim/mgmt.h"
#include "models/vmbus/vmbus_ring.h"
#include "sim/machine/sim.h"

static double bench_vmbus_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct bench_vmbus_mem {
  uint8_t *p;
  uint32_t size;
};

static bool bench_vmbus_read(void *ctx, uint32_t off, void *buf, uint32_t len) {
  struct bench_vmbus_mem *m = ctx;
  if (off > m->size || len > m->size - off)
    return false;
  memcpy(buf, m->p + off, len);
  return true;
}

static bool bench_vmbus_write(void *ctx, uint32_t off, const void *buf, uint32_t len) {
  struct bench_vmbus_mem *m = ctx;
  if (off > m->size || len > m->size - off)
    return false;
  memcpy(m->p + off, buf, len);
  return true;
}

/* Move n packets of payload bytes through one ring; prints the figures. */
static int bench_vmbus_ring(uint64_t n, uint32_t payload) {
  struct bench_vmbus_mem m = {0, 4096 + (256u << 10)}; /* control page + 256 KiB, as netvsc uses */
  m.p = calloc(1, m.size);
  uint8_t *body = calloc(1, payload), *buf = malloc(payload + 64);
  if (!m.p || !body || !buf)
    return 3;
  struct vmbus_ring_io io = {&m, bench_vmbus_read, bench_vmbus_write};
  struct vmbus_ring r;
  vmbus_ring_attach(&r, &io, m.size);
  vmbus_ring_init(&r);
  uint64_t sent = 0, got = 0, signals = 0, bytes = 0;
  double t0 = bench_vmbus_now();
  while (got < n) {
    bool sig;
    while (sent < n &&
           vmbus_ring_write(&r, VM_PKT_DATA_INBAND, 0, sent, 0, 0, body, payload, &sig) == VMBUS_RING_OK) {
      sent++;
      signals += sig;
    }
    struct vmbus_pkt p;
    while (vmbus_ring_read(&r, buf, payload + 64, &p, &sig) == VMBUS_RING_OK) {
      got++;
      bytes += p.len - p.data_off;
      signals += sig;
    }
  }
  double dt = bench_vmbus_now() - t0;
  printf("vmbus ring, %5u-byte packets: %llu packets in %.3f s wall = %.2f M packets/s, %.2f GB/s payload "
         "(%llu signals)\n",
         payload, (unsigned long long)got, dt, got / dt / 1e6, bytes / dt / 1e9, (unsigned long long)signals);
  free(m.p);
  free(body);
  free(buf);
  return 0;
}

/* A storvsc VM doing ops random I/O against a temporary image. */
static int bench_vmbus_storage(uint64_t ops) {
  struct sim s;
  char err[256], path[] = "/tmp/hvsim-bench-vmbus-XXXXXX";
  struct sim_config cfg = {2, 256u << 20, 2000, 1000, 1, true, 0, 0};
  int fd = mkstemp(path);
  if (fd < 0 || ftruncate(fd, 64u << 20) != 0) {
    fprintf(stderr, "hvsim bench-vmbus: cannot create %s\n", path);
    return 3;
  }
  unlink(path);
  if (sim_create(&s, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim bench-vmbus: %s\n", err);
    close(fd);
    return 3;
  }
  if (fd <= 2)
    fd = dup(fd); /* 0 means "no disk" */
  s.vdisks[1].fd = fd;
  s.vdisks[1].sectors = (64u << 20) / 512;
  struct mgmt_request q;
  memset(&q, 0, sizeof q);
  q.action = MGMT_CREATE;
  q.vm_id = 1;
  snprintf(q.config.name, sizeof q.config.name, "vm1");
  snprintf(q.config.program, sizeof q.config.program, "vmbus-storage");
  q.config.memory_bytes = 16u << 20;
  q.config.vps = 1;
  static const char *const keys[] = {"ops", "region", "max", "write_pct"};
  const uint64_t values[] = {ops, 2048, 8, 50};
  q.config.nparams = 4;
  for (uint32_t i = 0; i < 4; i++) {
    snprintf(q.config.params[i].key, 32, "%s", keys[i]);
    q.config.params[i].value = values[i];
  }
  mgmt_channel_push(&s.mgmt, &q);
  q.action = MGMT_START;
  mgmt_channel_push(&s.mgmt, &q);
  sim_irq(&s, 0, MGMT_API_VECTOR);
  double t0 = bench_vmbus_now();
  sim_run(&s, UINT64_MAX, 0, 0, UINT64_MAX, 0, 0);
  double dt = bench_vmbus_now() - t0;
  uint64_t ios = s.vdisks[1].reads + s.vdisks[1].writes, bytes = s.vdisks[1].bytes;
  double sim_s = (double)s.now / (cfg.cpu_mhz * 1e6);
  printf("vmbus storage, random 0.5-4 KiB I/O (storvsc -> storage VSP -> image): %llu disk commands, %.1f MiB, "
         "%.3f ms simulated = %.0f I/O per simulated s; %.3f s wall = %.0f I/O per wall s\n",
         (unsigned long long)ios, bytes / 1048576.0, sim_s * 1e3, ios / sim_s, dt, ios / dt);
  close(fd);
  s.vdisks[1].fd = 0;
  sim_destroy(&s);
  return 0;
}

int bench_vmbus_main(int argc, char **argv) {
  uint64_t packets = 5000000, ops = 2000;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
      packets = strtoull(argv[++i], 0, 0);
    else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
      ops = strtoull(argv[++i], 0, 0);
    else {
      fprintf(stderr, "usage: hvsim bench-vmbus [--packets N] [--ops N]\n");
      return 2;
    }
  }
  if (bench_vmbus_ring(packets, 64) || bench_vmbus_ring(packets / 8, 4096))
    return 3;
  return bench_vmbus_storage(ops);
}
