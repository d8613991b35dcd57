/*
 * cpuid.c — the CPU model a VP sees through CPUID: one documented,
 * fixed feature set, the same on every backend (the simulator, VT-x and
 * AMD-V on Bochs and QEMU), and the Hyper-V leaves of TLFS "Feature
 * Discovery" telling what this hypervisor implements.
 *
 * The model is a baseline x86-64 processor (the x86-64-v1 level: FPU, TSC,
 * MSR, PAE, CX8, APIC, SEP, PGE, CMOV, PSE-36, CLFLUSH, FXSR, SSE, SSE2,
 * SSE3, CX16, POPCNT, long mode, NX, SYSCALL, LAHF) plus x2APIC and the APIC timer
 * that runs in deep C-states (ARAT), with a vendor string of its own
 * ("HvsimVirtCPU", so a guest takes no vendor-specific paths: no model
 * MSRs, no errata). What is left out is what the backends do not virtualise
 * or the hypervisor does not emulate: MTRRs and PAT (no per-VP memory
 * types), machine check, 1 GiB pages, XSAVE/AVX (XSETBV exits), PCID/INVPCID, RDTSCP/TSC_AUX,
 * TSC deadline, monitor/mwait, performance counters, debug store. Every
 * bit claimed here is a feature both Bochs CPU models of the level-2
 * runner (corei7_skylake_x, ryzen) and QEMU's "max" have.
 *
 * Leaves past the maximum answer as the highest basic leaf does on Intel
 * (here: zeros); subleaf-indexed leaves are not modelled.
 */
#include "hc.h"

#define CPUID_MAX_BASIC 0x00000006u
#define CPUID_MAX_EXTENDED 0x80000008u
#define CPUID_HV_MAX 0x40000006u

/* CPUID.1:EDX (SDM Vol. 2A Table 3-11) */
#define F1D_FPU (1u << 0)
#define F1D_DE (1u << 2)
#define F1D_PSE (1u << 3)
#define F1D_TSC (1u << 4)
#define F1D_MSR (1u << 5)
#define F1D_PAE (1u << 6)
#define F1D_CX8 (1u << 8)
#define F1D_APIC (1u << 9)
#define F1D_SEP (1u << 11)
#define F1D_PGE (1u << 13)
#define F1D_CMOV (1u << 15)
#define F1D_PSE36 (1u << 17)
#define F1D_CLFSH (1u << 19)
#define F1D_FXSR (1u << 24)
#define F1D_SSE (1u << 25)
#define F1D_SSE2 (1u << 26)
/* CPUID.1:ECX (SDM Vol. 2A Table 3-10) */
#define F1C_SSE3 (1u << 0)
#define F1C_CX16 (1u << 13)
#define F1C_X2APIC (1u << 21)
#define F1C_POPCNT (1u << 23)
#define F1C_HYPERVISOR (1u << 31)
/* CPUID.6:EAX bit 2: the APIC timer always runs (ARAT) */
#define F6A_ARAT (1u << 2)
/* CPUID.80000001h:EDX */
#define F81D_SYSCALL (1u << 11)
#define F81D_NX (1u << 20)
#define F81D_LM (1u << 29)
/* CPUID.80000001h:ECX: LAHF/SAHF in 64-bit mode */
#define F81C_LAHF (1u << 0)
/* CPUID.80000007h:EDX bit 8: invariant TSC */
#define F87D_INVARIANT_TSC (1u << 8)

/* Hyper-V leaves (TLFS 6.0 "Feature Discovery"). */
#define HV_CPUID_FEATURE_MISC_GUEST_IDLE (1u << 5)  /* 0x40000003 EDX */
#define HV_CPUID_FEATURE_FREQUENCY_MSRS (1u << 8)   /* 0x40000003 EDX */
#define HV_CPUID_FEATURE_STIMER_DIRECT (1u << 19)   /* 0x40000003 EDX */
#define HV_CPUID_HINT_NEVER_NOTIFY_SPIN 0xFFFFFFFFu /* 0x40000004 EBX */

static void cpuid_string(uint64_t r[4], int first, const char s[12]) {
  for (int i = 0; i < 3; i++)
    r[first + i] = (uint32_t)s[4 * i] | (uint32_t)s[4 * i + 1] << 8 | (uint32_t)s[4 * i + 2] << 16 |
                   (uint32_t)s[4 * i + 3] << 24;
}

static void cpuid_basic(struct hv *hv, const struct hv_vp *vp, uint32_t leaf, uint64_t r[4]) {
  (void)hv;
  switch (leaf) {
  case 0x00000000:
    r[0] = CPUID_MAX_BASIC;
    cpuid_string(r, 1, "HvsimVirtCPU");
    { /* EBX, EDX, ECX order */
      uint64_t t = r[2];
      r[2] = r[3], r[3] = t;
    }
    break;
  case 0x00000001:
    r[0] = 0x000006F1;                                        /* family 6, model 15, stepping 1 */
    r[1] = (uint64_t)(vp->index & 0xFF) << 24 | 8u << 8; /* initial APIC id; CLFLUSH line 8 qwords */
    r[2] = F1C_SSE3 | F1C_CX16 | F1C_X2APIC | F1C_POPCNT | F1C_HYPERVISOR;
    r[3] = F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_CX8 | F1D_APIC | F1D_SEP | F1D_PGE |
           F1D_CMOV | F1D_PSE36 | F1D_CLFSH | F1D_FXSR | F1D_SSE | F1D_SSE2;
    break;
  case 0x00000006:
    r[0] = F6A_ARAT;
    break;
  default:
    break;
  }
}

static void cpuid_extended(uint32_t leaf, uint64_t r[4]) {
  switch (leaf) {
  case 0x80000000:
    r[0] = CPUID_MAX_EXTENDED;
    break;
  case 0x80000001:
    r[2] = F81C_LAHF;
    r[3] = F81D_SYSCALL | F81D_NX | F81D_LM;
    break;
  case 0x80000002:
  case 0x80000003:
  case 0x80000004: { /* brand string, 48 bytes */
    static const char brand[48] = "hvsim virtual processor";
    for (int i = 0; i < 4; i++) {
      const char *s = brand + 16 * (leaf - 0x80000002) + 4 * i;
      r[i] = (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 | (uint32_t)(uint8_t)s[2] << 16 |
             (uint32_t)(uint8_t)s[3] << 24;
    }
    break;
  }
  case 0x80000007:
    r[3] = F87D_INVARIANT_TSC;
    break;
  case 0x80000008:
    r[0] = 48u << 8 | 40u; /* 48-bit linear, 40-bit physical addresses */
    break;
  default:
    break;
  }
}

/* TLFS "Feature Discovery": what this hypervisor implements. */
static void cpuid_hyperv(struct hv *hv, const struct hv_vp *vp, uint32_t leaf, uint64_t r[4]) {
  const struct hv_partition *p = &hv->partitions[vp->partition];
  switch (leaf) {
  case 0x40000000:
    r[0] = CPUID_HV_MAX;
    cpuid_string(r, 1, "Microsoft Hv");
    break;
  case 0x40000001:
    r[0] = 0x31237648; /* "Hv#1" */
    break;
  case 0x40000002: /* build, version 10.0 (ours: build 1) */
    r[0] = 1;
    r[1] = 10u << 16;
    break;
  case 0x40000003:
    r[0] = (uint32_t)p->privileges;
    r[1] = (uint32_t)(p->privileges >> 32);
    r[3] = HV_CPUID_FEATURE_FREQUENCY_MSRS | HV_CPUID_FEATURE_STIMER_DIRECT;
    break;
  case 0x40000004:
    r[1] = HV_CPUID_HINT_NEVER_NOTIFY_SPIN;
    break;
  case 0x40000005:
    r[0] = HV_MAX_VPS_PER_PARTITION;
    r[1] = hv->boot.nlps;
    break;
  default:
    break;
  }
}

void cpuid_model(struct hv *hv, const struct hv_vp *vp, uint32_t leaf, uint64_t r[4]) {
  r[0] = r[1] = r[2] = r[3] = 0;
  if (leaf <= CPUID_MAX_BASIC)
    cpuid_basic(hv, vp, leaf, r);
  else if (leaf >= 0x40000000 && leaf <= CPUID_HV_MAX)
    cpuid_hyperv(hv, vp, leaf, r);
  else if (leaf >= 0x80000000 && leaf <= CPUID_MAX_EXTENDED)
    cpuid_extended(leaf, r);
}
