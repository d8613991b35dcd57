/*
 * vmbus_ring.c — VMBus ring buffers (see vmbus_ring.h). Guest software,
 * used by the VSCs in children and the VSPs in the root.
 *
 * Shared-memory ordering. Writer and reader run on different processors
 * and see each other only through the ring's bytes, so two orders matter:
 *
 * 1. A writer stores the packet's bytes, then write_index. If the index
 *    became visible first, the reader could copy a half-written packet.
 *    x86 keeps stores in order (TSO), but the compiler does not have to:
 *    a release fence sits between the two. The reader mirrors it: it
 *    loads write_index, then the packet (acquire fence), then stores
 *    read_index only after it has copied the packet out, so the writer
 *    never overwrites bytes still being read.
 * 2. Publishing an index and then deciding whether to signal is a store
 *    followed by a load of what the other side wrote (interrupt_mask and
 *    read_index for the writer, pending_send_sz for the reader). x86 may
 *    let that load pass the store (store buffer): the writer would see the
 *    reader's old "not masked, not yet drained" state while the reader,
 *    about to halt, sees the old write_index — both decide nobody needs
 *    an interrupt and the reader sleeps on a non-empty ring. A full fence
 *    (MFENCE; __atomic_thread_fence(SEQ_CST)) between the store and the
 *    load closes that window; Linux has virt_mb() in the same places.
 *
 * At level 1 the accessor calls are already serialised by the simulator;
 * the fences cost nothing there and keep the bare-metal build honest.
 */
#include "vmbus_ring.h"

#define VMBUS_RING_SMALL 256u /* packets up to this size are assembled, then copied once */

static inline void vmbus_ring_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void vmbus_ring_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void vmbus_ring_fence_full(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

bool vmbus_ring_attach(struct vmbus_ring *r, const struct vmbus_ring_io *io, uint32_t size) {
  if (size < 2 * VMBUS_RING_CTRL_BYTES || (size & (VMBUS_RING_CTRL_BYTES - 1)))
    return false;
  r->io = *io;
  r->data_size = size - VMBUS_RING_CTRL_BYTES;
  return true;
}

static bool vmbus_ring_put32(struct vmbus_ring *r, uint32_t off, uint32_t v) {
  return r->io.write(r->io.ctx, off, &v, 4);
}

int vmbus_ring_init(struct vmbus_ring *r) {
  uint32_t hdr[17];
  for (int i = 0; i < 17; i++)
    hdr[i] = 0;
  hdr[VMBUS_RING_FEATURE_BITS / 4] = VMBUS_RING_FEAT_PENDING_SEND_SZ;
  return r->io.write(r->io.ctx, 0, hdr, sizeof hdr) ? VMBUS_RING_OK : VMBUS_RING_IO;
}

uint32_t vmbus_ring_free(uint32_t size, uint32_t write, uint32_t read) {
  uint32_t avail = read > write ? read - write : size - (write - read);
  return avail >= 8 ? avail - 8 : 0;
}

uint32_t vmbus_ring_packet_bytes(uint32_t ext_len, uint32_t body_len) {
  return VMBUS_PKT_DESC_BYTES + ext_len + ((body_len + 7u) & ~7u) + VMBUS_PKT_TRAILER_BYTES;
}

bool vmbus_ring_signal_after_write(uint32_t interrupt_mask, uint32_t old_write, uint32_t read) {
  return interrupt_mask == 0 && read == old_write;
}

bool vmbus_ring_signal_after_read(uint32_t pending, uint32_t free_before, uint32_t free_after) {
  pending &= ~7u; /* OpenVMM: the low bits carry nothing */
  return pending != 0 && free_before < pending && pending <= free_after;
}

/* Both indices, checked: multiples of 8 inside the data area. */
static int vmbus_ring_indices(struct vmbus_ring *r, uint32_t *write, uint32_t *read) {
  uint32_t idx[2];
  if (!r->io.read(r->io.ctx, 0, idx, 8))
    return VMBUS_RING_IO;
  if ((idx[0] | idx[1]) & 7 || idx[0] >= r->data_size || idx[1] >= r->data_size)
    return VMBUS_RING_BAD_INDEX;
  *write = idx[0];
  *read = idx[1];
  return VMBUS_RING_OK;
}

/* Copy len bytes at data offset off (wrapping) to or from buf. */
static bool vmbus_ring_data(struct vmbus_ring *r, uint32_t off, void *buf, uint32_t len, bool write) {
  uint8_t *b = buf;
  uint32_t first = r->data_size - off < len ? r->data_size - off : len;
  bool ok = write ? r->io.write(r->io.ctx, VMBUS_RING_CTRL_BYTES + off, b, first)
                  : r->io.read(r->io.ctx, VMBUS_RING_CTRL_BYTES + off, b, first);
  if (ok && len > first)
    ok = write ? r->io.write(r->io.ctx, VMBUS_RING_CTRL_BYTES, b + first, len - first)
               : r->io.read(r->io.ctx, VMBUS_RING_CTRL_BYTES, b + first, len - first);
  return ok;
}

static uint32_t vmbus_ring_wrap(const struct vmbus_ring *r, uint32_t off) {
  return off >= r->data_size ? off - r->data_size : off;
}

int vmbus_ring_write(struct vmbus_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *ext,
                     uint32_t ext_len, const void *body, uint32_t body_len, bool *signal) {
  *signal = false;
  uint32_t need = vmbus_ring_packet_bytes(ext_len, body_len), w, rd;
  if ((ext_len & 7) || need > r->data_size - 8 || need / 8 > 0xFFFF)
    return VMBUS_RING_TOO_BIG;
  int st = vmbus_ring_indices(r, &w, &rd);
  if (st != VMBUS_RING_OK)
    return st;
  if (need > vmbus_ring_free(r->data_size, w, rd))
    return VMBUS_RING_FULL;
  uint8_t desc[VMBUS_PKT_DESC_BYTES];
  uint16_t off8 = (uint16_t)((VMBUS_PKT_DESC_BYTES + ext_len) / 8);
  uint16_t len8 = (uint16_t)((need - VMBUS_PKT_TRAILER_BYTES) / 8);
  uint16_t f[4] = {type, off8, len8, flags};
  for (int i = 0; i < 8; i++)
    desc[i] = ((const uint8_t *)f)[i];
  for (int i = 0; i < 8; i++)
    desc[8 + i] = (uint8_t)(trans_id >> (8 * i));
  uint32_t pos = w;
  uint64_t pad_trailer[2] = {0, (uint64_t)w << 32};
  uint32_t pad = ((body_len + 7u) & ~7u) - body_len;
  bool ok;
  if (need <= VMBUS_RING_SMALL) { /* small packets: one copy into the ring */
    uint8_t pkt[VMBUS_RING_SMALL];
    uint8_t *p = pkt;
    for (uint32_t i = 0; i < sizeof desc; i++)
      *p++ = desc[i];
    for (uint32_t i = 0; i < ext_len; i++)
      *p++ = ((const uint8_t *)ext)[i];
    for (uint32_t i = 0; i < body_len; i++)
      *p++ = ((const uint8_t *)body)[i];
    for (uint32_t i = 0; i < pad; i++)
      *p++ = 0;
    for (uint32_t i = 0; i < 8; i++)
      *p++ = (uint8_t)(pad_trailer[1] >> (8 * i));
    ok = vmbus_ring_data(r, pos, pkt, need, true);
    goto publish;
  }
  ok = vmbus_ring_data(r, pos, desc, sizeof desc, true);
  pos = vmbus_ring_wrap(r, pos + VMBUS_PKT_DESC_BYTES);
  if (ok && ext_len) {
    ok = vmbus_ring_data(r, pos, (void *)ext, ext_len, true);
    pos = vmbus_ring_wrap(r, pos + ext_len);
  }
  if (ok && body_len) {
    ok = vmbus_ring_data(r, pos, (void *)body, body_len, true);
    pos = vmbus_ring_wrap(r, pos + body_len);
  }
  if (ok && pad) {
    ok = vmbus_ring_data(r, pos, pad_trailer, pad, true);
    pos = vmbus_ring_wrap(r, pos + pad);
  }
  if (ok)
    ok = vmbus_ring_data(r, pos, &pad_trailer[1], 8, true);
publish:
  if (!ok)
    return VMBUS_RING_IO;
  vmbus_ring_fence_release(); /* packet bytes before the index (ordering 1) */
  if (!vmbus_ring_put32(r, VMBUS_RING_WRITE_INDEX, vmbus_ring_wrap(r, w + need)))
    return VMBUS_RING_IO;
  vmbus_ring_fence_full(); /* index store before the mask/read loads (ordering 2) */
  uint32_t ctl[3];
  if (!r->io.read(r->io.ctx, 0, ctl, sizeof ctl))
    return VMBUS_RING_IO;
  *signal = vmbus_ring_signal_after_write(ctl[2], w, ctl[1]);
  return VMBUS_RING_OK;
}

/* Check the descriptor at read index rd against what the writer published. */
static int vmbus_ring_check(const struct vmbus_ring *r, const uint8_t *desc, uint32_t avail, uint32_t cap,
                            struct vmbus_pkt *pkt) {
  uint16_t f[4];
  for (int i = 0; i < 8; i++)
    ((uint8_t *)f)[i] = desc[i];
  pkt->type = f[0];
  pkt->data_off = (uint32_t)f[1] * 8;
  pkt->len = (uint32_t)f[2] * 8;
  pkt->flags = f[3];
  pkt->trans_id = 0;
  for (int i = 0; i < 8; i++)
    pkt->trans_id |= (uint64_t)desc[8 + i] << (8 * i);
  if (pkt->len < VMBUS_PKT_DESC_BYTES || pkt->data_off < VMBUS_PKT_DESC_BYTES || pkt->data_off > pkt->len ||
      pkt->len + VMBUS_PKT_TRAILER_BYTES > avail)
    return VMBUS_RING_BAD_PACKET;
  if (pkt->len > cap || pkt->len > r->data_size)
    return VMBUS_RING_TOO_BIG;
  return VMBUS_RING_OK;
}

int vmbus_ring_read(struct vmbus_ring *r, void *buf, uint32_t cap, struct vmbus_pkt *pkt, bool *signal) {
  *signal = false;
  uint32_t w, rd;
  int st = vmbus_ring_indices(r, &w, &rd);
  if (st != VMBUS_RING_OK)
    return st;
  if (w == rd)
    return VMBUS_RING_EMPTY;
  vmbus_ring_fence_acquire(); /* the index before the packet bytes (ordering 1) */
  uint32_t avail = w > rd ? w - rd : r->data_size - (rd - w);
  uint8_t desc[VMBUS_PKT_DESC_BYTES];
  if (avail < VMBUS_PKT_DESC_BYTES + VMBUS_PKT_TRAILER_BYTES)
    return VMBUS_RING_BAD_PACKET;
  if (!vmbus_ring_data(r, rd, desc, sizeof desc, false))
    return VMBUS_RING_IO;
  st = vmbus_ring_check(r, desc, avail, cap, pkt);
  if (st != VMBUS_RING_OK)
    return st;
  uint64_t trailer;
  if (!vmbus_ring_data(r, rd, buf, pkt->len, false) ||
      !vmbus_ring_data(r, vmbus_ring_wrap(r, rd + pkt->len), &trailer, 8, false))
    return VMBUS_RING_IO;
  /* The copy is what we parse: re-check it (the writer may have changed
   * the descriptor between the two reads). */
  st = vmbus_ring_check(r, buf, avail, cap, pkt);
  if (st != VMBUS_RING_OK)
    return st;
  if ((uint32_t)(trailer >> 32) != rd)
    return VMBUS_RING_BAD_PACKET;
  uint32_t free_before = vmbus_ring_free(r->data_size, w, rd);
  uint32_t next = vmbus_ring_wrap(r, rd + pkt->len + VMBUS_PKT_TRAILER_BYTES);
  vmbus_ring_fence_release(); /* copied out before the slot is released (ordering 1): loads before a store */
  if (!vmbus_ring_put32(r, VMBUS_RING_READ_INDEX, next))
    return VMBUS_RING_IO;
  vmbus_ring_fence_full(); /* read_index store before the pending load (ordering 2) */
  uint32_t ctl[4]; /* write index, read index, mask, pending_send_sz: one read */
  if (!r->io.read(r->io.ctx, 0, ctl, sizeof ctl))
    return VMBUS_RING_IO;
  uint32_t pending = ctl[3], w_now = ctl[0];
  if ((w_now & 7) || w_now >= r->data_size)
    w_now = w; /* a lying writer only loses its own wake-up */
  *signal = vmbus_ring_signal_after_read(pending, free_before, vmbus_ring_free(r->data_size, w_now, next));
  return VMBUS_RING_OK;
}

int vmbus_ring_poll(struct vmbus_ring *r) {
  uint32_t w, rd;
  int st = vmbus_ring_indices(r, &w, &rd);
  if (st != VMBUS_RING_OK)
    return st;
  return w == rd ? VMBUS_RING_EMPTY : VMBUS_RING_OK;
}

int vmbus_ring_mask(struct vmbus_ring *r, uint32_t mask) {
  if (!vmbus_ring_put32(r, VMBUS_RING_INTERRUPT_MASK, mask))
    return VMBUS_RING_IO;
  vmbus_ring_fence_full(); /* unmask before re-checking for data (ordering 2) */
  return VMBUS_RING_OK;
}

int vmbus_ring_set_pending(struct vmbus_ring *r, uint32_t bytes) {
  if (!vmbus_ring_put32(r, VMBUS_RING_PENDING_SEND_SZ, (bytes + 7u) & ~7u))
    return VMBUS_RING_IO;
  vmbus_ring_fence_full(); /* ask before re-checking the free space (ordering 2) */
  return VMBUS_RING_OK;
}
