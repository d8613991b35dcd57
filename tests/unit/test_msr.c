/*
 * test_msr.c — the synthetic MSRs (hv/core/msr.c): guest OS id, the
 * hypercall page MSR (enable needs a guest OS id, locked bit, reserved
 * bits), VP_INDEX (read-only), TIME_REF_COUNT, privilege checks and
 * unknown MSRs. msr_read/msr_write are called directly, as an exit would.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(msr, .init = tl_setup, .fini = tl_teardown);

static struct hv_vp *root_vp(uint32_t i) { return vp_get(tl_hv(), 0, i, 0); }
static struct hv_lp *lp0(void) { return &tl_hv()->lps[0]; }

Test(msr, guest_os_id) {
  struct hv_vp *vp = root_vp(0);
  uint64_t v = 0;
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_GUEST_OS_ID, 0x8100000000001234ull));
  cr_assert(msr_read(tl_hv(), lp0(), root_vp(1), HV_X64_MSR_GUEST_OS_ID, &v));
  cr_assert_eq(v, 0x8100000000001234ull, "partition wide");
  cr_assert_eq(tl_part(0)->guest_os_id, 0x8100000000001234ull);
}

Test(msr, hypercall_enable_needs_guest_os_id) {
  struct hv_vp *vp = root_vp(0);
  uint64_t page = tl_root_pages(1) << 12, v = 0;
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_GUEST_OS_ID, 0));
  cr_assert_eq(tl_part(0)->hypercall_msr & HV_X64_MSR_HYPERCALL_ENABLE, 0,
               "zeroing the guest OS id disables the hypercall page");
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, page | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert(msr_read(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, &v));
  cr_assert_eq(v, page, "enable dropped without a guest OS id");
  uint64_t id;
  cr_assert_eq(tl_call(0, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8), ~0ull, "#UD");

  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_GUEST_OS_ID, 0x8100000000000001ull));
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, page | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert(msr_read(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, &v));
  cr_assert_eq(v, page | HV_X64_MSR_HYPERCALL_ENABLE);
  static const uint8_t vmcall[3] = {0x0F, 0x01, 0xC1};
  cr_assert_eq(memcmp(tl_d.sim.mem + page, vmcall, 3), 0, "hypercall page holds VMCALL");
  cr_assert_eq(tl_call(0, 0, HVCALL_GET_PARTITION_ID, 0, 0, &id, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(id, 1);
}

Test(msr, hypercall_page_outside_gpa_space) {
  struct hv_vp *vp = root_vp(0);
  uint64_t before = tl_part(0)->hypercall_msr;
  cr_assert_not(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, (1ull << 40) | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert_not(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, 0 | HV_X64_MSR_HYPERCALL_ENABLE),
                "page 0 is the hypervisor's");
  cr_assert_eq(tl_part(0)->hypercall_msr, before);
  /* disabling needs no page */
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, 1ull << 40));
  cr_assert_eq(tl_part(0)->hypercall_msr & HV_X64_MSR_HYPERCALL_ENABLE, 0);
}

Test(msr, hypercall_reserved_bits_preserved) {
  struct hv_vp *vp = root_vp(0);
  uint64_t page = tl_root_pages(1) << 12, v;
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, page | 0xFFC | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert(msr_read(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, &v));
  cr_assert_eq(v, page | HV_X64_MSR_HYPERCALL_ENABLE, "bits 11:2 keep their value");
}

Test(msr, hypercall_locked) {
  struct hv_vp *vp = root_vp(0);
  uint64_t page = tl_root_pages(1) << 12, other = tl_root_pages(1) << 12, v;
  uint64_t locked = page | HV_X64_MSR_HYPERCALL_ENABLE | HV_X64_MSR_HYPERCALL_LOCKED;
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, locked));
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, other | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, 0));
  cr_assert(msr_read(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, &v));
  cr_assert_eq(v, locked, "writes to a locked MSR are ignored");
  cr_assert_eq(tl_d.sim.mem[other], 0, "the other page was not filled");
}

Test(msr, vp_index) {
  uint64_t v = ~0ull;
  cr_assert(msr_read(tl_hv(), lp0(), root_vp(1), HV_X64_MSR_VP_INDEX, &v));
  cr_assert_eq(v, 1);
  cr_assert(msr_read(tl_hv(), lp0(), root_vp(0), HV_X64_MSR_VP_INDEX, &v));
  cr_assert_eq(v, 0);
  cr_assert_not(msr_write(tl_hv(), lp0(), root_vp(1), HV_X64_MSR_VP_INDEX, 7), "read-only: #GP");
  cr_assert_eq(root_vp(1)->index, 1);
  uint16_t cs;
  tl_child(16, 3, &cs);
  cr_assert(msr_read(tl_hv(), lp0(), vp_get(tl_hv(), cs, 2, 0), HV_X64_MSR_VP_INDEX, &v));
  cr_assert_eq(v, 2);
}

Test(msr, time_ref_count) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  struct hv_lp *lp = lp0();
  uint64_t t0, t1;
  cr_assert(msr_read(tl_hv(), lp, vp, HV_X64_MSR_TIME_REF_COUNT, &t0));
  uint64_t c100 = tl_hv()->boot.cycles_per_100ns;
  cr_assert_eq(c100, 200, "2000 MHz: 200 cycles per 100 ns");
  cr_assert_eq(t0, (lp->arch.clock - tl_part(cs)->ref_time_base) / c100);
  lp->arch.clock += 1000 * c100;
  cr_assert(msr_read(tl_hv(), lp, vp, HV_X64_MSR_TIME_REF_COUNT, &t1));
  cr_assert_eq(t1 - t0, 1000, "counts 100 ns units");
  cr_assert_not(msr_write(tl_hv(), lp, vp, HV_X64_MSR_TIME_REF_COUNT, 0), "read-only");
}

Test(msr, unknown) {
  uint64_t v = 0x55;
  const uint32_t msrs[] = {0x4000FFFF, 0x4FFFFFFF, 0x12345678, 0xFFFFFFFF, 0};
  for (size_t i = 0; i < sizeof msrs / sizeof msrs[0]; i++) {
    cr_assert_not(msr_read(tl_hv(), lp0(), root_vp(0), msrs[i], &v), "msr %#x", msrs[i]);
    cr_assert_not(msr_write(tl_hv(), lp0(), root_vp(0), msrs[i], 1), "msr %#x", msrs[i]);
  }
  cr_assert_eq(v, 0x55, "value untouched");
}

Test(msr, privileges) {
  /* a child without AccessHypercallMsrs, AccessVpIndex, AccessPartitionReferenceCounter */
  uint16_t cs;
  tl_child_priv(16, 1, HV_ACCESS_SYNIC_REGS, &cs);
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  uint64_t v;
  const uint32_t msrs[] = {HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL, HV_X64_MSR_VP_INDEX,
                           HV_X64_MSR_TIME_REF_COUNT};
  for (size_t i = 0; i < 4; i++)
    cr_assert_not(msr_read(tl_hv(), lp0(), vp, msrs[i], &v), "msr %#x", msrs[i]);
  uint64_t os = tl_part(cs)->guest_os_id;
  cr_assert_not(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_GUEST_OS_ID, 5));
  cr_assert_not(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, 0));
  cr_assert_eq(tl_part(cs)->guest_os_id, os);
}

Test(msr, child_hypercall_page_in_its_own_space) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  spa_t sp;
  cr_assert(slat_lookup(tl_hv(), cs, gpa(0x5000), &sp, 0));
  cr_assert(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, 0x5000 | HV_X64_MSR_HYPERCALL_ENABLE));
  cr_assert_eq(tl_d.sim.mem[sp.v], 0x0F, "filled through the child's SLAT");
  cr_assert_neq(sp.v, 0x5000, "a child's GPA is not an SPA");
  cr_assert_not(msr_write(tl_hv(), lp0(), vp, HV_X64_MSR_HYPERCALL, (16 << 12) | HV_X64_MSR_HYPERCALL_ENABLE),
                "outside the child's 16 pages");
}

/* LPs keep their own cycle clocks: a VP may read the counter on an LP
 * whose clock is still behind the one its partition was initialized on.
 * The counter must not wrap to a huge value there. Fails today: msr.c
 * computes (arch_cycles(lp) - ref_time_base) unsigned (so does
 * stimer_ref_time in the SynIC/timer work under way); disabled until that
 * lands with the clamp, then enable. */
Test(msr, time_ref_count_behind_partition_start) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  struct hv_vp *vp = vp_get(tl_hv(), cs, 0, 0);
  struct hv_lp *lp1 = &tl_hv()->lps[1];
  uint64_t base = tl_part(cs)->ref_time_base, t = ~0ull;
  cr_assert_gt(base, 0, "initialized on LP 0 after some hypercalls");
  lp1->arch.clock = base - 1;
  cr_assert(msr_read(tl_hv(), lp1, vp, HV_X64_MSR_TIME_REF_COUNT, &t));
  cr_assert_eq(t, 0, "counter wrapped: %llu", (unsigned long long)t);
  lp1->arch.clock = base + 5 * tl_hv()->boot.cycles_per_100ns;
  cr_assert(msr_read(tl_hv(), lp1, vp, HV_X64_MSR_TIME_REF_COUNT, &t));
  cr_assert_eq(t, 5);
}
