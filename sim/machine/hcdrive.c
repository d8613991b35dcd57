/*
 * hcdrive.c — the direct hypercall harness (see hcdrive.h).
 */
#include "hcdrive.h"

#include <stdio.h>
#include <string.h>

#include "hv/core/objects.h"

static uint64_t hcdrive_io_base(struct hcdrive *d, uint16_t part, uint32_t vp_index) {
  /* VP i's input page at base + 0x2000 i, its output page right after.
   * (VP 0's pages overlay the boot block and the hypercall page: harmless,
   * neither is used when hypercalls are driven directly.) */
  if (part == 0)
    return (d->root_base_gpfn << 12) + 0x2000ull * vp_index;
  return 0x2000ull * vp_index;
}

int hcdrive_init(struct hcdrive *d, uint32_t lps, uint64_t mem_bytes) {
  memset(d, 0, sizeof *d);
  char err[256];
  struct sim_config cfg = {lps, mem_bytes, 2000, 1000, 1, false, 0, 0};
  if (sim_create(&d->sim, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hcdrive: %s\n", err);
    return -1;
  }
  uint64_t first, n;
  hv_root_ram(d->sim.hv, &first, &n);
  d->root_base_gpfn = first;
  /* boot page, hypercall page, then an input/output page pair per root VP */
  d->root_next_gpfn = first + 2 + 2ull * lps;
  d->root_end_gpfn = first + n;
  struct hv_partition *root = &d->sim.hv->partitions[0];
  root->guest_os_id = 0x8100000000000000ull;
  root->hypercall_msr = ((first + 1) << 12) | HV_X64_MSR_HYPERCALL_ENABLE;
  return 0;
}

void hcdrive_fini(struct hcdrive *d) { sim_destroy(&d->sim); }

uint64_t hcdrive_root_pages(struct hcdrive *d, uint64_t n) {
  if (d->root_next_gpfn + n > d->root_end_gpfn)
    return 0;
  uint64_t g = d->root_next_gpfn;
  d->root_next_gpfn += n;
  return g;
}

uint64_t hcdrive_call_at(struct hcdrive *d, uint16_t part, uint32_t vp_index, uint64_t control,
                         uint64_t in_gpa, const void *in, size_t in_len, uint64_t out_gpa, void *out,
                         size_t out_len) {
  struct hv *hv = d->sim.hv;
  uint16_t slot;
  struct hv_vp *vp = vp_get(hv, part, vp_index, &slot);
  if (!vp)
    return ~0ull;
  struct hv_lp *lp = &hv->lps[0];
  if (control & HV_HYPERCALL_FAST_BIT) {
    uint64_t regs[2] = {0, 0};
    if (in_len)
      memcpy(regs, in, in_len < 16 ? in_len : 16);
    vp->arch.gpr[2] = regs[0];
    vp->arch.gpr[8] = regs[1];
  } else {
    if (in_len && gpa_write(hv, part, gpa(in_gpa), in, in_len) != HV_STATUS_SUCCESS)
      return ~0ull;
    vp->arch.gpr[2] = in_gpa;
    vp->arch.gpr[8] = out_gpa;
  }
  vp->arch.gpr[1] = control;
  uint64_t t0 = lp->arch.clock;
  for (int guard = 0; guard < 100000; guard++) {
    uint64_t rip = vp->arch.rip;
    vp->arch.vcpu->exc_pending = false;
    hv_hypercall(hv, lp, vp);
    if (vp->arch.vcpu->exc_pending) {
      vp->arch.vcpu->exc_pending = false;
      return ~0ull;
    }
    if (vp->arch.rip != rip)
      break;
  }
  d->last_cycles = lp->arch.clock - t0;
  uint64_t rax = vp->arch.gpr[0];
  if (out_len && (rax & 0xFFFF) == HV_STATUS_SUCCESS)
    gpa_read(hv, part, gpa(out_gpa), out, out_len);
  return rax;
}

uint64_t hcdrive_call(struct hcdrive *d, uint16_t part, uint32_t vp_index, uint64_t control,
                      const void *in, size_t in_len, void *out, size_t out_len) {
  uint64_t base = hcdrive_io_base(d, part, vp_index);
  return hcdrive_call_at(d, part, vp_index, control, base, in, in_len, base + 0x1000, out, out_len);
}

uint16_t hcdrive_slot(struct hcdrive *d, uint64_t id) {
  uint16_t slot;
  return partition_by_id(d->sim.hv, id, &slot) ? slot : 0xFFFF;
}

static uint16_t hcdrive_st(uint64_t rax) { return (uint16_t)(rax & 0xFFFF); }

static bool hcdrive_deposit(struct hcdrive *d, uint64_t id, uint64_t n) {
  uint64_t buf[1 + 500];
  while (n) {
    uint64_t k = n < 500 ? n : 500, g = hcdrive_root_pages(d, k);
    if (!g)
      return false;
    buf[0] = id;
    for (uint64_t i = 0; i < k; i++)
      buf[1 + i] = g + i;
    if (hcdrive_st(hcdrive_call(d, 0, 0, HVCALL_DEPOSIT_MEMORY | (k << 32), buf, 8 * (1 + k), 0, 0)))
      return false;
    n -= k;
  }
  return true;
}

uint64_t hcdrive_child(struct hcdrive *d, uint64_t mem_pages, uint32_t vps, uint16_t *slot) {
  uint64_t in[8] = {0}, id = 0;
  if (!hcdrive_deposit(d, HV_PARTITION_ID_SELF, 2))
    return 0;
  if (hcdrive_st(hcdrive_call(d, 0, 0, HVCALL_CREATE_PARTITION, in, 56, &id, 8)))
    return 0;
  uint64_t pool = (mem_pages + 511) / 512 + 4 + vps;
  if (!hcdrive_deposit(d, id, pool) ||
      hcdrive_st(hcdrive_call(d, 0, 0, HVCALL_INITIALIZE_PARTITION, &id, 8, 0, 0)))
    return 0;
  uint64_t buf[3 + 500];
  for (uint64_t done = 0; done < mem_pages;) {
    uint64_t k = mem_pages - done < 500 ? mem_pages - done : 500, g = hcdrive_root_pages(d, k);
    if (!g)
      return 0;
    buf[0] = id;
    buf[1] = done;
    buf[2] = HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE;
    for (uint64_t i = 0; i < k; i++)
      buf[3 + i] = g + i;
    if (hcdrive_st(hcdrive_call(d, 0, 0, HVCALL_MAP_GPA_PAGES | (k << 32), buf, 8 * (3 + k), 0, 0)))
      return 0;
    done += k;
  }
  for (uint32_t i = 0; i < vps; i++) {
    uint64_t cv[5] = {id, i, 0, 0, 0};
    if (hcdrive_st(hcdrive_call(d, 0, 0, HVCALL_CREATE_VP, cv, 40, 0, 0)))
      return 0;
  }
  uint16_t s = hcdrive_slot(d, id);
  struct hv_partition *p = &d->sim.hv->partitions[s];
  p->guest_os_id = 0x8100000000000000ull;
  p->hypercall_msr = 0x1000 | HV_X64_MSR_HYPERCALL_ENABLE;
  if (slot)
    *slot = s;
  return id;
}
