/*
 * vmbus_protocol.c — walks the VMBus channel protocol through its less
 * travelled paths and marks each step (MARK_COUNT, value = step):
 *   1 contact: 5.3 (WS2022) on connection 4 with SINT 2, the answer naming
 *     connection 4 for the messages that follow
 *   2 UNLOAD before any REQUESTOFFERS, answered
 *   3 contact again and REQUESTOFFERS: every offer arrives again
 *   4 open the network channel on a 40-page ring GPADL (GPADL_HEADER with
 *     26 PFNs + one GPADL_BODY), NVSP INIT answered on it
 *   5 CLOSECHANNEL + GPADL_TEARDOWN -> GPADL_TORNDOWN
 *   6 reopen on a fresh 16-page GPADL, NVSP INIT answered again
 *   7 a GPADL over a page outside the partition: refused (GPADL_CREATED
 *     with a failure status); then the channel is closed by the host
 *   8 UNLOAD -> UNLOAD_RESPONSE
 * MARK_DONE with the number of steps passed (8); MARK_ERROR with the step
 * that failed.
 *
 * Memory: rings at 0x260000 (40 pages).
 */
#include "models/vmbus/vmbus_client.h"

#include "models/child/child.h"

#define VP_RING_GPA 0x260000ull

/* NVSP INIT on ch; true when INIT_COMPLETE says success. */
static bool vp_nvsp_init(struct vmbus_client *bus, struct vmbus_cchan *ch, uint64_t tid) {
  uint8_t m[NVSP_MSG_BYTES] = {NVSP_MSG_TYPE_INIT}, buf[256];
  m[4] = NVSP_PROTOCOL_VERSION_1;
  m[8] = 1, m[10] = 6; /* max: 6.1 */
  struct vmbus_pkt p;
  if (vmbus_client_send(bus, ch, VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, tid, 0, 0, m,
                        sizeof m) ||
      vmbus_client_recv(bus, ch, buf, sizeof buf, &p))
    return false;
  return p.type == VM_PKT_COMP && p.trans_id == tid && p.len - p.data_off >= 16 &&
         buf[p.data_off] == NVSP_MSG_TYPE_INIT_COMPLETE && buf[p.data_off + 12] == NVSP_STAT_SUCCESS;
}

void prog_vmbus_protocol(struct guest *g, const struct guest_boot *b) {
  static const uint8_t nic[16] = VMBUS_GUID_NETWORK;
  struct winhv w;
  struct vmbus_client bus;
  struct vmbus_cchan ch;
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g), step = 0;
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &w) ||
      !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return;
  bool ok = vmbus_client_contact(&bus, g, &w, simp, simp + 0x1000) == 0 && bus.version == VMBUS_VERSION_WIN10_V5_3 &&
            bus.msg_conn == VMBUS_MESSAGE_CONNECTION_ID_4;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_unload(&bus) == 0;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_contact(&bus, g, &w, simp, simp + 0x1000) == 0 && vmbus_client_request_offers(&bus) == 0;
  const struct vmbus_offer *o = ok ? vmbus_client_offer(&bus, nic) : 0;
  ok = o && bus.noffers >= 4;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_open(&bus, &ch, o, VP_RING_GPA, 20, 20) == 0 && vp_nvsp_init(&bus, &ch, 1);
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_close(&bus, &ch) == 0;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_open(&bus, &ch, o, VP_RING_GPA, 8, 8) == 0 && vp_nvsp_init(&bus, &ch, 2);
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  uint64_t pfns[2] = {VP_RING_GPA >> 12, (b->memory_bytes >> 12) + 5};
  uint32_t handle;
  ok = ok && vmbus_client_gpadl_pfns(&bus, o->relid, pfns, 2, &handle) == VMBUS_CLIENT_REFUSED;
  uint8_t buf[256];
  struct vmbus_pkt p;
  ok = ok && vmbus_client_recv(&bus, &ch, buf, sizeof buf, &p) == VMBUS_CLIENT_RESCINDED;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  ok = ok && vmbus_client_unload(&bus) == 0;
  if (ok)
    guest_mark(g, MARK_COUNT, ++step);
  guest_mark(g, ok ? MARK_DONE : MARK_ERROR, ok ? step : 0x1000 + step);
}
