/*
 * vsc_network.c — the network VSC (netvsc): a child program that opens
 * the synthetic NIC's channel, runs the NVSP handshake (INIT ->
 * INIT_COMPLETE, SEND_NDIS_VERSION, SEND_RECEIVE_BUFFER with a 16-page
 * GPADL -> its completion, SEND_SEND_BUFFER with a 6-page GPADL -> the
 * host's section size), brings RNDIS up (INITIALIZE, QUERY of the
 * permanent MAC, SET of the packet filter: directed + broadcast; the
 * completions come through the receive buffer), then sends `frames`
 * Ethernet frames to the
 * VM `peer` (MAC 00:15:5d:00:00:peer, assigned by the root's switch) as
 * RNDIS packet messages in a send-buffer section (`sendbuf` 1, the
 * default, sections in turn) or a GPA-direct buffer (`sendbuf` 0), one at
 * a time, while it
 * takes the frames the switch delivers into its receive buffer
 * (transfer-page packets, acknowledged with a completion). Each frame
 * carries its sender's VM id `self` and a sequence number that the
 * receiver checks. MARK_DONE with the number of good frames received
 * once `expect` (default `frames`) arrived. Sending starts `delay` cycles
 * (1 ms) after the handshake: the switch drops frames for a VM whose
 * receive buffer is not up yet, as a real switch would.
 *
 * Memory: rings at 0x210000 (8 + 8 pages), the GPA-direct page at 0x238000,
 * receive buffer at 0x240000 (16 pages), send buffer at 0x250000 (6 pages).
 */
#include "models/vmbus/vmbus_client.h"
#include "models/vmbus/vmbus_bytes.h"

#include "models/child/child.h"

#define VSC_NET_RING_GPA 0x210000ull
#define VSC_NET_SEND_GPA 0x238000ull
#define VSC_NET_RECV_GPA 0x240000ull
#define VSC_NET_RECV_PAGES 16u
#define VSC_NET_SENDBUF_GPA 0x250000ull
#define VSC_NET_SENDBUF_PAGES 6u
#define VSC_NET_ETHERTYPE 0x88B5u /* IEEE local experimental */

struct vnet {
  struct guest *g;
  struct vmbus_client bus;
  struct vmbus_cchan ch;
  uint64_t tid, received, bad, seen[64];
  uint32_t self;
  uint32_t send_sections, send_section_bytes, send_next; /* 0 sections: GPA direct */
  uint32_t rid;       /* RNDIS request ids */
  bool ctl_seen;      /* an RNDIS completion arrived (in ctl) */
  uint8_t ctl[64];
};

/* A frame the switch put in our receive buffer: check and acknowledge. */
static int vnet_rx(struct vnet *v, const uint8_t *buf, const struct vmbus_pkt *p) {
  const uint8_t *e = buf + 16;
  uint32_t len = vmbus_le32(e + 8), off = vmbus_le32(e + 12);
  uint8_t msg[NETVSC_RECV_SECTION];
  bool ok = p->data_off >= 32 && len <= sizeof msg && off + len <= VSC_NET_RECV_PAGES * 4096 &&
            guest_read(v->g, VSC_NET_RECV_GPA + off, msg, len);
  if (ok && len >= 16 && (vmbus_le32(msg) & RNDIS_MSG_COMPLETION)) { /* the answer to a control message */
    for (uint32_t i = 0; i < sizeof v->ctl; i++)
      v->ctl[i] = i < len ? msg[i] : 0;
    v->ctl_seen = true;
  } else if (!(ok = ok && len >= RNDIS_PACKET_HDR && vmbus_le32(msg) == RNDIS_MSG_PACKET)) {
    v->bad++;
  } else {
    uint64_t at = 8ull + vmbus_le32(msg + 8); /* the frame: data offset counts from byte 8 */
    const uint8_t *f = msg + (at < len ? at : 0);
    ok = at + 30 <= len && f[0] == 0x00 && f[1] == 0x15 && f[2] == 0x5D && f[5] == (uint8_t)v->self &&
         (f[12] << 8 | f[13]) == VSC_NET_ETHERTYPE;
    if (ok) {
      uint32_t from = f[11], seq = vmbus_le32(f + 14);
      ok = from < 64 && seq == v->seen[from];
      if (from < 64)
        v->seen[from] = seq + 1;
    }
    if (ok)
      v->received++;
    else
      v->bad++;
  }
  uint8_t comp[NVSP_MSG_BYTES];
  vmbus_bzero(comp, sizeof comp);
  vmbus_put_le32(comp, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
  vmbus_put_le32(comp + 4, NVSP_STAT_SUCCESS);
  return vmbus_client_send(&v->bus, &v->ch, VM_PKT_COMP, 0, p->trans_id, 0, 0, comp, sizeof comp);
}

/* Receive until the completion of tid arrives (tid 0: one packet). Copies
 * the completion's NVSP message into out. Returns 0 or an error. */
static int vnet_wait(struct vnet *v, uint64_t tid, uint8_t *out) {
  for (;;) {
    uint8_t buf[256];
    struct vmbus_pkt p;
    int st = vmbus_client_recv(&v->bus, &v->ch, buf, sizeof buf, &p);
    if (st)
      return st;
    if (p.type == VM_PKT_DATA_USING_XFER_PAGES) {
      st = vnet_rx(v, buf, &p);
      if (st)
        return st;
      if (!tid)
        return 0;
      continue;
    }
    if (p.type == VM_PKT_COMP && p.trans_id == tid) {
      for (uint32_t i = 0; i < NVSP_MSG_BYTES && p.data_off + i < p.len; i++)
        out[i] = buf[p.data_off + i];
      return 0;
    }
  }
}

static int vnet_request(struct vnet *v, const uint8_t *msg, uint8_t *out) {
  uint64_t tid = ++v->tid;
  int st = vmbus_client_send(&v->bus, &v->ch, VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, tid,
                             0, 0, msg, NVSP_MSG_BYTES);
  return st ? st : vnet_wait(v, tid, out);
}

static bool vnet_sendbuf(struct vnet *v, const struct vmbus_offer *o, uint8_t *m, uint8_t *r);
static bool vnet_rndis(struct vnet *v);

static bool vnet_init(struct vnet *v, struct guest *g, const struct guest_boot *b, struct winhv *w) {
  static const uint8_t nic[16] = VMBUS_GUID_NETWORK;
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g);
  if (b->memory_bytes < 4ull << 20 || !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return guest_mark(g, MARK_ERROR, 0x100), false;
  int st = vmbus_client_connect(&v->bus, g, w, simp, simp + 0x1000);
  const struct vmbus_offer *o = st ? 0 : vmbus_client_offer(&v->bus, nic);
  if (!o)
    return guest_mark(g, MARK_ERROR, 0x200 + (uint64_t)st), false;
  st = vmbus_client_open(&v->bus, &v->ch, o, VSC_NET_RING_GPA, 8, 8);
  if (st)
    return guest_mark(g, MARK_ERROR, 0x300 + (uint64_t)st), false;
  uint8_t m[NVSP_MSG_BYTES], r[NVSP_MSG_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, NVSP_MSG_TYPE_INIT);
  vmbus_put_le32(m + 4, NVSP_PROTOCOL_VERSION_1);
  vmbus_put_le32(m + 8, NVSP_PROTOCOL_VERSION_61);
  if (vnet_request(v, m, r) || vmbus_le32(r) != NVSP_MSG_TYPE_INIT_COMPLETE || vmbus_le32(r + 12) != NVSP_STAT_SUCCESS)
    return guest_mark(g, MARK_ERROR, 0x400), false;
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_NDIS_VERSION);
  vmbus_put_le32(m + 4, 6);
  vmbus_put_le32(m + 8, 30);
  if (vmbus_client_send(&v->bus, &v->ch, VM_PKT_DATA_INBAND, 0, ++v->tid, 0, 0, m, sizeof m))
    return guest_mark(g, MARK_ERROR, 0x500), false;
  uint32_t handle;
  if (vmbus_client_gpadl(&v->bus, o->relid, VSC_NET_RECV_GPA, VSC_NET_RECV_PAGES, &handle))
    return guest_mark(g, MARK_ERROR, 0x600), false;
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_RECV_BUF);
  vmbus_put_le32(m + 4, handle);
  m[8] = (uint8_t)NETVSC_XFER_PAGESET_ID, m[9] = (uint8_t)(NETVSC_XFER_PAGESET_ID >> 8);
  if (vnet_request(v, m, r) || vmbus_le32(r) != NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE ||
      vmbus_le32(r + 4) != NVSP_STAT_SUCCESS)
    return guest_mark(g, MARK_ERROR, 0x700), false;
  if (guest_param(b, "sendbuf", 1) && !vnet_sendbuf(v, o, m, r))
    return false;
  return vnet_rndis(v);
}

/* The send buffer: a GPADL announced with SEND_SEND_BUFFER; the host
 * answers with its section size. */
static bool vnet_sendbuf(struct vnet *v, const struct vmbus_offer *o, uint8_t *m, uint8_t *r) {
  struct guest *g = v->g;
  uint32_t handle;
  if (vmbus_client_gpadl(&v->bus, o->relid, VSC_NET_SENDBUF_GPA, VSC_NET_SENDBUF_PAGES, &handle))
    return guest_mark(g, MARK_ERROR, 0x710), false;
  vmbus_bzero(m, NVSP_MSG_BYTES);
  vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_SEND_BUF);
  vmbus_put_le32(m + 4, handle);
  if (vnet_request(v, m, r) || vmbus_le32(r) != NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE ||
      vmbus_le32(r + 4) != NVSP_STAT_SUCCESS || vmbus_le32(r + 8) < RNDIS_PACKET_HDR + NETVSC_FRAME_MAX)
    return guest_mark(g, MARK_ERROR, 0x720), false;
  v->send_section_bytes = vmbus_le32(r + 8);
  v->send_sections = VSC_NET_SENDBUF_PAGES * 4096 / v->send_section_bytes;
  return true;
}

/* Hand one RNDIS message to the host: in the next send-buffer section
 * (an in-band NVSP message names it), or in a GPA-direct range over the
 * send page. channel: NVSP_CHANNEL_DATA or _CONTROL. Returns 0, a ring
 * or client status, or -1 when the host refused the message. */
static int vnet_xmit(struct vnet *v, const uint8_t *msg, uint32_t len, uint32_t channel) {
  uint8_t ext[24], nvsp[NVSP_MSG_BYTES], r[NVSP_MSG_BYTES];
  vmbus_bzero(nvsp, sizeof nvsp);
  vmbus_put_le32(nvsp, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
  vmbus_put_le32(nvsp + 4, channel);
  uint64_t tid = ++v->tid;
  int st;
  if (v->send_sections) {
    uint32_t sec = v->send_next++ % v->send_sections;
    guest_write(v->g, VSC_NET_SENDBUF_GPA + (uint64_t)sec * v->send_section_bytes, msg, len);
    vmbus_put_le32(nvsp + 8, sec);
    vmbus_put_le32(nvsp + 12, len);
    st = vmbus_client_send(&v->bus, &v->ch, VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, tid,
                           0, 0, nvsp, sizeof nvsp);
  } else {
    guest_write(v->g, VSC_NET_SEND_GPA, msg, len);
    vmbus_bzero(ext, sizeof ext);
    vmbus_put_le32(ext + 4, 1);
    vmbus_put_le32(ext + 8, len);
    uint64_t pfn = VSC_NET_SEND_GPA >> 12;
    for (int i = 0; i < 8; i++)
      ext[16 + i] = (uint8_t)(pfn >> (8 * i));
    vmbus_put_le32(nvsp + 8, NVSP_NO_SECTION);
    st = vmbus_client_send(&v->bus, &v->ch, VM_PKT_DATA_USING_GPA_DIRECT, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
                           tid, ext, sizeof ext, nvsp, sizeof nvsp);
  }
  if (!st)
    st = vnet_wait(v, tid, r);
  return st ? st : vmbus_le32(r + 4) == NVSP_STAT_SUCCESS ? 0 : -1;
}

/* An RNDIS control message (words[0] = type, then the words after the
 * length and request id); waits for its completion, which the host puts
 * in the receive buffer. Returns the completion's RNDIS status, or ~0. */
static uint32_t vnet_control(struct vnet *v, const uint32_t *words, uint32_t n) {
  uint8_t msg[64];
  uint32_t len = 4 * (n + 2), rid = ++v->rid;
  vmbus_put_le32(msg, words[0]);
  vmbus_put_le32(msg + 4, len);
  vmbus_put_le32(msg + 8, rid);
  for (uint32_t i = 1; i < n; i++)
    vmbus_put_le32(msg + 8 + 4 * i, words[i]);
  v->ctl_seen = false;
  if (vnet_xmit(v, msg, len, NVSP_CHANNEL_CONTROL))
    return ~0u;
  uint8_t none[NVSP_MSG_BYTES];
  for (int i = 0; i < 64 && !(v->ctl_seen && vmbus_le32(v->ctl + 8) == rid); i++) {
    v->ctl_seen = false; /* none yet, or a stale one: the next packet */
    if (vnet_wait(v, 0, none))
      return ~0u;
  }
  if (!v->ctl_seen || vmbus_le32(v->ctl + 8) != rid || vmbus_le32(v->ctl) != (RNDIS_MSG_COMPLETION | words[0]))
    return ~0u;
  return vmbus_le32(v->ctl + 12);
}

/* RNDIS bring-up as netvsc does it: INITIALIZE, the permanent MAC (it must
 * be the switch's 00:15:5d:00:00:<self>), then the packet filter. */
static bool vnet_rndis(struct vnet *v) {
  const uint32_t init[] = {RNDIS_MSG_INIT, 1, 0, 0x4000};
  const uint32_t mac[] = {RNDIS_MSG_QUERY, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 0, 0};
  const uint32_t filter[] = {RNDIS_MSG_SET, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0,
                             RNDIS_FILTER_DIRECTED | RNDIS_FILTER_BROADCAST};
  if (vnet_control(v, init, 4) != RNDIS_STATUS_SUCCESS)
    return guest_mark(v->g, MARK_ERROR, 0x730), false;
  if (vnet_control(v, mac, 5) != RNDIS_STATUS_SUCCESS || vmbus_le32(v->ctl + 16) != 6 ||
      vmbus_le32(v->ctl + 20) != 16 || v->ctl[24] != 0x00 || v->ctl[25] != 0x15 || v->ctl[26] != 0x5D ||
      v->ctl[29] != (uint8_t)v->self)
    return guest_mark(v->g, MARK_ERROR, 0x740), false;
  if (vnet_control(v, filter, 6) != RNDIS_STATUS_SUCCESS)
    return guest_mark(v->g, MARK_ERROR, 0x750), false;
  return true;
}

/* Send frame seq to peer: an RNDIS packet message. */
static int vnet_send(struct vnet *v, uint32_t peer, uint32_t seq) {
  uint8_t msg[RNDIS_PACKET_HDR + NETVSC_FRAME_MAX];
  uint32_t flen = 60 + (seq * 97) % (NETVSC_FRAME_MAX - 60);
  vmbus_bzero(msg, RNDIS_PACKET_HDR);
  vmbus_put_le32(msg, RNDIS_MSG_PACKET);
  vmbus_put_le32(msg + 4, RNDIS_PACKET_HDR + flen);
  vmbus_put_le32(msg + 8, RNDIS_PACKET_HDR - 8);
  vmbus_put_le32(msg + 12, flen);
  uint8_t *f = msg + RNDIS_PACKET_HDR;
  const uint8_t dst[6] = {0x00, 0x15, 0x5D, 0, 0, (uint8_t)peer}, src[6] = {0x00, 0x15, 0x5D, 0, 0, (uint8_t)v->self};
  for (int i = 0; i < 6; i++)
    f[i] = dst[i], f[6 + i] = src[i];
  f[12] = VSC_NET_ETHERTYPE >> 8, f[13] = VSC_NET_ETHERTYPE & 0xFF;
  vmbus_put_le32(f + 14, seq);
  for (uint32_t i = 18; i < flen; i++)
    f[i] = (uint8_t)(seq + i);
  return vnet_xmit(v, msg, RNDIS_PACKET_HDR + flen, NVSP_CHANNEL_DATA);
}

void prog_vsc_network(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  struct vnet vn;
  struct vnet *v = &vn;
  vmbus_bzero(v, sizeof *v);
  v->g = g;
  v->self = (uint32_t)guest_param(b, "self", 1);
  uint32_t peer = (uint32_t)guest_param(b, "peer", 2), frames = (uint32_t)guest_param(b, "frames", 100);
  uint64_t expect = guest_param(b, "expect", frames);
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &w) || !vnet_init(v, g, b, &w))
    return;
  guest_work(g, guest_param(b, "delay", 2000000)); /* let the peer's receive buffer come up */
  for (uint32_t i = 0; i < frames; i++) {
    int st = vnet_send(v, peer, i);
    if (st)
      return (void)guest_mark(g, MARK_ERROR, 0x800 + (uint64_t)(st & 0xFF));
  }
  uint8_t none[NVSP_MSG_BYTES];
  while (v->received + v->bad < expect)
    if (vnet_wait(v, 0, none))
      return (void)guest_mark(g, MARK_ERROR, 0x900);
  if (v->bad)
    guest_mark(g, MARK_VERIFY_FAIL, v->bad);
  guest_mark(g, MARK_DONE, v->received);
  for (;;) { /* keep acknowledging late frames */
    if (vnet_wait(v, 0, none))
      return;
  }
}
