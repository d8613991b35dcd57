/*
 * vmbus_script.c — a VMBus client (VSC side) that does what a script
 * tells it, well-formed or not: the hostile child of the `vmbus` fuzz
 * harness (fuzz/fuzz_vmbus.c), and a way to replay any sequence of
 * channel messages, packets and ring scribbles against the root's VMBus
 * server and its providers (storage, network, integration components).
 *
 * The script is the VM's payload (models/guest/guest.h: the root's worker
 * loads it at `payload_gpa`, `payload_len` bytes). The program contacts
 * the host and collects its offers, then runs the operations in order;
 * bytes missing at the end read as zero. Each operation is an opcode byte
 * (taken modulo 12) and its arguments, little-endian:
 *
 *   0 OPEN   dev:u8 out:u8 in:u8   open the channel of relid 1 + dev % 5
 *                                  (storage, network, heartbeat, shutdown,
 *                                  time sync) with out and in rings of
 *                                  2 + x % 15 pages (GPADL + OPENCHANNEL)
 *   1 CLOSE  relid:u8              CLOSECHANNEL + GPADL_TEARDOWN
 *   2 SEND   relid:u8 type:u8 flags:u8 tid:u32 ext:u8 len:u16 EXT BODY
 *                                  one packet into the guest->host ring:
 *                                  type 0 in-band, 1 GPA direct, 2
 *                                  completion, else the byte itself;
 *                                  ext % 11 * 8 bytes of extension (the
 *                                  GPA range: reserved u32, count u32,
 *                                  byte count u32, byte offset u32, PFNs
 *                                  u64), len % 4097 bytes of body;
 *                                  signalled by the ring's rule
 *   3 POKE   relid:u8 where:u8 off:u16 len:u8 BYTES
 *                                  len % 65 raw bytes into the out ring
 *                                  (where even) or the in ring (odd) at
 *                                  off modulo its size: indices, mask,
 *                                  pending size, data
 *   4 SIGNAL relid:u8              HvSignalEvent for the channel
 *   5 DRAIN  relid:u8 word:u8      take up to 64 packets from the in ring,
 *                                  each marked in the trace (MARK_PACKET:
 *                                  type << 48 | trans id (16 bits) << 32 |
 *                                  the body's u32 number word % 16, 0 past
 *                                  its end): what the host answered
 *   6 WAIT   n:u8                  compute (n + 1) * 2000 cycles
 *   7 MSG    len:u8 BYTES          a raw channel message of len % 241
 *                                  bytes (at least the 8-byte header)
 *   8 GPADL  relid:u8 n:u8 tok:u16 x (n % 70 + 1)
 *                                  a GPADL over the pages the tokens
 *                                  name: tok < 0x8000 one of our pages
 *                                  (tok modulo our RAM), else page
 *                                  (tok & 0x7FFF) * 64 of the machine
 *   9 UNLOAD                       UNLOAD, contact and offers again
 *  10 FILL   page:u8 off:u16 len:u16 BYTES
 *                                  len % 4097 bytes into our buffer page
 *                                  0x100 + page at off % 4096 (cut at the
 *                                  page's end): what GPA-direct ranges
 *                                  and receive buffers then hold
 *  11 BIGGPADL relid:u8 pages:u16 first:u16
 *                                  a GPADL of pages x 4 KiB over our pages
 *                                  first, first + 1, ... (modulo our RAM:
 *                                  pages repeat past its end), in header +
 *                                  body messages as Linux sends them
 *
 * A relid argument is taken modulo 8. Channel relids are fixed by device
 * kind (the server's rule), so a script can name a channel without seeing
 * the offers, and GPADL handles count up from 0xE1E10 after each contact.
 * Between operations the program takes the channel messages waiting in
 * its SynIC slot (answering rescinds); after the last one it keeps doing
 * so, halting in between. Each operation is marked in the trace as it
 * starts (MARK_STEP: opcode << 32 | offset in the script), and MARK_DONE
 * gives the number of operations run.
 *
 * With the parameter `lazy: 1` the program marks MARK_SCRIPT once it is
 * connected, leaves guest mode once (an RDMSR), and only then reads the script's length from its boot block
 * (GUEST_BOOT_GPA, parameter payload_len), so a snapshot fuzzer can
 * checkpoint the machine at that mark and hand each input in by writing
 * the script and its length into the VM's memory (fuzz/fuzz_vmbus.c).
 *
 * Memory: rings of relid r at 0x200000 + (r - 1) * 0x20000 (32 pages),
 * the script at GUEST_PAYLOAD_GPA (0x300000); pages 0x100..0x1FF are
 * free for buffers a script names (GPADLs, GPA-direct ranges).
 */
#include "models/vmbus/vmbus_bytes.h"
#include "models/vmbus/vmbus_client.h"

#include "models/child/child.h"

#define VS_RING_GPA 0x200000ull
#define VS_RING_STRIDE 0x20000ull
#define VS_RELIDS 8u
#define VS_MAX_BODY 4096u
#define VS_BUF_PFN 0x100u /* pages 0x100..0x1FF: the script's buffers */

/* The script, read from guest memory as it runs. */
struct vs_reader {
  struct guest *g;
  uint64_t gpa, left;
};

static uint64_t vs_uint(struct vs_reader *r, unsigned bytes) {
  uint8_t b[8] = {0};
  unsigned n = r->left < bytes ? (unsigned)r->left : bytes;
  if (n && !guest_read(r->g, r->gpa, b, n))
    n = 0, r->left = 0;
  r->gpa += n;
  r->left -= n;
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; i++)
    v |= (uint64_t)b[i] << (8 * i);
  return v;
}

/* Up to len bytes into buf (the rest zero); returns len. */
static uint32_t vs_bytes(struct vs_reader *r, uint8_t *buf, uint32_t len) {
  uint32_t n = r->left < len ? (uint32_t)r->left : len;
  if (n && !guest_read(r->g, r->gpa, buf, n))
    n = 0, r->left = 0;
  for (uint32_t i = n; i < len; i++)
    buf[i] = 0;
  r->gpa += n;
  r->left -= n;
  return len;
}

struct vs {
  struct guest *g;
  struct winhv w;
  struct vmbus_client bus;
  bool connected;
  uint64_t simp, ram_pages;
  struct vmbus_cchan ch[VS_RELIDS];
  uint8_t body[VS_MAX_BODY];
};

static bool vs_connect(struct vs *v) {
  v->connected = vmbus_client_connect(&v->bus, v->g, &v->w, v->simp, v->simp + 0x1000) == VMBUS_CLIENT_OK;
  for (uint32_t i = 0; i < VS_RELIDS; i++)
    v->ch[i].open = false;
  return v->connected;
}

static void vs_open(struct vs *v, struct vs_reader *r) {
  uint32_t relid = 1 + (uint32_t)vs_uint(r, 1) % 5;
  uint32_t out = 2 + (uint32_t)vs_uint(r, 1) % 15, in = 2 + (uint32_t)vs_uint(r, 1) % 15;
  if (!v->connected)
    return;
  for (uint32_t i = 0; i < v->bus.noffers; i++)
    if (v->bus.offers[i].relid == relid) {
      vmbus_client_open(&v->bus, &v->ch[relid], &v->bus.offers[i], VS_RING_GPA + (relid - 1) * VS_RING_STRIDE,
                        out, in);
      return;
    }
}

static void vs_send(struct vs *v, struct vs_reader *r) {
  uint32_t relid = (uint32_t)vs_uint(r, 1) % VS_RELIDS;
  uint8_t t = (uint8_t)vs_uint(r, 1);
  uint16_t type = t == 0 ? VM_PKT_DATA_INBAND : t == 1 ? VM_PKT_DATA_USING_GPA_DIRECT : t == 2 ? VM_PKT_COMP : t;
  uint16_t flags = (uint16_t)vs_uint(r, 1);
  uint64_t tid = vs_uint(r, 4);
  uint32_t ext_len = (uint32_t)vs_uint(r, 1) % 11 * 8, len = (uint32_t)vs_uint(r, 2) % (VS_MAX_BODY + 1);
  uint8_t ext[80];
  vs_bytes(r, ext, ext_len);
  vs_bytes(r, v->body, len);
  struct vmbus_cchan *ch = &v->ch[relid];
  bool sig = false;
  if (ch->open && vmbus_ring_write(&ch->out, type, flags, tid, ext, ext_len, v->body, len, &sig) == VMBUS_RING_OK &&
      sig)
    vmbus_client_signal(&v->bus, ch);
}

static void vs_poke(struct vs *v, struct vs_reader *r) {
  uint32_t relid = (uint32_t)vs_uint(r, 1) % VS_RELIDS, where = (uint32_t)vs_uint(r, 1);
  uint32_t off = (uint32_t)vs_uint(r, 2), len = (uint32_t)vs_uint(r, 1) % 65;
  uint8_t b[64];
  vs_bytes(r, b, len);
  struct vmbus_cchan *ch = &v->ch[relid];
  if (!ch->open)
    return;
  const struct vmbus_ring *ring = where & 1 ? &ch->in : &ch->out;
  uint64_t base = where & 1 ? ch->in_mem.base : ch->out_mem.base;
  uint32_t size = VMBUS_RING_CTRL_BYTES + ring->data_size;
  off %= size;
  if (len > size - off)
    len = size - off;
  guest_write(v->g, base + off, b, len);
}

static void vs_drain(struct vs *v, uint32_t relid, uint32_t word) {
  struct vmbus_cchan *ch = &v->ch[relid % VS_RELIDS];
  struct vmbus_pkt p;
  for (uint32_t i = 0; ch->open && i < 64; i++) {
    if (vmbus_client_try_recv(&v->bus, ch, v->body, sizeof v->body, &p) != VMBUS_RING_OK)
      return;
    uint32_t at = p.data_off + 4 * (word % 16), w = 0;
    if (at + 4 <= p.len)
      w = vmbus_le32(v->body + at);
    guest_mark(v->g, MARK_PACKET, (uint64_t)p.type << 48 | (p.trans_id & 0xFFFF) << 32 | w);
  }
}

static void vs_msg(struct vs *v, struct vs_reader *r) {
  uint32_t len = (uint32_t)vs_uint(r, 1) % 241;
  uint8_t m[240];
  vs_bytes(r, m, len);
  winhv_post_message(&v->w, VMBUS_MESSAGE_CONNECTION_ID, VMBUS_HV_MESSAGE_TYPE, m,
                     len < VMBUS_MSG_HDR ? VMBUS_MSG_HDR : len);
}

static void vs_gpadl(struct vs *v, struct vs_reader *r) {
  uint32_t relid = (uint32_t)vs_uint(r, 1) % VS_RELIDS, n = (uint32_t)vs_uint(r, 1) % 70 + 1;
  uint64_t pfns[70];
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tok = (uint32_t)vs_uint(r, 2);
    pfns[i] = tok < 0x8000 ? tok % v->ram_pages : (uint64_t)(tok & 0x7FFF) * 64;
  }
  uint32_t handle;
  if (v->connected)
    vmbus_client_gpadl_pfns(&v->bus, relid, pfns, n, &handle);
}

struct vs_wrap {
  uint64_t first, ram_pages;
};

static uint64_t vs_wrap_pfn(const void *ctx, uint32_t i) {
  const struct vs_wrap *w = ctx;
  return (w->first + i) % w->ram_pages;
}

static void vs_big_gpadl(struct vs *v, struct vs_reader *r) {
  uint32_t relid = (uint32_t)vs_uint(r, 1) % VS_RELIDS, pages = (uint32_t)vs_uint(r, 2);
  struct vs_wrap w = {vs_uint(r, 2), v->ram_pages};
  uint32_t handle;
  if (v->connected && pages)
    vmbus_client_gpadl_fn(&v->bus, relid, vs_wrap_pfn, &w, pages, &handle);
}

static void vs_fill(struct vs *v, struct vs_reader *r) {
  uint64_t page = VS_BUF_PFN + vs_uint(r, 1);
  uint32_t off = (uint32_t)vs_uint(r, 2) % 4096, len = (uint32_t)vs_uint(r, 2) % (VS_MAX_BODY + 1);
  vs_bytes(r, v->body, len);
  if (len > 4096 - off)
    len = 4096 - off;
  guest_write(v->g, (page << 12) + off, v->body, len);
}

/* `lazy: 1`: the script's length as the boot block in memory has it now. */
static void vs_reread_length(struct guest *g, const struct guest_boot *b, struct vs_reader *r) {
  guest_mark(g, MARK_SCRIPT, 0);
  (void)guest_vp_index(g); /* an exit (RDMSR): the machine's step ends here, the snapshot's place */
  for (uint32_t i = 0; i < b->nparams && i < GUEST_MAX_PARAMS; i++) {
    const char *k = b->params[i].key, *want = "payload_len";
    uint32_t j = 0;
    while (k[j] && k[j] == want[j])
      j++;
    if (k[j] == want[j]) {
      uint64_t gpa_v = GUEST_BOOT_GPA + offsetof(struct guest_boot, params) + i * sizeof b->params[0] +
                       offsetof(struct guest_boot_param, value);
      if (!guest_read(g, gpa_v, &r->left, sizeof r->left))
        r->left = 0;
      return;
    }
  }
}

void prog_vmbus_script(struct guest *g, const struct guest_boot *b) {
  struct vs vs_state;
  struct vs *v = &vs_state;
  for (size_t i = 0; i < sizeof *v; i++)
    ((uint8_t *)v)[i] = 0;
  v->g = g;
  v->simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g);
  v->ram_pages = b->memory_bytes >> 12;
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &v->w) ||
      !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return;
  struct vs_reader r = {g, guest_param(b, "payload_gpa", 0), guest_param(b, "payload_len", 0)};
  vs_connect(v);
  if (guest_param(b, "lazy", 0))
    vs_reread_length(g, b, &r);
  uint64_t ops = 0;
  while (r.left) {
    uint64_t at = r.gpa - guest_param(b, "payload_gpa", 0);
    uint32_t op = (uint32_t)vs_uint(&r, 1) % 12;
    guest_mark(g, MARK_STEP, (uint64_t)op << 32 | at);
    switch (op) {
    case 0: vs_open(v, &r); break;
    case 1: {
      struct vmbus_cchan *ch = &v->ch[vs_uint(&r, 1) % VS_RELIDS];
      if (ch->open)
        vmbus_client_close(&v->bus, ch);
      break;
    }
    case 2: vs_send(v, &r); break;
    case 3: vs_poke(v, &r); break;
    case 4: {
      struct vmbus_cchan *ch = &v->ch[vs_uint(&r, 1) % VS_RELIDS];
      if (ch->open)
        vmbus_client_signal(&v->bus, ch);
      break;
    }
    case 5: {
      uint32_t relid = (uint32_t)vs_uint(&r, 1);
      vs_drain(v, relid, (uint32_t)vs_uint(&r, 1));
      break;
    }
    case 6: guest_work(g, (vs_uint(&r, 1) + 1) * 2000); break;
    case 7: vs_msg(v, &r); break;
    case 8: vs_gpadl(v, &r); break;
    case 10: vs_fill(v, &r); break;
    case 11: vs_big_gpadl(v, &r); break;
    default:
      if (v->connected)
        vmbus_client_unload(&v->bus);
      vs_connect(v);
      break;
    }
    ops++;
    if (v->connected)
      vmbus_client_take_messages(&v->bus);
  }
  guest_mark(g, MARK_DONE, ops);
  for (;;) {
    if (v->connected)
      vmbus_client_take_messages(&v->bus);
    guest_halt(g, 0);
  }
}
