/*
 * test_cpuid.c — the CPU model (hv/core/cpuid.c): the vendor and brand
 * strings, the feature bits a 64-bit kernel requires and the ones left
 * out, the initial APIC id per VP, the extended and Hyper-V leaves
 * (honest about what is implemented: the partition's privileges, the
 * frequency MSRs and direct-mode timers, never-notify spins), zeros past
 * every maximum.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(cpuid, .init = tl_setup, .fini = tl_teardown);

static void leaf(uint16_t part, uint32_t vp, uint32_t l, uint64_t r[4]) {
  cpuid_model(tl_hv(), tl_vp(part, vp), l, r);
}

static void str12(const uint64_t a, const uint64_t b, const uint64_t c, char out[13]) {
  uint32_t w[3] = {(uint32_t)a, (uint32_t)b, (uint32_t)c};
  memcpy(out, w, 12);
  out[12] = 0;
}

Test(cpuid, vendor_and_brand) {
  uint64_t r[4];
  char s[13];
  leaf(0, 0, 0, r);
  cr_assert_eq(r[0], 6, "basic leaves up to 6");
  str12(r[1], r[3], r[2], s); /* EBX, EDX, ECX */
  cr_assert_str_eq(s, "HvsimVirtCPU");
  leaf(0, 0, 0x80000002, r);
  str12(r[0], r[1], r[2], s);
  cr_assert_str_eq(s, "hvsim virtua");
}

Test(cpuid, features_a_64_bit_kernel_needs) {
  uint64_t r[4];
  leaf(0, 0, 1, r);
  uint32_t need_edx = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 13 | 1u << 15 | 1u << 24 |
                      1u << 25 | 1u << 26; /* FPU PSE TSC MSR PAE CX8 PGE CMOV FXSR SSE SSE2 */
  cr_assert_eq(r[3] & need_edx, need_edx);
  cr_assert(r[2] & (1u << 21), "x2APIC");
  cr_assert(r[2] & (1u << 31), "hypervisor present");
  cr_assert_not(r[3] & (1u << 12), "no MTRR");
  cr_assert_not(r[3] & (1u << 16), "no PAT");
  cr_assert_not(r[3] & (1u << 7), "no machine check");
  cr_assert_not(r[2] & (1u << 26), "no XSAVE");
  cr_assert_not(r[2] & (1u << 24), "no TSC deadline");
  leaf(0, 0, 6, r);
  cr_assert_eq(r[0], 1u << 2, "ARAT");
  leaf(0, 0, 0x80000001, r);
  cr_assert_eq(r[3], 1u << 11 | 1u << 20 | 1u << 29, "SYSCALL, NX, LM; no RDTSCP, no 1 GiB pages");
  leaf(0, 0, 0x80000008, r);
  cr_assert_eq(r[0], 0x3028, "48-bit linear, 40-bit physical");
}

Test(cpuid, apic_id_per_vp) {
  uint16_t cs;
  tl_child(16, 3, &cs);
  uint64_t r[4];
  for (uint32_t i = 0; i < 3; i++) {
    leaf(cs, i, 1, r);
    cr_assert_eq(r[1] >> 24, i, "initial APIC id = VP index");
  }
}

Test(cpuid, hyperv_leaves) {
  uint16_t cs;
  tl_child(16, 1, &cs);
  uint64_t r[4];
  char s[13];
  leaf(cs, 0, 0x40000000, r);
  cr_assert_eq(r[0], 0x40000006);
  str12(r[1], r[2], r[3], s);
  cr_assert_str_eq(s, "Microsoft Hv");
  leaf(cs, 0, 0x40000001, r);
  cr_assert_eq(r[0], 0x31237648, "Hv#1");
  leaf(cs, 0, 0x40000003, r);
  const struct hv_partition *p = &tl_hv()->partitions[cs];
  cr_assert_eq(r[0], (uint32_t)p->privileges);
  cr_assert_eq(r[1], (uint32_t)(p->privileges >> 32));
  cr_assert(r[0] & HV_ACCESS_FREQUENCY_MSRS, "children may read the frequency MSRs");
  cr_assert_eq(r[3], 1u << 8 | 1u << 19, "frequency MSRs, direct-mode synthetic timers");
  leaf(cs, 0, 0x40000004, r);
  cr_assert_eq(r[1], 0xFFFFFFFFu, "never notify a long spin");
  leaf(cs, 0, 0x40000002, r);
  cr_assert_neq(r[0], 0, "a build number");
}

Test(cpuid, zeros_past_every_maximum) {
  uint64_t r[4];
  static const uint32_t past[] = {7, 0xB, 0x40000007, 0x80000009, 0xC0000000};
  for (unsigned i = 0; i < sizeof past / sizeof past[0]; i++) {
    leaf(0, 0, past[i], r);
    cr_assert(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0, "leaf 0x%x", past[i]);
  }
}
