/*
 * vsp_storage.c — the synthetic storage provider (storvsp) behind the
 * root's VMBus server: vstor (initialisation handshake, SCSI INQUIRY,
 * READ CAPACITY, READ/WRITE(10/16), SYNCHRONIZE CACHE) on the VM's
 * platform disk.
 *
 * Data moves by DATA_USING_GPA_DIRECT: the guest names the pages of its
 * buffer, the provider copies through the hypervisor (which refuses a page
 * the guest does not own: the channel is then closed, reason not-owned).
 * A write is on the disk (guest_root_disk_write returned) before its
 * completion is sent: a completed write survives an abrupt stop.
 */
#include "vsp.h"

static uint32_t vsp_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void vsp_wr_be32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (24 - 8 * i));
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

uint32_t vsp_storage(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
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
