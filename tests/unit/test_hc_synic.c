/*
 * test_hc_synic.c — the inter-partition communication and interrupt
 * hypercalls (hv/core/hc_synic.c): HvCallCreatePort, DeletePort,
 * ConnectPort, DisconnectPort, PostMessage, SignalEvent,
 * AssertVirtualInterrupt and MapDeviceInterrupt — success and every error
 * status each can return. Privileges are taken away by editing
 * partitions[slot].privileges directly.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testlib.h"

TestSuite(hc_synic, .init = tl_setup, .fini = tl_teardown);

#define SIMP0 0x10000ull
#define SIEF0 0x11000ull
#define MSG 1u
#define EVT 2u

static uint16_t cs;
static uint64_t cid;

/* A child with 2 VPs (VP 0's SynIC on, SINT2 = 0x52, SINT3 = 0x53) and
 * spare pool pages for port buffers. */
static void child(void) {
  cid = tl_child(32, 2, &cs);
  cr_assert_eq(tl_deposit(cid, 4), HV_STATUS_SUCCESS);
  tl_synic_on(cs, 0, SIMP0, SIEF0);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 2, 0x52));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
}

static uint32_t ports_in_use(void) {
  uint32_t n = 0;
  for (int i = 0; i < HV_MAX_PORTS; i++)
    n += tl_hv()->ports[i].in_use;
  return n;
}

static struct hv_port *port_of(uint16_t part, uint32_t id) {
  for (int i = 0; i < HV_MAX_PORTS; i++)
    if (tl_hv()->ports[i].in_use && tl_hv()->ports[i].partition == part && tl_hv()->ports[i].id == id)
      return &tl_hv()->ports[i];
  return 0;
}

/* CreatePort input with one u32 replaced (offset off, value v). */
static uint16_t create_raw(uint16_t caller, uint64_t port_part, uint32_t id, size_t off, uint32_t v) {
  uint8_t in[56] = {0};
  uint64_t conn = HV_PARTITION_ID_SELF;
  uint32_t type = EVT, sint = 3, vp = 0, flags = 1u << 16; /* base 0, count 1 */
  memcpy(in + 0, &port_part, 8);
  memcpy(in + 8, &id, 4);
  memcpy(in + 16, &conn, 8);
  memcpy(in + 24, &type, 4);
  memcpy(in + 32, &sint, 4);
  memcpy(in + 36, &vp, 4);
  memcpy(in + 40, &flags, 4);
  memcpy(in + off, &v, 4);
  return tl_st(tl_call(caller, 0, HVCALL_CREATE_PORT, in, sizeof in, 0, 0));
}

static uint16_t connect_raw(uint64_t conn_part, uint32_t conn_id, uint64_t port_part, uint32_t port_id,
                            size_t off, uint32_t v) {
  uint8_t in[72] = {0};
  memcpy(in + 0, &conn_part, 8);
  memcpy(in + 8, &conn_id, 4);
  memcpy(in + 16, &port_part, 8);
  memcpy(in + 24, &port_id, 4);
  memcpy(in + off, &v, 4);
  return tl_st(tl_call(0, 0, HVCALL_CONNECT_PORT, in, sizeof in, 0, 0));
}

static uint16_t post1(uint32_t conn, uint32_t type) { return tl_post(0, 0, conn, type, "x", 1); }

/* ---- HvCallCreatePort ------------------------------------------------ */

Test(hc_synic, create_port_success) {
  child();
  uint64_t free0 = tl_part(cs)->pool_free, used0 = tl_part(cs)->pool_used;
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, HV_ANY_VP, 0, 0), HV_STATUS_SUCCESS);
  struct hv_port *p = port_of(cs, 1);
  cr_assert_not_null(p);
  cr_assert_eq(p->type, HV_PORT_TYPE_MESSAGE);
  cr_assert_eq(p->sint, 2);
  cr_assert_eq(p->vp, 0, "HV_ANY_VP targets VP 0");
  cr_assert_eq(p->conn_partition, 0, "connectable from the root");
  cr_assert_neq(p->buffers.v, 0);
  cr_assert_eq(tl_part(cs)->pool_free, free0 - 1, "message buffers from the port owner's pool");
  cr_assert_eq(tl_part(cs)->pool_used, used0 + 1);
  cr_assert_eq(tl_create_port(0, cid, 0xFFFFFF, cid, EVT, 15, 1, 2000, 48), HV_STATUS_SUCCESS,
               "largest id, flags up to 2047");
  p = port_of(cs, 0xFFFFFF);
  cr_assert_not_null(p);
  cr_assert_eq(p->base_flag, 2000);
  cr_assert_eq(p->flag_count, 48);
  cr_assert_eq(p->conn_partition, cs);
  cr_assert_eq(tl_part(cs)->pool_free, free0 - 1, "event ports take no page");
  cr_assert_eq(tl_create_port(0, HV_PARTITION_ID_SELF, 1, cid, EVT, 0, 0, 0, 1), HV_STATUS_SUCCESS,
               "ids are per partition");
  cr_assert_eq(tl_create_port(0, cid, 7, HV_PARTITION_ID_SELF, MSG, 2, 5, 0, 0), HV_STATUS_SUCCESS,
               "the target VP need not exist yet");
  cr_assert_eq(ports_in_use(), 4);
}

Test(hc_synic, create_port_access_denied) {
  child();
  tl_part(0)->privileges &= ~HV_CREATE_PORT;
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_eq(tl_create_port(0, HV_PARTITION_ID_SELF, 1, cid, EVT, 3, 0, 0, 1), HV_STATUS_ACCESS_DENIED);
  tl_part(0)->privileges |= HV_CREATE_PORT;
  cr_assert_eq(tl_create_port(cs, HV_PARTITION_ID_SELF, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1),
               HV_STATUS_ACCESS_DENIED, "a child has no CreatePort privilege by default");
  tl_part(cs)->privileges |= HV_CREATE_PORT;
  cr_assert_eq(tl_create_port(cs, HV_ROOT_PARTITION_ID, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1),
               HV_STATUS_ACCESS_DENIED, "not in its parent");
  uint16_t s2;
  uint64_t sib = tl_child(16, 1, &s2);
  cr_assert_eq(tl_create_port(cs, sib, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1), HV_STATUS_ACCESS_DENIED,
               "not in a sibling");
  cr_assert_eq(ports_in_use(), 0);
  cr_assert_eq(tl_create_port(cs, HV_PARTITION_ID_SELF, 1, HV_ROOT_PARTITION_ID, EVT, 3, 0, 0, 1),
               HV_STATUS_SUCCESS, "in itself, with the privilege");
}

Test(hc_synic, create_port_invalid_partition) {
  child();
  cr_assert_eq(tl_create_port(0, 999, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_create_port(0, cid, 1, 999, EVT, 3, 0, 0, 1), HV_STATUS_INVALID_PARTITION_ID,
               "unknown connection partition");
  cr_assert_eq(ports_in_use(), 0);
}

Test(hc_synic, create_port_duplicate_id) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 5, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  uint64_t free0 = tl_part(cs)->pool_free;
  cr_assert_eq(tl_create_port(0, cid, 5, HV_PARTITION_ID_SELF, MSG, 4, 1, 0, 0), HV_STATUS_INVALID_PORT_ID);
  cr_assert_eq(tl_create_port(0, cid, 5, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1), HV_STATUS_INVALID_PORT_ID);
  cr_assert_eq(tl_part(cs)->pool_free, free0, "nothing allocated");
  cr_assert_eq(port_of(cs, 5)->sint, 2, "the first port unchanged");
  cr_assert_eq(ports_in_use(), 1);
}

Test(hc_synic, create_port_invalid_parameter) {
  child();
  cr_assert_eq(create_raw(0, cid, 1u << 24, 8, 1u << 24), HV_STATUS_INVALID_PARAMETER, "port id bits 31:24");
  cr_assert_eq(create_raw(0, cid, 1, 12, 1), HV_STATUS_INVALID_PARAMETER, "PortVtl");
  cr_assert_eq(create_raw(0, cid, 1, 12, 1u << 16), HV_STATUS_INVALID_PARAMETER, "reserved");
  cr_assert_eq(create_raw(0, cid, 1, 28, 1), HV_STATUS_INVALID_PARAMETER, "PortInfo padding");
  cr_assert_eq(create_raw(0, cid, 1, 24, 0), HV_STATUS_INVALID_PARAMETER, "port type 0");
  cr_assert_eq(create_raw(0, cid, 1, 24, 3), HV_STATUS_INVALID_PARAMETER, "monitor ports are not supported");
  cr_assert_eq(create_raw(0, cid, 1, 32, 16), HV_STATUS_INVALID_PARAMETER, "SINT 16");
  cr_assert_eq(create_raw(0, cid, 1, 40, 0), HV_STATUS_INVALID_PARAMETER, "event port without flags");
  cr_assert_eq(create_raw(0, cid, 1, 40, 2000 | (49u << 16)), HV_STATUS_INVALID_PARAMETER, "flag 2048");
  cr_assert_eq(ports_in_use(), 0);
  cr_assert_eq(create_raw(0, cid, 1, 40, 2000 | (48u << 16)), HV_STATUS_SUCCESS);
}

Test(hc_synic, create_port_invalid_vp_index) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, HV_MAX_VPS_PER_PARTITION, 0, 0),
               HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, EVT, 3, 0xFFFFFFFEu, 0, 1),
               HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(ports_in_use(), 0);
}

Test(hc_synic, create_port_insufficient_memory) {
  child();
  tl_withdraw_all(cid);
  cr_assert_eq(tl_part(cs)->pool_free, 0);
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_INSUFFICIENT_MEMORY,
               "the port owner's pool is empty");
  cr_assert_eq(ports_in_use(), 0);
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 1), HV_STATUS_SUCCESS,
               "an event port needs no buffers");
  cr_assert_eq(tl_deposit(cid, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 2, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  /* the root's pool pays for ports in the root */
  tl_withdraw_all(HV_PARTITION_ID_SELF);
  cr_assert_eq(tl_create_port(0, HV_PARTITION_ID_SELF, 3, cid, MSG, 0, 0, 0, 0),
               HV_STATUS_INSUFFICIENT_MEMORY);
}

/* ---- HvCallDeletePort ------------------------------------------------ */

Test(hc_synic, delete_port) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 9, cid, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(9, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(9, 2), HV_STATUS_SUCCESS); /* queued behind the first */
  uint64_t free0 = tl_part(cs)->pool_free;
  tl_part(0)->privileges &= ~HV_CREATE_PORT;
  cr_assert_eq(tl_delete_port(0, cid, 1), HV_STATUS_ACCESS_DENIED);
  tl_part(0)->privileges |= HV_CREATE_PORT;
  cr_assert_eq(tl_delete_port(0, 999, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_delete_port(0, cid, 2), HV_STATUS_INVALID_PORT_ID);
  cr_assert_eq(tl_delete_port(0, HV_PARTITION_ID_SELF, 1), HV_STATUS_INVALID_PORT_ID, "not the root's");
  tl_part(cs)->privileges |= HV_CREATE_PORT;
  cr_assert_eq(tl_delete_port(cs, HV_ROOT_PARTITION_ID, 1), HV_STATUS_ACCESS_DENIED);
  cr_assert_not_null(port_of(cs, 1));

  cr_assert_eq(tl_delete_port(0, cid, 1), HV_STATUS_SUCCESS);
  cr_assert_null(port_of(cs, 1));
  cr_assert_eq(tl_part(cs)->pool_free, free0 + 1, "buffers back to the owner's pool");
  cr_assert_eq(post1(9, 3), HV_STATUS_INVALID_CONNECTION_ID, "its connections went with it");
  tl_msg_clear(cs, SIMP0, 2);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0));
  uint8_t m[256];
  tl_msg_read(cs, SIMP0, 2, m);
  cr_assert_eq(tl_u32(m), 0, "its queued message is gone");
  cr_assert_eq(tl_delete_port(0, cid, 1), HV_STATUS_INVALID_PORT_ID, "deleted twice");
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS,
               "the id can be used again");
}

/* ---- HvCallConnectPort / DisconnectPort ------------------------------ */

Test(hc_synic, connect_port) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 2, cid, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 1, cid, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, HV_ROOT_PARTITION_ID, 2, cid, 1), HV_STATUS_SUCCESS,
               "two connections to one port");
  cr_assert_eq(tl_connect_port(0, cid, 1, cid, 2), HV_STATUS_SUCCESS,
               "the root connects its child (the port's connection partition)");
  cr_assert_eq(post1(1, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(2, 1), HV_STATUS_SUCCESS);

  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 1, cid, 1), HV_STATUS_INVALID_CONNECTION_ID,
               "connection id in use");
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 3, cid, 2), HV_STATUS_ACCESS_DENIED,
               "the port names another connection partition");
  cr_assert_eq(tl_connect_port(0, 999, 3, cid, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 3, 999, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 3, cid, 7), HV_STATUS_INVALID_PORT_ID, "no such port");
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 3, HV_PARTITION_ID_SELF, 1), HV_STATUS_INVALID_PORT_ID,
               "port 1 is the child's, not the root's");
  cr_assert_eq(connect_raw(HV_PARTITION_ID_SELF, 1u << 24 | 3, cid, 1, 28, 0), HV_STATUS_INVALID_PARAMETER,
               "connection id bits 31:24");
  cr_assert_eq(connect_raw(HV_PARTITION_ID_SELF, 3, cid, 1, 12, 1), HV_STATUS_INVALID_PARAMETER, "ConnectionVtl");
  tl_part(0)->privileges &= ~HV_CONNECT_PORT;
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 3, cid, 1), HV_STATUS_ACCESS_DENIED, "no ConnectPort");
  tl_part(0)->privileges |= HV_CONNECT_PORT;
  cr_assert_eq(tl_connect_port(cs, HV_PARTITION_ID_SELF, 3, cid, 2), HV_STATUS_ACCESS_DENIED,
               "a child has no ConnectPort privilege by default");
  tl_part(cs)->privileges |= HV_CONNECT_PORT;
  cr_assert_eq(tl_connect_port(cs, HV_ROOT_PARTITION_ID, 3, cid, 1), HV_STATUS_ACCESS_DENIED,
               "not on behalf of its parent");
  cr_assert_eq(tl_connect_port(cs, HV_PARTITION_ID_SELF, 3, cid, 2), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_post(cs, 0, 3, 5, "y", 1), HV_STATUS_SUCCESS, "the child posts to its own port");
}

Test(hc_synic, disconnect_port) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 1, cid, 1), HV_STATUS_SUCCESS);
  tl_part(0)->privileges &= ~HV_CONNECT_PORT;
  cr_assert_eq(tl_disconnect_port(0, HV_PARTITION_ID_SELF, 1), HV_STATUS_ACCESS_DENIED);
  tl_part(0)->privileges |= HV_CONNECT_PORT;
  cr_assert_eq(tl_disconnect_port(0, 999, 1), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(tl_disconnect_port(0, HV_PARTITION_ID_SELF, 2), HV_STATUS_INVALID_CONNECTION_ID);
  cr_assert_eq(tl_disconnect_port(0, cid, 1), HV_STATUS_INVALID_CONNECTION_ID, "the child has no connection 1");
  cr_assert_eq(post1(1, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_disconnect_port(0, HV_PARTITION_ID_SELF, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(1, 1), HV_STATUS_INVALID_CONNECTION_ID);
  cr_assert_eq(tl_disconnect_port(0, HV_PARTITION_ID_SELF, 1), HV_STATUS_INVALID_CONNECTION_ID);
  cr_assert_not_null(port_of(cs, 1), "the port stays");
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 1, cid, 1), HV_STATUS_SUCCESS, "reconnect");
}

/* ---- HvCallPostMessage ------------------------------------------------ */

/* conn 1 -> message port 1 (SINT 2, VP 0); conn 2 -> event port 2;
 * conn 3 -> message port 3 (VP 5, which does not exist). */
static void post_setup(void) {
  child();
  cr_assert_eq(tl_create_port(0, cid, 1, HV_PARTITION_ID_SELF, MSG, 2, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 2, HV_PARTITION_ID_SELF, EVT, 3, 0, 0, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, cid, 3, HV_PARTITION_ID_SELF, MSG, 2, 5, 0, 0), HV_STATUS_SUCCESS);
  for (uint32_t i = 1; i <= 3; i++)
    cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, i, cid, i), HV_STATUS_SUCCESS);
}

static uint16_t post_raw(uint32_t conn, uint32_t rsvd, uint32_t type, uint32_t size) {
  uint32_t in[64] = {conn, rsvd, type, size};
  return tl_st(tl_call(0, 0, HVCALL_POST_MESSAGE, in, sizeof in, 0, 0));
}

Test(hc_synic, post_message_errors) {
  post_setup();
  cr_assert_eq(post1(1, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(99, 1), HV_STATUS_INVALID_CONNECTION_ID, "no such connection");
  cr_assert_eq(post1(1 | (1u << 24), 1), HV_STATUS_INVALID_CONNECTION_ID, "bits 31:24");
  cr_assert_eq(tl_post(cs, 0, 1, 1, "x", 1), HV_STATUS_INVALID_CONNECTION_ID, "the root's connection, not the child's");
  cr_assert_eq(post1(2, 1), HV_STATUS_INVALID_PORT_ID, "an event port");
  cr_assert_eq(post1(3, 1), HV_STATUS_INVALID_VP_INDEX, "the port's VP does not exist");
  cr_assert_eq(post1(1, 0), HV_STATUS_INVALID_PARAMETER, "message type 0");
  cr_assert_eq(post1(1, 0x80000000u), HV_STATUS_INVALID_PARAMETER, "hypervisor message types");
  cr_assert_eq(post1(1, HVMSG_TIMER_EXPIRED), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(post_raw(1, 0, 1, 241), HV_STATUS_INVALID_PARAMETER, "payload over 240 bytes");
  cr_assert_eq(post_raw(1, 0, 1, 0xFFFFFFFFu), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(post_raw(1, 1, 1, 4), HV_STATUS_INVALID_PARAMETER, "RsvdZ");
  cr_assert_eq(post_raw(1, 0, 0x7FFFFFFFu, 240), HV_STATUS_SUCCESS, "largest guest type, full payload");
  tl_part(0)->privileges &= ~HV_POST_MESSAGES;
  cr_assert_eq(post1(1, 1), HV_STATUS_ACCESS_DENIED, "no PostMessages privilege");
  cr_assert_eq(post1(99, 1), HV_STATUS_ACCESS_DENIED, "checked first");
  tl_part(0)->privileges |= HV_POST_MESSAGES;
  cr_assert_eq(port_of(cs, 1)->pending, 1, "exactly the two valid posts went through (one in the slot)");
}

Test(hc_synic, post_message_synic_state) {
  post_setup();
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0));
  cr_assert_eq(post1(1, 1), HV_STATUS_INVALID_SYNIC_STATE, "SIM page disabled");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIMP, SIMP0 | 1));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 0));
  cr_assert_eq(post1(1, 1), HV_STATUS_INVALID_SYNIC_STATE, "SynIC disabled");
  cr_assert_eq(port_of(cs, 1)->pending, 0, "nothing queued");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SCONTROL, 1));
  cr_assert_eq(post1(1, 1), HV_STATUS_SUCCESS);
}

Test(hc_synic, post_message_insufficient_buffers) {
  post_setup();
  for (uint32_t i = 1; i <= 1 + HV_PORT_BUFFERS; i++)
    cr_assert_eq(post1(1, i), HV_STATUS_SUCCESS, "post %u", i);
  cr_assert_eq(port_of(cs, 1)->pending, 0xFFFF, "one message in the slot, 16 in the port's buffers");
  cr_assert_eq(post1(1, 100), HV_STATUS_INSUFFICIENT_BUFFERS);
  cr_assert_eq(post1(1, 101), HV_STATUS_INSUFFICIENT_BUFFERS);
  tl_msg_clear(cs, SIMP0, 2);
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0));
  cr_assert_eq(post1(1, 102), HV_STATUS_SUCCESS, "a buffer freed by delivery");
  cr_assert_eq(post1(1, 103), HV_STATUS_INSUFFICIENT_BUFFERS);
  /* the queue drains in order, the late message last */
  uint8_t m[256];
  for (uint32_t want = 2; want <= 18; want++) {
    tl_msg_read(cs, SIMP0, 2, m);
    cr_assert_eq(tl_u32(m), want == 18 ? 102 : want, "delivery %u", want);
    tl_msg_clear(cs, SIMP0, 2);
    cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_EOM, 0));
  }
  cr_assert_eq(port_of(cs, 1)->pending, 0);
}

Test(hc_synic, post_message_inactive_port_owner) {
  post_setup();
  cr_assert_eq(tl_finalize(cid), HV_STATUS_SUCCESS);
  cr_assert_eq(post1(1, 1), HV_STATUS_INVALID_PORT_ID, "the port's partition is not active");
}

Test(hc_synic, child_posts_to_root_port) {
  child();
  uint64_t simp = tl_root_pages(1) << 12;
  tl_synic_on(0, 0, simp, 0);
  cr_assert(tl_wrmsr(0, 0, HV_X64_MSR_SINT0 + 4, 0x64));
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, HV_PARTITION_ID_SELF, 0x1234, cid, MSG, 4, 0, 0, 0), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, cid, 7, HV_PARTITION_ID_SELF, 0x1234), HV_STATUS_SUCCESS);
  uint8_t pl[3] = {1, 2, 3};
  cr_assert_eq(tl_post(cs, 1, 7, 42, pl, 3), HV_STATUS_SUCCESS, "from the child's VP 1");
  uint8_t m[256];
  cr_assert_eq(gpa_read(tl_hv(), 0, gpa(simp + 4 * 256), m, 256), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_u32(m), 42);
  cr_assert_eq(m[4], 3);
  cr_assert_eq(tl_u64(m + 8), 0x1234, "origin: port id");
  cr_assert_eq(memcmp(m + 16, pl, 3), 0);
  cr_assert(tl_irr(0, 0, 0x64));
  tl_part(cs)->privileges &= ~HV_POST_MESSAGES;
  cr_assert_eq(tl_post(cs, 1, 7, 42, pl, 3), HV_STATUS_ACCESS_DENIED);
}

Test(hc_synic, ports_die_with_their_partition) {
  post_setup();
  cr_assert_eq(post1(1, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_finalize(cid), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_delete(cid), HV_STATUS_SUCCESS);
  cr_assert_eq(ports_in_use(), 0);
  cr_assert_eq(post1(1, 1), HV_STATUS_INVALID_CONNECTION_ID);
  for (int i = 0; i < HV_MAX_CONNECTIONS; i++)
    cr_assert_not(tl_hv()->connections[i].in_use, "connection %d left behind", i);
}

Test(hc_synic, port_authorisation_dies_with_the_partition) {
  child();
  cr_assert_eq(tl_deposit(HV_PARTITION_ID_SELF, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_create_port(0, HV_PARTITION_ID_SELF, 5, cid, MSG, 4, 0, 0, 0), HV_STATUS_SUCCESS);
  uint16_t old = cs;
  cr_assert_eq(tl_finalize(cid), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_delete(cid), HV_STATUS_SUCCESS);
  uint16_t s2;
  uint64_t next = tl_child(16, 1, &s2);
  cr_assert_neq(next, cid);
  cr_assert_eq(s2, old, "the new partition reuses the slot");
  tl_part(s2)->privileges |= HV_CONNECT_PORT;
  cr_assert_eq(tl_connect_port(s2, HV_PARTITION_ID_SELF, 1, HV_ROOT_PARTITION_ID, 5), HV_STATUS_ACCESS_DENIED,
               "the port named the deleted partition, not whoever has its slot now");
  cr_assert_eq(tl_connect_port(0, next, 1, HV_PARTITION_ID_SELF, 5), HV_STATUS_ACCESS_DENIED);
}

/* ---- HvCallSignalEvent -------------------------------------------------- */

static uint16_t signal_raw(uint32_t conn, uint32_t flag_and_rsvd) {
  uint32_t in[2] = {conn, flag_and_rsvd};
  return tl_st(tl_call(0, 0, HVCALL_SIGNAL_EVENT, in, sizeof in, 0, 0));
}

Test(hc_synic, signal_event) {
  post_setup();
  cr_assert_eq(tl_create_port(0, cid, 4, HV_PARTITION_ID_SELF, EVT, 3, 5, 0, 8), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_connect_port(0, HV_PARTITION_ID_SELF, 4, cid, 4), HV_STATUS_SUCCESS);
  cr_assert_eq(tl_signal(0, 0, 2, 7), HV_STATUS_SUCCESS);
  cr_assert(tl_irr(cs, 0, 0x53));
  uint8_t b;
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(SIEF0 + 3 * 256), &b, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(b, 0x80);
  uint64_t fast = 2 | (6ull << 32);
  cr_assert_eq(tl_st(tl_call(0, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, &fast, 8, 0, 0)),
               HV_STATUS_SUCCESS, "fast form: RDX = ConnectionId | FlagNumber << 32");
  cr_assert_eq(gpa_read(tl_hv(), cs, gpa(SIEF0 + 3 * 256), &b, 1), HV_STATUS_SUCCESS);
  cr_assert_eq(b, 0xC0);

  cr_assert_eq(tl_signal(0, 0, 2, 8), HV_STATUS_INVALID_PARAMETER, "flag beyond the port's count");
  cr_assert_eq(signal_raw(2, 1u << 16), HV_STATUS_INVALID_PARAMETER, "RsvdZ");
  cr_assert_eq(tl_signal(0, 0, 99, 0), HV_STATUS_INVALID_CONNECTION_ID);
  cr_assert_eq(tl_signal(0, 0, 2 | (1u << 24), 0), HV_STATUS_INVALID_CONNECTION_ID);
  cr_assert_eq(tl_signal(0, 0, 1, 0), HV_STATUS_INVALID_PORT_ID, "a message port");
  cr_assert_eq(tl_signal(0, 0, 4, 0), HV_STATUS_INVALID_VP_INDEX, "the port's VP does not exist");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, HV_SINT_MASKED | 0x53));
  cr_assert_eq(tl_signal(0, 0, 2, 0), HV_STATUS_INVALID_SYNIC_STATE, "masked SINT");
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SINT0 + 3, 0x53));
  cr_assert(tl_wrmsr(cs, 0, HV_X64_MSR_SIEFP, 0));
  cr_assert_eq(tl_signal(0, 0, 2, 0), HV_STATUS_INVALID_SYNIC_STATE, "SIEF page disabled");
  tl_part(0)->privileges &= ~HV_SIGNAL_EVENTS;
  cr_assert_eq(tl_signal(0, 0, 2, 0), HV_STATUS_ACCESS_DENIED, "no SignalEvents privilege");
}

/* ---- HvCallAssertVirtualInterrupt ---------------------------------------- */

static uint16_t assert_irq(uint16_t caller, uint64_t part, uint32_t type, uint64_t dest, uint32_t vector,
                           uint32_t vtl) {
  uint8_t in[32] = {0};
  memcpy(in + 0, &part, 8);
  memcpy(in + 8, &type, 4);
  memcpy(in + 16, &dest, 8);
  memcpy(in + 24, &vector, 4);
  memcpy(in + 28, &vtl, 4);
  return tl_st(tl_call(caller, 0, HVCALL_ASSERT_VIRTUAL_INTERRUPT, in, sizeof in, 0, 0));
}

Test(hc_synic, assert_virtual_interrupt) {
  child();
  cr_assert_eq(assert_irq(0, cid, 0, 1, 0x77, 0), HV_STATUS_SUCCESS);
  cr_assert(tl_irr(cs, 1, 0x77), "in VP 1's IRR");
  cr_assert_not(tl_irr(cs, 0, 0x77));
  cr_assert_eq(assert_irq(0, cid, 0, 0, 16, 0), HV_STATUS_SUCCESS, "vector 16");
  cr_assert_eq(assert_irq(0, cid, 0, 0, 255, 0), HV_STATUS_SUCCESS, "vector 255");
  cr_assert(tl_irr(cs, 0, 16) && tl_irr(cs, 0, 255));
  tl_apic_clear(cs, 0);
  tl_apic_clear(cs, 1);

  cr_assert_eq(assert_irq(0, 999, 0, 0, 0x77, 0), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(assert_irq(0, HV_PARTITION_ID_SELF, 0, 0, 0x77, 0), HV_STATUS_ACCESS_DENIED, "not a child");
  cr_assert_eq(assert_irq(cs, cid, 0, 0, 0x77, 0), HV_STATUS_ACCESS_DENIED, "the child itself");
  cr_assert_eq(assert_irq(0, cid, 1, 0, 0x77, 0), HV_STATUS_INVALID_PARAMETER, "only fixed interrupts");
  cr_assert_eq(assert_irq(0, cid, 0, 0, 15, 0), HV_STATUS_INVALID_PARAMETER, "vector < 16");
  cr_assert_eq(assert_irq(0, cid, 0, 0, 256, 0), HV_STATUS_INVALID_PARAMETER, "vector > 255");
  cr_assert_eq(assert_irq(0, cid, 0, 0, 0x77, 1), HV_STATUS_INVALID_PARAMETER, "TargetVtl");
  cr_assert_eq(assert_irq(0, cid, 0, 2, 0x77, 0), HV_STATUS_INVALID_VP_INDEX, "no VP 2");
  cr_assert_eq(assert_irq(0, cid, 0, HV_MAX_VPS_PER_PARTITION, 0x77, 0), HV_STATUS_INVALID_VP_INDEX);
  cr_assert_eq(assert_irq(0, cid, 0, 1ull << 32, 0x77, 0), HV_STATUS_INVALID_VP_INDEX);
  tl_part(0)->privileges &= ~HV_CREATE_PARTITIONS;
  cr_assert_eq(assert_irq(0, cid, 0, 0, 0x77, 0), HV_STATUS_ACCESS_DENIED, "only a parent");
  for (uint32_t i = 0; i < 2; i++)
    for (unsigned w = 0; w < 4; w++)
      cr_assert_eq(tl_vp(cs, i)->apic.irr[w], 0, "no failed call posted anything");
}

/* ---- HvCallMapDeviceInterrupt -------------------------------------------- */

static uint16_t map_irq(uint16_t caller, uint64_t part, uint32_t phys, uint32_t vp, uint32_t vec,
                        uint32_t rsvd) {
  uint8_t in[24] = {0};
  memcpy(in + 0, &part, 8);
  memcpy(in + 8, &phys, 4);
  memcpy(in + 12, &vp, 4);
  memcpy(in + 16, &vec, 4);
  memcpy(in + 20, &rsvd, 4);
  return tl_st(tl_call(caller, 0, HVCALL_MAP_DEVICE_INTERRUPT, in, sizeof in, 0, 0));
}

Test(hc_synic, map_device_interrupt_routes) {
  child();
  hv_irq_raise(tl_hv(), 0, 0x40);
  cr_assert(tl_irr(0, 0, 0x40), "unrouted: the root's VP 0, same vector");
  tl_apic_clear(0, 0);
  cr_assert_eq(map_irq(0, cid, 0x40, 1, 0x51, 0), HV_STATUS_SUCCESS);
  hv_irq_raise(tl_hv(), 1, 0x40);
  cr_assert(tl_irr(cs, 1, 0x51), "routed to the child's VP 1 as vector 0x51");
  cr_assert_not(tl_irr(0, 0, 0x40));
  cr_assert_not(tl_irr(cs, 1, 0x40));
  hv_irq_raise(tl_hv(), 0, 0x41);
  cr_assert(tl_irr(0, 0, 0x41), "other vectors stay the root's");
  cr_assert_eq(map_irq(0, HV_PARTITION_ID_SELF, 0x42, 1, 0x62, 0), HV_STATUS_SUCCESS);
  hv_irq_raise(tl_hv(), 0, 0x42);
  cr_assert(tl_irr(0, 1, 0x62), "routed to the root's VP 1 as vector 0x62");
  cr_assert_not(tl_irr(0, 1, 0x42));
}

Test(hc_synic, map_device_interrupt_errors) {
  child();
  cr_assert_eq(map_irq(cs, cid, 0x40, 0, 0x51, 0), HV_STATUS_ACCESS_DENIED, "the routing table is the root's");
  cr_assert_eq(map_irq(0, 999, 0x40, 0, 0x51, 0), HV_STATUS_INVALID_PARTITION_ID);
  cr_assert_eq(map_irq(0, cid, 15, 0, 0x51, 0), HV_STATUS_INVALID_PARAMETER, "physical vector < 16");
  cr_assert_eq(map_irq(0, cid, 256, 0, 0x51, 0), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(map_irq(0, cid, 0x40, 0, 15, 0), HV_STATUS_INVALID_PARAMETER, "target vector < 16");
  cr_assert_eq(map_irq(0, cid, 0x40, 0, 256, 0), HV_STATUS_INVALID_PARAMETER);
  cr_assert_eq(map_irq(0, cid, 0x40, 0, 0x51, 1), HV_STATUS_INVALID_PARAMETER, "RsvdZ");
  cr_assert_eq(map_irq(0, cid, 0x40, HV_MAX_VPS_PER_PARTITION, 0x51, 0), HV_STATUS_INVALID_VP_INDEX);
  hv_irq_raise(tl_hv(), 0, 0x40);
  cr_assert(tl_irr(0, 0, 0x40), "no failed call changed the route");
}

Test(hc_synic, device_interrupts_return_to_root_when_owner_deleted) {
  cid = tl_child(16, 4, &cs);
  cr_assert_eq(map_irq(0, cid, 0x48, 3, 0x58, 0), HV_STATUS_SUCCESS);
  hv_irq_raise(tl_hv(), 0, 0x48);
  cr_assert(tl_irr(cs, 3, 0x58));
  cr_assert_eq(tl_finalize(cid), HV_STATUS_SUCCESS);
  hv_irq_raise(tl_hv(), 0, 0x48);
  cr_assert_eq(tl_delete(cid), HV_STATUS_SUCCESS);
  hv_irq_raise(tl_hv(), 0, 0x48);
  cr_assert(tl_irr(0, 0, 0x48), "back to the root's VP 0 with its own vector");
}
