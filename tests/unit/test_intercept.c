/*
 * test_intercept.c — intercepts (hv/core/intercept.c): the statuses of
 * HvCallInstallIntercept; an intercepted I/O, MSR or CPUID exit suspends
 * the child's VP and queues the documented message for the root's VP 0 on
 * SINT 0; the root completes it with SetVpRegisters (RAX, RIP) and
 * HV_REGISTER_INTERCEPT_SUSPEND = 0; accesses nobody intercepts keep the
 * default behaviour. Exits are built by hand and given to exit_handle.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(intercept, .init = tl_setup, .fini = tl_teardown);

#define IO HV_INTERCEPT_TYPE_X64_IO_PORT
#define MSRT HV_INTERCEPT_TYPE_X64_MSR
#define CPUIDT HV_INTERCEPT_TYPE_X64_CPUID
#define RD HV_INTERCEPT_ACCESS_MASK_READ
#define WR HV_INTERCEPT_ACCESS_MASK_WRITE
#define ROOT_VEC 0x70
#define RIP0 0x1000ull

static uint16_t cs;
static uint64_t cid;
static uint64_t rsimp; /* the root's VP 0 message page (GPA) */
static uint8_t msg[256];

static uint16_t install(uint16_t caller, uint64_t part, uint32_t access, uint32_t type, uint64_t param) {
  uint8_t in[24] = {0};
  memcpy(in + 0, &part, 8);
  memcpy(in + 8, &access, 4);
  memcpy(in + 12, &type, 4);
  memcpy(in + 16, &param, 8);
  return tl_st(tl_call(caller, 0, HVCALL_INSTALL_INTERCEPT, in, sizeof in, 0, 0));
}

static uint64_t reg(uint32_t vp, uint32_t name) {
  uint64_t v = ~0ull;
  cr_assert(arch_vp_reg_get(tl_vp(cs, vp), name, &v));
  return v;
}
static void set(uint32_t vp, uint32_t name, uint64_t v) { cr_assert(arch_vp_reg_set(tl_vp(cs, vp), name, v)); }

/* A running child with 2 VPs at RIP0 (RFLAGS 0x202, RAX a marker); the
 * root's VP 0 with its SynIC and message page on, SINT0 = ROOT_VEC. */
static void setup(void) {
  cid = tl_child(32, 2, &cs);
  for (uint32_t i = 0; i < 2; i++) {
    cr_assert_eq(tl_set_reg(0, 0, cid, i, HV_REGISTER_EXPLICIT_SUSPEND, 0), HV_STATUS_SUCCESS);
    set(i, HV_X64_REGISTER_RIP, RIP0);
    set(i, HV_X64_REGISTER_RFLAGS, 0x202);
    set(i, HV_X64_REGISTER_RAX, 0x5555AAAA5555AAAAull);
  }
  rsimp = tl_root_pages(1) << 12;
  tl_synic_on(0, 0, rsimp, 0);
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SINT0 + HV_SYNIC_SINT_INTERCEPT, ROOT_VEC));
}

static void do_exit(uint32_t vp, struct hv_exit *ex) {
  ex->instr_len = 2;
  struct hv_vp *v = tl_vp(cs, vp);
  v->arch.vcpu->exc_pending = false;
  exit_handle(tl_hv(), tl_lp0(), v, ex);
}
static void io_exit(uint32_t vp, uint16_t port, uint8_t size, bool write, uint32_t value) {
  struct hv_exit ex = {.reason = HV_EXIT_IO};
  ex.u.io.port = port;
  ex.u.io.size = size;
  ex.u.io.write = write;
  ex.u.io.value = value;
  do_exit(vp, &ex);
}
static void msr_exit(uint32_t vp, uint32_t msr, bool write, uint64_t value) {
  struct hv_exit ex = {.reason = write ? HV_EXIT_MSR_WRITE : HV_EXIT_MSR_READ};
  ex.u.msr.msr = msr;
  ex.u.msr.value = value;
  do_exit(vp, &ex);
}
static void cpuid_exit(uint32_t vp, uint32_t leaf) {
  struct hv_exit ex = {.reason = HV_EXIT_CPUID};
  ex.u.cpuid.leaf = leaf;
  do_exit(vp, &ex);
}

static uint32_t root_slot0(void) {
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(rsimp), msg, sizeof msg), HV_STATUS_SUCCESS);
  return tl_u32(msg);
}
static void root_consume(void) {
  uint8_t f = (root_slot0(), msg[5]);
  uint32_t none = 0;
  cr_assert_eq(gpa_write(tl_hv(), 0, gpa(rsimp), &none, 4), HV_STATUS_SUCCESS);
  if (f & 1)
    cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_EOM, 0));
}

/* The child's VP vp waits on an intercept. */
static void expect_suspended(uint32_t vp) {
  struct hv_vp *v = tl_vp(cs, vp);
  cr_assert(v->synic.icpt_suspended);
  cr_assert_eq(v->run_state, VP_SUSPENDED);
  cr_assert_not(v->queued, "off the run queue");
  uint64_t s;
  cr_assert_eq(tl_get_reg(0, 0, cid, vp, HV_REGISTER_INTERCEPT_SUSPEND, &s), HV_STATUS_SUCCESS);
  cr_assert_eq(s, 1, "HvRegisterInterceptSuspend reads 1");
  cr_assert_eq(reg(vp, HV_X64_REGISTER_RIP), RIP0, "RIP not advanced: the root completes the instruction");
}

static void expect_running(uint32_t vp) {
  struct hv_vp *v = tl_vp(cs, vp);
  cr_assert_not(v->synic.icpt_suspended);
  cr_assert_eq(v->run_state, VP_RUNNABLE);
  cr_assert(v->queued || v->on_lp != HV_NO_VP);
}

/* The message header and common intercept header in the root's slot 0. */
static void expect_msg(uint32_t type, uint32_t vp, uint8_t access) {
  cr_assert_eq(root_slot0(), type, "intercept message type 0x%x", tl_u32(msg));
  cr_assert_eq(msg[4], 56, "payload size");
  cr_assert_eq(tl_u64(msg + 8), cid, "origin: the child's partition id");
  const uint8_t *pl = msg + 16;
  cr_assert_eq(tl_u32(pl + 0), vp, "VpIndex");
  cr_assert_eq(pl[4], 2, "InstructionLength");
  cr_assert_eq(pl[5], access, "AccessType");
  cr_assert_eq(tl_u64(pl + 24), RIP0, "Rip");
  cr_assert_eq(tl_u64(pl + 32), 0x202, "Rflags");
  cr_assert(tl_irr(0, 0, ROOT_VEC), "the root's SINT 0 vector");
}

/* The root's worker completes: RAX, RIP past the instruction, resume. */
static void complete(uint32_t vp, uint64_t rax) {
  cr_assert_eq(tl_set_reg(0, 0, cid, vp, HV_X64_REGISTER_RAX, rax), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_reg(0, 0, cid, vp, HV_X64_REGISTER_RIP, RIP0 + 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_reg(0, 0, cid, vp, HV_REGISTER_INTERCEPT_SUSPEND, 0), HV_STATUS_SUCCESS);
}

/* ---- HvCallInstallIntercept ------------------------------------------ */

Test(intercept, install_statuses) {
  setup();
  cr_assert_eq(install(0, cid, RD | WR, IO, 0x60), HV_STATUS_SUCCESS);
  cr_assert_eq(install(0, cid, RD | WR | HV_INTERCEPT_ACCESS_MASK_EXECUTE, MSRT, 0xC0000080u), HV_STATUS_SUCCESS);
  cr_assert_eq(install(0, cid, RD, CPUIDT, 0x40000000u), HV_STATUS_SUCCESS);
  cr_assert_eq(install(0, cid, RD, IO, 0xFFFF), HV_STATUS_SUCCESS, "the last port");
  cr_assert_eq(install(0, 999, RD, IO, 0x60), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(install(0, HV_PARTITION_ID_SELF, RD, IO, 0x60), HV_STATUS_ACCESS_DENIED, "not a child");
  cr_assert_eq(install(cs, cid, RD, IO, 0x60), HV_STATUS_ACCESS_DENIED, "the child itself");
  cr_assert_eq(install(0, cid, RD, 3, 0x60), HV_STATUS_INVALID_PARAMETER, "exception intercepts: unsupported");
  cr_assert_eq(install(0, cid, RD, 0xFFFFFFFFu, 0x60), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(install(0, cid, 0, IO, 0x60), HV_STATUS_INVALID_PARAMETER, "empty access mask");
  cr_assert_eq(install(0, cid, 8, IO, 0x60), HV_STATUS_INVALID_PARAMETER, "access mask bit 3");
  cr_assert_eq(install(0, cid, RD, IO, 0x10000), HV_STATUS_INVALID_PARAMETER, "port > 0xFFFF");
  cr_assert_eq(install(0, cid, RD, MSRT, 1ull << 32), HV_STATUS_INVALID_PARAMETER, "MSR > 32 bits");
  cr_assert_eq(install(0, cid, RD, CPUIDT, 1ull << 32), HV_STATUS_INVALID_PARAMETER, "leaf > 32 bits");
  tl_part(0)->privileges &= ~HV_CREATE_PARTITIONS;
  cr_assert_eq(install(0, cid, RD, IO, 0x61), HV_STATUS_ACCESS_DENIED, "only a parent");
}

Test(intercept, install_table_full) {
  setup();
  uint32_t n = 0;
  for (uint32_t port = 0x100; n < HV_MAX_INTERCEPTS; port++, n++)
    cr_assert_eq(install(0, cid, RD, IO, port), HV_STATUS_SUCCESS, "intercept %u", n);
  cr_assert_eq(install(0, cid, RD, IO, 0x60), HV_STATUS_INSUFFICIENT_MEMORY, "table full");
  cr_assert_eq(install(0, cid, RD | WR, IO, 0x100), HV_STATUS_SUCCESS, "re-installing updates in place");
  io_exit(0, 0x100, 1, true, 7);
  expect_suspended(0);
  io_exit(1, 0x60, 1, false, 0);
  cr_assert_not(tl_vp(cs, 1)->synic.icpt_suspended, "the rejected one is not installed");
}

/* ---- I/O ----------------------------------------------------------------- */

Test(intercept, io_read_round_trip) {
  setup();
  cr_assert_eq(install(0, cid, RD, IO, 0x60), HV_STATUS_SUCCESS);
  io_exit(0, 0x60, 1, false, 0);
  expect_suspended(0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0x5555AAAA5555AAAAull, "RAX untouched until completion");
  expect_msg(HVMSG_X64_IO_PORT_INTERCEPT, 0, 0);
  cr_assert_eq(msg[5], 0, "no MessagePending");
  const uint8_t *pl = msg + 16;
  cr_assert_eq(pl[40] | pl[41] << 8, 0x60, "PortNumber");
  cr_assert_eq(pl[42], 1, "AccessSize");
  cr_assert_not(tl_vp(cs, 1)->synic.icpt_suspended, "only the exiting VP");

  complete(0, 0xAB);
  expect_running(0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0xAB, "the emulated value");
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  uint64_t s;
  cr_assert_eq(tl_get_reg(0, 0, cid, 0, HV_REGISTER_INTERCEPT_SUSPEND, &s), HV_STATUS_SUCCESS);
  cr_assert_eq(s, 0);
  cr_assert_eq(tl_set_reg(0, 0, cid, 0, HV_REGISTER_INTERCEPT_SUSPEND, 2), HV_STATUS_INVALID_REGISTER_VALUE);

  /* the next access intercepts again */
  root_consume();
  set(0, HV_X64_REGISTER_RIP, RIP0);
  io_exit(0, 0x60, 4, false, 0);
  expect_suspended(0);
  cr_assert_eq(root_slot0(), HVMSG_X64_IO_PORT_INTERCEPT);
  cr_assert_eq(msg[16 + 42], 4);
}

Test(intercept, io_write_and_access_mask) {
  setup();
  cr_assert_eq(install(0, cid, WR, IO, 0x70), HV_STATUS_SUCCESS);
  io_exit(0, 0x70, 1, false, 0);
  cr_assert_not(tl_vp(cs, 0)->synic.icpt_suspended, "write-only intercept: reads are not intercepted");
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0xFFFFFFFFull, "default: reads float high");
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  cr_assert_eq(root_slot0(), 0);
  set(0, HV_X64_REGISTER_RIP, RIP0);
  io_exit(0, 0x70, 2, true, 0xBEEF);
  expect_suspended(0);
  expect_msg(HVMSG_X64_IO_PORT_INTERCEPT, 0, 1);
  const uint8_t *pl = msg + 16;
  cr_assert_eq(pl[40] | pl[41] << 8, 0x70);
  cr_assert_eq(pl[42], 2);
  cr_assert_eq(tl_u64(pl + 48), 0xBEEF, "Rax: the value written");
  complete(0, reg(0, HV_X64_REGISTER_RAX));
  expect_running(0);
}

Test(intercept, not_intercepted_keeps_default) {
  setup();
  cr_assert_eq(install(0, cid, RD | WR, IO, 0x60), HV_STATUS_SUCCESS);
  io_exit(0, 0x61, 1, false, 0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0xFFFFFFFFull);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  io_exit(0, 0x61, 1, true, 0x12);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 4, "writes are dropped");
  cr_assert_not(tl_vp(cs, 0)->synic.icpt_suspended);
  cr_assert_eq(tl_vp(cs, 0)->run_state, VP_RUNNABLE);
  cr_assert_eq(root_slot0(), 0, "no message");
  cr_assert_not(tl_irr(0, 0, ROOT_VEC));
  /* another child's intercepts do not apply */
  uint16_t s2;
  uint64_t other = tl_child(16, 1, &s2);
  cr_assert_eq(install(0, other, RD, IO, 0x64), HV_STATUS_SUCCESS);
  set(0, HV_X64_REGISTER_RIP, RIP0);
  io_exit(0, 0x64, 1, false, 0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  cr_assert_eq(root_slot0(), 0);
  /* nor to the root's own accesses */
  struct hv_vp *r1 = tl_vp(0, 1);
  uint64_t rip = r1->arch.rip;
  struct hv_exit ex = {.reason = HV_EXIT_IO, .instr_len = 1};
  ex.u.io.port = 0x60;
  ex.u.io.size = 1;
  exit_handle(tl_hv(), tl_lp0(), r1, &ex);
  cr_assert_eq(r1->arch.rip, rip + 1);
  cr_assert_not(r1->synic.icpt_suspended);
  cr_assert_eq(root_slot0(), 0);
}

/* ---- MSR and CPUID ------------------------------------------------------- */

Test(intercept, msr_round_trip) {
  setup();
  cr_assert_eq(install(0, cid, RD | WR, MSRT, 0x1234), HV_STATUS_SUCCESS);
  msr_exit(0, 0x1234, false, 0);
  expect_suspended(0);
  cr_assert_not(tl_vp(cs, 0)->arch.vcpu->exc_pending, "no #GP");
  expect_msg(HVMSG_X64_MSR_INTERCEPT, 0, 0);
  cr_assert_eq(tl_u32(msg + 16 + 40), 0x1234, "MsrNumber");
  complete(0, 0x99);
  cr_assert_eq(tl_set_reg(0, 0, cid, 0, HV_X64_REGISTER_RDX, 0x11), HV_STATUS_SUCCESS);
  expect_running(0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0x99);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RDX), 0x11);
  root_consume();

  set(1, HV_X64_REGISTER_RIP, RIP0);
  msr_exit(1, 0x1234, true, 0x1122334455667788ull);
  expect_suspended(1);
  expect_msg(HVMSG_X64_MSR_INTERCEPT, 1, 1);
  cr_assert_eq(tl_u32(msg + 16 + 40), 0x1234);
  cr_assert_eq(tl_u64(msg + 16 + 48), 0x1122334455667788ull, "the value written");
}

Test(intercept, msr_defaults) {
  setup();
  cr_assert_eq(install(0, cid, RD, MSRT, 0x1234), HV_STATUS_SUCCESS);
  cr_assert_eq(install(0, cid, RD | WR, MSRT, HV_X64_MSR_TIME_REF_COUNT), HV_STATUS_SUCCESS);
  msr_exit(0, 0x1235, false, 0);
  cr_assert(tl_vp(cs, 0)->arch.vcpu->exc_pending, "an unknown MSR nobody intercepts: #GP");
  cr_assert_eq(tl_vp(cs, 0)->arch.vcpu->exc_vector, 13);
  msr_exit(0, 0x1234, true, 5);
  cr_assert(tl_vp(cs, 0)->arch.vcpu->exc_pending, "a write to a read-intercepted MSR: #GP");
  cr_assert_not(tl_vp(cs, 0)->synic.icpt_suspended);
  msr_exit(0, HV_X64_MSR_TIME_REF_COUNT, false, 0);
  cr_assert_not(tl_vp(cs, 0)->arch.vcpu->exc_pending);
  cr_assert_not(tl_vp(cs, 0)->synic.icpt_suspended, "the hypervisor's own MSRs stay the hypervisor's");
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  cr_assert_eq(root_slot0(), 0);
}

Test(intercept, cpuid_round_trip) {
  setup();
  cr_assert_eq(install(0, cid, RD, CPUIDT, 0x1), HV_STATUS_SUCCESS);
  cpuid_exit(0, 0x40000001);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0x31237648, "not intercepted: 'Hv#1'");
  cr_assert_eq(reg(0, HV_X64_REGISTER_RIP), RIP0 + 2);
  cr_assert_eq(root_slot0(), 0);
  set(0, HV_X64_REGISTER_RIP, RIP0);
  cpuid_exit(0, 0x1);
  expect_suspended(0);
  expect_msg(HVMSG_X64_CPUID_INTERCEPT, 0, 2);
  cr_assert_eq(tl_u32(msg + 16 + 40), 0x1, "the leaf");
  complete(0, 0x806EA);
  expect_running(0);
  cr_assert_eq(reg(0, HV_X64_REGISTER_RAX), 0x806EA);
}

/* ---- queueing ------------------------------------------------------------ */

Test(intercept, intercepts_queue_for_the_root) {
  setup();
  cr_assert_eq(install(0, cid, RD | WR, IO, 0x60), HV_STATUS_SUCCESS);
  io_exit(1, 0x60, 1, false, 0);
  io_exit(0, 0x60, 1, true, 0x42);
  expect_suspended(0);
  expect_suspended(1);
  expect_msg(HVMSG_X64_IO_PORT_INTERCEPT, 1, 0);
  cr_assert_eq(msg[5], 1, "MessagePending: VP 0's intercept waits");
  root_consume();
  expect_msg(HVMSG_X64_IO_PORT_INTERCEPT, 0, 1);
  cr_assert_eq(msg[5], 0);
  cr_assert_eq(tl_u64(msg + 16 + 48), 0x42);
  complete(1, 0);
  complete(0, 0);
  expect_running(0);
  expect_running(1);
}

Test(intercept, root_message_page_enabled_later) {
  setup();
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SIMP, rsimp)); /* disabled */
  cr_assert_eq(install(0, cid, RD, IO, 0x60), HV_STATUS_SUCCESS);
  io_exit(0, 0x60, 1, false, 0);
  expect_suspended(0);
  cr_assert_not(tl_irr(0, 0, ROOT_VEC));
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SIMP, rsimp | 1));
  expect_msg(HVMSG_X64_IO_PORT_INTERCEPT, 0, 0);
  /* completed before the root saw it: the message is withdrawn */
  root_consume();
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SIMP, rsimp));
  set(1, HV_X64_REGISTER_RIP, RIP0);
  io_exit(1, 0x60, 1, false, 0);
  expect_suspended(1);
  complete(1, 0);
  expect_running(1);
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SIMP, rsimp | 1));
  cr_assert_eq(root_slot0(), 0, "no stale intercept message");
}
