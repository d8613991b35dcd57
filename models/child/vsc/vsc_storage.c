/*
 * vsc_storage.c — the storage VSC (storvsc): a child program that opens
 * the synthetic SCSI channel over VMBus, runs the vstor initialisation
 * (BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION, QUERY_PROPERTIES,
 * END_INITIALIZATION), then finds its disk as Linux's storvsc + sd do
 * (INQUIRY, target 1 empty, REPORT LUNS, VPD pages 0x00 and 0xB0, READ
 * CAPACITY(16) agreeing with READ CAPACITY(10), MODE SENSE caching page),
 * then a workload:
 *
 *   mode 0 (shadow): `ops` random READ/WRITE (10 and 16) of 1..`max`
 *     sectors inside the first `region` sectors, `write_pct` percent
 *     writes, SYNCHRONIZE CACHE every 64; every read is checked against
 *     a shadow copy of the region in the child's memory (filled by reading
 *     the region first). MARK_VERIFY_FAIL on a difference.
 *   mode 1 (writer): zero the region, then one self-describing sector
 *     write after another (magic, lba, sequence number; sequence from
 *     `pattern`), MARK_COUNT with the sequence number of each completed
 *     write — until the VM is stopped.
 *   mode 2 (verifier): read the region; the highest sequence number found
 *     is M; replay the writer's sequence up to M and check that every
 *     sector holds the last write to it: a write the writer saw complete
 *     is on the disk. MARK_DONE with M.
 *
 * Memory: rings at 0x200000 (8 + 8 pages), data buffer at 0x300000
 * (64 KiB), shadow at 0x400000 (region * 512 bytes).
 */
#include "models/vmbus/vmbus_client.h"

#include "models/child/child.h"

#define VSC_RING_GPA 0x200000ull
#define VSC_DATA_GPA 0x300000ull
#define VSC_SHADOW_GPA 0x400000ull
#define VSC_MAGIC 0x3153435653564853ull /* "SHVSVSC1" */

struct vsc {
  struct guest *g;
  struct vmbus_client bus;
  struct vmbus_cchan ch;
  uint64_t tid;
  uint64_t sectors;
};

static uint64_t vsc_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return *s = x;
}

static void vsc_zero(void *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    ((uint8_t *)p)[i] = 0;
}

/* One vstor request and its completion (queue depth 1). data_bytes > 0:
 * the data buffer goes along as a GPA-direct range. Returns the vstor
 * status, or 0xFFFFFFFF when the channel failed; resp gets the answer. */
static uint32_t vsc_request(struct vsc *v, uint32_t op, const uint8_t *srb, uint32_t data_bytes, uint8_t *resp) {
  uint8_t pkt[VSTOR_PACKET_BYTES], ext[16 + 8 * 16];
  vsc_zero(pkt, sizeof pkt);
  pkt[0] = (uint8_t)op;
  pkt[4] = VSTOR_REQUEST_COMPLETION_FLAG;
  if (srb)
    for (uint32_t i = 0; i < SRB_BYTES; i++)
      pkt[VSTOR_SRB_AT + i] = srb[i];
  uint32_t npfn = (data_bytes + 4095) / 4096, ext_len = 0;
  if (data_bytes) {
    vsc_zero(ext, sizeof ext);
    ext[4] = 1; /* range count */
    for (int i = 0; i < 4; i++)
      ext[8 + i] = (uint8_t)(data_bytes >> (8 * i));
    for (uint32_t p = 0; p < npfn; p++) {
      uint64_t pfn = (VSC_DATA_GPA >> 12) + p;
      for (int i = 0; i < 8; i++)
        ext[16 + 8 * p + i] = (uint8_t)(pfn >> (8 * i));
    }
    ext_len = 16 + 8 * npfn;
  }
  uint64_t tid = ++v->tid;
  int st = vmbus_client_send(&v->bus, &v->ch, data_bytes ? VM_PKT_DATA_USING_GPA_DIRECT : VM_PKT_DATA_INBAND,
                             VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, tid, ext, ext_len, pkt, sizeof pkt);
  if (st)
    return 0xFFFFFFFFu;
  uint8_t buf[256];
  struct vmbus_pkt p;
  do {
    if (vmbus_client_recv(&v->bus, &v->ch, buf, sizeof buf, &p))
      return 0xFFFFFFFFu;
  } while (p.trans_id != tid);
  if (p.len - p.data_off < VSTOR_PACKET_BYTES)
    return 0xFFFFFFFFu;
  for (uint32_t i = 0; i < VSTOR_PACKET_BYTES; i++)
    resp[i] = buf[p.data_off + i];
  return resp[8] | (uint32_t)resp[9] << 8 | (uint32_t)resp[10] << 16 | (uint32_t)resp[11] << 24;
}

/* A SCSI command through EXECUTE_SRB to target/LUN; returns the SRB
 * status (0 on a channel failure). */
static uint8_t vsc_scsi_at(struct vsc *v, uint8_t target, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len,
                           bool data_in, uint32_t bytes) {
  uint8_t srb[SRB_BYTES], resp[VSTOR_PACKET_BYTES];
  vsc_zero(srb, sizeof srb);
  srb[SRB_LENGTH] = SRB_BYTES;
  srb[SRB_TARGET_ID] = target, srb[SRB_LUN] = lun;
  srb[SRB_SENSE_LENGTH] = SRB_SENSE_MAX;
  srb[SRB_CDB_LENGTH] = cdb_len;
  srb[SRB_DATA_IN] = data_in ? 1 : 0;
  for (int i = 0; i < 4; i++)
    srb[SRB_DATA_TRANSFER_LENGTH + i] = (uint8_t)(bytes >> (8 * i));
  for (uint8_t i = 0; i < cdb_len; i++)
    srb[SRB_CDB + i] = cdb[i];
  if (vsc_request(v, VSTOR_OPERATION_EXECUTE_SRB, srb, bytes, resp) != 0)
    return 0;
  return resp[VSTOR_SRB_AT + SRB_SRB_STATUS];
}

static uint8_t vsc_scsi(struct vsc *v, const uint8_t *cdb, uint8_t cdb_len, bool data_in, uint32_t bytes) {
  return vsc_scsi_at(v, 0, 0, cdb, cdb_len, data_in, bytes);
}

static uint32_t vsc_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Find the disk as Linux does after INQUIRY; 0, or the failed step. */
static uint32_t vsc_scan(struct vsc *v, uint64_t sectors10) {
  struct guest *g = v->g;
  uint8_t d[64];
  uint8_t inq[6] = {SCSI_INQUIRY, 0, 0, 0, 36, 0};
  if (vsc_scsi_at(v, 1, 0, inq, 6, true, 36) != SRB_STATUS_INVALID_LUN) /* one disk: nothing at target 1 */
    return 1;
  uint8_t rl[12] = {SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64};
  if (vsc_scsi(v, rl, 12, true, 64) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, d, 16) ||
      vsc_be32(d) != 8 || d[8] | d[9])
    return 2;
  uint8_t vpd0[6] = {SCSI_INQUIRY, 1, 0x00, 0, 64, 0};
  bool b0 = false;
  if (vsc_scsi(v, vpd0, 6, true, 64) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, d, 64))
    return 3;
  for (uint32_t i = 0; i < d[3] && i < 60; i++)
    b0 |= d[4 + i] == 0xB0;
  uint8_t vpdb0[6] = {SCSI_INQUIRY, 1, 0xB0, 0, 64, 0};
  if (!b0 || vsc_scsi(v, vpdb0, 6, true, 64) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, d, 16) ||
      d[1] != 0xB0 || vsc_be32(d + 8) * GUEST_DISK_SECTOR != VSTOR_MAX_TRANSFER)
    return 4;
  uint8_t rc16[16] = {SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32};
  if (vsc_scsi(v, rc16, 16, true, 32) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, d, 12) ||
      ((uint64_t)vsc_be32(d) << 32 | vsc_be32(d + 4)) + 1 != sectors10 || vsc_be32(d + 8) != GUEST_DISK_SECTOR)
    return 5;
  uint8_t ms[6] = {SCSI_MODE_SENSE_6, 0, 0x3F, 0, 64, 0};
  if (vsc_scsi(v, ms, 6, true, 64) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, d, 8) ||
      d[4] != 0x08 || !(d[6] & 0x04)) /* the caching page, write cache on: we flush */
    return 6;
  return 0;
}

static uint8_t vsc_rw(struct vsc *v, uint64_t lba, uint32_t n, bool write, bool sixteen) {
  uint8_t cdb[16];
  vsc_zero(cdb, sizeof cdb);
  if (sixteen) {
    cdb[0] = write ? SCSI_WRITE_16 : SCSI_READ_16;
    for (int i = 0; i < 8; i++)
      cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
      cdb[10 + i] = (uint8_t)(n >> (24 - 8 * i));
  } else {
    cdb[0] = write ? SCSI_WRITE_10 : SCSI_READ_10;
    for (int i = 0; i < 4; i++)
      cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
    cdb[7] = (uint8_t)(n >> 8), cdb[8] = (uint8_t)n;
  }
  return vsc_scsi(v, cdb, sixteen ? 16 : 10, !write, n * GUEST_DISK_SECTOR);
}

/* Bring the channel and the disk up; false with a MARK_ERROR. */
static bool vsc_init(struct vsc *v, struct guest *g, const struct guest_boot *b, struct winhv *w) {
  static const uint8_t storage[16] = VMBUS_GUID_STORAGE;
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g);
  v->g = g;
  v->tid = 0;
  if (b->memory_bytes < 8ull << 20 || !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return guest_mark(g, MARK_ERROR, 0x100), false;
  int st = vmbus_client_connect(&v->bus, g, w, simp, simp + 0x1000);
  const struct vmbus_offer *o = st ? 0 : vmbus_client_offer(&v->bus, storage);
  if (!o)
    return guest_mark(g, MARK_ERROR, 0x200 + (uint64_t)st), false;
  st = vmbus_client_open(&v->bus, &v->ch, o, VSC_RING_GPA, 8, 8);
  if (st)
    return guest_mark(g, MARK_ERROR, 0x300 + (uint64_t)st), false;
  uint8_t resp[VSTOR_PACKET_BYTES], ver[SRB_BYTES];
  vsc_zero(ver, sizeof ver);
  ver[0] = (uint8_t)VSTOR_PROTO_VERSION_WIN10, ver[1] = (uint8_t)(VSTOR_PROTO_VERSION_WIN10 >> 8);
  if (vsc_request(v, VSTOR_OPERATION_BEGIN_INITIALIZATION, 0, 0, resp) ||
      vsc_request(v, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, ver, 0, resp) ||
      vsc_request(v, VSTOR_OPERATION_QUERY_PROPERTIES, 0, 0, resp) ||
      vsc_request(v, VSTOR_OPERATION_END_INITIALIZATION, 0, 0, resp))
    return guest_mark(g, MARK_ERROR, 0x400), false;
  uint8_t inq[6] = {SCSI_INQUIRY, 0, 0, 0, 36, 0}, id[16];
  if (vsc_scsi(v, inq, 6, true, 36) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA + 8, id, 4) ||
      id[0] != 'M' || id[1] != 's')
    return guest_mark(g, MARK_ERROR, 0x500), false;
  uint8_t rc[10] = {SCSI_READ_CAPACITY_10}, cap[8];
  if (vsc_scsi(v, rc, 10, true, 8) != SRB_STATUS_SUCCESS || !guest_read(g, VSC_DATA_GPA, cap, 8))
    return guest_mark(g, MARK_ERROR, 0x600), false;
  v->sectors = ((uint64_t)cap[0] << 24 | (uint64_t)cap[1] << 16 | (uint64_t)cap[2] << 8 | cap[3]) + 1;
  uint32_t scan = vsc_scan(v, v->sectors);
  if (scan)
    return guest_mark(g, MARK_ERROR, 0x700 + (uint64_t)scan), false;
  return true;
}

/* Copy n sectors between the data buffer and the shadow (to_shadow), or
 * compare them (returns false on a difference). */
static bool vsc_shadow(struct guest *g, uint64_t lba, uint32_t n, bool compare) {
  uint8_t a[512], s[512];
  for (uint32_t i = 0; i < n; i++) {
    uint64_t sh = VSC_SHADOW_GPA + (lba + i) * 512, d = VSC_DATA_GPA + i * 512ull;
    guest_read(g, d, a, sizeof a);
    if (!compare) {
      guest_write(g, sh, a, sizeof a);
      continue;
    }
    guest_read(g, sh, s, sizeof s);
    for (int k = 0; k < 512; k++)
      if (a[k] != s[k])
        return false;
  }
  return true;
}

static void vsc_run_shadow(struct vsc *v, const struct guest_boot *b, uint64_t region) {
  struct guest *g = v->g;
  uint64_t seed = b->seed | 1, ops = guest_param(b, "ops", 400), pct = guest_param(b, "write_pct", 50);
  uint64_t max = guest_param(b, "max", 16), bad = 0;
  if (max < 1 || max > 128)
    max = 16;
  for (uint64_t lba = 0; lba < region; lba += 128) { /* fill the shadow from the disk */
    uint32_t n = region - lba < 128 ? (uint32_t)(region - lba) : 128;
    if (vsc_rw(v, lba, n, false, (lba / 128) & 1) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0x700);
    vsc_shadow(g, lba, n, false);
  }
  for (uint64_t i = 0; i < ops; i++) {
    uint32_t n = 1 + (uint32_t)(vsc_rand(&seed) % max);
    if (n > region)
      n = (uint32_t)region;
    uint64_t lba = vsc_rand(&seed) % (region - n + 1);
    bool write = vsc_rand(&seed) % 100 < pct, sixteen = vsc_rand(&seed) & 1;
    for (uint32_t k = 0; write && k < n; k++) {
      uint64_t fill[64];
      for (int j = 0; j < 64; j++)
        fill[j] = vsc_rand(&seed);
      guest_write(g, VSC_DATA_GPA + k * 512ull, fill, sizeof fill);
    }
    if (vsc_rw(v, lba, n, write, sixteen) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0x800 + i);
    if (write)
      vsc_shadow(g, lba, n, false);
    else if (!vsc_shadow(g, lba, n, true)) {
      guest_mark(g, MARK_VERIFY_FAIL, lba);
      bad++;
    }
    uint8_t sync[10] = {SCSI_SYNCHRONIZE_CACHE_10};
    if (i % 64 == 63 && vsc_scsi(v, sync, 10, false, 0) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0x900);
  }
  guest_mark(g, MARK_DONE, ops - bad);
}

/* The writer's sequence: write number seq goes to lba_of(seq). */
static uint64_t vsc_lba_of(uint64_t pattern, uint64_t seq, uint64_t region) {
  uint64_t x = pattern * 0x9E3779B97F4A7C15ull + seq;
  x ^= x >> 31, x *= 0xBF58476D1CE4E5B9ull, x ^= x >> 29;
  return x % region;
}

static void vsc_run_writer(struct vsc *v, const struct guest_boot *b, uint64_t region) {
  struct guest *g = v->g;
  uint64_t pattern = guest_param(b, "pattern", 1), zero[64] = {0};
  for (uint32_t k = 0; k < 128 * 8; k += 64)
    guest_write(g, VSC_DATA_GPA + k * 8ull, zero, sizeof zero);
  for (uint64_t lba = 0; lba < region; lba += 128)
    if (vsc_rw(v, lba, region - lba < 128 ? (uint32_t)(region - lba) : 128, true, false) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0xA00);
  for (uint64_t seq = 1;; seq++) {
    uint64_t lba = vsc_lba_of(pattern, seq, region), sector[64];
    for (int k = 0; k < 64; k++)
      sector[k] = seq * 0x100000001ull ^ (uint64_t)k;
    sector[0] = VSC_MAGIC, sector[1] = lba, sector[2] = seq;
    guest_write(g, VSC_DATA_GPA, sector, sizeof sector);
    if (vsc_rw(v, lba, 1, true, seq & 1) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0xB00);
    guest_mark(g, MARK_COUNT, seq); /* completed: on the disk from now on */
  }
}

static void vsc_run_verifier(struct vsc *v, const struct guest_boot *b, uint64_t region) {
  struct guest *g = v->g;
  uint64_t pattern = guest_param(b, "pattern", 1), top = 0, bad = 0;
  for (uint64_t lba = 0; lba < region; lba += 128) { /* the image into the shadow, highest seq */
    uint32_t n = region - lba < 128 ? (uint32_t)(region - lba) : 128;
    if (vsc_rw(v, lba, n, false, true) != SRB_STATUS_SUCCESS)
      return (void)guest_mark(g, MARK_ERROR, 0xC00);
    vsc_shadow(g, lba, n, false);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t hdr[3];
      guest_read(g, VSC_DATA_GPA + i * 512ull, hdr, sizeof hdr);
      if (hdr[0] == VSC_MAGIC && hdr[2] > top)
        top = hdr[2];
    }
  }
  uint32_t last[2048]; /* per lba: the writer's last sequence number <= top */
  for (uint64_t lba = 0; lba < region; lba++)
    last[lba] = 0;
  for (uint64_t seq = 1; seq <= top; seq++)
    last[vsc_lba_of(pattern, seq, region)] = (uint32_t)seq;
  for (uint64_t lba = 0; lba < region; lba++) {
    uint64_t want = last[lba], hdr[3];
    guest_read(g, VSC_SHADOW_GPA + lba * 512, hdr, sizeof hdr);
    bool ok = want ? hdr[0] == VSC_MAGIC && hdr[1] == lba && hdr[2] == want : hdr[0] != VSC_MAGIC;
    if (!ok) {
      guest_mark(g, MARK_VERIFY_FAIL, lba);
      bad++;
    }
  }
  guest_mark(g, MARK_DONE, top);
}

void prog_vsc_storage(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  struct vsc vs;
  struct vsc *v = &vs;
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &w) || !vsc_init(v, g, b, &w))
    return;
  uint64_t region = guest_param(b, "region", 512);
  if (region > v->sectors)
    region = v->sectors;
  if (region > 2048)
    region = 2048;
  switch (guest_param(b, "mode", 0)) {
  case 1: vsc_run_writer(v, b, region); break;
  case 2: vsc_run_verifier(v, b, region); break;
  default: vsc_run_shadow(v, b, region); break;
  }
}
