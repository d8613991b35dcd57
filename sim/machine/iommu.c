/*
 * iommu.c — the simulated IOMMU (see iommu.h): the remapping hardware
 * of the "IOMMU" box, level 1.
 *
 * Translation of a device address for requester id rid (VT-d 3.4, 3.6):
 * context cache, else the root entry of the bus and the context entry of
 * device:function from memory; IOTLB, else a 4-level walk of the domain's
 * second-level tables (EPT format). A missing entry or permission is a
 * fault: recorded in the fault log (VT-d 7.2.1 primary fault logging),
 * reported to the hypervisor as the fault event interrupt would, and the
 * request is blocked. Cached state is only dropped by the hypervisor's
 * invalidations: a hypervisor that forgets one keeps a stale translation
 * alive, which the stale check on every IOTLB hit (a fresh walk compared
 * with the cached entry) turns into an isolation record.
 *
 * Costs (cycles): IOTLB hit 4; each table read of a miss 150 (context
 * lookups 2 reads, page walk 4); transfer 1 cycle per 8 bytes.
 */
#include "iommu.h"

#include <string.h>

#include "hv/core/iommu.h"
#include "hv/core/objects.h"
#include "hv/iommu_abi.h"
#include "sim/machine/sim.h"

static void iommu_trace(struct sim *s, uint16_t kind, uint16_t part, uint64_t a, uint64_t b,
                        uint64_t c) {
  struct hv_trace_rec r = {s->now, kind, HV_TRACE_NONE, HV_TRACE_NONE, part, a, b, c};
  if (s->trace_fn)
    s->trace_fn(s->trace_ctx, &r);
}

/* Read a 64-bit word of simulated memory; false outside RAM. */
static bool iommu_read64(struct sim *s, uint64_t addr, uint64_t *v) {
  if (addr + 8 > s->mem_bytes || (addr & 7))
    return false;
  memcpy(v, s->mem + addr, 8);
  return true;
}

static void iommu_fault(struct sim *s, uint16_t rid, uint64_t addr, uint8_t access, uint8_t reason) {
  struct sim_iommu *m = &s->iommu;
  m->log[m->log_next++ % SIM_IOMMU_FAULT_LOG] = (struct sim_iommu_fault){rid, reason, access, addr, s->now};
  m->stats.faults++;
  sim_lp_wake(s, 0, s->now); /* the fault event interrupt goes to LP 0 */
  hv_iommu_fault(s->hv, 0, rid, addr, access, reason);
}

/* The context of rid: cached, else from the root and context tables. */
static bool iommu_context(struct sim *s, uint16_t rid, struct sim_ctx_entry *out, uint64_t *cycles,
                          uint8_t *reason) {
  struct sim_iommu *m = &s->iommu;
  struct sim_ctx_entry *c = &m->ctx[rid % SIM_CTX_CACHE_SIZE];
  if (c->valid && c->rid == rid) {
    *out = *c;
    return true;
  }
  uint64_t re = 0, lo = 0, hi = 0;
  *cycles += 2 * SIM_IOMMU_WALK_READ_CYCLES;
  m->stats.walk_reads += 2;
  if (!m->root_table || !iommu_read64(s, m->root_table + 16ull * (rid >> 8), &re) ||
      !(re & VTD_ROOT_PRESENT)) {
    *reason = VTD_FR_ROOT_NOT_PRESENT;
    return false;
  }
  uint64_t ce = (re & VTD_ADDR_MASK) + 16ull * (rid & 0xFF);
  if (!iommu_read64(s, ce, &lo) || !iommu_read64(s, ce + 8, &hi) || !(lo & VTD_CTX_PRESENT)) {
    *reason = VTD_FR_CTX_NOT_PRESENT;
    return false;
  }
  *c = (struct sim_ctx_entry){true, rid, (uint16_t)((hi >> VTD_CTX_DID_SHIFT) & VTD_CTX_DID_MASK),
                              lo & VTD_ADDR_MASK};
  *out = *c;
  return true;
}

/* Walk the second-level tables; 0 = not present, else the leaf. */
static uint64_t iommu_walk(struct sim *s, uint64_t root, uint64_t iova_pfn, uint64_t *cycles) {
  uint64_t table = root, e = 0;
  for (int level = VTD_SL_LEVELS - 1; level >= 0; level--) {
    if (cycles) {
      *cycles += SIM_IOMMU_WALK_READ_CYCLES;
      s->iommu.stats.walk_reads++;
    }
    if (!iommu_read64(s, table + 8ull * ((iova_pfn >> (9 * level)) & 0x1FF), &e) ||
        !(e & (VTD_SL_READ | VTD_SL_WRITE)))
      return 0;
    table = e & VTD_ADDR_MASK;
  }
  return e;
}

static unsigned iotlb_slot(uint16_t did, uint64_t iova_pfn) {
  return (unsigned)((did * 0x9E37u + iova_pfn) % SIM_IOTLB_SIZE);
}

/* A hit the tables no longer back: the hypervisor skipped an invalidation. */
static void iommu_verify(struct sim *s, const struct sim_ctx_entry *c, const struct sim_iotlb_entry *t) {
  uint64_t e = iommu_walk(s, c->sl_root, t->iova_pfn, 0);
  if (e && ((e & VTD_ADDR_MASK) >> 12) == t->spa_pfn && (e & 3) == t->perms)
    return;
  s->iommu.stats.stale_hits++;
  iommu_trace(s, HV_TR_ISOLATION, HV_TRACE_NONE, t->spa_pfn, 0xFFFE /* stale IOTLB entry */, c->rid);
}

/* Translate one page: the system page number, or false (fault reported). */
static bool iommu_translate(struct sim *s, uint16_t rid, uint64_t addr, bool write, uint64_t *spfn,
                            uint64_t *cycles) {
  struct sim_iommu *m = &s->iommu;
  struct sim_ctx_entry c;
  uint8_t reason = 0, access = write ? 2 : 1;
  uint64_t need = write ? VTD_SL_WRITE : VTD_SL_READ, iova = addr >> 12;
  m->stats.translations++;
  if (addr >> 48) {
    iommu_fault(s, rid, addr, access, VTD_FR_ADDR_BEYOND_AW);
    return false;
  }
  if (!iommu_context(s, rid, &c, cycles, &reason)) {
    iommu_fault(s, rid, addr, access, reason);
    return false;
  }
  struct sim_iotlb_entry *t = &m->iotlb[iotlb_slot(c.did, iova)];
  if (t->valid && t->did == c.did && t->iova_pfn == iova && (t->perms & need)) {
    m->stats.hits++;
    *cycles += SIM_IOMMU_HIT_CYCLES;
    if (!m->no_verify)
      iommu_verify(s, &c, t);
    *spfn = t->spa_pfn;
    return true;
  }
  m->stats.misses++;
  uint64_t e = iommu_walk(s, c.sl_root, iova, cycles);
  if (!e || !(e & need)) {
    iommu_fault(s, rid, addr, access, !e ? VTD_FR_SL_NOT_PRESENT : write ? VTD_FR_SL_WRITE : VTD_FR_SL_READ);
    return false;
  }
  *t = (struct sim_iotlb_entry){true, c.did, iova, (e & VTD_ADDR_MASK) >> 12, e & 3};
  *spfn = t->spa_pfn;
  return true;
}

/* The oracle's view: the page must be RAM of the partition owning rid. */
static void iommu_check_owner(struct sim *s, uint16_t rid, uint64_t spfn) {
  int dev = iommu_device_find(s->hv, rid);
  uint32_t *e = pfn_entry(s->hv, spfn);
  uint16_t part = dev < 0 ? 0xFFFF : s->hv->iommu.domains[s->hv->iommu.devices[dev].domain].part;
  if (e && pfn_type_of(*e) == PFN_RAM && pfn_owner_of(*e) == part)
    return;
  s->iommu.stats.foreign_writes++;
  iommu_trace(s, HV_TR_ISOLATION, HV_TRACE_NONE, spfn, e ? pfn_owner_of(*e) : 0xFFFF, rid);
}

bool sim_iommu_dma(struct sim *s, uint16_t rid, uint64_t addr, void *buf, size_t len, bool write,
                   uint64_t *cycles) {
  uint64_t spent = 0, spfn;
  uint8_t *b = buf;
  bool ok = true;
  while (len) {
    size_t n = HV_PAGE_SIZE - (addr & HV_PAGE_MASK);
    if (n > len)
      n = len;
    if (!iommu_translate(s, rid, addr, write, &spfn, &spent) || ((spfn + 1) << 12) > s->mem_bytes) {
      ok = false;
      break;
    }
    iommu_check_owner(s, rid, spfn);
    uint8_t *p = s->mem + (spfn << 12) + (addr & HV_PAGE_MASK);
    if (write) {
      memcpy(p, b, n);
      if (s->dirty)
        s->dirty[spfn] = 1;
    } else {
      memcpy(b, p, n);
    }
    spent += (n + SIM_IOMMU_BYTES_PER_CYCLE - 1) / SIM_IOMMU_BYTES_PER_CYCLE;
    s->iommu.stats.bytes += n;
    b += n;
    addr += n;
    len -= n;
  }
  s->iommu.stats.cycles += spent;
  if (cycles)
    *cycles += spent;
  return ok;
}

bool sim_iommu_msi(struct sim *s, uint16_t rid, uint32_t address, uint32_t data) {
  struct sim_iommu *m = &s->iommu;
  int handle = vtd_msi_handle(address);
  uint64_t lo = 0, hi = 0;
  uint8_t reason = 0;
  (void)data; /* SHV clear: the data register carries no subhandle */
  if (handle < 0)
    reason = VTD_FR_IR_FORMAT; /* compatibility format: blocked when remapping is on */
  else if (handle >= VTD_IRT_ENTRIES || !m->irt)
    reason = VTD_FR_IR_INDEX;
  else if (!iommu_read64(s, m->irt + 16ull * handle, &lo) || !iommu_read64(s, m->irt + 16ull * handle + 8, &hi) ||
           !(lo & VTD_IRTE_PRESENT))
    reason = VTD_FR_IR_NOT_PRESENT;
  else if (((hi >> VTD_IRTE_SVT_SHIFT) & 3) == VTD_IRTE_SVT_VERIFY_SID && (hi & VTD_IRTE_SID_MASK) != rid)
    reason = VTD_FR_IR_SID;
  if (reason) {
    m->stats.irq_faults++;
    iommu_fault(s, rid, handle < 0 ? address : (uint64_t)handle, 4, reason);
    return false;
  }
  m->stats.irq_remapped++;
  sim_lp_wake(s, 0, s->now);
  hv_iommu_interrupt(s->hv, 0, rid, (uint16_t)handle, (uint32_t)(lo >> VTD_IRTE_DEST_SHIFT),
                     (uint8_t)(lo >> VTD_IRTE_VECTOR_SHIFT));
  return true;
}

void sim_iommu_install(struct sim *s, uint64_t root_table, uint64_t irt) {
  s->iommu.root_table = root_table;
  s->iommu.irt = irt;
  memset(s->iommu.ctx, 0, sizeof s->iommu.ctx);
  memset(s->iommu.iotlb, 0, sizeof s->iommu.iotlb);
}

void sim_iommu_flush(struct sim *s, unsigned what, uint16_t did, uint16_t rid, uint64_t iova_pfn) {
  struct sim_iommu *m = &s->iommu;
  m->stats.invalidations++;
  if (m->drop_invalidations)
    return;
  switch (what) {
  case ARCH_IOMMU_FLUSH_CONTEXT:
    if (m->ctx[rid % SIM_CTX_CACHE_SIZE].rid == rid)
      m->ctx[rid % SIM_CTX_CACHE_SIZE].valid = false;
    break;
  case ARCH_IOMMU_FLUSH_DOMAIN:
    for (unsigned i = 0; i < SIM_IOTLB_SIZE; i++)
      if (m->iotlb[i].did == did)
        m->iotlb[i].valid = false;
    break;
  case ARCH_IOMMU_FLUSH_PAGE: {
    struct sim_iotlb_entry *t = &m->iotlb[iotlb_slot(did, iova_pfn)];
    if (t->did == did && t->iova_pfn == iova_pfn)
      t->valid = false;
    break;
  }
  default: /* interrupt entry cache: entries are read from memory on every interrupt */
    break;
  }
}
