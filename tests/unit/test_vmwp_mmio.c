/*
 * test_vmwp_mmio.c — unit tests of the worker's memory-mapped device
 * emulation (models/root/vmwp_mmio.c) on TLFS memory intercept messages
 * built byte by byte: loads and stores of 1/2/4/8 bytes on the MMIO test
 * page (registers, identification, all-ones elsewhere), immediates, the
 * register merge, XCHG, the mode taken from ExecutionState and CS, RIP
 * advanced by the decoded length, the intercept suspend cleared — and the
 * refusals that leave the VP suspended (an unknown instruction, a load
 * reported as a write, an execute, a non-memory message).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/root/vmwp.h"
#include "models/root/vmwp_platform.h"

static struct vmwp w;
static uint64_t gpr[16], rip, suspend, sets;

static uint16_t regs_get(void *ctx, uint32_t vp, uint32_t name, uint64_t *value) {
  (void)ctx;
  cr_assert_eq(vp, 1);
  cr_assert(name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15);
  *value = gpr[name - HV_X64_REGISTER_RAX];
  return HV_STATUS_SUCCESS;
}

static uint16_t regs_set(void *ctx, uint32_t vp, const uint32_t *names, const uint64_t *values, uint32_t n) {
  (void)ctx;
  cr_assert_eq(vp, 1);
  sets++;
  for (uint32_t i = 0; i < n; i++) {
    if (names[i] == HV_X64_REGISTER_RIP)
      rip = values[i];
    else if (names[i] == HV_REGISTER_INTERCEPT_SUSPEND)
      suspend = values[i];
    else
      gpr[names[i] - HV_X64_REGISTER_RAX] = values[i];
  }
  return HV_STATUS_SUCCESS;
}

static const struct vmwp_vp_regs regs = {regs_get, regs_set, 0};

static void put(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* A memory intercept message: VP 1 in long mode (or 32-bit protected
 * mode) at RIP 0x401000, access at gpa, instruction bytes hex. */
static void message(uint8_t *m, uint32_t type, int mode, uint8_t access, uint64_t gpa, const uint8_t *insn,
                    uint8_t n) {
  memset(m, 0, 256);
  put(m, type, 4);
  m[4] = 80;
  put(m + 8, 2, 8); /* the child's partition id */
  uint8_t *pl = m + 16;
  put(pl, 1, 4);
  pl[4] = n;
  pl[5] = access;
  put(pl + 6, mode == 64 ? (1u << 2 | 1u << 4) : mode == 32 ? 1u << 2 : 0, 2);
  put(pl + 22, mode == 64 ? 1u << 13 : mode == 32 ? 1u << 14 : 0, 2);
  put(pl + 24, 0x401000, 8);
  pl[44] = n;
  put(pl + 56, gpa, 8);
  memcpy(pl + 64, insn, n);
}

static void setup(void) {
  memset(&w, 0, sizeof w);
  memset(gpr, 0, sizeof gpr);
  rip = 0;
  suspend = 1;
  sets = 0;
}

TestSuite(vmwp_mmio, .init = setup);

#define BASE VMWP_TESTDEV_MMIO_GPA

static uint16_t run(uint32_t type, int mode, uint8_t access, uint64_t gpa, const char *insn, uint8_t n) {
  uint8_t m[256];
  message(m, type, mode, access, gpa, (const uint8_t *)insn, n);
  return vmwp_mmio_emulate(&w, m, &regs);
}

Test(vmwp_mmio, store_then_load_each_width) {
  gpr[1] = 0x1122334455667788ull;                                               /* rcx */
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 1, BASE + 8, "\x48\x89\x08", 3), 0); /* mov [rax], rcx */
  cr_assert_eq(rip, 0x401003);
  cr_assert_eq(suspend, 0);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE + 8, "\x8b\x10", 2), 0); /* mov edx, [rax] */
  cr_assert_eq(gpr[2], 0x55667788ull);
  gpr[3] = 0xFFFFFFFFFFFFFFFFull;
  cr_assert_eq(run(HVMSG_GPA_INTERCEPT, 64, 0, BASE + 14, "\x66\x8b\x18", 3), 0); /* mov bx, [rax] */
  cr_assert_eq(gpr[3], 0xFFFFFFFFFFFF1122ull);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE + 9, "\x8a\x20", 2), 0); /* mov ah, [rax] */
  cr_assert_eq(gpr[0], 0x7700ull);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE + 8, "\x4c\x8b\x00", 3), 0); /* mov r8, [rax] */
  cr_assert_eq(gpr[8], 0x1122334455667788ull);
  cr_assert_eq(w.mmio_count, 5);
}

Test(vmwp_mmio, immediates_and_sign_extension) {
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 1, BASE, "\xc7\x00\xfe\xff\xff\xff", 6),
               0); /* mov dword [rax], -2 */
  cr_assert_eq(rip, 0x401006);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE, "\x48\x0f\xbe\x08", 4), 0); /* movsx rcx, byte [rax] */
  cr_assert_eq(gpr[1], 0xFFFFFFFFFFFFFFFEull);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE, "\x0f\xb7\x08", 3), 0); /* movzx ecx, word [rax] */
  cr_assert_eq(gpr[1], 0xFFFEull);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE, "\x48\x63\x10", 3), 0); /* movsxd rdx, [rax] */
  cr_assert_eq(gpr[2], 0xFFFFFFFFFFFFFFFEull);
}

Test(vmwp_mmio, xchg_swaps) {
  gpr[1] = 0xAAAA;
  vmwp_mmio_write(&w, BASE, 2, 0x5555);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 1, BASE, "\x66\x87\x08", 3), 0); /* xchg [rax], cx */
  cr_assert_eq(gpr[1], 0x5555);
  uint64_t v;
  cr_assert(vmwp_mmio_read(&w, BASE, 2, &v));
  cr_assert_eq(v, 0xAAAA);
}

Test(vmwp_mmio, identification_and_the_rest_of_the_page) {
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 32, 0, BASE + 0x100, "\x8b\x03", 2), 0); /* 32-bit: mov eax, [ebx] */
  cr_assert_eq(gpr[0], 0x49535648ull); /* "HVSI" */
  uint64_t v;
  cr_assert(vmwp_mmio_read(&w, BASE + 0x100, 8, &v));
  cr_assert_eq(memcmp(&v, "HVSIMMIO", 8), 0);
  cr_assert(vmwp_mmio_read(&w, BASE + 0x800, 4, &v));
  cr_assert_eq(v, 0xFFFFFFFFull);
  cr_assert(vmwp_mmio_read(&w, BASE + 62, 4, &v)); /* straddles the registers' end */
  cr_assert_eq(v, 0xFFFF0000ull);
  cr_assert(vmwp_mmio_write(&w, BASE + 0x100, 8, 0)); /* read-only */
  cr_assert(vmwp_mmio_read(&w, BASE + 0x100, 1, &v));
  cr_assert_eq(v, 'H');
}

Test(vmwp_mmio, no_device_reads_all_ones) {
  cr_assert(!vmwp_mmio_read(&w, 0xF0001000ull, 4, &(uint64_t){0}));
  gpr[0] = 0x1234;
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 0, 0xF0001000ull, "\x8b\x00", 2), 0);
  cr_assert_eq(gpr[0], 0xFFFFFFFFull);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 64, 1, 0xF0001000ull, "\x89\x00", 2), 0);
  cr_assert_eq(rip, 0x401002);
}

Test(vmwp_mmio, refusals_leave_the_vp_suspended) {
  cr_assert_neq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE, "\x0f\x0b", 2), 0); /* ud2 */
  cr_assert_neq(run(HVMSG_UNMAPPED_GPA, 64, 1, BASE, "\x8b\x00", 2), 0); /* a load, the access a write */
  cr_assert_neq(run(HVMSG_UNMAPPED_GPA, 64, 2, BASE, "\x8b\x00", 2), 0); /* execute */
  cr_assert_neq(run(HVMSG_UNMAPPED_GPA, 64, 0, BASE, "\x8b", 1), 0);     /* bytes cut short */
  cr_assert_neq(run(HVMSG_X64_IO_PORT_INTERCEPT, 64, 0, BASE, "\x8b\x00", 2), 0); /* not a memory message */
  cr_assert_eq(sets, 0);
  cr_assert_eq(suspend, 1);
}

Test(vmwp_mmio, mode_from_execution_state_and_cs) {
  struct vmwp_mmio_access a;
  uint8_t m[256];
  message(m, HVMSG_UNMAPPED_GPA, 16, 0, BASE, (const uint8_t *)"\x8b\x07", 2);
  cr_assert(vmwp_mmio_parse(m, &a));
  cr_assert_eq(a.mode, 16);
  message(m, HVMSG_UNMAPPED_GPA, 32, 0, BASE, (const uint8_t *)"\x8b\x07", 2);
  cr_assert(vmwp_mmio_parse(m, &a));
  cr_assert_eq(a.mode, 32);
  cr_assert_eq(a.gpa, BASE);
  cr_assert_eq(a.vp, 1);
  cr_assert_eq(run(HVMSG_UNMAPPED_GPA, 16, 0, BASE + 8, "\x8b\x47\x02", 3), 0); /* 16-bit: mov ax, [bx+2] */
  cr_assert_eq(rip, 0x401003);
  message(m, HVMSG_UNMAPPED_GPA, 64, 0, BASE, (const uint8_t *)"\x8b\x07", 2);
  m[16 + 44] = 200; /* a byte count past the 16 bytes carried: clamped */
  cr_assert(vmwp_mmio_parse(m, &a));
  cr_assert_eq(a.nbytes, 16);
}
