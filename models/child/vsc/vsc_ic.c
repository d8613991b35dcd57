/*
 * vsc_ic.c — the guest side of the integration components: a child
 * program that opens the heartbeat, shutdown and time-sync channels and
 * answers the host as Linux's hv_utils does: version negotiation
 * (framework 3.0), each heartbeat with its sequence number + 1, each time
 * sample (4.0: UTC as FILETIME plus our reference time of that moment; the
 * first one gives our clock, reported as the UTC it means now, mark 9),
 * and a shutdown request (only with Linux's full 2,060-byte body, the
 * whole message echoed) with "yes": it reports MARK_DONE with the
 * heartbeats answered and stops (the root's VMMS then turns the VM off).
 *
 * Memory: rings at 0x220000 (2 + 2 pages per channel).
 */
#include "models/vmbus/vmbus_client.h"

#include "models/child/child.h"

#define VIC_RING_GPA 0x220000ull
#define VIC_MARK_TIMESYNC 9
#define VIC_HDR 28u
#define VIC_SHUTDOWN_BODY 2060u /* shutdown_msg_data: Linux refuses anything shorter */
#define VIC_TIMESYNC_V4_BODY 22u
#define VIC_PKT_MAX 4096u

enum { VIC_ANSWER, VIC_SHUTDOWN, VIC_DROP };

/* Answer one IC request in place; returns VIC_*. */
static int vic_answer(struct guest *g, uint8_t *m, uint32_t len, uint64_t *beats, bool *synced) {
  uint16_t type = (uint16_t)(m[12] | m[13] << 8);
  int what = VIC_ANSWER;
  if (type == 1 && len >= VIC_HDR + 8) { /* heartbeat: seq + 1 */
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
      seq |= (uint64_t)m[VIC_HDR + i] << (8 * i);
    seq++;
    for (int i = 0; i < 8; i++)
      m[VIC_HDR + i] = (uint8_t)(seq >> (8 * i));
    (*beats)++;
  } else if (type == 4 && len >= VIC_HDR + VIC_TIMESYNC_V4_BODY && !*synced) {
    /* UTC now = parenttime + how long ago the host read it (Linux's
     * adj_guesttime: our reference time now - vmreferencetime) */
    uint64_t host = 0, ref = 0, own = 0;
    for (int i = 0; i < 8; i++) {
      host |= (uint64_t)m[VIC_HDR + i] << (8 * i);
      ref |= (uint64_t)m[VIC_HDR + 8 + i] << (8 * i);
    }
    guest_rdmsr(g, HV_X64_MSR_TIME_REF_COUNT, &own);
    guest_mark(g, VIC_MARK_TIMESYNC, host + (own - ref));
    *synced = true;
  } else if (type == 3) {
    if (len < VIC_HDR + VIC_SHUTDOWN_BODY) /* Linux: "Packet length too small": no answer */
      return VIC_DROP;
    what = VIC_SHUTDOWN;
  }
  m[20] = m[21] = m[22] = m[23] = 0; /* status: S_OK */
  m[25] = 1 | 4;                     /* TRANSACTION | RESPONSE */
  return what;
}

void prog_vsc_ic(struct guest *g, const struct guest_boot *b) {
  static const uint8_t guids[3][16] = {VMBUS_GUID_HEARTBEAT, VMBUS_GUID_SHUTDOWN, VMBUS_GUID_TIMESYNC};
  struct winhv w;
  struct vmbus_client bus;
  struct vmbus_cchan ch[3];
  struct vmbus_cchan *chans[3] = {&ch[0], &ch[1], &ch[2]};
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g), beats = 0;
  bool synced = false;
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &w) ||
      !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return;
  int st = vmbus_client_connect(&bus, g, &w, simp, simp + 0x1000);
  for (int i = 0; i < 3 && !st; i++) {
    const struct vmbus_offer *o = vmbus_client_offer(&bus, guids[i]);
    st = o ? vmbus_client_open(&bus, &ch[i], o, VIC_RING_GPA + 0x4000ull * i, 2, 2) : VMBUS_CLIENT_NO_OFFER;
  }
  if (st)
    return (void)guest_mark(g, MARK_ERROR, 0x200 + (uint64_t)st);
  for (;;) {
    bool any = false;
    for (int i = 0; i < 3; i++) {
      uint8_t buf[VIC_PKT_MAX];
      struct vmbus_pkt p;
      int r = vmbus_client_try_recv(&bus, &ch[i], buf, sizeof buf, &p);
      if (r == VMBUS_RING_EMPTY)
        continue;
      if (r != VMBUS_RING_OK || p.len - p.data_off < VIC_HDR)
        return (void)guest_mark(g, MARK_ERROR, 0x300 + (uint64_t)r);
      any = true;
      uint32_t len = p.len - p.data_off;
      int what = vic_answer(g, buf + p.data_off, len, &beats, &synced);
      if (what == VIC_DROP)
        continue;
      bool down = what == VIC_SHUTDOWN;
      if (vmbus_client_send(&bus, &ch[i], VM_PKT_DATA_INBAND, 0, p.trans_id, 0, 0, buf + p.data_off, len))
        return (void)guest_mark(g, MARK_ERROR, 0x400);
      if (down)
        return (void)guest_mark(g, MARK_DONE, beats); /* shutting down: nothing runs after this */
    }
    if (!any)
      vmbus_client_wait(&bus, chans, 3);
  }
}
