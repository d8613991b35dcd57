/*
 * run_dev.c — the devices of a scenario run (the `devices:` section):
 * their images, their world events, the timeline actions that name them
 * (assign and unassign go to the root's VMMS as management requests;
 * DMA storms and fault injection act on the device model), and their
 * lines in the summary with the IOMMU's counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "run_int.h"
#include "sim/machine/sim.h"

static uint64_t run_dev_cycles(const struct run *r, uint64_t ns) { return ns * r->scn->machine.cpu_mhz / 1000; }

/* mkdir -p of the directories above path. */
static void run_dev_mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
}

int run_dev_setup(struct run *r) {
  for (uint32_t i = 0; i < r->scn->ndevices; i++) {
    const struct scn_device *c = &r->scn->devices[i];
    char path[1024], err[512];
    const char *dir = r->opts.files_dir ? r->opts.files_dir : r->opts.trace_dir;
    if (c->image[0] == '/' || !dir)
      snprintf(path, sizeof path, "%s", c->image);
    else
      snprintf(path, sizeof path, "%s/%s", dir, c->image);
    run_dev_mkdirs(path);
    struct nvme_cfg nc = {.rid = c->rid, .size_bytes = c->size_bytes, .read_ns = c->read_ns,
                          .write_ns = c->write_ns, .poll_ns = c->poll_ns};
    snprintf(nc.name, sizeof nc.name, "%s", c->name);
    if (nvme_open(&r->devs[i], &nc, path, r->scn->machine.cpu_mhz, err, sizeof err) != 0) {
      fprintf(stderr, "hvsim: %s:%u:%u: devices: %s\n", r->scn->path, c->pos.line, c->pos.col, err);
      while (i--)
        nvme_close(&r->devs[i]);
      return -1;
    }
    r->ndevs = i + 1;
  }
  return 0;
}

static void run_dev_trace(struct run *r, const struct nvme_dev *d, uint64_t action, uint64_t arg) {
  struct hv_trace_rec rec = {r->sim.now, HV_TR_DEVICE, HV_TRACE_NONE, HV_TRACE_NONE, HV_TRACE_NONE,
                             action, d->rid, arg};
  r->sim.trace_fn(r, &rec);
}

void run_dev_action(struct run *r, const struct scn_action *a) {
  struct nvme_dev *d = &r->devs[a->dev.index];
  struct mgmt_request q;
  switch (a->kind) {
  case SCN_ACT_ASSIGN:
  case SCN_ACT_UNASSIGN:
    memset(&q, 0, sizeof q);
    q.action = a->kind == SCN_ACT_ASSIGN ? MGMT_ASSIGN : MGMT_UNASSIGN;
    q.rid = d->rid;
    if (a->kind == SCN_ACT_ASSIGN) {
      q.vm_id = a->targets[0] + 1;
      q.vector = (uint8_t)a->dev.vector;
      q.vp = a->dev.vp;
    } else {
      for (uint32_t i = 0; i < MGMT_MAX_DEVICES; i++)
        if (r->sim.mgmt.devices[i].enabled && r->sim.mgmt.devices[i].rid == d->rid)
          q.vm_id = r->verdict.pid_vm[r->sim.mgmt.devices[i].owner % VERDICT_MAX_PIDS];
    }
    run_dev_trace(r, d, a->kind == SCN_ACT_ASSIGN ? HV_DEVICE_ASSIGN : HV_DEVICE_UNASSIGN, q.vm_id);
    if (mgmt_channel_push(&r->sim.mgmt, &q))
      sim_irq(&r->sim, 0, MGMT_API_VECTOR);
    return;
  case SCN_ACT_DMA_STORM:
    run_dev_trace(r, d, HV_DEVICE_DMA_STORM, a->dev.count);
    nvme_storm(d, r->sim.now, a->dev.count, run_dev_cycles(r, a->dev.period_ns), a->dev.bytes, a->dev.random,
               a->dev.anywhere, r->opts.seed + a->dev.index);
    return;
  case SCN_ACT_DEVICE_FAULT:
    run_dev_trace(r, d, HV_DEVICE_FAULT_MEDIA + a->dev.fault, a->dev.count);
    static const enum nvme_fault faults[] = {[SCN_FAULT_MEDIA] = NVME_FAULT_MEDIA,
                                             [SCN_FAULT_STRAY_DMA] = NVME_FAULT_STRAY_DMA,
                                             [SCN_FAULT_BAD_MSI] = NVME_FAULT_BAD_MSI};
    nvme_inject(d, faults[a->dev.fault], a->dev.count);
    return;
  default:
    return;
  }
}

uint64_t run_dev_step(struct run *r, uint64_t now) {
  uint64_t next = UINT64_MAX;
  for (uint32_t i = 0; i < r->ndevs; i++) {
    uint64_t t = nvme_step(&r->devs[i], &r->sim, now);
    if (t < next)
      next = t;
  }
  return next;
}

void run_dev_finish(struct run *r) {
  const struct sim_iommu_stats *t = &r->sim.iommu.stats;
  if (!r->opts.quiet && r->ndevs) {
    for (uint32_t i = 0; i < r->ndevs; i++)
      nvme_report(&r->devs[i], stdout);
    printf("iommu: %llu translations, IOTLB %llu hits / %llu misses (%.1f%% hits), %llu table reads, "
           "%llu DMA cycles (%llu bytes), %llu invalidations, %llu faults, %llu interrupts remapped "
           "(%llu blocked), %llu stale, %llu foreign\n",
           (unsigned long long)t->translations, (unsigned long long)t->hits, (unsigned long long)t->misses,
           t->translations ? 100.0 * (double)t->hits / (double)t->translations : 0.0,
           (unsigned long long)t->walk_reads, (unsigned long long)t->cycles, (unsigned long long)t->bytes, (unsigned long long)t->invalidations,
           (unsigned long long)t->faults, (unsigned long long)t->irq_remapped,
           (unsigned long long)t->irq_faults, (unsigned long long)t->stale_hits,
           (unsigned long long)t->foreign_writes);
  }
  for (uint32_t i = 0; i < r->ndevs; i++)
    nvme_close(&r->devs[i]);
  r->ndevs = 0;
}
