/*
 * test_iommu.c — the IOMMU: device-domain hypercalls (hv/core/hc_iommu.c,
 * iommu.c), the VT-d structures they build walked as the hardware walks
 * them, the simulated remapping hardware (sim/machine/iommu.c): DMA translation,
 * the IOTLB and its invalidation (a stale entry surviving an unmap is
 * caught), fault recording, interrupt remapping, cleanup when the owner
 * is deleted, and every status the calls return.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(iommu, .init = tl_setup, .fini = tl_teardown);

#define RID 0x0020 /* 00:04.0 */
#define DOM 7u
#define CHILD_PAGES 64

static struct sim *S(void) { return &tl_d.sim; }

/* HV_INPUT_DEVICE_DOMAIN (+ one more u64) as the root. */
static uint16_t dom_call(uint16_t code, uint64_t id, uint32_t dom, uint64_t extra, size_t len) {
  uint64_t in[4] = {id, 0, (uint64_t)dom << 32, extra};
  return tl_st(tl_call(0, 0, code, in, len, 0, 0));
}
static uint16_t create_dom(uint64_t id, uint32_t dom) { return dom_call(HVCALL_CREATE_DEVICE_DOMAIN, id, dom, 0, 28); }
static uint16_t delete_dom(uint64_t id, uint32_t dom) { return dom_call(HVCALL_DELETE_DEVICE_DOMAIN, id, dom, 0, 24); }
static uint16_t attach(uint64_t id, uint32_t dom, uint16_t rid) {
  return dom_call(HVCALL_ATTACH_DEVICE_DOMAIN, id, dom, hv_device_id_pci(rid), 32);
}
static uint16_t detach(uint64_t id, uint16_t rid) {
  uint64_t in[2] = {id, hv_device_id_pci(rid)};
  return tl_st(tl_call(0, 0, HVCALL_DETACH_DEVICE_DOMAIN, in, sizeof in, 0, 0));
}
/* Map gpfns [first, first+n) at device address = GPA; rax. */
static uint64_t map_pages(uint64_t id, uint32_t dom, uint32_t flags, uint64_t iova_pfn, uint64_t first, uint32_t n) {
  uint64_t in[5 + 64] = {id, 0, (uint64_t)dom << 32, (uint64_t)flags << 32, iova_pfn << 12};
  for (uint32_t i = 0; i < n; i++)
    in[5 + i] = first + i;
  return tl_call(0, 0, tl_rep(HVCALL_MAP_DEVICE_GPA_PAGES, n), in, 40 + 8ull * n, 0, 0);
}
static uint64_t unmap_pages(uint64_t id, uint32_t dom, uint64_t iova_pfn, uint32_t n) {
  uint64_t in[4] = {id, 0, (uint64_t)dom << 32, iova_pfn << 12};
  return tl_call(0, 0, tl_rep(HVCALL_UNMAP_DEVICE_GPA_PAGES, n), in, sizeof in, 0, 0);
}
static uint16_t msi_map(uint64_t id, uint16_t rid, uint32_t vp, uint32_t vector, uint32_t *addr) {
  uint64_t in[3] = {id, hv_device_id_pci(rid), vp | (uint64_t)vector << 32}, out = 0;
  uint16_t st = tl_st(tl_call(0, 0, HVCALL_HVSIM_MAP_DEVICE_MSI, in, sizeof in, &out, sizeof out));
  if (addr)
    *addr = (uint32_t)out;
  return st;
}

/* A child with a domain (pool topped up), rid attached and all RAM mapped. */
static uint64_t assigned_child(uint16_t *slot) {
  uint64_t id = tl_child(CHILD_PAGES, 1, slot);
  cr_assert_eq(tl_deposit(id, 16), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(create_dom(id, DOM), HV_STATUS_SUCCESS);
  cr_assert_eq(attach(id, DOM, RID), HV_STATUS_SUCCESS);
  uint64_t r = map_pages(id, DOM, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, 0, 0, CHILD_PAGES);
  cr_assert_eq(tl_st(r), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_reps(r), CHILD_PAGES);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
  return id;
}

static uint64_t rd(uint64_t addr) {
  uint64_t v;
  memcpy(&v, S()->mem + addr, 8);
  return v;
}

/* Walk root table -> context entry -> 4 levels, as VT-d hardware does. */
static uint64_t hw_walk(uint16_t rid, uint64_t iova, uint16_t *did) {
  uint64_t re = rd(S()->iommu.root_table + 16ull * (rid >> 8));
  cr_assert(re & VTD_ROOT_PRESENT);
  uint64_t ce = (re & VTD_ADDR_MASK) + 16ull * (rid & 0xFF);
  cr_assert(rd(ce) & VTD_CTX_PRESENT);
  cr_assert_eq(rd(ce + 8) & 7, VTD_CTX_AW_48);
  *did = (uint16_t)(rd(ce + 8) >> VTD_CTX_DID_SHIFT);
  uint64_t t = rd(ce) & VTD_ADDR_MASK, e = 0;
  for (int l = 3; l >= 0; l--) {
    e = rd(t + 8 * ((iova >> (12 + 9 * l)) & 0x1FF));
    if (!(e & 3))
      return 0;
    t = e & VTD_ADDR_MASK;
  }
  return e;
}

Test(iommu, tables_walk_like_hardware) {
  uint16_t slot, did;
  assigned_child(&slot);
  cr_assert_neq(S()->iommu.root_table, 0, "arch_iommu_install gave the hardware the root table");
  for (uint64_t g = 0; g < CHILD_PAGES; g++) {
    spa_t s;
    cr_assert(slat_lookup(tl_hv(), slot, gpa_from_pfn(g), &s, 0));
    uint64_t e = hw_walk(RID, g << 12, &did);
    cr_assert_eq(e & VTD_ADDR_MASK, s.v, "device address = GPA maps the child's own page");
    cr_assert_eq(e & 3, VTD_SL_READ | VTD_SL_WRITE);
  }
  cr_assert_eq(hw_walk(RID, (uint64_t)CHILD_PAGES << 12, &did), 0, "nothing past its RAM");
  cr_assert_eq(did, 1 + iommu_domain_find(tl_hv(), slot, DOM));
}

Test(iommu, dma_reaches_owner_memory_and_hits_iotlb) {
  uint16_t slot;
  assigned_child(&slot);
  uint64_t cyc = 0, v = 0x1122334455667788ull, back = 0;
  cr_assert(sim_iommu_dma(S(), RID, 0x3008, &v, 8, true, &cyc));
  cr_assert_eq(gpa_read(tl_hv(), slot, gpa(0x3008), &back, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(back, v, "the DMA write landed in the child's page 3");
  uint64_t hits = S()->iommu.stats.hits, misses = S()->iommu.stats.misses;
  cr_assert(sim_iommu_dma(S(), RID, 0x3010, &back, 8, false, &cyc));
  cr_assert_eq(S()->iommu.stats.hits, hits + 1);
  cr_assert_eq(S()->iommu.stats.misses, misses);
  cr_assert_gt(cyc, 4 * SIM_IOMMU_WALK_READ_CYCLES, "the miss paid a walk");
  cr_assert_eq(S()->iommu.stats.foreign_writes, 0);
}

Test(iommu, unmap_invalidates_iotlb) {
  uint16_t slot;
  uint64_t id = assigned_child(&slot), v = 1;
  cr_assert(sim_iommu_dma(S(), RID, 0x5000, &v, 8, false, 0)); /* cached */
  cr_assert_eq(tl_st(unmap_pages(id, DOM, 5, 1)), HV_STATUS_SUCCESS);
  uint64_t faults = S()->iommu.stats.faults;
  cr_assert_not(sim_iommu_dma(S(), RID, 0x5000, &v, 8, false, 0), "no translation survives the unmap");
  cr_assert_eq(S()->iommu.stats.faults, faults + 1);
  cr_assert_eq(S()->iommu.stats.stale_hits, 0);
  /* A page leaving the child's SLAT leaves its domain too. */
  cr_assert(sim_iommu_dma(S(), RID, 0x6000, &v, 8, false, 0));
  cr_assert_eq(tl_st(tl_unmap(id, 6, 1)), HV_STATUS_SUCCESS);
  cr_assert_not(sim_iommu_dma(S(), RID, 0x6000, &v, 8, true, 0));
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(iommu, stale_entry_is_detected) {
  uint16_t slot;
  uint64_t id = assigned_child(&slot), v = 1;
  S()->iommu.drop_invalidations = true; /* a hypervisor that forgets to invalidate */
  cr_assert(sim_iommu_dma(S(), RID, 0x7000, &v, 8, false, 0));
  cr_assert_eq(tl_st(unmap_pages(id, DOM, 7, 1)), HV_STATUS_SUCCESS);
  sim_iommu_dma(S(), RID, 0x7000, &v, 8, false, 0);
  cr_assert_eq(S()->iommu.stats.stale_hits, 1, "the stale IOTLB entry was used and caught");
}

Test(iommu, faults_are_recorded) {
  uint16_t slot;
  uint64_t id = assigned_child(&slot), v = 0;
  struct { uint16_t rid; uint64_t addr; bool write; uint8_t reason; } cases[] = {
      {RID, (uint64_t)CHILD_PAGES << 12, true, VTD_FR_SL_NOT_PRESENT},
      {RID, 1ull << 50, false, VTD_FR_ADDR_BEYOND_AW},
      {0x0100, 0x1000, false, VTD_FR_ROOT_NOT_PRESENT}, /* bus 1: no context table */
      {0x0028, 0x1000, true, VTD_FR_CTX_NOT_PRESENT},   /* 00:05.0: not attached */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint64_t n = S()->iommu.stats.faults;
    cr_assert_not(sim_iommu_dma(S(), cases[i].rid, cases[i].addr, &v, 8, cases[i].write, 0));
    const struct sim_iommu_fault *f = &S()->iommu.log[(S()->iommu.log_next - 1) % SIM_IOMMU_FAULT_LOG];
    cr_assert_eq(S()->iommu.stats.faults, n + 1);
    cr_assert_eq(f->rid, cases[i].rid);
    cr_assert_eq(f->addr, cases[i].addr);
    cr_assert_eq(f->access, cases[i].write ? 2 : 1);
    cr_assert_eq(f->reason, cases[i].reason, "case %zu: reason %u", i, f->reason);
  }
  /* Read-only mapping: a write is refused with its own reason. */
  cr_assert_eq(tl_st(unmap_pages(id, DOM, 9, 1)), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_st(map_pages(id, DOM, HV_MAP_GPA_READABLE, 9, 9, 1)), HV_STATUS_SUCCESS);
  cr_assert(sim_iommu_dma(S(), RID, 0x9000, &v, 8, false, 0));
  cr_assert_not(sim_iommu_dma(S(), RID, 0x9000, &v, 8, true, 0));
  cr_assert_eq(S()->iommu.log[(S()->iommu.log_next - 1) % SIM_IOMMU_FAULT_LOG].reason, VTD_FR_SL_WRITE);
  cr_assert_eq(tl_hv()->iommu.faults, S()->iommu.stats.faults, "every fault reached the core");
}

Test(iommu, interrupt_remapping) {
  uint16_t slot, vslot;
  uint64_t id = assigned_child(&slot);
  uint32_t addr;
  cr_assert_eq(msi_map(id, RID, 0, 0x50, &addr), HV_STATUS_SUCCESS);
  int h = vtd_msi_handle(addr);
  cr_assert_geq(h, 0, "a remappable-format address");
  struct hv_vp *vp = vp_get(tl_hv(), slot, 0, &vslot);
  cr_assert_not(irq_pending(vp));
  cr_assert(sim_iommu_msi(S(), RID, addr, 0));
  cr_assert(irq_pending(vp), "posted to the child's VP 0");
  cr_assert_eq(tl_hv()->iommu.remapped, 1);
  uint64_t blocked = S()->iommu.stats.irq_faults;
  cr_assert_not(sim_iommu_msi(S(), 0x0028, addr, 0), "another requester id fails SID validation");
  cr_assert_not(sim_iommu_msi(S(), RID, vtd_msi_address((uint16_t)(h + 1)), 0), "entry not present");
  cr_assert_not(sim_iommu_msi(S(), RID, 0xFEE00000u, 0), "compatibility format blocked");
  cr_assert_eq(S()->iommu.stats.irq_faults, blocked + 3);
  uint64_t in[3] = {id, hv_device_id_pci(RID), addr};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_HVSIM_UNMAP_DEVICE_MSI, in, sizeof in, 0, 0)), HV_STATUS_SUCCESS);
  cr_assert_not(sim_iommu_msi(S(), RID, addr, 0), "gone after unmap");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(iommu, delete_owner_cleans_up) {
  uint16_t slot;
  uint64_t id = assigned_child(&slot), v = 0;
  cr_assert_eq(msi_map(id, RID, 0, 0x50, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_finalize(id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_delete(id), HV_STATUS_SUCCESS);
  cr_assert_eq(iommu_device_find(tl_hv(), RID), -1);
  for (int i = 0; i < HV_IOMMU_MAX_DOMAINS; i++)
    cr_assert_not(tl_hv()->iommu.domains[i].in_use);
  cr_assert_not(sim_iommu_dma(S(), RID, 0, &v, 8, false, 0), "the device reaches nothing");
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(iommu, statuses) {
  uint16_t slot, cslot;
  uint64_t id = assigned_child(&slot), other = tl_child(16, 1, &cslot), v = 0;
  uint64_t in[5] = {id, 0, (uint64_t)DOM << 32, 0, 0};
  /* caller and target */
  cr_assert_eq(tl_st(tl_call(slot, 0, HVCALL_CREATE_DEVICE_DOMAIN, in, 28, 0, 0)), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(create_dom(0x4242, 9), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(create_dom(HV_PARTITION_ID_SELF, 9), HV_STATUS_ACCESS_DENIED, "the root is no child of its own");
  uint64_t fresh;
  cr_assert_eq(tl_create(&fresh), HV_STATUS_SUCCESS);
  cr_assert_eq(create_dom(fresh, 9), HV_STATUS_INVALID_PARTITION_STATE);
  /* input fields */
  in[1] = 1; /* VTL 1 */
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_DEVICE_DOMAIN, in, 28, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  in[1] = 0;
  in[2] = (uint64_t)9 << 32 | 1; /* stage-1 type */
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_DEVICE_DOMAIN, in, 28, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  in[2] = (uint64_t)9 << 32;
  in[3] = 0x4; /* reserved flag */
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_CREATE_DEVICE_DOMAIN, in, 28, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(create_dom(id, HV_DEVICE_DOMAIN_ID_S2_DEFAULT), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(create_dom(id, HV_DEVICE_DOMAIN_ID_S2_NULL), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(create_dom(id, DOM), HV_STATUS_INVALID_PARAMETER, "already exists");
  /* pools and limits */
  tl_withdraw_all(other);
  cr_assert_eq(create_dom(other, 3), HV_STATUS_INSUFFICIENT_MEMORY);
  cr_assert_eq(tl_deposit(other, 40), HV_STATUS_SUCCESS);
  uint16_t st = HV_STATUS_SUCCESS;
  for (uint32_t d = 100; st == HV_STATUS_SUCCESS && d < 200; d++)
    st = create_dom(other, d);
  cr_assert_eq(st, HV_STATUS_INSUFFICIENT_DEVICE_DOMAINS);
  /* devices */
  cr_assert_eq(dom_call(HVCALL_ATTACH_DEVICE_DOMAIN, id, DOM, RID, 32), HV_STATUS_INVALID_DEVICE_ID, "no PCI type");
  cr_assert_eq(dom_call(HVCALL_ATTACH_DEVICE_DOMAIN, id, DOM, hv_device_id_pci(RID) | 1ull << 16, 32),
               HV_STATUS_INVALID_DEVICE_ID, "segment 1");
  cr_assert_eq(attach(id, 55, 0x30), HV_STATUS_INVALID_PARAMETER, "no such domain");
  cr_assert_eq(attach(other, 100, RID), HV_STATUS_DEVICE_ALREADY_IN_DOMAIN);
  cr_assert_eq(detach(other, RID), HV_STATUS_INVALID_DEVICE_STATE, "not its device");
  cr_assert_eq(delete_dom(id, DOM), HV_STATUS_INVALID_DEVICE_STATE, "a device is attached");
  cr_assert_eq(delete_dom(id, 55), HV_STATUS_INVALID_PARAMETER);
  /* mappings */
  cr_assert_eq(tl_st(map_pages(id, DOM, 3, 0, 0, 1)), HV_STATUS_INVALID_PARAMETER, "already mapped");
  cr_assert_eq(tl_st(map_pages(id, DOM, 3, CHILD_PAGES, CHILD_PAGES, 1)), HV_STATUS_INVALID_PARAMETER,
               "not the child's page");
  cr_assert_eq(tl_st(map_pages(id, DOM, HV_MAP_GPA_WRITABLE, 1, 1, 1)), HV_STATUS_INVALID_PARAMETER, "write-only");
  cr_assert_eq(tl_st(map_pages(id, DOM, 3 | HV_MAP_GPA_KERNEL_EXECUTABLE, 1, 1, 1)), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(tl_st(unmap_pages(id, DOM, 3, 1)), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_st(map_pages(id, DOM, 3, 4, 3, 1)), HV_STATUS_INVALID_PARAMETER, "device address != GPA");
  cr_assert_eq(tl_st(unmap_pages(id, DOM, 3, 1)), HV_STATUS_INVALID_PARAMETER, "not mapped");
  cr_assert_eq(tl_st(unmap_pages(id, DOM, (1ull << 36), 1)), HV_STATUS_INVALID_PARAMETER,
               "beyond 48 bits: no alias of device address 0");
  cr_assert(iommu_lookup(tl_hv(), iommu_domain_find(tl_hv(), slot, DOM), 0, 0, 0));
  uint64_t r = unmap_pages(id, DOM, 10, 3);
  cr_assert_eq(tl_st(r), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_reps(r), 3);
  /* interrupt entries */
  cr_assert_eq(msi_map(id, RID, 0, 5, 0), HV_STATUS_INVALID_PARAMETER, "vector below 16");
  cr_assert_eq(msi_map(id, RID, 3, 0x50, 0), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(msi_map(other, RID, 0, 0x50, 0), HV_STATUS_INVALID_DEVICE_STATE, "not other's device");
  uint64_t un[3] = {id, hv_device_id_pci(RID), 0x1234};
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_HVSIM_UNMAP_DEVICE_MSI, un, sizeof un, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  un[2] = vtd_msi_address(200);
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_HVSIM_UNMAP_DEVICE_MSI, un, sizeof un, 0, 0)), HV_STATUS_INVALID_PARAMETER);
  /* and back: detach, delete */
  cr_assert_eq(detach(id, RID), HV_STATUS_SUCCESS);
  cr_assert_not(sim_iommu_dma(S(), RID, 0x1000, &v, 8, false, 0), "detached: context invalidated");
  cr_assert_eq(delete_dom(id, DOM), HV_STATUS_SUCCESS);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(iommu, device_address_is_the_gpa) {
  uint16_t slot;
  uint64_t id = assigned_child(&slot);
  cr_assert_eq(tl_reps(unmap_pages(id, DOM, 5, 1)), 1);
  /* the device may reach GPA page 6 only at device address 6, not at 5 */
  cr_assert_eq(tl_st(map_pages(id, DOM, HV_MAP_GPA_READABLE, 5, 6, 1)), HV_STATUS_INVALID_PARAMETER);
  cr_assert_not(iommu_lookup(tl_hv(), iommu_domain_find(tl_hv(), slot, DOM), 5, 0, 0));
  cr_assert_eq(tl_st(map_pages(id, DOM, HV_MAP_GPA_READABLE, 5, 5, 1)), HV_STATUS_SUCCESS);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}

Test(iommu, remapped_interrupt_reaches_only_the_owner) {
  /* An entry whose VP was deleted, its slot now another child's VP: an MSI
   * through it is blocked (hv_iommu_interrupt), never posted there. */
  uint16_t slot, oslot, vslot;
  uint64_t id = tl_child(CHILD_PAGES, 2, &slot);
  cr_assert_eq(tl_deposit(id, 16), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(create_dom(id, DOM), HV_STATUS_SUCCESS);
  cr_assert_eq(attach(id, DOM, RID), HV_STATUS_SUCCESS);
  uint32_t addr;
  cr_assert_eq(msi_map(id, RID, 1, 0x50, &addr), HV_STATUS_SUCCESS);
  cr_assert_not_null(vp_get(tl_hv(), slot, 1, &vslot));
  cr_assert_eq(tl_delete_vp(id, 1), HV_STATUS_SUCCESS);
  tl_child(16, 1, &oslot);
  struct hv_vp *other = vp_get(tl_hv(), oslot, 0, 0);
  cr_assert_eq(other, &tl_hv()->vps[vslot], "the other child's VP took the freed slot");
  uint64_t remapped = tl_hv()->iommu.remapped, faults = tl_hv()->iommu.faults;
  cr_assert(sim_iommu_msi(S(), RID, addr, 0), "the entry is present: the hardware passes it on");
  cr_assert_not(irq_pending(other));
  cr_assert_eq(tl_hv()->iommu.remapped, remapped);
  cr_assert_eq(tl_hv()->iommu.faults, faults + 1, "blocked and recorded as a fault");
}

Test(iommu, oracle_reports_a_domain_reaching_foreign_ram) {
  /* a domain leaf turned to a root page: the isolation oracle must say so */
  uint16_t slot;
  uint64_t id = assigned_child(&slot);
  (void)id;
  int dom = iommu_domain_find(tl_hv(), slot, DOM);
  uint64_t pfn, perms, root_page = tl_root_pages(1);
  cr_assert(iommu_lookup(tl_hv(), dom, 3, &pfn, &perms));
  iommu_commit(tl_hv(), dom, 3, root_page, perms);
  cr_assert_geq(hv_check_isolation(tl_hv(), 0), 1, "a device reaches the root's page");
  iommu_commit(tl_hv(), dom, 3, pfn, perms);
  cr_assert_eq(hv_check_isolation(tl_hv(), 0), 0);
}
