/*
 * vsp_storage.c — the synthetic storage provider (storvsp) behind the
 * root's VMBus server: vstor (initialisation handshake) and a SCSI target
 * on the VM's platform disk.
 *
 * Addressing: the disk is path 0, target 0, LUN 0; any other address
 * answers SRB_STATUS_INVALID_LUN (Linux's storvsc: no device there), so a
 * scan finds exactly one disk. Commands: TEST UNIT READY, INQUIRY
 * (standard, and the VPD pages 0x00, 0x80 serial, 0x83 identification,
 * 0xB0 block limits, 0xB1 block characteristics), REPORT LUNS, READ
 * CAPACITY(10/16), MODE SENSE(6/10) (caching page; write cache reported
 * on, flushed by SYNCHRONIZE CACHE), READ/WRITE(10/16), SYNCHRONIZE
 * CACHE(10/16). Anything else, UNMAP and WRITE SAME included, is refused
 * honestly: CHECK CONDITION with fixed-format sense data (ILLEGAL REQUEST,
 * INVALID COMMAND OPERATION CODE), as are bad fields (INVALID FIELD IN
 * CDB) and LBAs past the end (LBA OUT OF RANGE); the sense goes in the
 * completion's SRB (sense_info_length, SRB_STATUS_AUTOSENSE_VALID).
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
  uint8_t sense_cap; /* sense bytes the guest's request has room for */
};

static void vsp_srb_status(uint8_t *srb, uint8_t srb_status, uint8_t scsi_status, uint32_t transferred) {
  srb[SRB_SRB_STATUS] = srb_status;
  srb[SRB_SCSI_STATUS] = scsi_status;
  vmbus_put_le32(srb + SRB_DATA_TRANSFER_LENGTH, transferred);
}

/* CHECK CONDITION with fixed-format sense data (SPC: 0x70, key @2,
 * additional length @7, ASC @12, ASCQ @13) in place of the CDB. */
static void vsp_check(struct vsp_srb *x, uint8_t key, uint8_t asc) {
  uint8_t sense[18];
  vmbus_bzero(sense, sizeof sense);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  sense[12] = asc;
  uint32_t n = x->sense_cap < sizeof sense ? x->sense_cap : (uint32_t)sizeof sense;
  vmbus_bzero(x->srb + SRB_SENSE_DATA, SRB_SENSE_MAX);
  vmbus_bcopy(x->srb + SRB_SENSE_DATA, sense, n);
  x->srb[SRB_SENSE_LENGTH] = (uint8_t)n;
  vsp_srb_status(x->srb, (uint8_t)(SRB_STATUS_ERROR | (n ? SRB_STATUS_AUTOSENSE_VALID : 0)),
                 SCSI_STATUS_CHECK_CONDITION, 0);
}

/* READ/WRITE of count sectors at lba, data in the GPA-direct range. */
static void vsp_rw(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vsp_range *r, uint64_t lba,
                   uint32_t count, bool write, struct vsp_srb *x) {
  uint32_t bytes = count * GUEST_DISK_SECTOR;
  if (lba > c->disk_sectors || count > c->disk_sectors - lba) {
    vsp_check(x, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    return;
  }
  if (count == 0 || bytes > VSTOR_MAX_TRANSFER || bytes != r->byte_count) { /* the SRB contradicts its buffer */
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
      vsp_check(x, SCSI_SENSE_MEDIUM_ERROR, write ? SCSI_ASC_WRITE_ERROR : SCSI_ASC_UNRECOVERED_READ);
      return;
    }
  }
  vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, bytes);
}

/* Data a command returns (INQUIRY, READ CAPACITY, ...) to the guest's
 * buffer, cut at the CDB's allocation length and the buffer's size. */
static void vsp_reply_data(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vmbus_srv_pkt *p,
                           const uint8_t *data, uint32_t len, uint32_t alloc, struct vsp_srb *x) {
  struct vsp_range r;
  if (!vsp_range(p, &r)) {
    vsp_srb_status(x->srb, SRB_STATUS_INVALID_REQUEST, SCSI_STATUS_CHECK_CONDITION, 0);
    return;
  }
  uint32_t n = len < r.byte_count ? len : r.byte_count;
  n = n < alloc ? n : alloc;
  if (n && !vsp_xfer(s, c, &r, 0, (void *)data, n, true)) {
    x->reason = HV_VMBUS_NOT_OWNED;
    return;
  }
  vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, n);
}

/* The disk's name in VPD pages: "hvsim-vm<id>-lun0" (16 bytes, space padded). */
static void vsp_serial(const struct vmbus_srv_conn *c, uint8_t *out) {
  static const char head[] = "hvsim-vm";
  uint32_t n = 0;
  for (; head[n]; n++)
    out[n] = (uint8_t)head[n];
  uint32_t id = c->vm_id;
  out[n++] = (uint8_t)('0' + id / 100 % 10), out[n++] = (uint8_t)('0' + id / 10 % 10);
  out[n++] = (uint8_t)('0' + id % 10);
  static const char tail[] = "-lun0";
  for (uint32_t i = 0; tail[i]; i++)
    out[n++] = (uint8_t)tail[i];
  while (n < 16)
    out[n++] = ' ';
}

/* INQUIRY: the standard data (SPC-3, direct access) or a VPD page; *len
 * its size, false for a page we do not have. */
static bool vsp_inquiry(const struct vmbus_srv_conn *c, const uint8_t *cdb, uint8_t *d, uint32_t *len) {
  vmbus_bzero(d, 64);
  if (!(cdb[1] & 1)) {
    static const uint8_t inq[36] = {0, 0, 5, 2, 31, 0, 0, 0, 'M', 's', 'f', 't', ' ', ' ', ' ', ' ', 'V', 'i',
                                    'r', 't', 'u', 'a', 'l', ' ', 'D', 'i', 's', 'k', ' ', ' ', ' ', ' ', '1',
                                    '.', '0', ' '};
    vmbus_bcopy(d, inq, sizeof inq);
    *len = sizeof inq;
    return cdb[2] == 0; /* a page code without EVPD is an invalid field */
  }
  d[1] = cdb[2];
  switch (cdb[2]) {
  case 0x00: { /* supported VPD pages */
    static const uint8_t pages[] = {0x00, 0x80, 0x83, 0xB0, 0xB1};
    vmbus_bcopy(d + 4, pages, sizeof pages);
    d[3] = sizeof pages;
    break;
  }
  case 0x80: /* unit serial number */
    vsp_serial(c, d + 4);
    d[3] = 16;
    break;
  case 0x83: /* device identification: one T10 vendor ID designator, ASCII, of the LU */
    d[4] = 0x02, d[5] = 0x01, d[7] = 24;
    vmbus_bcopy(d + 8, "MSFT    ", 8);
    vsp_serial(c, d + 16);
    d[3] = 28;
    break;
  case 0xB0: /* block limits: transfers up to VSTOR_MAX_TRANSFER, no UNMAP */
    d[3] = 0x3C;
    vsp_wr_be32(d + 8, VSTOR_MAX_TRANSFER / GUEST_DISK_SECTOR);
    vsp_wr_be32(d + 12, VSTOR_MAX_TRANSFER / GUEST_DISK_SECTOR);
    break;
  case 0xB1: /* block device characteristics: non-rotating */
    d[3] = 0x3C;
    d[5] = 1;
    break;
  default: return false;
  }
  *len = 4u + d[3];
  return true;
}

/* MODE SENSE(6/10): the caching page (0x08: WCE on) for page 0x08 or 0x3F. */
static bool vsp_mode_sense(const uint8_t *cdb, uint8_t *d, uint32_t *len) {
  bool ten = cdb[0] == SCSI_MODE_SENSE_10;
  uint32_t page = cdb[2] & 0x3F, hdr = ten ? 8 : 4;
  if ((cdb[2] >> 6) == 3 || (page != 0x08 && page != 0x3F)) /* saved values, or a page we do not have */
    return false;
  vmbus_bzero(d, 64);
  uint8_t *caching = d + hdr;
  caching[0] = 0x08, caching[1] = 0x12;
  if ((cdb[2] >> 6) != 1) /* current/default values: write cache enabled; changeable: none */
    caching[2] = 0x04;
  *len = hdr + 20;
  if (ten)
    d[1] = (uint8_t)(*len - 2);
  else
    d[0] = (uint8_t)(*len - 1);
  return true;
}

static void vsp_scsi(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vmbus_srv_pkt *p,
                     struct vsp_srb *x) {
  const uint8_t *cdb = x->srb + SRB_CDB;
  struct vsp_range r;
  bool has_range = vsp_range(p, &r);
  uint8_t d[64];
  uint32_t len = 0;
  if (x->srb[SRB_PATH_ID] || x->srb[SRB_TARGET_ID] || x->srb[SRB_LUN]) { /* one disk: 0/0/0 */
    vsp_srb_status(x->srb, SRB_STATUS_INVALID_LUN, SCSI_STATUS_GOOD, 0);
    return;
  }
  switch (cdb[0]) {
  case SCSI_TEST_UNIT_READY: vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, 0); return;
  case SCSI_INQUIRY:
    if (!vsp_inquiry(c, cdb, d, &len)) {
      vsp_check(x, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
      return;
    }
    vsp_reply_data(s, c, p, d, len, (uint32_t)cdb[3] << 8 | cdb[4], x);
    return;
  case SCSI_REPORT_LUNS: /* one LUN: 0 */
    vmbus_bzero(d, 16);
    d[3] = 8;
    vsp_reply_data(s, c, p, d, 16, vsp_be32(cdb + 6), x);
    return;
  case SCSI_READ_CAPACITY_10: {
    uint64_t last = c->disk_sectors - 1;
    vsp_wr_be32(d, last > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)last);
    vsp_wr_be32(d + 4, GUEST_DISK_SECTOR);
    vsp_reply_data(s, c, p, d, 8, 8, x);
    return;
  }
  case SCSI_SERVICE_ACTION_IN_16: {
    if ((cdb[1] & 0x1F) != SCSI_SAI_READ_CAPACITY_16) {
      vsp_check(x, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
      return;
    }
    uint64_t last = c->disk_sectors - 1;
    vmbus_bzero(d, 32);
    vsp_wr_be32(d, (uint32_t)(last >> 32));
    vsp_wr_be32(d + 4, (uint32_t)last);
    vsp_wr_be32(d + 8, GUEST_DISK_SECTOR);
    vsp_reply_data(s, c, p, d, 32, vsp_be32(cdb + 10), x);
    return;
  }
  case SCSI_MODE_SENSE_6:
  case SCSI_MODE_SENSE_10:
    if (!vsp_mode_sense(cdb, d, &len)) {
      vsp_check(x, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
      return;
    }
    vsp_reply_data(s, c, p, d, len, cdb[0] == SCSI_MODE_SENSE_6 ? cdb[4] : (uint32_t)cdb[7] << 8 | cdb[8], x);
    return;
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
  case SCSI_SYNCHRONIZE_CACHE_16:
    if (guest_root_disk_flush(s->g, c->vm_id))
      vsp_srb_status(x->srb, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, 0);
    else
      vsp_check(x, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    return;
  default: /* UNMAP, WRITE SAME and the rest: refused, with sense */
    vsp_check(x, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
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
    struct vsp_srb x = {resp + VSTOR_SRB_AT, 0, body[VSTOR_SRB_AT + SRB_SENSE_LENGTH]};
    if (x.sense_cap > SRB_SENSE_MAX)
      x.sense_cap = SRB_SENSE_MAX;
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
