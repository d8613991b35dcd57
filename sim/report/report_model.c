/*
 * report_model.c — the run report's model: one pass over a trace's records
 * building what every view draws — the partitions and what they asked of
 * the hypervisor, the VMBus channels, the devices, the LPs' occupancy and
 * the memory each partition held over time. Linear in the records; every
 * table has a fixed ceiling (report.h), past which rows are summed.
 */
#include <stdlib.h>
#include <string.h>

#include "hv/core/hv.h"
#include "hv/hvgdk.h"
#include "models/vmbus/vmbus_proto.h"
#include "report.h"

static const char *const rpt_palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                          "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"};

const char *rpt_color(uint32_t pidx) {
  return rpt_palette[pidx % (sizeof rpt_palette / sizeof rpt_palette[0])];
}

const char *rpt_dev_kind(uint32_t kind) {
  switch (kind) {
  case VMBUS_DEV_STORAGE: return "storage";
  case VMBUS_DEV_NETWORK: return "network";
  case VMBUS_DEV_HEARTBEAT: return "heartbeat";
  case VMBUS_DEV_SHUTDOWN: return "shutdown";
  case VMBUS_DEV_TIMESYNC: return "timesync";
  default: return "channel";
  }
}

static void rpt_part_name(struct rpt *r, struct rpt_part *p) {
  const char *vm = p->vm ? trace_meta_vm_name(r->meta, p->vm) : 0;
  if (p->pid == HV_TRACE_ROOT_PARTITION)
    snprintf(p->name, sizeof p->name, "root");
  else if (vm)
    snprintf(p->name, sizeof p->name, "%s", vm);
  else
    snprintf(p->name, sizeof p->name, "partition %u", p->pid);
}

int rpt_part_of(struct rpt *r, uint16_t pid) {
  if (pid == HV_TRACE_NONE)
    return -1;
  if (r->pid_idx[pid])
    return r->pid_idx[pid] - 1;
  uint32_t i = r->nparts;
  if (i == RPT_MAX_PARTS) { /* the rest share the last box */
    r->overflow_parts++;
    i = RPT_MAX_PARTS;
    if (r->overflow_parts == 1) {
      r->parts[i].pid = pid;
      snprintf(r->parts[i].name, sizeof r->parts[i].name, "other partitions");
    }
  } else {
    r->nparts++;
    r->parts[i].pid = pid;
    r->parts[i].vm = r->pid_vm[pid];
    rpt_part_name(r, &r->parts[i]);
  }
  r->pid_idx[pid] = (uint16_t)(i + 1);
  return (int)i;
}

/* A memory step of partition p at time t; past the ceiling, every other
 * step is dropped (the later value kept), so the curve stays a fair sample. */
static void rpt_mem_step(struct rpt *r, struct rpt_part *p, uint64_t t) {
  int64_t v = p->pool_pages + p->ram_pages;
  if ((uint64_t)(v > 0 ? v : 0) > p->peak_pages)
    p->peak_pages = (uint64_t)v;
  if (p->nmem == RPT_MEM_POINTS) {
    for (uint32_t i = 0; i < RPT_MEM_POINTS / 2; i++) {
      p->mem_t[i] = p->mem_t[2 * i + 1];
      p->mem_v[i] = p->mem_v[2 * i + 1];
    }
    p->nmem = RPT_MEM_POINTS / 2;
    r->mem_dropped += RPT_MEM_POINTS / 2;
  }
  p->mem_t[p->nmem] = t;
  p->mem_v[p->nmem++] = v;
}

static struct rpt_channel *rpt_channel(struct rpt *r, uint64_t key) {
  uint32_t vm = (uint32_t)(key >> 32), relid = (uint32_t)key;
  for (uint32_t i = 0; i < r->nch; i++)
    if (r->ch[i].vm == vm && r->ch[i].relid == relid)
      return &r->ch[i];
  if (r->nch == RPT_MAX_CHANNELS) {
    r->overflow_ch++;
    return 0;
  }
  struct rpt_channel *c = &r->ch[r->nch++];
  c->vm = vm;
  c->relid = relid;
  return c;
}

static struct rpt_device *rpt_device(struct rpt *r, uint64_t rid) {
  for (uint32_t i = 0; i < r->ndev; i++)
    if (r->dev[i].rid == (uint16_t)rid)
      return &r->dev[i];
  if (r->ndev == RPT_MAX_DEVICES)
    return &r->dev[RPT_MAX_DEVICES - 1];
  struct rpt_device *d = &r->dev[r->ndev++];
  d->rid = (uint16_t)rid;
  snprintf(d->name, sizeof d->name, "%02x:%02x.%x", (unsigned)(rid >> 8) & 0xff, (unsigned)(rid >> 3) & 0x1f,
           (unsigned)rid & 7);
  for (uint32_t k = 0; r->have_scn && k < r->scn.ndevices; k++)
    if (r->scn.devices[k].rid == (uint16_t)rid) { /* the scenario's name for it */
      size_t len = strnlen(r->scn.devices[k].name, sizeof d->name - 1);
      memcpy(d->name, r->scn.devices[k].name, len);
      d->name[len] = '\0';
    }
  return d;
}

static void rpt_call_count(struct rpt_part *p, uint16_t code, bool ok) {
  p->hypercalls++;
  p->hc_failed += !ok;
  for (uint32_t i = 0; i < p->ncalls; i++)
    if (p->calls[i].code == code) {
      p->calls[i].count++;
      p->calls[i].failed += !ok;
      return;
    }
  if (p->ncalls < RPT_MAX_CALLS)
    p->calls[p->ncalls++] = (struct rpt_call){code, 1, !ok};
}

/* ---- the LPs' occupancy ------------------------------------------------ */

int rpt_grow(void **buf, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return 0;
  size_t c = *cap ? *cap * 2 : 64;
  void *p = realloc(*buf, c * size);
  if (!p)
    return -1;
  *buf = p;
  *cap = c;
  return 0;
}

static int rpt_seg_open(struct rpt_lp *l, uint64_t t, int pidx, uint16_t vp) {
  if (rpt_grow((void **)&l->segs, &l->cap, l->nsegs, sizeof *l->segs) != 0)
    return -1;
  l->segs[l->nsegs++] = (struct rpt_seg){t, t, (uint16_t)pidx, vp};
  l->open = true;
  return 0;
}

static void rpt_seg_close(struct rpt_lp *l, uint64_t t) {
  if (!l->open)
    return;
  struct rpt_seg *s = &l->segs[l->nsegs - 1];
  s->t1 = t > s->t0 ? t : s->t0;
  l->busy += s->t1 - s->t0;
  l->open = false;
}

static int rpt_lp_rec(struct rpt *r, const struct hv_trace_rec *e, int pidx) {
  if (e->lp >= RPT_MAX_LPS)
    return 0;
  struct rpt_lp *l = &r->lps[e->lp];
  if (e->lp >= r->nlps)
    r->nlps = e->lp + 1u;
  if (e->kind == HV_TR_VP_ENTRY && pidx >= 0) {
    rpt_seg_close(l, e->time);
    return rpt_seg_open(l, e->time, pidx, e->vp);
  }
  if (e->kind == HV_TR_SCHED && e->a != 1)
    rpt_seg_close(l, e->time);
  return 0;
}

/* ---- one record -------------------------------------------------------- */

static void rpt_part_rec(const struct hv_trace_rec *e, struct rpt_part *p) {
  if (e->vp != HV_TRACE_NONE && e->vp + 1u > p->vps)
    p->vps = e->vp + 1u;
  switch (e->kind) {
  case HV_TR_HYPERCALL:
    rpt_call_count(p, (uint16_t)(e->a & 0xffff), (e->b & 0xffff) == 0);
    break;
  case HV_TR_MSG_POST: p->msg_post++; break;
  case HV_TR_MSG_DELIVER: p->msg_deliver++; break;
  case HV_TR_EVENT_SIGNAL: p->events++; break;
  case HV_TR_IRQ_VIRT: p->virq++; break;
  case HV_TR_IPI: p->ipis++; break;
  case HV_TR_TIMER: p->timers++; break;
  case HV_TR_VP_EXIT: p->exits++; break;
  case HV_TR_INTERCEPT: p->intercepts++; break;
  case HV_TR_GPA_VIOLATION: p->gpa_violations++; break;
  case HV_TR_EXCEPTION: p->exceptions++; break;
  default: break;
  }
}

/* The root's HvCallMapGpaPages / HvCallUnmapGpaPages: the record does not
 * name the target, so the pages are counted for the partition the root
 * initialised last (VMWP maps a VM's RAM right after initialising it). */
static void rpt_memory_rec(struct rpt *r, const struct hv_trace_rec *e) {
  if (e->kind == HV_TR_POOL) {
    int i = rpt_part_of(r, (uint16_t)e->a);
    if (i < 0)
      return;
    r->parts[i].pool_pages += e->c == 2 ? -(int64_t)e->b : (int64_t)e->b;
    rpt_mem_step(r, &r->parts[i], e->time);
  } else if (e->kind == HV_TR_PARTITION_STATE) {
    int i = rpt_part_of(r, (uint16_t)e->a);
    if (i < 0)
      return;
    struct rpt_part *p = &r->parts[i];
    p->state = (uint8_t)e->c;
    if (e->c == PART_ACTIVE && e->b == PART_CREATED)
      r->last_init = i;
    if (e->c == PART_FREE) {
      p->deleted = true;
      p->pool_pages = p->ram_pages = 0;
      rpt_mem_step(r, p, e->time);
    }
  } else if (e->kind == HV_TR_HYPERCALL && e->partition == HV_TRACE_ROOT_PARTITION && r->last_init >= 0) {
    uint16_t code = (uint16_t)(e->a & 0xffff);
    uint64_t reps = (e->b >> 32) & 0xfff;
    if (code != HVCALL_MAP_GPA_PAGES && code != HVCALL_UNMAP_GPA_PAGES)
      return;
    struct rpt_part *p = &r->parts[r->last_init];
    p->ram_pages += code == HVCALL_MAP_GPA_PAGES ? (int64_t)reps : -(int64_t)reps;
    rpt_mem_step(r, p, e->time);
  }
}

static int rpt_rec(struct rpt *r, const struct hv_trace_rec *e, uint64_t seq) {
  if (e->kind < HV_TR_KIND_COUNT)
    r->kinds[e->kind]++;
  if (e->time > r->end)
    r->end = e->time;
  if (e->kind == HV_TR_VM_BIND && e->b < 65536) {
    r->pid_vm[e->b] = (uint16_t)e->a;
    int i = rpt_part_of(r, (uint16_t)e->b);
    if (i >= 0 && i < RPT_MAX_PARTS) {
      r->parts[i].vm = (uint32_t)e->a;
      rpt_part_name(r, &r->parts[i]);
    }
  }
  int pidx = rpt_part_of(r, e->partition);
  if (pidx >= 0)
    rpt_part_rec(e, &r->parts[pidx]);
  rpt_memory_rec(r, e);
  if (e->lp != HV_TRACE_NONE && rpt_lp_rec(r, e, pidx) != 0)
    return -1;
  struct rpt_channel *c;
  switch (e->kind) {
  case HV_TR_IRQ_PHYS: r->irq_phys++; break;
  case HV_TR_INTERCEPT: r->intercepts_done += e->c == 1; break;
  case HV_TR_WORLD: r->world_irqs += e->a == HV_WORLD_INTERRUPT; break;
  case HV_TR_VMBUS:
    if (e->a == HV_VMBUS_OFFER || e->a == HV_VMBUS_OPEN || e->a == HV_VMBUS_CLOSE || e->a == HV_VMBUS_KILLED ||
        e->a == HV_VMBUS_OPEN_REFUSED) {
      if (!(c = rpt_channel(r, e->b)))
        break;
      if (e->a == HV_VMBUS_OFFER || e->a == HV_VMBUS_OPEN)
        c->kind = (uint32_t)e->c;
      c->opens += e->a == HV_VMBUS_OPEN;
      c->closes += e->a == HV_VMBUS_CLOSE;
      c->killed += e->a == HV_VMBUS_KILLED;
      c->refused += e->a == HV_VMBUS_OPEN_REFUSED;
    }
    break;
  case HV_TR_VMBUS_PACKET:
    if ((c = rpt_channel(r, e->a))) {
      uint32_t dir = (e->b >> 32) ? 1 : 0;
      c->packets[dir]++;
      c->bytes[dir] += e->c;
    }
    break;
  case HV_TR_DMA: {
    struct rpt_device *d = rpt_device(r, e->a);
    d->dma++;
    d->dma_failed += (e->c & 0xffff) != 0;
    d->blocks += (e->c >> 16) & 0xff;
    break;
  }
  case HV_TR_DMA_FAULT: rpt_device(r, e->a)->faults++; break;
  case HV_TR_IRQ_REMAP: rpt_device(r, e->a)->irqs++; break;
  case HV_TR_DEVICE:
    if (e->a == HV_DEVICE_ASSIGN)
      rpt_device(r, e->b)->vm = (uint32_t)e->c;
    else
      rpt_device(r, e->b);
    break;
  case HV_TR_IOMMU:
    if (e->a == HV_IOMMU_ATTACH || e->a == HV_IOMMU_DETACH)
      rpt_device(r, e->b)->iommu_ops++;
    break;
  case HV_TR_ISOLATION: {
    int i = rpt_part_of(r, (uint16_t)e->c);
    if (i >= 0)
      r->parts[i].isolation++;
    break;
  }
  case HV_TR_EXPECT:
    if (e->a < SCN_MAX_EXPECTS) {
      r->held[e->a] = e->b ? 1 : 0;
      r->expect_seq[e->a] = seq;
      r->nexpect_recs++;
    }
    break;
  default: break;
  }
  return 0;
}

int rpt_model(struct rpt *r) {
  r->last_init = -1;
  r->pid_idx = calloc(65536, sizeof *r->pid_idx);
  r->pid_vm = calloc(65536, sizeof *r->pid_vm);
  if (!r->pid_idx || !r->pid_vm)
    return -1;
  for (uint32_t i = 0; i < SCN_MAX_EXPECTS; i++)
    r->held[i] = -1;
  rpt_part_of(r, HV_TRACE_ROOT_PARTITION); /* the root's box comes first */
  for (size_t i = 0; i < r->n; i++)
    if (rpt_rec(r, &r->recs[i], i) != 0)
      return -1;
  for (uint32_t i = 0; i < r->nlps; i++)
    rpt_seg_close(&r->lps[i], r->end);
  return 0;
}
