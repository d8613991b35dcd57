/*
 * testlib.c — helpers shared by the Criterion unit tests (tests/unit/):
 * the hcdrive machine fixture and hypercall wrappers (see testlib.h).
 */
#include "testlib.h"

#include <criterion/criterion.h>
#include <string.h>

struct hcdrive tl_d;

void tl_boot(uint32_t lps, uint64_t mem_bytes) {
  cr_assert_eq(hcdrive_init(&tl_d, lps, mem_bytes), 0, "hcdrive_init failed");
}

void tl_setup(void) { tl_boot(TL_LPS, TL_MEM_BYTES); }

void tl_teardown(void) { hcdrive_fini(&tl_d); }

uint16_t tl_slot(uint64_t id) {
  uint16_t s = hcdrive_slot(&tl_d, id);
  cr_assert_neq(s, 0xFFFF, "no partition with id %llu", (unsigned long long)id);
  return s;
}

uint64_t tl_call(uint16_t part, uint32_t vp, uint64_t control, const void *in, size_t in_len,
                 void *out, size_t out_len) {
  return hcdrive_call(&tl_d, part, vp, control, in, in_len, out, out_len);
}

uint64_t tl_root_pages(uint64_t n) {
  uint64_t g = hcdrive_root_pages(&tl_d, n);
  cr_assert_neq(g, 0, "out of root pages");
  return g;
}

uint64_t tl_deposit_list(uint64_t id, const uint64_t *gpfns, uint32_t n) {
  uint64_t buf[512];
  cr_assert_leq(n, 511);
  buf[0] = id;
  memcpy(buf + 1, gpfns, 8ull * n);
  return tl_call(0, 0, tl_rep(HVCALL_DEPOSIT_MEMORY, n), buf, 8ull * (1 + n), 0, 0);
}

uint16_t tl_deposit(uint64_t id, uint64_t n) {
  uint64_t list[511];
  while (n) {
    uint32_t k = n < 511 ? (uint32_t)n : 511;
    uint64_t g = tl_root_pages(k);
    for (uint32_t i = 0; i < k; i++)
      list[i] = g + i;
    uint16_t st = tl_st(tl_deposit_list(id, list, k));
    if (st)
      return st;
    n -= k;
  }
  return HV_STATUS_SUCCESS;
}

uint64_t tl_withdraw(uint64_t id, uint32_t n, uint64_t *pfns) {
  uint64_t in[2] = {id, 0};
  cr_assert_leq(n, 512);
  return tl_call(0, 0, tl_rep(HVCALL_WITHDRAW_MEMORY, n), in, 16, pfns, pfns ? 8ull * n : 0);
}

uint64_t tl_withdraw_all(uint64_t id) {
  uint64_t total = 0;
  for (;;) {
    uint64_t rax = tl_withdraw(id, 512, 0);
    total += tl_reps(rax);
    if (tl_st(rax) == HV_STATUS_NO_RESOURCES)
      return total;
    cr_assert_eq(tl_st(rax), HV_STATUS_SUCCESS, "withdraw: status 0x%x", tl_st(rax));
  }
}

uint16_t tl_balance(uint64_t id, uint64_t *avail, uint64_t *in_use) {
  uint64_t in[2] = {id, 0}, out[2] = {~0ull, ~0ull};
  uint16_t st = tl_st(tl_call(0, 0, HVCALL_GET_MEMORY_BALANCE, in, 16, out, 16));
  if (avail)
    *avail = out[0];
  if (in_use)
    *in_use = out[1];
  return st;
}

uint16_t tl_create(uint64_t *id) {
  uint64_t in[7] = {0};
  if (tl_part(0)->pool_free == 0) {
    uint16_t st = tl_deposit(HV_PARTITION_ID_SELF, 1);
    if (st)
      return st;
  }
  *id = 0;
  return tl_st(tl_call(0, 0, HVCALL_CREATE_PARTITION, in, 56, id, 8));
}

static uint16_t tl_simple(uint16_t code, uint64_t id) {
  return tl_st(tl_call(0, 0, code, &id, 8, 0, 0));
}
uint16_t tl_init(uint64_t id) { return tl_simple(HVCALL_INITIALIZE_PARTITION, id); }
uint16_t tl_finalize(uint64_t id) { return tl_simple(HVCALL_FINALIZE_PARTITION, id); }
uint16_t tl_delete(uint64_t id) { return tl_simple(HVCALL_DELETE_PARTITION, id); }

uint16_t tl_set_prop(uint64_t id, uint32_t prop, uint64_t value) {
  uint64_t in[3] = {id, prop, value};
  return tl_st(tl_call(0, 0, HVCALL_SET_PARTITION_PROPERTY, in, 24, 0, 0));
}

uint16_t tl_get_prop(uint16_t part, uint64_t id, uint32_t prop, uint64_t *value) {
  uint64_t in[2] = {id, prop};
  *value = ~0ull;
  return tl_st(tl_call(part, 0, HVCALL_GET_PARTITION_PROPERTY, in, 16, value, 8));
}

uint64_t tl_map_list(uint64_t id, uint64_t base, uint32_t flags, const uint64_t *src, uint32_t n) {
  uint64_t buf[512];
  cr_assert_leq(n, 509);
  buf[0] = id;
  buf[1] = base;
  buf[2] = flags;
  memcpy(buf + 3, src, 8ull * n);
  return tl_call(0, 0, tl_rep(HVCALL_MAP_GPA_PAGES, n), buf, 8ull * (3 + n), 0, 0);
}

uint64_t tl_map(uint64_t id, uint64_t base, uint32_t n, uint64_t *src) {
  uint64_t list[509];
  cr_assert_leq(n, 509);
  uint64_t g = tl_root_pages(n);
  for (uint32_t i = 0; i < n; i++)
    list[i] = g + i;
  if (src)
    memcpy(src, list, 8ull * n);
  return tl_map_list(id, base, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE,
                     list, n);
}

uint64_t tl_unmap(uint64_t id, uint64_t base, uint32_t n) {
  uint64_t in[3] = {id, base, 0};
  return tl_call(0, 0, tl_rep(HVCALL_UNMAP_GPA_PAGES, n), in, 24, 0, 0);
}

uint16_t tl_create_vp(uint64_t id, uint32_t index) {
  uint64_t in[5] = {id, index, 0, 0, 0};
  return tl_st(tl_call(0, 0, HVCALL_CREATE_VP, in, 40, 0, 0));
}

uint16_t tl_delete_vp(uint64_t id, uint32_t index) {
  uint64_t in[2] = {id, index};
  return tl_st(tl_call(0, 0, HVCALL_DELETE_VP, in, 16, 0, 0));
}

uint16_t tl_get_reg(uint16_t part, uint32_t vp, uint64_t id, uint32_t index, uint32_t name,
                    uint64_t *value) {
  uint64_t in[3] = {id, index, name}, out[2] = {~0ull, ~0ull};
  uint16_t st = tl_st(tl_call(part, vp, tl_rep(HVCALL_GET_VP_REGISTERS, 1), in, 20, out, 16));
  *value = out[0];
  return st;
}

uint16_t tl_set_reg(uint16_t part, uint32_t vp, uint64_t id, uint32_t index, uint32_t name,
                    uint64_t value) {
  uint64_t in[6] = {id, index, name, 0, value, 0};
  return tl_st(tl_call(part, vp, tl_rep(HVCALL_SET_VP_REGISTERS, 1), in, 48, 0, 0));
}

uint64_t tl_child(uint64_t mem_pages, uint32_t vps, uint16_t *slot) {
  uint64_t id = hcdrive_child(&tl_d, mem_pages, vps, slot);
  cr_assert_neq(id, 0, "hcdrive_child failed");
  return id;
}

uint64_t tl_child_priv(uint64_t mem_pages, uint32_t vps, uint64_t privileges, uint16_t *slot) {
  uint64_t id;
  cr_assert_eq(tl_create(&id), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, privileges), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_deposit(id, (mem_pages + 511) / 512 + 4 + vps), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_init(id), HV_STATUS_SUCCESS);
  for (uint64_t done = 0; done < mem_pages;) {
    uint32_t k = mem_pages - done < 500 ? (uint32_t)(mem_pages - done) : 500;
    cr_assert_eq(tl_st(tl_map(id, done, k, 0)), HV_STATUS_SUCCESS);
    done += k;
  }
  for (uint32_t i = 0; i < vps; i++)
    cr_assert_eq(tl_create_vp(id, i), HV_STATUS_SUCCESS);
  uint16_t s = tl_slot(id);
  tl_part(s)->guest_os_id = 0x8100000000000000ull;
  tl_part(s)->hypercall_msr = 0x1000 | HV_X64_MSR_HYPERCALL_ENABLE;
  if (slot)
    *slot = s;
  return id;
}

bool tl_status_defined(uint16_t code) {
  static const uint16_t defined[] = {
      HV_STATUS_SUCCESS, HV_STATUS_INVALID_HYPERCALL_CODE, HV_STATUS_INVALID_HYPERCALL_INPUT,
      HV_STATUS_INVALID_ALIGNMENT, HV_STATUS_INVALID_PARAMETER, HV_STATUS_ACCESS_DENIED,
      HV_STATUS_INVALID_PARTITION_STATE, HV_STATUS_OPERATION_DENIED, HV_STATUS_UNKNOWN_PROPERTY,
      HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE, HV_STATUS_INSUFFICIENT_MEMORY,
      HV_STATUS_PARTITION_TOO_DEEP, HV_STATUS_INVALID_PARTITION_ID, HV_STATUS_INVALID_VP_INDEX,
      HV_STATUS_NOT_FOUND, HV_STATUS_INVALID_PORT_ID, HV_STATUS_INVALID_CONNECTION_ID,
      HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_NOT_ACKNOWLEDGED, HV_STATUS_INVALID_VP_STATE,
      HV_STATUS_ACKNOWLEDGED, HV_STATUS_INVALID_SAVE_RESTORE_STATE, HV_STATUS_INVALID_SYNIC_STATE,
      HV_STATUS_OBJECT_IN_USE, HV_STATUS_NO_DATA, HV_STATUS_INACTIVE, HV_STATUS_NO_RESOURCES,
      HV_STATUS_FEATURE_UNAVAILABLE, HV_STATUS_INVALID_REGISTER_VALUE, HV_STATUS_OPERATION_FAILED,
  };
  for (size_t i = 0; i < sizeof defined / sizeof defined[0]; i++)
    if (defined[i] == code)
      return true;
  return false;
}

/* ---- interrupts, SynIC, timers ----------------------------------------- */

struct hv_vp *tl_vp(uint16_t part, uint32_t index) {
  struct hv_vp *vp = vp_get(tl_hv(), part, index, 0);
  cr_assert_not_null(vp, "no VP %u in partition slot %u", index, part);
  return vp;
}

bool tl_rdmsr(uint16_t part, uint32_t index, uint32_t msr, uint64_t *value) {
  return msr_read(tl_hv(), tl_lp0(), tl_vp(part, index), msr, value);
}

bool tl_wrmsr(uint16_t part, uint32_t index, uint32_t msr, uint64_t value) {
  return msr_write(tl_hv(), tl_lp0(), tl_vp(part, index), msr, value);
}

uint64_t tl_msr(uint16_t part, uint32_t index, uint32_t msr) {
  uint64_t v = ~0ull;
  cr_assert(tl_rdmsr(part, index, msr, &v), "rdmsr 0x%x faulted", msr);
  return v;
}

void tl_synic_on(uint16_t part, uint32_t index, uint64_t simp_gpa, uint64_t siefp_gpa) {
  cr_assert(tl_wrmsr(part, index, HV_X64_MSR_SCONTROL, 1));
  if (simp_gpa)
    cr_assert(tl_wrmsr(part, index, HV_X64_MSR_SIMP, simp_gpa | 1), "SIMP at 0x%llx",
              (unsigned long long)simp_gpa);
  if (siefp_gpa)
    cr_assert(tl_wrmsr(part, index, HV_X64_MSR_SIEFP, siefp_gpa | 1), "SIEFP at 0x%llx",
              (unsigned long long)siefp_gpa);
}

bool tl_irr(uint16_t part, uint32_t index, uint8_t vector) {
  return (tl_vp(part, index)->apic.irr[vector >> 6] >> (vector & 63)) & 1;
}

bool tl_isr(uint16_t part, uint32_t index, uint8_t vector) {
  return (tl_vp(part, index)->apic.isr[vector >> 6] >> (vector & 63)) & 1;
}

void tl_apic_clear(uint16_t part, uint32_t index) {
  struct hv_vp *vp = tl_vp(part, index);
  memset(vp->apic.irr, 0, sizeof vp->apic.irr);
  memset(vp->apic.isr, 0, sizeof vp->apic.isr);
}

void tl_msg_read(uint16_t part, uint64_t simp_gpa, uint8_t sint, uint8_t msg[256]) {
  cr_assert_eq(gpa_read(tl_hv(), part, gpa(simp_gpa + 256ull * sint), msg, 256), HV_STATUS_SUCCESS);
}

void tl_msg_clear(uint16_t part, uint64_t simp_gpa, uint8_t sint) {
  uint32_t none = HVMSG_NONE;
  cr_assert_eq(gpa_write(tl_hv(), part, gpa(simp_gpa + 256ull * sint), &none, 4), HV_STATUS_SUCCESS);
}

uint16_t tl_create_port(uint16_t caller, uint64_t port_part, uint32_t port_id, uint64_t conn_part,
                        uint32_t type, uint32_t sint, uint32_t vp, uint16_t base, uint16_t count) {
  uint8_t in[56] = {0};
  memcpy(in + 0, &port_part, 8);
  memcpy(in + 8, &port_id, 4);
  memcpy(in + 16, &conn_part, 8);
  memcpy(in + 24, &type, 4);
  memcpy(in + 32, &sint, 4);
  memcpy(in + 36, &vp, 4);
  memcpy(in + 40, &base, 2);
  memcpy(in + 42, &count, 2);
  return tl_st(tl_call(caller, 0, HVCALL_CREATE_PORT, in, sizeof in, 0, 0));
}

uint16_t tl_delete_port(uint16_t caller, uint64_t port_part, uint32_t port_id) {
  uint64_t in[2] = {port_part, port_id};
  return tl_st(tl_call(caller, 0, HVCALL_DELETE_PORT, in, sizeof in, 0, 0));
}

uint16_t tl_connect_port(uint16_t caller, uint64_t conn_part, uint32_t conn_id, uint64_t port_part,
                         uint32_t port_id) {
  uint8_t in[72] = {0};
  memcpy(in + 0, &conn_part, 8);
  memcpy(in + 8, &conn_id, 4);
  memcpy(in + 16, &port_part, 8);
  memcpy(in + 24, &port_id, 4);
  return tl_st(tl_call(caller, 0, HVCALL_CONNECT_PORT, in, sizeof in, 0, 0));
}

uint16_t tl_disconnect_port(uint16_t caller, uint64_t conn_part, uint32_t conn_id) {
  uint64_t in[2] = {conn_part, conn_id};
  return tl_st(tl_call(caller, 0, HVCALL_DISCONNECT_PORT, in, sizeof in, 0, 0));
}

uint16_t tl_post(uint16_t caller, uint32_t vp, uint32_t conn_id, uint32_t type, const void *payload,
                 uint32_t size) {
  uint8_t in[256] = {0};
  memcpy(in + 0, &conn_id, 4);
  memcpy(in + 8, &type, 4);
  memcpy(in + 12, &size, 4);
  if (payload)
    memcpy(in + 16, payload, size < 240 ? size : 240);
  return tl_st(tl_call(caller, vp, HVCALL_POST_MESSAGE, in, sizeof in, 0, 0));
}

uint16_t tl_signal(uint16_t caller, uint32_t vp, uint32_t conn_id, uint16_t flag) {
  uint8_t in[8] = {0};
  memcpy(in + 0, &conn_id, 4);
  memcpy(in + 4, &flag, 2);
  return tl_st(tl_call(caller, vp, HVCALL_SIGNAL_EVENT, in, sizeof in, 0, 0));
}
