/*
 * vmbus_vsp.c — the virtualization service providers behind the root's
 * VMBus server: synthetic storage (vstor: initialisation handshake, SCSI
 * INQUIRY, READ CAPACITY, READ/WRITE(10/16), SYNCHRONIZE CACHE) on the
 * VM's platform disk, and synthetic network (NVSP initialisation, the
 * receive and send buffer GPADLs, RNDIS control and data messages)
 * through a virtual switch that forwards Ethernet frames between the VMs
 * by destination MAC and each receiver's packet filter.
 *
 * Storage data moves by DATA_USING_GPA_DIRECT: the guest names the pages
 * of its buffer, the VSP copies through the hypervisor (which refuses a
 * page the guest does not own: the channel is then closed, reason 6). A
 * write is on the disk (guest_root_disk_write returned) before its
 * completion is sent: a completed write survives an abrupt stop.
 *
 * Network: a guest's RNDIS messages come in a section of its send buffer
 * (a GPADL announced with SEND_SEND_BUF, sections of 6144 bytes) or in a
 * GPA-direct range. Control messages (channel type 1) are answered with
 * their completion in the guest's receive buffer; packet messages go to
 * the switch, which copies each frame into a receiving guest's receive
 * buffer (a section per frame, round robin) and sends a
 * DATA_USING_XFER_PAGES packet naming the section. Simplification: the
 * sections are reused in order without waiting for the guest's
 * completion (the receive buffer holds many more frames than the ring).
 */
#include "vmbus_server.h"

#include "hvsim/trace.h"

#include "vmbus_bytes.h"

static uint32_t vsp_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void vsp_wr_be32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A GPA-direct buffer (one range) as the packet's extension carries it. */
struct vsp_range {
  uint32_t byte_count, byte_offset, npfn;
  const uint8_t *pfns; /* npfn u64s inside the copied packet */
};

/* Parse the extension of a GPA-direct packet; false if malformed. */
static bool vsp_range(const struct vmbus_srv_pkt *p, struct vsp_range *r) {
  if (p->pkt.type != VM_PKT_DATA_USING_GPA_DIRECT || p->pkt.data_off < 16 + 16)
    return false;
  const uint8_t *e = p->buf + 16;
  if (vmbus_le32(e + 4) != 1)
    return false;
  r->byte_count = vmbus_le32(e + 8);
  r->byte_offset = vmbus_le32(e + 12);
  if (r->byte_offset >= 4096 || r->byte_count > VSTOR_MAX_TRANSFER)
    return false;
  r->npfn = (r->byte_offset + r->byte_count + 4095) / 4096;
  r->pfns = e + 16;
  return 16 + 16 + 8 * r->npfn <= p->pkt.data_off;
}

/* Copy len bytes at pos of the range to or from buf. */
static bool vsp_xfer(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vsp_range *r, uint32_t pos,
                     void *buf, uint32_t len, bool to_child) {
  uint8_t *b = buf;
  if (pos > r->byte_count || len > r->byte_count - pos)
    return false;
  while (len) {
    uint32_t at = r->byte_offset + pos, in = at % 4096, n = 4096 - in < len ? 4096 - in : len;
    uint64_t pfn = vmbus_le64(r->pfns + 8 * (at / 4096));
    if (pfn >= (1ull << 40) || !vmbus_server_copy(s, c, (pfn << 12) + in, b, n, to_child))
      return false;
    b += n;
    pos += n;
    len -= n;
  }
  return true;
}

/* ---- storage ------------------------------------------------------------- */

struct vsp_srb {
  uint8_t *srb;      /* inside the response */
  uint32_t reason;   /* close reason when the guest misbehaved */
};

static void vsp_srb_status(uint8_t *srb, uint8_t srb_status, uint8_t scsi_status, uint32_t transferred) {
  srb[SRB_SRB_STATUS] = srb_status;
  srb[SRB_SCSI_STATUS] = scsi_status;
  vmbus_put_le32(srb + SRB_DATA_TRANSFER_LENGTH, transferred);
}

/* READ/WRITE of count sectors at lba, data in the GPA-direct range. */
static void vsp_rw(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vsp_range *r, uint64_t lba,
                   uint32_t count, bool write, struct vsp_srb *x) {
  uint32_t bytes = count * GUEST_DISK_SECTOR;
  if (count == 0 || lba > c->disk_sectors || count > c->disk_sectors - lba || bytes > VSTOR_MAX_TRANSFER ||
      bytes != r->byte_count) {
    vsp_srb_status(x->srb, SRB_STATUS_INVALID_REQUEST, SCSI_STATUS_CHECK_CONDITION, 0);
    return;
  }
  uint8_t buf[4096];
  for (uint32_t pos = 0; pos < bytes; pos += sizeof buf) {
    uint32_t n = bytes - pos < sizeof buf ? bytes - pos : (uint32_t)sizeof buf;
    uint64_t at = lba + pos / GUEST_DISK_SECTOR;
    bool ok;
    if (write) {
      if (!vsp_xfer(s, c, r, pos, buf, n, false)) {
        x->reason = HV_VMBUS_NOT_OWNED;
        return;
      }
      ok = guest_root_disk_write(s->g, c->vm_id, at, buf, n / GUEST_DISK_SECTOR);
    } else {
      ok = guest_root_disk_read(s->g, c->vm_id, at, buf, n / GUEST_DISK_SECTOR);
      if (ok && !vsp_xfer(s, c, r, pos, buf, n, true)) {
        x->reason = HV_VMBUS_NOT_OWNED;
        return;
      }
    }
    if (!ok) {
      vsp_srb_status(x->srb, SRB_STATUS_ERROR, SCSI_STATUS_CHECK_CONDITION, pos);
      return;
    }
  }
  vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, bytes);
}

/* Data a command returns (INQUIRY, READ CAPACITY) to the guest's buffer. */
static void vsp_reply_data(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vmbus_srv_pkt *p,
                           const uint8_t *data, uint32_t len, struct vsp_srb *x) {
  struct vsp_range r;
  if (!vsp_range(p, &r)) {
    vsp_srb_status(x->srb, SRB_STATUS_INVALID_REQUEST, SCSI_STATUS_CHECK_CONDITION, 0);
    return;
  }
  uint32_t n = len < r.byte_count ? len : r.byte_count;
  if (n && !vsp_xfer(s, c, &r, 0, (void *)data, n, true)) {
    x->reason = HV_VMBUS_NOT_OWNED;
    return;
  }
  vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, n);
}

static void vsp_scsi(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vmbus_srv_pkt *p,
                     struct vsp_srb *x) {
  const uint8_t *cdb = x->srb + SRB_CDB;
  struct vsp_range r;
  bool has_range = vsp_range(p, &r);
  switch (cdb[0]) {
  case SCSI_INQUIRY: {
    static const uint8_t inq[36] = {0, 0, 5, 2, 31, 0, 0, 0, 'M', 's', 'f', 't', ' ', ' ', ' ', ' ', 'V', 'i',
                                    'r', 't', 'u', 'a', 'l', ' ', 'D', 'i', 's', 'k', ' ', ' ', ' ', ' ', '1',
                                    '.', '0', ' '};
    vsp_reply_data(s, c, p, inq, sizeof inq, x);
    return;
  }
  case SCSI_READ_CAPACITY_10: {
    uint8_t cap[8];
    uint64_t last = c->disk_sectors - 1;
    vsp_wr_be32(cap, last > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)last);
    vsp_wr_be32(cap + 4, GUEST_DISK_SECTOR);
    vsp_reply_data(s, c, p, cap, sizeof cap, x);
    return;
  }
  case SCSI_READ_10:
  case SCSI_WRITE_10:
  case SCSI_READ_16:
  case SCSI_WRITE_16: {
    bool ten = cdb[0] == SCSI_READ_10 || cdb[0] == SCSI_WRITE_10;
    uint64_t lba = ten ? vsp_be32(cdb + 2) : (uint64_t)vsp_be32(cdb + 2) << 32 | vsp_be32(cdb + 6);
    uint32_t count = ten ? (uint32_t)cdb[7] << 8 | cdb[8] : vsp_be32(cdb + 10);
    if (!has_range) {
      vsp_srb_status(x->srb, SRB_STATUS_INVALID_REQUEST, SCSI_STATUS_CHECK_CONDITION, 0);
      return;
    }
    vsp_rw(s, c, &r, lba, count, cdb[0] == SCSI_WRITE_10 || cdb[0] == SCSI_WRITE_16, x);
    return;
  }
  case SCSI_SYNCHRONIZE_CACHE_10:
    if (guest_root_disk_flush(s->g, c->vm_id))
      vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, 0);
    else
      vsp_srb_status(x->srb, SRB_STATUS_ERROR, SCSI_STATUS_CHECK_CONDITION, 0);
    return;
  default:
    vsp_srb_status(x->srb, SRB_STATUS_INVALID_REQUEST, SCSI_STATUS_CHECK_CONDITION, 0);
    return;
  }
}

static uint32_t vsp_storage(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                            const struct vmbus_srv_pkt *p) {
  if (p->pkt.type == VM_PKT_COMP)
    return 0;
  uint32_t len = p->pkt.len - p->pkt.data_off;
  const uint8_t *body = p->buf + p->pkt.data_off;
  if (len < VSTOR_SRB_AT)
    return HV_VMBUS_PROTOCOL;
  uint8_t resp[VSTOR_PACKET_BYTES];
  vmbus_bzero(resp, sizeof resp);
  uint32_t op = vmbus_le32(body);
  vmbus_put_le32(resp, VSTOR_OPERATION_COMPLETE_IO);
  vmbus_bcopy(resp + VSTOR_SRB_AT, body + VSTOR_SRB_AT, len - VSTOR_SRB_AT < SRB_BYTES ? len - VSTOR_SRB_AT : SRB_BYTES);
  switch (op) {
  case VSTOR_OPERATION_BEGIN_INITIALIZATION:
  case VSTOR_OPERATION_END_INITIALIZATION: break;
  case VSTOR_OPERATION_QUERY_PROTOCOL_VERSION:
    if (len < VSTOR_SRB_AT + 4 || (uint32_t)(body[VSTOR_SRB_AT] | body[VSTOR_SRB_AT + 1] << 8) > VSTOR_PROTO_VERSION_WIN10)
      vmbus_put_le32(resp + 8, VMBUS_STATUS_UNSUCCESSFUL);
    break;
  case VSTOR_OPERATION_QUERY_PROPERTIES:
    vmbus_bzero(resp + VSTOR_SRB_AT, 24);
    vmbus_put_le32(resp + VSTOR_SRB_AT + 12, VSTOR_MAX_TRANSFER); /* max_transfer_bytes */
    break;
  case VSTOR_OPERATION_EXECUTE_SRB: {
    if (len < VSTOR_SRB_AT + 36)
      return HV_VMBUS_PROTOCOL;
    struct vsp_srb x = {resp + VSTOR_SRB_AT, 0};
    vsp_scsi(s, c, p, &x);
    if (x.reason)
      return x.reason;
    break;
  }
  default: vmbus_put_le32(resp + 8, VMBUS_STATUS_UNSUCCESSFUL); break;
  }
  vmbus_server_send(s, c, ch, VM_PKT_COMP, p->pkt.trans_id, 0, 0, resp, sizeof resp);
  return 0;
}

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
    if (!vmbus_server_copy(s, c, (gp->pfn[off / 4096] << 12) + off % 4096, b + done, n, to_child))
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

static uint32_t vsp_network(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
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

/* ---- integration components ------------------------------------------ */
/* Framing (Linux hyperv.h): vmbuspipe_hdr {flags u32, msgsize u32}, then
 * icmsg_hdr: icverframe {major u16, minor u16} @8, icmsgtype u16 @12,
 * icvermsg @14, icmsgsize u16 @18, status u32 @20, ictransaction_id u8 @24,
 * icflags u8 @25, reserved @26; the message body at @28. */
#define IC_HDR 28u
#define ICMSGTYPE_NEGOTIATE 0u
#define ICMSGTYPE_HEARTBEAT 1u
#define ICMSGTYPE_SHUTDOWN 3u
#define ICMSGTYPE_TIMESYNC 4u
#define ICMSGHDRFLAG_TRANSACTION 1u
#define ICMSGHDRFLAG_REQUEST 2u
#define ICMSGHDRFLAG_RESPONSE 4u
#define IC_HEARTBEAT_CYCLES 1900000u  /* about 1 ms at 2 GHz: due at every tick of the root's 1 ms timer */
#define IC_TIMESYNC_CYCLES 10000000u  /* 5 ms */

static void vsp_ic_send(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint16_t type,
                        const uint8_t *body, uint32_t len) {
  uint8_t m[IC_HDR + 64];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m + 4, IC_HDR - 8 + len);
  m[8] = 3; /* framework 3.0 */
  m[12] = (uint8_t)type;
  m[14] = type == ICMSGTYPE_TIMESYNC ? 4 : 3; /* message version 3.0 (timesync 4.0) */
  m[18] = (uint8_t)len;
  m[24] = (uint8_t)ch->ic_seq;
  m[25] = ICMSGHDRFLAG_TRANSACTION | ICMSGHDRFLAG_REQUEST;
  vmbus_bcopy(m + IC_HDR, body, len);
  vmbus_server_send(s, c, ch, VM_PKT_DATA_INBAND, ++ch->ic_seq, 0, 0, m, IC_HDR + len);
}

static uint32_t vsp_ic(struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, const struct vmbus_srv_pkt *p) {
  uint32_t len = p->pkt.len - p->pkt.data_off;
  const uint8_t *m = p->buf + p->pkt.data_off;
  if (len < IC_HDR || !(m[25] & ICMSGHDRFLAG_RESPONSE))
    return HV_VMBUS_PROTOCOL;
  uint16_t type = (uint16_t)(m[12] | m[13] << 8);
  uint32_t status = vmbus_le32(m + 20);
  if (type == ICMSGTYPE_NEGOTIATE) {
    ch->ic_state = 2;
  } else if (ch->ic_state != 2) {
    return HV_VMBUS_PROTOCOL; /* an answer before negotiation */
  } else if (type == ICMSGTYPE_HEARTBEAT) {
    if (len < IC_HDR + 8 || vmbus_le64(m + IC_HDR) != ch->ic_seq + 1)
      return HV_VMBUS_PROTOCOL; /* heartbeat answers seq + 1 */
    ch->ic_answers++;
  } else if (type == ICMSGTYPE_SHUTDOWN) {
    if (status == 0 && ch->ic_shutdown_sent)
      c->shutdown_acked = true;
    ch->ic_answers++;
  } else if (type == ICMSGTYPE_TIMESYNC) {
    ch->ic_answers++;
  }
  return 0;
}

void vmbus_vsp_tick(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch) {
  if (ch->dev < VMBUS_DEV_HEARTBEAT || ch->state != VMBUS_CH_OPEN)
    return;
  uint8_t b[64];
  vmbus_bzero(b, sizeof b);
  if (ch->ic_state == 0) { /* NEGOTIATE: one framework version (3.0), one message version */
    b[0] = 1, b[2] = 1;
    b[8] = 3;
    b[12] = ch->dev == VMBUS_DEV_TIMESYNC ? 4 : 3;
    vsp_ic_send(s, c, ch, ICMSGTYPE_NEGOTIATE, b, 16);
    ch->ic_state = 1;
    return;
  }
  if (ch->ic_state != 2)
    return;
  uint64_t now = guest_rdtsc(s->g);
  if (ch->dev == VMBUS_DEV_SHUTDOWN) {
    if (c->shutdown_requested && !ch->ic_shutdown_sent) {
      vmbus_put_le32(b + 8, 1); /* flags: shut down (not reboot) */
      vmbus_bcopy(b + 12, "hvsim: shutdown requested", 26);
      ch->ic_shutdown_sent = true;
      vsp_ic_send(s, c, ch, ICMSGTYPE_SHUTDOWN, b, 40);
    }
    return;
  }
  if (now < ch->ic_next)
    return;
  if (ch->dev == VMBUS_DEV_HEARTBEAT) {
    uint64_t seq = ch->ic_seq + 1; /* the number this message goes out with */
    for (int i = 0; i < 8; i++)
      b[i] = (uint8_t)(seq >> (8 * i));
    vsp_ic_send(s, c, ch, ICMSGTYPE_HEARTBEAT, b, 40);
    ch->ic_next = now + IC_HEARTBEAT_CYCLES;
  } else {
    uint64_t ref = 0;
    guest_rdmsr(s->g, HV_X64_MSR_TIME_REF_COUNT, &ref); /* the host's time, 100 ns */
    for (int i = 0; i < 8; i++)
      b[i] = (uint8_t)(ref >> (8 * i));
    vsp_ic_send(s, c, ch, ICMSGTYPE_TIMESYNC, b, 25);
    ch->ic_next = now + IC_TIMESYNC_CYCLES;
  }
}

uint32_t vmbus_vsp_packet(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                          const struct vmbus_srv_pkt *p) {
  switch (ch->dev) {
  case VMBUS_DEV_STORAGE: return vsp_storage(s, c, ch, p);
  case VMBUS_DEV_NETWORK: return vsp_network(s, c, ch, p);
  default: return vsp_ic(c, ch, p); /* integration components: the guest's answers */
  }
}
