/*
 * vsp_network.c — the synthetic network provider (netvsp) and the
 * virtual switch behind the root's VMBus server: NVSP initialisation, the
 * receive and send buffer GPADLs, RNDIS control and data messages; the
 * switch forwards Ethernet frames between the VMs by destination MAC and
 * each receiver's packet filter.
 *
 * A guest's RNDIS messages come in a section of its send buffer (a GPADL
 * announced with SEND_SEND_BUF, sections of 6144 bytes) or in a GPA-direct
 * range. Control messages (channel type 1) are answered with their
 * completion in the guest's receive buffer; packet messages go to the
 * switch, which copies each frame into a receiving guest's receive buffer
 * (a section per frame, round robin) and sends a DATA_USING_XFER_PAGES
 * packet naming the section. Simplification: the sections are reused in
 * order without waiting for the guest's completion (the receive buffer
 * holds many more frames than the ring).
 */
#include "vsp.h"

/* ---- network and the virtual switch ------------------------------------- */

static void vsp_nvsp_reply(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                           uint64_t trans_id, uint32_t type, uint32_t a, uint32_t b, uint32_t d) {
  uint8_t m[NVSP_MSG_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, type);
  vmbus_put_le32(m + 4, a);
  vmbus_put_le32(m + 8, b);
  vmbus_put_le32(m + 12, d);
  vmbus_server_send(s, c, ch, VM_PKT_COMP, trans_id, 0, 0, m, sizeof m);
}

/* Copy len bytes at byte offset at of a GPADL (a receive or send buffer)
 * to or from buf. False when the range leaves the GPADL or a page is no
 * longer the guest's. */
static bool vsp_gpadl_copy(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vmbus_gpadl *gp,
                           uint32_t at, void *buf, uint32_t len, bool to_child) {
  uint8_t *b = buf;
  if (at > gp->npfn * 4096 || len > gp->npfn * 4096 - at)
    return false;
  for (uint32_t done = 0; done < len;) {
    uint32_t off = at + done, n = 4096 - off % 4096 < len - done ? 4096 - off % 4096 : len - done;
    uint64_t pfn;
    if (!vmbus_server_gpadl_pfn(s, gp, off / 4096, &pfn) ||
        !vmbus_server_copy(s, c, (pfn << 12) + off % 4096, b + done, n, to_child))
      return false;
    done += n;
  }
  return true;
}

/* Copy one RNDIS message into the next section of ch's receive buffer and
 * tell the guest. False when the frame was dropped. */
static bool vsp_deliver(struct vmbus_server *s, struct vmbus_srv_conn *to, struct vmbus_srv_chan *ch,
                        const uint8_t *rndis, uint32_t len) {
  struct vmbus_gpadl *gp = vmbus_server_gpadl(to, ch->recv_gpadl);
  if (!gp || !ch->recv_sections || len > NETVSC_RECV_SECTION)
    return false;
  uint32_t sec = ch->recv_next++ % ch->recv_sections, at = sec * NETVSC_RECV_SECTION;
  if (!vsp_gpadl_copy(s, to, gp, at, (void *)rndis, len, true)) {
    vmbus_server_kill(s, to, ch, 6);
    return false;
  }
  uint8_t ext[16];
  vmbus_bzero(ext, sizeof ext);
  ext[0] = (uint8_t)NETVSC_XFER_PAGESET_ID, ext[1] = (uint8_t)(NETVSC_XFER_PAGESET_ID >> 8);
  vmbus_put_le32(ext + 4, 1);
  vmbus_put_le32(ext + 8, len);
  vmbus_put_le32(ext + 12, at);
  uint8_t m[NVSP_MSG_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
  if (!vmbus_server_send(s, to, ch, VM_PKT_DATA_USING_XFER_PAGES, ch->recv_next, ext, sizeof ext, m, sizeof m))
    return false;
  ch->rx_frames++;
  return true;
}

/* The switch: a frame from (c, ch) to every other VM whose NIC is up
 * (RNDIS initialised) and whose packet filter takes it: its own MAC
 * (directed), broadcast, multicast, or anything (promiscuous). */
static void vsp_switch(struct vmbus_server *s, struct vmbus_srv_conn *from, const uint8_t *rndis, uint32_t len,
                       const uint8_t *dst) {
  bool bcast = true, group = dst[0] & 1;
  for (int k = 0; k < 6; k++)
    bcast &= dst[k] == 0xFF;
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS; i++) {
    struct vmbus_srv_conn *to = &s->conns[i];
    struct vmbus_srv_chan *ch = &to->ch[VMBUS_DEV_NETWORK];
    if (!to->used || to == from || ch->state != VMBUS_CH_OPEN || !ch->rndis_up)
      continue;
    bool match = true;
    for (int k = 0; k < 6; k++)
      match &= dst[k] == ch->mac[k];
    uint32_t want = bcast ? RNDIS_FILTER_BROADCAST
                    : group ? RNDIS_FILTER_MULTICAST | RNDIS_FILTER_ALL_MULTICAST
                    : match ? RNDIS_FILTER_DIRECTED
                            : 0;
    if (ch->rndis_filter & (want | RNDIS_FILTER_PROMISCUOUS))
      vsp_deliver(s, to, ch, rndis, len);
  }
}

/* An RNDIS control message (INITIALIZE, QUERY, SET, RESET, KEEPALIVE,
 * HALT): its completion goes to the guest the way frames do, into its
 * receive buffer. Returns the NVSP status of the SEND_RNDIS_PKT. */
static uint32_t vsp_rndis_control(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                                  const uint8_t *msg, uint32_t bytes) {
  uint32_t type = vmbus_le32(msg), mlen = vmbus_le32(msg + 4), rid = vmbus_le32(msg + 8);
  if (mlen < RNDIS_CTL_HDR || mlen > bytes)
    return NVSP_STAT_FAIL;
  uint8_t r[RNDIS_INIT_CMPLT_BYTES];
  uint32_t rlen = 16, status = RNDIS_STATUS_SUCCESS;
  vmbus_bzero(r, sizeof r);
  switch (type) {
  case RNDIS_MSG_INIT:
    if (mlen < 24)
      return NVSP_STAT_FAIL;
    rlen = RNDIS_INIT_CMPLT_BYTES;
    vmbus_put_le32(r + 16, 1);                     /* major */
    vmbus_put_le32(r + 24, 1);                     /* device flags: connectionless */
    vmbus_put_le32(r + 32, 1);                     /* max packets per message */
    vmbus_put_le32(r + 36, NETVSC_RECV_SECTION);   /* max transfer size */
    vmbus_put_le32(r + 40, 3);                     /* packet alignment: 8 bytes */
    ch->rndis_up = true;
    break;
  case RNDIS_MSG_QUERY: {
    if (mlen < 28)
      return NVSP_STAT_FAIL;
    uint32_t oid = vmbus_le32(msg + 12), v = 0, n = 4;
    switch (oid) {
    case RNDIS_OID_802_3_PERMANENT_ADDRESS:
    case RNDIS_OID_802_3_CURRENT_ADDRESS: vmbus_bcopy(r + 24, ch->mac, 6), n = 6; break;
    case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE: v = NETVSC_FRAME_MAX - 14; break;
    case RNDIS_OID_GEN_LINK_SPEED: v = 100000000; break; /* 100 bps units: 10 Gb/s */
    case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS: v = 0; break; /* connected */
    case RNDIS_OID_GEN_CURRENT_PACKET_FILTER: v = ch->rndis_filter; break;
    default: status = RNDIS_STATUS_NOT_SUPPORTED, n = 0; break;
    }
    if (n == 4)
      vmbus_put_le32(r + 24, v);
    vmbus_put_le32(r + 16, n);
    vmbus_put_le32(r + 20, n ? 16 : 0); /* info offset, from the request id */
    rlen = 24 + n;
    break;
  }
  case RNDIS_MSG_SET: {
    if (mlen < 28)
      return NVSP_STAT_FAIL;
    uint32_t oid = vmbus_le32(msg + 12), ilen = vmbus_le32(msg + 16), ioff = vmbus_le32(msg + 20);
    if (ioff > mlen || ilen > mlen - ioff || 8 + ioff + ilen > mlen)
      status = RNDIS_STATUS_FAILURE;
    else if (oid == RNDIS_OID_GEN_CURRENT_PACKET_FILTER && ilen >= 4)
      ch->rndis_filter = vmbus_le32(msg + 8 + ioff);
    else
      status = RNDIS_STATUS_NOT_SUPPORTED;
    break;
  }
  case RNDIS_MSG_RESET: /* RESET_C: type, length, status, addressing reset */
    rlen = 16;
    ch->rndis_filter = 0;
    vmbus_put_le32(r, RNDIS_MSG_COMPLETION | type);
    vmbus_put_le32(r + 4, rlen);
    vmbus_put_le32(r + 12, 1);
    return vsp_deliver(s, c, ch, r, rlen) ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
  case RNDIS_MSG_KEEPALIVE: break;
  case RNDIS_MSG_HALT:
    ch->rndis_up = false, ch->rndis_filter = 0;
    return NVSP_STAT_SUCCESS; /* no completion */
  default: return NVSP_STAT_FAIL;
  }
  vmbus_put_le32(r, RNDIS_MSG_COMPLETION | type);
  vmbus_put_le32(r + 4, rlen);
  vmbus_put_le32(r + 8, rid);
  vmbus_put_le32(r + 12, status);
  return vsp_deliver(s, c, ch, r, rlen) ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
}

/* An RNDIS message from the guest: in a section of its send buffer (the
 * NVSP message names the section and the bytes used), or in a GPA-direct
 * range. Copied whole before it is looked at. */
static uint32_t vsp_rndis(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                          const struct vmbus_srv_pkt *p, const uint8_t *body) {
  uint8_t msg[NETVSC_RECV_SECTION];
  uint32_t section = vmbus_le32(body + 8), bytes = vmbus_le32(body + 12);
  if (section != NVSP_NO_SECTION) {
    struct vmbus_gpadl *gp = ch->send_gpadl ? vmbus_server_gpadl(c, ch->send_gpadl) : 0;
    if (!gp || section >= ch->send_sections || bytes < RNDIS_CTL_HDR || bytes > sizeof msg)
      return HV_VMBUS_PROTOCOL;
    if (!vsp_gpadl_copy(s, c, gp, section * NETVSC_SEND_SECTION, msg, bytes, false))
      return HV_VMBUS_NOT_OWNED;
  } else {
    struct vsp_range r;
    if (!vsp_range(p, &r) || r.byte_count < RNDIS_CTL_HDR || r.byte_count > sizeof msg)
      return HV_VMBUS_PROTOCOL;
    if (!vsp_xfer(s, c, &r, 0, msg, r.byte_count, false))
      return HV_VMBUS_NOT_OWNED;
    bytes = r.byte_count;
  }
  uint32_t type = vmbus_le32(msg), mlen = vmbus_le32(msg + 4), doff = vmbus_le32(msg + 8), dlen = vmbus_le32(msg + 12);
  uint32_t status = NVSP_STAT_SUCCESS;
  if (vmbus_le32(body + 4) == NVSP_CHANNEL_CONTROL || type != RNDIS_MSG_PACKET) {
    status = vsp_rndis_control(s, c, ch, msg, bytes);
  } else if (bytes < RNDIS_PACKET_HDR || mlen < RNDIS_PACKET_HDR || mlen > bytes || doff < RNDIS_PACKET_HDR - 8 ||
      8ull + doff + dlen > mlen || dlen < 14 || dlen > NETVSC_FRAME_MAX) {
    status = NVSP_STAT_FAIL; /* malformed RNDIS: refused, the channel lives on */
  } else {
    ch->tx_frames++;
    vsp_switch(s, c, msg, mlen, msg + 8 + doff);
  }
  vsp_nvsp_reply(s, c, ch, p->pkt.trans_id, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, status, 0, 0);
  return 0;
}

uint32_t vsp_network(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                            const struct vmbus_srv_pkt *p) {
  if (p->pkt.type == VM_PKT_COMP)
    return 0; /* the guest is done with a receive section */
  uint32_t len = p->pkt.len - p->pkt.data_off;
  const uint8_t *body = p->buf + p->pkt.data_off;
  if (len < 16)
    return HV_VMBUS_PROTOCOL;
  switch (vmbus_le32(body)) {
  case NVSP_MSG_TYPE_INIT: {
    uint32_t lo = vmbus_le32(body + 4), hi = vmbus_le32(body + 8);
    bool ok = lo <= NVSP_PROTOCOL_VERSION_61 && hi >= NVSP_PROTOCOL_VERSION_1;
    vsp_nvsp_reply(s, c, ch, p->pkt.trans_id, NVSP_MSG_TYPE_INIT_COMPLETE, 0, 1,
                   ok ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL);
    return 0;
  }
  case NVSP_MSG1_TYPE_SEND_NDIS_VERSION: return 0;
  case NVSP_MSG1_TYPE_SEND_RECV_BUF: {
    struct vmbus_gpadl *gp = vmbus_server_gpadl(c, vmbus_le32(body + 4));
    uint8_t m[NVSP_MSG_BYTES];
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE);
    if (gp && gp->handle != ch->gpadl && gp->handle != ch->send_gpadl) {
      ch->recv_gpadl = gp->handle;
      ch->recv_sections = gp->npfn * 4096 / NETVSC_RECV_SECTION;
      ch->recv_next = 0;
      vmbus_put_le32(m + 4, NVSP_STAT_SUCCESS);
      vmbus_put_le32(m + 8, 1);
      vmbus_put_le32(m + 16, NETVSC_RECV_SECTION);
      vmbus_put_le32(m + 20, ch->recv_sections);
      vmbus_put_le32(m + 24, ch->recv_sections * NETVSC_RECV_SECTION);
    } else {
      vmbus_put_le32(m + 4, NVSP_STAT_FAIL);
    }
    vmbus_server_send(s, c, ch, VM_PKT_COMP, p->pkt.trans_id, 0, 0, m, sizeof m);
    return 0;
  }
  case NVSP_MSG1_TYPE_SEND_SEND_BUF: {
    /* body: GPADL handle u32, id u16; completion: status, section size */
    struct vmbus_gpadl *gp = vmbus_server_gpadl(c, vmbus_le32(body + 4));
    uint8_t m[NVSP_MSG_BYTES];
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE);
    if (gp && gp->handle != ch->gpadl && gp->handle != ch->recv_gpadl && gp->npfn * 4096 >= NETVSC_SEND_SECTION) {
      ch->send_gpadl = gp->handle;
      ch->send_sections = gp->npfn * 4096 / NETVSC_SEND_SECTION;
      vmbus_put_le32(m + 4, NVSP_STAT_SUCCESS);
      vmbus_put_le32(m + 8, NETVSC_SEND_SECTION);
    } else {
      vmbus_put_le32(m + 4, NVSP_STAT_FAIL);
    }
    vmbus_server_send(s, c, ch, VM_PKT_COMP, p->pkt.trans_id, 0, 0, m, sizeof m);
    return 0;
  }
  case NVSP_MSG1_TYPE_REVOKE_RECV_BUF: /* the guest takes its buffer back: frames for it are dropped */
    ch->recv_gpadl = 0, ch->recv_sections = 0;
    return 0;
  case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
    ch->send_gpadl = 0, ch->send_sections = 0;
    return 0;
  case NVSP_MSG1_TYPE_SEND_RNDIS_PKT: return vsp_rndis(s, c, ch, p, body);
  default: return 0; /* other NVSP messages: not provided, ignored */
  }
}
