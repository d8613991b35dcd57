/*
 * vmbus_vsp.c — the providers behind the root's VMBus server, as the
 * server calls them: each guest packet to its channel's provider
 * (vsp_storage.c, vsp_network.c, vsp_ic.c), and the GPA-direct ranges
 * the storage and network providers share.
 */
#include "vsp.h"

bool vsp_range(const struct vmbus_srv_pkt *p, struct vsp_range *r) {
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

bool vsp_xfer(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vsp_range *r, uint32_t pos,
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

uint32_t vmbus_vsp_packet(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                          const struct vmbus_srv_pkt *p) {
  switch (ch->dev) {
  case VMBUS_DEV_STORAGE: return vsp_storage(s, c, ch, p);
  case VMBUS_DEV_NETWORK: return vsp_network(s, c, ch, p);
  default: return vsp_ic(c, ch, p); /* integration components: the guest's answers */
  }
}
