/*
 * vmbus_client.c — the child's VMBus driver (see vmbus_client.h).
 *
 * Typical sequence (Linux vmbus): INITIATE_CONTACT -> VERSION_RESPONSE
 * (newest version first, falling back), REQUESTOFFERS -> n x OFFERCHANNEL
 * -> ALLOFFERS_DELIVERED; per channel GPADL_HEADER (+BODY) ->
 * GPADL_CREATED, OPENCHANNEL -> OPENCHANNEL_RESULT; CLOSECHANNEL,
 * GPADL_TEARDOWN -> GPADL_TORNDOWN; UNLOAD -> UNLOAD_RESPONSE. A
 * RESCIND_CHANNELOFFER may arrive at any time: the channel is marked and
 * answered with RELID_RELEASED.
 */
#include "vmbus_client.h"

#include "vmbus_bytes.h"

#define VMBUS_CLIENT_FIRST_GPADL 0xE1E10u /* where Linux starts its handles */

static bool vc_mem_read(void *ctx, uint32_t off, void *buf, uint32_t len) {
  struct vmbus_cring_mem *m = ctx;
  return guest_read(m->g, m->base + off, buf, len);
}

static bool vc_mem_write(void *ctx, uint32_t off, const void *buf, uint32_t len) {
  struct vmbus_cring_mem *m = ctx;
  return guest_write(m->g, m->base + off, buf, len);
}

/* Post a channel message, retrying while the host's side is not wired
 * yet or its buffers are full. Returns the last HV_STATUS. */
static uint16_t vc_post(struct vmbus_client *c, const void *msg, uint32_t len) {
  uint16_t st = HV_STATUS_SUCCESS;
  for (int tries = 0; tries < 500; tries++) {
    st = winhv_post_message(c->w, c->msg_conn, VMBUS_HV_MESSAGE_TYPE, msg, len);
    if (st != HV_STATUS_INSUFFICIENT_BUFFERS && st != HV_STATUS_INVALID_CONNECTION_ID &&
        st != HV_STATUS_INVALID_PORT_ID && st != HV_STATUS_INVALID_SYNIC_STATE)
      return st;
    guest_work(c->g, 20000);
  }
  return st;
}

/* Take a message from the slot when there is one; handle rescinds. */
static bool vc_take(struct vmbus_client *c) {
  if (!guest_read(c->g, c->slot_gpa, c->msg, sizeof c->msg) || vmbus_le32(c->msg) == 0)
    return false;
  uint32_t none = 0;
  guest_write(c->g, c->slot_gpa, &none, 4);
  if (c->msg[5] & 1)
    guest_wrmsr(c->g, HV_X64_MSR_EOM, 0);
  const uint8_t *m = c->msg + 16;
  if (vmbus_le32(m) == CHANNELMSG_RESCIND_CHANNELOFFER) {
    uint32_t relid = vmbus_le32(m + 8);
    if (relid < 32)
      c->rescinded |= 1u << relid;
    uint8_t r[VMBUS_RELID_MSG_BYTES];
    vmbus_bzero(r, sizeof r);
    vmbus_put_le32(r, CHANNELMSG_RELID_RELEASED);
    vmbus_put_le32(r + 8, relid);
    vc_post(c, r, sizeof r);
  }
  return true;
}

/* Wait for a channel message of the given type; c->msg + 16 holds it.
 * False after a long silence (no host). */
static bool vc_wait_msg(struct vmbus_client *c, uint32_t type) {
  for (uint32_t idle = 0; idle < 100000;) {
    if (vc_take(c)) {
      if (vmbus_le32(c->msg + 16) == type)
        return true;
      continue;
    }
    guest_halt(c->g, 0);
    idle++;
  }
  return false;
}

int vmbus_client_connect(struct vmbus_client *c, struct guest *g, struct winhv *w, uint64_t simp_gpa,
                         uint64_t siefp_gpa) {
  int st = vmbus_client_contact(c, g, w, simp_gpa, siefp_gpa);
  return st ? st : vmbus_client_request_offers(c);
}

int vmbus_client_contact(struct vmbus_client *c, struct guest *g, struct winhv *w, uint64_t simp_gpa,
                         uint64_t siefp_gpa) {
  vmbus_bzero(c, sizeof *c); /* after an UNLOAD the host holds no GPADL of ours: handles restart */
  c->g = g;
  c->w = w;
  c->slot_gpa = simp_gpa + 256ull * VMBUS_MESSAGE_SINT;
  c->sief_gpa = siefp_gpa + 256ull * VMBUS_MESSAGE_SINT;
  c->next_gpadl = VMBUS_CLIENT_FIRST_GPADL;
  /* Linux's order (connection.c vmbus_negotiate_version): newest first;
   * 5.0 and later contact on connection 4 with the SINT of our messages
   * and then use the connection the host names. */
  static const uint32_t versions[] = {VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1,
                                      VMBUS_VERSION_WIN10_V5,   VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10,
                                      VMBUS_VERSION_WIN8_1,     VMBUS_VERSION_WIN8};
  for (uint32_t i = 0; i < sizeof versions / sizeof versions[0] && !c->version; i++) {
    bool v5 = versions[i] >= VMBUS_VERSION_WIN10_V5;
    uint8_t m[VMBUS_INITIATE_CONTACT_BYTES];
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, CHANNELMSG_INITIATE_CONTACT);
    vmbus_put_le32(m + 8, versions[i]);
    vmbus_put_le32(m + 12, guest_vp_index(g));
    if (v5)
      m[16] = VMBUS_MESSAGE_SINT;
    c->msg_conn = v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID;
    if (vc_post(c, m, sizeof m) != HV_STATUS_SUCCESS || !vc_wait_msg(c, CHANNELMSG_VERSION_RESPONSE))
      return VMBUS_CLIENT_NO_HOST;
    if (c->msg[16 + 8] == 1) {
      c->version = versions[i];
      if (v5)
        c->msg_conn = vmbus_le32(c->msg + 16 + 12);
    }
  }
  c->msg_conn = c->version >= VMBUS_VERSION_WIN10_V5 ? c->msg_conn : VMBUS_MESSAGE_CONNECTION_ID;
  return c->version ? VMBUS_CLIENT_OK : VMBUS_CLIENT_NO_HOST;
}

int vmbus_client_request_offers(struct vmbus_client *c) {
  struct guest *g = c->g;
  c->noffers = 0;
  uint8_t req[VMBUS_MSG_HDR] = {CHANNELMSG_REQUESTOFFERS};
  vc_post(c, req, sizeof req);
  for (;;) {
    if (!vc_take(c)) {
      guest_halt(g, 0);
      continue;
    }
    const uint8_t *m = c->msg + 16;
    uint32_t type = vmbus_le32(m);
    if (type == CHANNELMSG_ALLOFFERS_DELIVERED)
      return VMBUS_CLIENT_OK;
    if (type == CHANNELMSG_OFFERCHANNEL && c->noffers < VMBUS_CLIENT_MAX_OFFERS) {
      struct vmbus_offer *o = &c->offers[c->noffers++];
      for (int k = 0; k < 16; k++)
        o->guid[k] = m[VMBUS_OFFER_IF_TYPE + k];
      o->relid = vmbus_le32(m + VMBUS_OFFER_RELID);
      o->conn_id = vmbus_le32(m + VMBUS_OFFER_CONNECTION_ID);
    }
  }
}

const struct vmbus_offer *vmbus_client_offer(const struct vmbus_client *c, const uint8_t guid[16]) {
  for (uint32_t i = 0; i < c->noffers; i++) {
    bool same = true;
    for (int k = 0; k < 16; k++)
      same &= c->offers[i].guid[k] == guid[k];
    if (same)
      return &c->offers[i];
  }
  return 0;
}

/* GPADL_HEADER + as many GPADL_BODY messages as the PFNs need (26, then
 * 28 a message), as Linux's create_gpadl_header builds them: one range,
 * range_buflen = 8 + 8 x pages in its u16. */
int vmbus_client_gpadl_fn(struct vmbus_client *c, uint32_t relid, uint64_t (*pfn_at)(const void *ctx, uint32_t i),
                          const void *ctx, uint32_t n, uint32_t *handle) {
  uint8_t m[240];
  uint32_t h = c->next_gpadl++, sent = 0;
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, CHANNELMSG_GPADL_HEADER);
  vmbus_put_le32(m + 8, relid);
  vmbus_put_le32(m + 12, h);
  uint32_t buflen = 8 + 8 * n;
  m[16] = (uint8_t)buflen, m[17] = (uint8_t)(buflen >> 8);
  m[18] = 1; /* one range */
  vmbus_put_le32(m + 20, n * 4096);
  vmbus_put_le32(m + 24, 0);
  for (; sent < n && sent < VMBUS_GPADL_HEADER_MAX_PFNS; sent++)
    vmbus_put_le64(m + VMBUS_GPADL_HEADER_PFNS_AT + 8 * sent, pfn_at(ctx, sent));
  vc_post(c, m, VMBUS_GPADL_HEADER_PFNS_AT + 8 * sent);
  for (uint32_t msgno = 1; sent < n; msgno++) {
    uint32_t k = 0;
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, CHANNELMSG_GPADL_BODY);
    vmbus_put_le32(m + 8, msgno);
    vmbus_put_le32(m + 12, h);
    for (; sent < n && k < VMBUS_GPADL_BODY_MAX_PFNS; k++, sent++)
      vmbus_put_le64(m + VMBUS_GPADL_BODY_PFNS_AT + 8 * k, pfn_at(ctx, sent));
    vc_post(c, m, VMBUS_GPADL_BODY_PFNS_AT + 8 * k);
  }
  for (;;) {
    if (!vc_wait_msg(c, CHANNELMSG_GPADL_CREATED))
      return VMBUS_CLIENT_NO_HOST;
    if (vmbus_le32(c->msg + 16 + 12) != h)
      continue;
    if (vmbus_le32(c->msg + 16 + 16) != 0)
      return VMBUS_CLIENT_REFUSED;
    *handle = h;
    return VMBUS_CLIENT_OK;
  }
}

static uint64_t vc_pfn_listed(const void *ctx, uint32_t i) { return ((const uint64_t *)ctx)[i]; }
static uint64_t vc_pfn_contiguous(const void *ctx, uint32_t i) { return *(const uint64_t *)ctx + i; }

int vmbus_client_gpadl_pfns(struct vmbus_client *c, uint32_t relid, const uint64_t *pfns, uint32_t n,
                            uint32_t *handle) {
  return vmbus_client_gpadl_fn(c, relid, vc_pfn_listed, pfns, n, handle);
}

int vmbus_client_gpadl(struct vmbus_client *c, uint32_t relid, uint64_t gpa, uint32_t pages, uint32_t *handle) {
  uint64_t first = gpa >> 12;
  if (pages == 0 || pages > (1u << 20))
    return VMBUS_CLIENT_REFUSED;
  return vmbus_client_gpadl_fn(c, relid, vc_pfn_contiguous, &first, pages, handle);
}

int vmbus_client_open(struct vmbus_client *c, struct vmbus_cchan *ch, const struct vmbus_offer *o, uint64_t ring_gpa,
                      uint32_t out_pages, uint32_t in_pages) {
  vmbus_bzero(ch, sizeof *ch);
  ch->relid = o->relid;
  ch->conn_id = o->conn_id;
  ch->out_mem = (struct vmbus_cring_mem){c->g, ring_gpa};
  ch->in_mem = (struct vmbus_cring_mem){c->g, ring_gpa + out_pages * 4096ull};
  struct vmbus_ring_io out_io = {&ch->out_mem, vc_mem_read, vc_mem_write};
  struct vmbus_ring_io in_io = {&ch->in_mem, vc_mem_read, vc_mem_write};
  if (!vmbus_ring_attach(&ch->out, &out_io, out_pages * 4096) || !vmbus_ring_attach(&ch->in, &in_io, in_pages * 4096) ||
      vmbus_ring_init(&ch->out) || vmbus_ring_init(&ch->in))
    return VMBUS_CLIENT_REFUSED;
  int st = vmbus_client_gpadl(c, o->relid, ring_gpa, out_pages + in_pages, &ch->gpadl);
  if (st)
    return st;
  uint8_t m[VMBUS_OPEN_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, CHANNELMSG_OPENCHANNEL);
  vmbus_put_le32(m + 8, o->relid);
  vmbus_put_le32(m + 12, o->relid); /* openid */
  vmbus_put_le32(m + 16, ch->gpadl);
  vmbus_put_le32(m + 20, guest_vp_index(c->g));
  vmbus_put_le32(m + 24, out_pages);
  vc_post(c, m, sizeof m);
  for (;;) {
    if (!vc_wait_msg(c, CHANNELMSG_OPENCHANNEL_RESULT))
      return VMBUS_CLIENT_NO_HOST;
    if (vmbus_le32(c->msg + 16 + 8) != o->relid)
      continue;
    if (vmbus_le32(c->msg + 16 + 16) != 0)
      return VMBUS_CLIENT_REFUSED;
    ch->open = true;
    c->rescinded &= ~(1u << (o->relid & 31));
    return VMBUS_CLIENT_OK;
  }
}

int vmbus_client_close(struct vmbus_client *c, struct vmbus_cchan *ch) {
  uint8_t m[VMBUS_GPADL_TEARDOWN_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, CHANNELMSG_CLOSECHANNEL);
  vmbus_put_le32(m + 8, ch->relid);
  vc_post(c, m, VMBUS_RELID_MSG_BYTES);
  ch->open = false;
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, CHANNELMSG_GPADL_TEARDOWN);
  vmbus_put_le32(m + 8, ch->relid);
  vmbus_put_le32(m + 12, ch->gpadl);
  vc_post(c, m, sizeof m);
  return vc_wait_msg(c, CHANNELMSG_GPADL_TORNDOWN) ? VMBUS_CLIENT_OK : VMBUS_CLIENT_NO_HOST;
}

void vmbus_client_signal(struct vmbus_client *c, struct vmbus_cchan *ch) {
  winhv_signal_event(c->w, ch->conn_id, 0);
}

static bool vc_rescinded(const struct vmbus_client *c, const struct vmbus_cchan *ch) {
  return ch->relid < 32 && (c->rescinded & (1u << ch->relid));
}

/* Clear our event flags before looking at the rings again (a signal that
 * comes after the clear raises the SINT anew). */
static void vc_clear_flags(struct vmbus_client *c) {
  uint8_t zero[VMBUS_FLAGS_PER_VM / 8] = {0};
  guest_write(c->g, c->sief_gpa, zero, sizeof zero);
}

int vmbus_client_send(struct vmbus_client *c, struct vmbus_cchan *ch, uint16_t type, uint16_t flags,
                      uint64_t trans_id, const void *ext, uint32_t ext_len, const void *body, uint32_t body_len) {
  bool waited = false;
  for (;;) {
    if (vc_rescinded(c, ch))
      return VMBUS_CLIENT_RESCINDED;
    bool sig;
    int st = vmbus_ring_write(&ch->out, type, flags, trans_id, ext, ext_len, body, body_len, &sig);
    if (st == VMBUS_RING_OK) {
      if (waited)
        vmbus_ring_set_pending(&ch->out, 0);
      if (sig)
        vmbus_client_signal(c, ch);
      ch->sent++;
      return st;
    }
    if (st != VMBUS_RING_FULL)
      return st;
    if (!waited) { /* ask the host to signal when there is room, then re-check */
      vmbus_ring_set_pending(&ch->out, vmbus_ring_packet_bytes(ext_len, body_len));
      waited = true;
      continue;
    }
    if (!vc_take(c)) {
      vc_clear_flags(c);
      guest_halt(c->g, 0);
    }
  }
}

int vmbus_client_recv(struct vmbus_client *c, struct vmbus_cchan *ch, void *buf, uint32_t cap,
                      struct vmbus_pkt *pkt) {
  for (;;) {
    int st = vmbus_client_try_recv(c, ch, buf, cap, pkt);
    if (st != VMBUS_RING_EMPTY)
      return st;
    if (vc_take(c))
      continue;
    if (vc_rescinded(c, ch))
      return VMBUS_CLIENT_RESCINDED;
    vc_clear_flags(c);
    if (vmbus_ring_poll(&ch->in) != VMBUS_RING_EMPTY)
      continue;
    guest_halt(c->g, 0);
  }
}

int vmbus_client_try_recv(struct vmbus_client *c, struct vmbus_cchan *ch, void *buf, uint32_t cap,
                          struct vmbus_pkt *pkt) {
  bool sig;
  int st = vmbus_ring_read(&ch->in, buf, cap, pkt, &sig);
  if (st == VMBUS_RING_OK) {
    if (sig)
      vmbus_client_signal(c, ch);
    ch->received++;
  }
  return st;
}

void vmbus_client_wait(struct vmbus_client *c, struct vmbus_cchan *const *chans, uint32_t n) {
  if (vc_take(c))
    return;
  vc_clear_flags(c);
  for (uint32_t i = 0; i < n; i++)
    if (vmbus_ring_poll(&chans[i]->in) != VMBUS_RING_EMPTY)
      return;
  guest_halt(c->g, 0);
}

uint32_t vmbus_client_take_messages(struct vmbus_client *c) {
  uint32_t n = 0;
  while (vc_take(c))
    n++;
  return n;
}

int vmbus_client_unload(struct vmbus_client *c) {
  uint8_t m[VMBUS_MSG_HDR] = {CHANNELMSG_UNLOAD};
  vc_post(c, m, sizeof m);
  return vc_wait_msg(c, CHANNELMSG_UNLOAD_RESPONSE) ? VMBUS_CLIENT_OK : VMBUS_CLIENT_NO_HOST;
}
