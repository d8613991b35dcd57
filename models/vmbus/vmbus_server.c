/*
 * vmbus_server.c — the VMBus server in the root partition (see
 * vmbus_server.h): SynIC wiring per VM, the channel protocol (contact and
 * version, offers, GPADLs, open/close, rescind, unload), and the loop
 * that drains each open channel's ring into its provider (vmbus_vsp.c).
 *
 * Everything a child sends is untrusted: messages are copied out of the
 * SynIC slot and checked field by field; GPADL pages are probed through
 * the hypervisor (a page the child does not own is refused); a ring that
 * lies gets its channel closed with the reason in the trace. The root and
 * the other channels carry on.
 */
#include "vmbus_server.h"

#include "hvsim/trace.h"

#include "vmbus_bytes.h"

#define VMBUS_PORT_MESSAGE 1u
#define VMBUS_PORT_EVENT 2u
#define VMBUS_SRV_PKT_MAX 4096u     /* Linux echoes the shutdown IC's 2,088-byte message */
#define VMBUS_SRV_RESPONSE_MAX 512u /* room kept in the host->guest ring before taking a request */
#define VMBUS_SRV_BUDGET 32u        /* packets per channel per poll */

static void vmbus_srv_gpadl_free(struct vmbus_server *s, struct vmbus_gpadl *gp);

static void vmbus_trace(struct vmbus_server *s, uint32_t op, uint32_t vm, uint32_t id, uint64_t c) {
  guest_event(s->g, HV_TR_VMBUS, op, (uint64_t)vm << 32 | id, c);
}

/* ---- memory of the child ------------------------------------------------ */

bool vmbus_server_copy(struct vmbus_server *s, struct vmbus_srv_conn *c, uint64_t child_gpa, void *buf,
                       uint32_t len, bool to_child) {
  uint8_t *b = buf;
  while (len) {
    uint32_t off = (uint32_t)(child_gpa & 0xFFF), n = 4096 - off < len ? 4096 - off : len;
    uint16_t st;
    if (to_child) {
      if (!guest_write(s->g, s->bounce_gpa, b, n))
        return false;
      st = winhv_copy_child_gpa(s->hv, c->partition, child_gpa, s->bounce_gpa, n, true);
    } else {
      st = winhv_copy_child_gpa(s->hv, c->partition, child_gpa, s->bounce_gpa, n, false);
      if (st == HV_STATUS_SUCCESS && !guest_read(s->g, s->bounce_gpa, b, n))
        return false;
    }
    if (st != HV_STATUS_SUCCESS)
      return false;
    b += n;
    child_gpa += n;
    len -= n;
  }
  return true;
}

/* Ring accessor: offsets inside [first, first + pages) of the GPADL. */
static bool vmbus_srv_ring_rw(void *ctx, uint32_t off, void *buf, uint32_t len, bool write) {
  struct vmbus_srv_ring_mem *m = ctx;
  uint8_t *b = buf;
  while (len) {
    uint32_t page = off / 4096, in = off % 4096, n = 4096 - in < len ? 4096 - in : len;
    uint64_t pfn;
    if (page >= m->pages || !vmbus_server_gpadl_pfn(m->conn->server, m->gpadl, m->first + page, &pfn))
      return false;
    if (!vmbus_server_copy(m->conn->server, m->conn, (pfn << 12) + in, b, n, write))
      return false;
    b += n;
    off += n;
    len -= n;
  }
  return true;
}

static bool vmbus_srv_ring_read(void *ctx, uint32_t off, void *buf, uint32_t len) {
  return vmbus_srv_ring_rw(ctx, off, buf, len, false);
}

static bool vmbus_srv_ring_write(void *ctx, uint32_t off, const void *buf, uint32_t len) {
  return vmbus_srv_ring_rw(ctx, off, (void *)buf, len, true);
}

/* ---- SynIC ---------------------------------------------------------------- */

/* Copy a channel message into a queue slot. */
static void vmbus_srv_keep(struct vmbus_outmsg *o, const uint8_t *msg, uint32_t len) {
  o->len = len;
  for (uint32_t i = 0; i < len; i++)
    o->msg[i] = msg[i];
}

/* Post the VM's waiting replies in order; true when none is left. */
static bool vmbus_srv_flush(struct vmbus_server *s, struct vmbus_srv_conn *c) {
  while (c->out_count) {
    struct vmbus_outmsg *o = &c->outbox[c->out_head];
    uint16_t st = winhv_post_message(s->hv, VMBUS_ROOT_MSG_CONN(c->vm_id), VMBUS_HV_MESSAGE_TYPE, o->msg, o->len);
    if (st == HV_STATUS_INSUFFICIENT_BUFFERS)
      return false; /* the VM has not taken its messages yet: the next poll tries again */
    c->out_head = (c->out_head + 1) % VMBUS_OUTBOX;
    c->out_count--;
  }
  return true;
}

/* Post a channel message to the VM. When its message buffers are full
 * the message waits in the VM's outbox (after the ones already waiting),
 * never dropped while there is room there. */
static void vmbus_srv_post(struct vmbus_server *s, struct vmbus_srv_conn *c, const void *msg, uint32_t len) {
  if (len > sizeof c->outbox[0].msg)
    return;
  if (c->out_count == VMBUS_OUTBOX && !vmbus_srv_flush(s, c)) {
    vmbus_trace(s, HV_VMBUS_DROPPED, c->vm_id, 0, vmbus_le32(msg));
    return;
  }
  vmbus_srv_keep(&c->outbox[(c->out_head + c->out_count) % VMBUS_OUTBOX], msg, len);
  c->out_count++;
  vmbus_srv_flush(s, c);
}

static void vmbus_srv_signal(struct vmbus_server *s, struct vmbus_srv_conn *c, uint32_t relid) {
  winhv_signal_event(s->hv, VMBUS_ROOT_CHAN_CONN(c->vm_id, relid), 0);
}

/* A port call, depositing a page into the pool that ran short and retrying. */
static uint16_t vmbus_srv_port(struct vmbus_server *s, uint64_t port_part, uint32_t port_id, uint64_t conn_part,
                               uint32_t type, uint16_t base, uint16_t count) {
  uint16_t st;
  for (int tries = 0; tries < 4; tries++) {
    st = winhv_create_port(s->hv, port_part, port_id, conn_part, type, VMBUS_MESSAGE_SINT, 0, base, count);
    if (st != HV_STATUS_INSUFFICIENT_MEMORY)
      return st;
    if (s->mem.deposit(s->mem.ctx, port_part, 1) != HV_STATUS_SUCCESS)
      return st;
  }
  return st;
}

void vmbus_server_init(struct vmbus_server *s, struct winhv *hv, const struct vmbus_host_mem *mem, uint64_t simp_gpa,
                       uint64_t siefp_gpa) {
  vmbus_bzero(s, sizeof *s);
  s->hv = hv;
  s->mem = *mem;
  s->g = hv->g;
  s->simp_slot_gpa = simp_gpa + 256ull * VMBUS_MESSAGE_SINT;
  s->sief_gpa = siefp_gpa + 256ull * VMBUS_MESSAGE_SINT;
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS; i++)
    s->conns[i].server = s;
}

/* First VMBus VM: the bounce page, and SINT 2 of the root's VP 0. */
static uint16_t vmbus_srv_ready(struct vmbus_server *s) {
  if (s->ready)
    return HV_STATUS_SUCCESS;
  uint16_t st = s->mem.alloc_page(s->mem.ctx, &s->bounce_gpa);
  if (st != HV_STATUS_SUCCESS)
    return st;
  if (!guest_wrmsr(s->g, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, VMBUS_ROOT_VECTOR))
    return HV_STATUS_ACCESS_DENIED;
  s->ready = true;
  return HV_STATUS_SUCCESS;
}

bool vmbus_server_wanted(const char *program) {
  const char *p = "vmbus-";
  while (*p && *p == *program)
    p++, program++;
  return *p == 0;
}

static struct vmbus_srv_conn *vmbus_srv_find(struct vmbus_server *s, uint32_t vm_id) {
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS; i++)
    if (s->conns[i].used && s->conns[i].vm_id == vm_id)
      return &s->conns[i];
  return 0;
}

uint16_t vmbus_server_attach(struct vmbus_server *s, uint32_t vm_id, uint64_t partition, uint64_t ref_start) {
  if (!s->g || vm_id == 0 || vm_id > VMBUS_MAX_VM || vmbus_srv_find(s, vm_id))
    return HV_STATUS_INVALID_PARAMETER;
  uint16_t ready = vmbus_srv_ready(s);
  if (ready != HV_STATUS_SUCCESS)
    return ready;
  struct vmbus_srv_conn *c = 0;
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS && !c; i++)
    if (!s->conns[i].used)
      c = &s->conns[i];
  if (!c)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  vmbus_bzero(c, sizeof *c);
  c->server = s;
  struct winhv *w = s->hv;
  uint64_t self = HV_PARTITION_ID_SELF;
  uint16_t base = (uint16_t)(vm_id * VMBUS_FLAGS_PER_VM);
  uint16_t st = vmbus_srv_port(s, self, VMBUS_ROOT_MSG_PORT(vm_id), partition, VMBUS_PORT_MESSAGE, 0, 0);
  if (!st)
    st = winhv_connect_port(w, partition, VMBUS_MESSAGE_CONNECTION_ID, self, VMBUS_ROOT_MSG_PORT(vm_id));
  if (!st)
    st = winhv_connect_port(w, partition, VMBUS_MESSAGE_CONNECTION_ID_4, self, VMBUS_ROOT_MSG_PORT(vm_id));
  if (!st)
    st = vmbus_srv_port(s, self, VMBUS_ROOT_EVENT_PORT(vm_id), partition, VMBUS_PORT_EVENT, base,
                        VMBUS_FLAGS_PER_VM);
  if (!st)
    st = winhv_connect_port(w, partition, VMBUS_EVENT_CONNECTION_ID, self, VMBUS_ROOT_EVENT_PORT(vm_id));
  if (!st)
    st = vmbus_srv_port(s, partition, VMBUS_CHILD_MSG_PORT, self, VMBUS_PORT_MESSAGE, 0, 0);
  if (!st)
    st = winhv_connect_port(w, self, VMBUS_ROOT_MSG_CONN(vm_id), partition, VMBUS_CHILD_MSG_PORT);
  c->used = true;
  c->vm_id = vm_id;
  c->partition = partition;
  c->ref_start = ref_start;
  if (st) {
    vmbus_server_detach(s, vm_id);
    return st;
  }
  c->disk_sectors = guest_root_disk_sectors(s->g, vm_id);
  static const uint8_t devs[] = {VMBUS_DEV_STORAGE, VMBUS_DEV_NETWORK, VMBUS_DEV_HEARTBEAT, VMBUS_DEV_SHUTDOWN,
                                 VMBUS_DEV_TIMESYNC};
  for (uint32_t i = 0; i < sizeof devs; i++) {
    if (devs[i] == VMBUS_DEV_STORAGE && !c->disk_sectors)
      continue;
    struct vmbus_srv_chan *ch = &c->ch[devs[i]]; /* relid = device kind: deterministic */
    ch->dev = devs[i];
    ch->relid = devs[i];
    ch->state = VMBUS_CH_OFFERED;
    ch->mac[0] = 0x00, ch->mac[1] = 0x15, ch->mac[2] = 0x5D; /* Hyper-V's OUI */
    ch->mac[5] = (uint8_t)vm_id;
    /* the offer's own connection: one flag of the root's, named by the bit */
    uint32_t relid = devs[i];
    st = vmbus_srv_port(s, self, VMBUS_ROOT_CHAN_PORT(vm_id, relid), partition, VMBUS_PORT_EVENT,
                        (uint16_t)(base + relid), 1);
    if (!st)
      st = winhv_connect_port(w, partition, VMBUS_CHAN_CONN(relid), self, VMBUS_ROOT_CHAN_PORT(vm_id, relid));
    if (st) {
      vmbus_server_detach(s, vm_id);
      return st;
    }
  }
  return HV_STATUS_SUCCESS;
}

void vmbus_server_detach(struct vmbus_server *s, uint32_t vm_id) {
  struct vmbus_srv_conn *c = vmbus_srv_find(s, vm_id);
  if (!c)
    return;
  struct winhv *w = s->hv;
  uint64_t self = HV_PARTITION_ID_SELF;
  winhv_disconnect_port(w, self, VMBUS_ROOT_MSG_CONN(vm_id));
  winhv_delete_port(w, self, VMBUS_ROOT_MSG_PORT(vm_id));
  winhv_delete_port(w, self, VMBUS_ROOT_EVENT_PORT(vm_id));
  winhv_delete_port(w, c->partition, VMBUS_CHILD_MSG_PORT);
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++)
    vmbus_srv_gpadl_free(s, &c->gpadl[i]);
  for (uint32_t r = 1; r < VMBUS_MAX_CHANNELS; r++) {
    if (c->ch[r].state == VMBUS_CH_NONE)
      continue;
    winhv_delete_port(w, self, VMBUS_ROOT_CHAN_PORT(vm_id, r));
    if (c->ch[r].port_made) {
      winhv_disconnect_port(w, self, VMBUS_ROOT_CHAN_CONN(vm_id, r));
      winhv_delete_port(w, c->partition, VMBUS_CHILD_CHAN_PORT(r));
    }
  }
  for (uint32_t i = 0; i < VMBUS_MAX_CHANNELS; i++)
    if (c->ch[i].state == VMBUS_CH_OPEN)
      vmbus_trace(s, HV_VMBUS_CLOSE, vm_id, c->ch[i].relid, 0);
  c->used = false;
}

/* ---- channels -------------------------------------------------------------- */

bool vmbus_server_gpadl_pfn(struct vmbus_server *s, const struct vmbus_gpadl *gp, uint32_t i, uint64_t *pfn) {
  if (i >= gp->npfn)
    return false;
  if (i < VMBUS_GPADL_INLINE) {
    *pfn = gp->pfn[i];
    return true;
  }
  i -= VMBUS_GPADL_INLINE;
  return guest_read(s->g, gp->list[i / VMBUS_GPADL_LIST_PFNS] + 8ull * (i % VMBUS_GPADL_LIST_PFNS), pfn, 8);
}

/* Append a PFN to a GPADL being described; false when no list page is left. */
static bool vmbus_srv_gpadl_add(struct vmbus_server *s, struct vmbus_gpadl *gp, uint64_t pfn) {
  uint32_t i = gp->npfn;
  if (i < VMBUS_GPADL_INLINE) {
    gp->pfn[i] = pfn;
    gp->npfn++;
    return true;
  }
  i -= VMBUS_GPADL_INLINE;
  uint32_t page = i / VMBUS_GPADL_LIST_PFNS;
  if (page >= VMBUS_GPADL_LIST_PAGES)
    return false;
  if (page == gp->nlist) {
    if (s->nspare)
      gp->list[page] = s->spare[--s->nspare];
    else if (s->list_pages >= VMBUS_LIST_PAGES_MAX || s->mem.alloc_page(s->mem.ctx, &gp->list[page]) != HV_STATUS_SUCCESS)
      return false;
    else
      s->list_pages++;
    gp->nlist++;
  }
  if (!guest_write(s->g, gp->list[page] + 8ull * (i % VMBUS_GPADL_LIST_PFNS), &pfn, 8))
    return false;
  gp->npfn++;
  return true;
}

/* Forget a GPADL; its list pages go back to the server's spares. */
static void vmbus_srv_gpadl_free(struct vmbus_server *s, struct vmbus_gpadl *gp) {
  while (gp->nlist)
    s->spare[s->nspare++] = gp->list[--gp->nlist];
  gp->state = 0;
  gp->npfn = 0;
}

struct vmbus_gpadl *vmbus_server_gpadl(struct vmbus_srv_conn *c, uint32_t handle) {
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++)
    if (c->gpadl[i].state == 2 && c->gpadl[i].handle == handle)
      return &c->gpadl[i];
  return 0;
}

static struct vmbus_srv_chan *vmbus_srv_chan(struct vmbus_srv_conn *c, uint32_t relid) {
  if (relid == 0 || relid >= VMBUS_MAX_CHANNELS || c->ch[relid].state == VMBUS_CH_NONE)
    return 0;
  return &c->ch[relid];
}

void vmbus_server_kill(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                       uint32_t reason) {
  if (ch->state == VMBUS_CH_DEAD)
    return;
  ch->state = VMBUS_CH_DEAD;
  vmbus_trace(s, HV_VMBUS_KILLED, c->vm_id, ch->relid, reason);
  uint8_t m[VMBUS_RELID_MSG_BYTES];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m, CHANNELMSG_RESCIND_CHANNELOFFER);
  vmbus_put_le32(m + 8, ch->relid);
  vmbus_srv_post(s, c, m, sizeof m);
}

bool vmbus_server_send(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint16_t type,
                       uint64_t trans_id, const void *ext, uint32_t ext_len, const void *body, uint32_t body_len) {
  if (ch->state != VMBUS_CH_OPEN)
    return false;
  bool sig;
  int st = vmbus_ring_write(&ch->out, type, 0, trans_id, ext, ext_len, body, body_len, &sig);
  if (st == VMBUS_RING_FULL)
    return false;
  if (st != VMBUS_RING_OK) {
    vmbus_server_kill(s, c, ch, st == VMBUS_RING_BAD_INDEX ? 1 : st == VMBUS_RING_IO ? 4 : 3);
    return false;
  }
  guest_event(s->g, HV_TR_VMBUS_PACKET, (uint64_t)c->vm_id << 32 | ch->relid, 1ull << 32 | type,
              vmbus_ring_packet_bytes(ext_len, body_len));
  if (sig)
    vmbus_srv_signal(s, c, ch->relid);
  return true;
}

static void vmbus_srv_offers(struct vmbus_server *s, struct vmbus_srv_conn *c) {
  static const uint8_t guids[VMBUS_DEV_COUNT][16] = {
      [VMBUS_DEV_STORAGE] = VMBUS_GUID_STORAGE,     [VMBUS_DEV_NETWORK] = VMBUS_GUID_NETWORK,
      [VMBUS_DEV_HEARTBEAT] = VMBUS_GUID_HEARTBEAT, [VMBUS_DEV_SHUTDOWN] = VMBUS_GUID_SHUTDOWN,
      [VMBUS_DEV_TIMESYNC] = VMBUS_GUID_TIMESYNC};
  for (uint32_t r = 1; r < VMBUS_MAX_CHANNELS; r++) {
    struct vmbus_srv_chan *ch = &c->ch[r];
    if (ch->state == VMBUS_CH_NONE)
      continue;
    uint8_t m[VMBUS_OFFER_BYTES];
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, CHANNELMSG_OFFERCHANNEL);
    for (int i = 0; i < 16; i++) {
      m[VMBUS_OFFER_IF_TYPE + i] = guids[ch->dev][i];
      m[VMBUS_OFFER_IF_INSTANCE + i] = (uint8_t)(i == 0 ? c->vm_id : i == 1 ? r : 0x5A);
    }
    vmbus_put_le32(m + VMBUS_OFFER_RELID, r);
    m[VMBUS_OFFER_DEDICATED] = 1;
    vmbus_put_le32(m + VMBUS_OFFER_CONNECTION_ID, VMBUS_CHAN_CONN(r));
    vmbus_srv_post(s, c, m, sizeof m);
    vmbus_trace(s, HV_VMBUS_OFFER, c->vm_id, r, ch->dev);
  }
  uint8_t done[VMBUS_MSG_HDR] = {CHANNELMSG_ALLOFFERS_DELIVERED};
  vmbus_srv_post(s, c, done, sizeof done);
}

/* Move the child's port of our channel messages, or of one channel's
 * signals, to another of its VPs: delete, create on vp, connect. */
static uint16_t vmbus_srv_retarget(struct vmbus_server *s, struct vmbus_srv_conn *c, uint32_t port, uint32_t conn,
                                   uint32_t type, uint16_t flag, uint32_t vp, bool exists) {
  struct winhv *w = s->hv;
  uint64_t self = HV_PARTITION_ID_SELF;
  if (exists) {
    winhv_disconnect_port(w, self, conn);
    winhv_delete_port(w, c->partition, port);
  }
  uint16_t st;
  for (int tries = 0; tries < 4; tries++) {
    st = winhv_create_port(w, c->partition, port, self, type, VMBUS_MESSAGE_SINT, vp, flag, flag ? 1 : 0);
    if (st != HV_STATUS_INSUFFICIENT_MEMORY || s->mem.deposit(s->mem.ctx, c->partition, 1) != HV_STATUS_SUCCESS)
      break;
  }
  return st ? st : winhv_connect_port(w, self, conn, c->partition, port);
}

static bool vmbus_srv_version_known(uint32_t v) {
  static const uint32_t known[] = {VMBUS_VERSION_WIN8,        VMBUS_VERSION_WIN8_1,     VMBUS_VERSION_WIN10,
                                   VMBUS_VERSION_WIN10_V4_1,  VMBUS_VERSION_WIN10_V5,   VMBUS_VERSION_WIN10_V5_1,
                                   VMBUS_VERSION_WIN10_V5_2,  VMBUS_VERSION_WIN10_V5_3};
  for (uint32_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (known[i] == v)
      return true;
  return false;
}

/* INITIATE_CONTACT: a version we speak; from 5.0 on the message SINT must
 * be ours (2) and the answer names the message connection (4: the one 5.x
 * guests contact on); target_vcpu moves our messages to that VP. */
static void vmbus_srv_contact(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m, uint32_t size) {
  uint32_t want = size >= VMBUS_INITIATE_CONTACT_BYTES ? vmbus_le32(m + 8) : 0;
  uint32_t vp = size >= VMBUS_INITIATE_CONTACT_BYTES ? vmbus_le32(m + 12) : 0;
  bool v5 = want >= VMBUS_VERSION_WIN10_V5;
  bool ok = vmbus_srv_version_known(want) && (!v5 || m[16] == VMBUS_MESSAGE_SINT);
  if (ok && vp != c->msg_vp) {
    uint16_t st = vmbus_srv_retarget(s, c, VMBUS_CHILD_MSG_PORT, VMBUS_ROOT_MSG_CONN(c->vm_id),
                                     VMBUS_PORT_MESSAGE, 0, vp, true);
    if (st == HV_STATUS_SUCCESS)
      c->msg_vp = vp;
    else /* no such VP: back where it was, and the version refused */
      ok = false, vmbus_srv_retarget(s, c, VMBUS_CHILD_MSG_PORT, VMBUS_ROOT_MSG_CONN(c->vm_id),
                                     VMBUS_PORT_MESSAGE, 0, c->msg_vp, false);
  }
  uint8_t r[VMBUS_VERSION_RESPONSE_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_VERSION_RESPONSE);
  r[8] = ok ? 1 : 0;
  vmbus_put_le32(r + 12, ok && v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 : want);
  if (ok) {
    c->contacted = true;
    c->version = want;
    vmbus_trace(s, HV_VMBUS_CONTACT, c->vm_id, 0, want);
  }
  vmbus_srv_post(s, c, r, sizeof r);
}

/* Probe every page of a complete GPADL: the child must own each. */
static void vmbus_srv_gpadl_done(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_gpadl *gp) {
  bool owned = true;
  for (uint32_t i = 0; i < gp->npfn && owned; i++) {
    uint64_t probe, pfn = 0;
    owned = vmbus_server_gpadl_pfn(s, gp, i, &pfn) && pfn < (1ull << 40) &&
            vmbus_server_copy(s, c, pfn << 12, &probe, 8, false);
  }
  uint8_t r[VMBUS_GPADL_CREATED_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_GPADL_CREATED);
  vmbus_put_le32(r + 8, gp->relid);
  vmbus_put_le32(r + 12, gp->handle);
  if (owned) {
    gp->state = 2;
    vmbus_trace(s, HV_VMBUS_GPADL, c->vm_id, gp->handle, gp->npfn);
  } else {
    vmbus_put_le32(r + 16, VMBUS_STATUS_UNSUCCESSFUL);
    vmbus_trace(s, HV_VMBUS_GPADL_REFUSED, c->vm_id, gp->handle, HV_VMBUS_NOT_OWNED);
    vmbus_srv_gpadl_free(s, gp);
    struct vmbus_srv_chan *ch = vmbus_srv_chan(c, gp->relid);
    if (ch)
      vmbus_server_kill(s, c, ch, 6);
  }
  vmbus_srv_post(s, c, r, sizeof r);
}

static void vmbus_srv_gpadl_refuse(struct vmbus_server *s, struct vmbus_srv_conn *c, uint32_t relid,
                                   uint32_t handle, uint32_t status, uint32_t reason) {
  uint8_t r[VMBUS_GPADL_CREATED_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_GPADL_CREATED);
  vmbus_put_le32(r + 8, relid);
  vmbus_put_le32(r + 12, handle);
  vmbus_put_le32(r + 16, status);
  vmbus_trace(s, HV_VMBUS_GPADL_REFUSED, c->vm_id, handle, reason);
  vmbus_srv_post(s, c, r, sizeof r);
}

/* Take the PFNs of one GPADL_HEADER or GPADL_BODY; complete, the GPADL is
 * probed and answered. A full list pool refuses it. */
static void vmbus_srv_gpadl_pfns(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_gpadl *gp,
                                 const uint8_t *m, uint32_t at, uint32_t size) {
  for (uint32_t off = at; off + 8 <= size && gp->npfn < gp->want; off += 8)
    if (!vmbus_srv_gpadl_add(s, gp, vmbus_le64(m + off))) {
      vmbus_srv_gpadl_free(s, gp);
      vmbus_srv_gpadl_refuse(s, c, gp->relid, gp->handle, VMBUS_STATUS_INSUFFICIENT_RESOURCES,
                             HV_VMBUS_NO_RESOURCES);
      return;
    }
  if (gp->npfn == gp->want)
    vmbus_srv_gpadl_done(s, c, gp);
}

/* GPADL_HEADER: one range of whole pages (byte offset 0, byte count a
 * multiple of 4096, range_buflen = 8 + 8 x pages modulo 2^16 as Linux's
 * u16 field holds it), at most VMBUS_GPADL_MAX_PAGES; a handle in use is
 * refused (STATUS_OBJECT_NAME_COLLISION), never silently ignored. */
static void vmbus_srv_gpadl_header(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m,
                                   uint32_t size) {
  if (size < VMBUS_GPADL_HEADER_PFNS_AT)
    return;
  uint32_t relid = vmbus_le32(m + 8), handle = vmbus_le32(m + 12);
  uint32_t buflen = m[16] | (uint32_t)m[17] << 8, ranges = m[18] | (uint32_t)m[19] << 8;
  uint32_t byte_count = vmbus_le32(m + 20), byte_offset = vmbus_le32(m + 24);
  uint32_t want = byte_count / 4096;
  struct vmbus_gpadl *gp = 0;
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++) {
    if (c->gpadl[i].state && c->gpadl[i].handle == handle) {
      vmbus_srv_gpadl_refuse(s, c, relid, handle, VMBUS_STATUS_OBJECT_NAME_COLLISION, HV_VMBUS_IN_USE);
      return;
    }
    if (!c->gpadl[i].state && !gp)
      gp = &c->gpadl[i];
  }
  if (ranges == 1 && byte_offset == 0 && want > VMBUS_GPADL_MAX_PAGES) {
    vmbus_srv_gpadl_refuse(s, c, relid, handle, VMBUS_STATUS_INSUFFICIENT_RESOURCES, HV_VMBUS_TOO_BIG);
    return;
  }
  if (!gp) {
    vmbus_srv_gpadl_refuse(s, c, relid, handle, VMBUS_STATUS_INSUFFICIENT_RESOURCES, HV_VMBUS_NO_RESOURCES);
    return;
  }
  if (ranges != 1 || want == 0 || byte_offset != 0 || byte_count != want * 4096 ||
      buflen != ((8 + 8 * want) & 0xFFFF)) {
    vmbus_srv_gpadl_refuse(s, c, relid, handle, VMBUS_STATUS_UNSUCCESSFUL, HV_VMBUS_PROTOCOL);
    return;
  }
  gp->handle = handle;
  gp->relid = relid;
  gp->want = want;
  gp->npfn = 0;
  gp->nlist = 0;
  gp->state = 1;
  vmbus_srv_gpadl_pfns(s, c, gp, m, VMBUS_GPADL_HEADER_PFNS_AT, size);
}

static void vmbus_srv_gpadl_body(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m,
                                 uint32_t size) {
  if (size < VMBUS_GPADL_BODY_PFNS_AT)
    return;
  uint32_t handle = vmbus_le32(m + 12);
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++) {
    struct vmbus_gpadl *gp = &c->gpadl[i];
    if (gp->state == 1 && gp->handle == handle) {
      vmbus_srv_gpadl_pfns(s, c, gp, m, VMBUS_GPADL_BODY_PFNS_AT, size);
      return;
    }
  }
}

static void vmbus_srv_open(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m, uint32_t size) {
  if (size < VMBUS_OPEN_BYTES)
    return;
  uint32_t relid = vmbus_le32(m + 8), openid = vmbus_le32(m + 12), handle = vmbus_le32(m + 16);
  uint32_t vp = vmbus_le32(m + 20), down = vmbus_le32(m + 24);
  struct vmbus_srv_chan *ch = vmbus_srv_chan(c, relid);
  struct vmbus_gpadl *gp = vmbus_server_gpadl(c, handle);
  uint32_t status = VMBUS_STATUS_UNSUCCESSFUL;
  if (ch && ch->state == VMBUS_CH_OFFERED && gp && down >= 2 && down + 2 <= gp->npfn) {
    struct vmbus_ring_io in_io = {&ch->in_mem, vmbus_srv_ring_read, vmbus_srv_ring_write};
    struct vmbus_ring_io out_io = {&ch->out_mem, vmbus_srv_ring_read, vmbus_srv_ring_write};
    ch->in_mem = (struct vmbus_srv_ring_mem){c, gp, 0, down};
    ch->out_mem = (struct vmbus_srv_ring_mem){c, gp, down, gp->npfn - down};
    vmbus_ring_attach(&ch->in, &in_io, down * 4096);
    vmbus_ring_attach(&ch->out, &out_io, (gp->npfn - down) * 4096);
    int a = vmbus_ring_poll(&ch->in), b = vmbus_ring_poll(&ch->out);
    bool rings = (a == VMBUS_RING_OK || a == VMBUS_RING_EMPTY) && (b == VMBUS_RING_OK || b == VMBUS_RING_EMPTY);
    if (rings && (!ch->port_made || ch->target_vp != vp)) { /* the channel's interrupts go to the open's VP */
      ch->port_made = vmbus_srv_retarget(s, c, VMBUS_CHILD_CHAN_PORT(relid), VMBUS_ROOT_CHAN_CONN(c->vm_id, relid),
                                         VMBUS_PORT_EVENT, (uint16_t)relid, vp, ch->port_made) == HV_STATUS_SUCCESS;
      ch->target_vp = vp;
      rings = ch->port_made;
    }
    if (rings) {
      status = 0;
      ch->state = VMBUS_CH_OPEN;
      ch->gpadl = handle;
      ch->out_blocked = false;
      ch->recv_gpadl = 0;
      ch->send_gpadl = 0;
      ch->rndis_up = false;
      ch->rndis_filter = 0;
      ch->ic_state = 0;
      ch->ic_shutdown_sent = false;
      ch->ic_next = 0;
      ch->ic_seq = 0;
      ch->ic_beat_answered = 0;
      ch->more = false;
      if (ch->dev >= VMBUS_DEV_HEARTBEAT && !s->timer_armed) {
        /* STIMER0 of the root's VP 0: direct mode, periodic, 1 ms (TLFS:
         * bit 0 enable, 1 periodic, 11:4 vector, 12 direct) */
        guest_wrmsr(s->g, HV_X64_MSR_STIMER0_CONFIG + 1, 10000);
        guest_wrmsr(s->g, HV_X64_MSR_STIMER0_CONFIG, 1 | 2 | (uint64_t)VMBUS_ROOT_TIMER_VECTOR << 4 | 1u << 12);
        s->timer_armed = true;
      }
    }
  }
  vmbus_trace(s, status ? HV_VMBUS_OPEN_REFUSED : HV_VMBUS_OPEN, c->vm_id, relid,
              status ? HV_VMBUS_PROTOCOL : (ch ? ch->dev : 0));
  uint8_t r[VMBUS_OPEN_RESULT_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_OPENCHANNEL_RESULT);
  vmbus_put_le32(r + 8, relid);
  vmbus_put_le32(r + 12, openid);
  vmbus_put_le32(r + 16, status);
  vmbus_srv_post(s, c, r, sizeof r);
}

/* MODIFYCHANNEL (>= 4.1): the channel's interrupts move to target_vp;
 * from 5.3 on the guest waits for MODIFYCHANNEL_RESPONSE. */
static void vmbus_srv_modify(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m, uint32_t size) {
  if (size < VMBUS_MODIFYCHANNEL_BYTES || c->version < VMBUS_VERSION_WIN10_V4_1)
    return;
  uint32_t relid = vmbus_le32(m + 8), vp = vmbus_le32(m + 12);
  struct vmbus_srv_chan *ch = vmbus_srv_chan(c, relid);
  uint32_t status = VMBUS_STATUS_INVALID_PARAMETER;
  if (ch && ch->state == VMBUS_CH_OPEN) {
    if (vp == ch->target_vp)
      status = 0;
    else if (vmbus_srv_retarget(s, c, VMBUS_CHILD_CHAN_PORT(relid), VMBUS_ROOT_CHAN_CONN(c->vm_id, relid),
                                VMBUS_PORT_EVENT, (uint16_t)relid, vp, true) == HV_STATUS_SUCCESS)
      status = 0, ch->target_vp = vp;
    else /* back on the old VP */
      vmbus_srv_retarget(s, c, VMBUS_CHILD_CHAN_PORT(relid), VMBUS_ROOT_CHAN_CONN(c->vm_id, relid), VMBUS_PORT_EVENT,
                         (uint16_t)relid, ch->target_vp, false);
  }
  vmbus_trace(s, HV_VMBUS_MODIFY, c->vm_id, relid, status ? HV_VMBUS_PROTOCOL : vp);
  if (c->version < VMBUS_VERSION_WIN10_V5_3)
    return;
  uint8_t r[VMBUS_MODIFYCHANNEL_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_MODIFYCHANNEL_RESPONSE);
  vmbus_put_le32(r + 8, relid);
  vmbus_put_le32(r + 12, status);
  vmbus_srv_post(s, c, r, sizeof r);
}

/* TL_CONNECT_REQUEST (hv_sock): no socket service is offered here, so
 * every connection is refused with TL_CONNECT_RESULT (>= 4.1 carries the
 * status; before, the request is ignored as Hyper-V's older hosts do). */
static void vmbus_srv_tl_connect(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m, uint32_t size) {
  if (size < VMBUS_TL_CONNECT_REQUEST_BYTES || c->version < VMBUS_VERSION_WIN10_V4_1)
    return;
  uint8_t r[VMBUS_TL_CONNECT_RESULT_BYTES];
  vmbus_bzero(r, sizeof r);
  vmbus_put_le32(r, CHANNELMSG_TL_CONNECT_RESULT);
  for (uint32_t i = 8; i < 40; i++)
    r[i] = m[i];
  vmbus_put_le32(r + 40, VMBUS_STATUS_CONNECTION_REFUSED);
  vmbus_trace(s, HV_VMBUS_TL_REFUSED, c->vm_id, 0, 0);
  vmbus_srv_post(s, c, r, sizeof r);
}

static void vmbus_srv_close(struct vmbus_server *s, struct vmbus_srv_conn *c, uint32_t relid) {
  struct vmbus_srv_chan *ch = vmbus_srv_chan(c, relid);
  if (!ch || ch->state == VMBUS_CH_OFFERED)
    return;
  vmbus_trace(s, HV_VMBUS_CLOSE, c->vm_id, relid, ch->state == VMBUS_CH_DEAD);
  ch->state = VMBUS_CH_OFFERED; /* the guest let go: it may open it again */
}

static void vmbus_srv_teardown(struct vmbus_server *s, struct vmbus_srv_conn *c, uint32_t handle) {
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++) {
    struct vmbus_gpadl *gp = &c->gpadl[i];
    if (!gp->state || gp->handle != handle)
      continue;
    for (uint32_t r = 1; r < VMBUS_MAX_CHANNELS; r++) /* a GPADL in use: its channel goes first */
      if (c->ch[r].state == VMBUS_CH_OPEN &&
          (c->ch[r].gpadl == handle || c->ch[r].recv_gpadl == handle || c->ch[r].send_gpadl == handle))
        vmbus_server_kill(s, c, &c->ch[r], 5);
    vmbus_srv_gpadl_free(s, gp);
    vmbus_trace(s, HV_VMBUS_TEARDOWN, c->vm_id, handle, 0);
    uint8_t m[VMBUS_GPADL_TORNDOWN_BYTES];
    vmbus_bzero(m, sizeof m);
    vmbus_put_le32(m, CHANNELMSG_GPADL_TORNDOWN);
    vmbus_put_le32(m + 8, handle);
    vmbus_srv_post(s, c, m, sizeof m);
    return;
  }
}

static void vmbus_srv_unload(struct vmbus_server *s, struct vmbus_srv_conn *c) {
  for (uint32_t r = 1; r < VMBUS_MAX_CHANNELS; r++)
    if (c->ch[r].state == VMBUS_CH_OPEN || c->ch[r].state == VMBUS_CH_DEAD)
      c->ch[r].state = VMBUS_CH_OFFERED;
  for (uint32_t i = 0; i < VMBUS_MAX_GPADLS; i++)
    vmbus_srv_gpadl_free(s, &c->gpadl[i]);
  c->contacted = false;
  vmbus_trace(s, HV_VMBUS_UNLOAD, c->vm_id, 0, 0);
  uint8_t m[VMBUS_MSG_HDR] = {CHANNELMSG_UNLOAD_RESPONSE};
  vmbus_srv_post(s, c, m, sizeof m);
}

static void vmbus_srv_message(struct vmbus_server *s, struct vmbus_srv_conn *c, const uint8_t *m, uint32_t size) {
  if (size < VMBUS_MSG_HDR)
    return;
  uint32_t type = vmbus_le32(m);
  if (type != CHANNELMSG_INITIATE_CONTACT && !c->contacted)
    return; /* nothing before contact */
  switch (type) {
  case CHANNELMSG_INITIATE_CONTACT: vmbus_srv_contact(s, c, m, size); break;
  case CHANNELMSG_REQUESTOFFERS: vmbus_srv_offers(s, c); break;
  case CHANNELMSG_GPADL_HEADER: vmbus_srv_gpadl_header(s, c, m, size); break;
  case CHANNELMSG_GPADL_BODY: vmbus_srv_gpadl_body(s, c, m, size); break;
  case CHANNELMSG_OPENCHANNEL: vmbus_srv_open(s, c, m, size); break;
  case CHANNELMSG_CLOSECHANNEL:
    if (size >= VMBUS_RELID_MSG_BYTES)
      vmbus_srv_close(s, c, vmbus_le32(m + 8));
    break;
  case CHANNELMSG_GPADL_TEARDOWN:
    if (size >= VMBUS_GPADL_TEARDOWN_BYTES)
      vmbus_srv_teardown(s, c, vmbus_le32(m + 12));
    break;
  case CHANNELMSG_RELID_RELEASED: break; /* the guest let go of a rescinded channel */
  case CHANNELMSG_UNLOAD: vmbus_srv_unload(s, c); break;
  case CHANNELMSG_MODIFYCHANNEL: vmbus_srv_modify(s, c, m, size); break;
  case CHANNELMSG_TL_CONNECT_REQUEST: vmbus_srv_tl_connect(s, c, m, size); break;
  case CHANNELMSG_18: /* reserved channels (OPEN/CLOSE_RESERVED_CHANNEL): none offered */
  case CHANNELMSG_19:
  default: break; /* unknown or host-only types (20, 23, 24, ...): ignored */
  }
}

/* ---- the poll loop ---------------------------------------------------------- */

static uint32_t vmbus_srv_reason(int st) {
  switch (st) {
  case VMBUS_RING_BAD_INDEX: return HV_VMBUS_BAD_INDEX;
  case VMBUS_RING_BAD_PACKET: return HV_VMBUS_BAD_PACKET;
  case VMBUS_RING_TOO_BIG: return HV_VMBUS_TOO_BIG;
  default: return HV_VMBUS_UNREACHABLE;
  }
}

/* Drain one channel; true when packets are left for the next poll. */
static bool vmbus_srv_service(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch) {
  uint8_t buf[VMBUS_SRV_PKT_MAX];
  for (uint32_t n = 0; n < VMBUS_SRV_BUDGET; n++) {
    if (ch->state != VMBUS_CH_OPEN)
      return false;
    /* Flow control: take a request only when its answer has room; else ask
     * the guest (pending_send_sz) to signal once it has read enough. */
    uint32_t w, r;
    uint32_t idx[2];
    if (!ch->out.io.read(ch->out.io.ctx, 0, idx, 8)) {
      vmbus_server_kill(s, c, ch, 4);
      return false;
    }
    w = idx[0], r = idx[1];
    if ((w | r) & 7 || w >= ch->out.data_size || r >= ch->out.data_size) {
      vmbus_server_kill(s, c, ch, 1);
      return false;
    }
    if (vmbus_ring_free(ch->out.data_size, w, r) < VMBUS_SRV_RESPONSE_MAX) {
      if (!ch->out_blocked)
        vmbus_ring_set_pending(&ch->out, VMBUS_SRV_RESPONSE_MAX);
      ch->out_blocked = true;
      return false;
    }
    if (ch->out_blocked) {
      vmbus_ring_set_pending(&ch->out, 0);
      ch->out_blocked = false;
    }
    struct vmbus_srv_pkt p;
    bool sig;
    int st = vmbus_ring_read(&ch->in, buf, sizeof buf, &p.pkt, &sig);
    if (st == VMBUS_RING_EMPTY)
      return false;
    if (st != VMBUS_RING_OK) {
      vmbus_server_kill(s, c, ch, vmbus_srv_reason(st));
      return false;
    }
    if (sig)
      vmbus_srv_signal(s, c, ch->relid);
    p.buf = buf;
    ch->packets++;
    ch->bytes += p.pkt.len;
    guest_event(s->g, HV_TR_VMBUS_PACKET, (uint64_t)c->vm_id << 32 | ch->relid, p.pkt.type, p.pkt.len);
    uint32_t reason = vmbus_vsp_packet(s, c, ch, &p);
    if (reason) {
      vmbus_server_kill(s, c, ch, reason);
      return false;
    }
  }
  return true;
}

/* Serve the messages waiting in the root's SINT 2 slot. */
static void vmbus_srv_messages(struct vmbus_server *s) {
  for (;;) {
    uint8_t msg[256];
    if (!guest_read(s->g, s->simp_slot_gpa, msg, sizeof msg) || vmbus_le32(msg) == 0)
      return;
    uint32_t none = 0;
    guest_write(s->g, s->simp_slot_gpa, &none, 4); /* free the slot, then EOM if more wait */
    if (msg[5] & 1)
      guest_wrmsr(s->g, HV_X64_MSR_EOM, 0);
    uint64_t port = vmbus_le64(msg + 8);
    uint32_t size = msg[4] > 240 ? 240 : msg[4];
    struct vmbus_srv_conn *c =
        port > VMBUS_ROOT_MSG_PORT(0) ? vmbus_srv_find(s, (uint32_t)(port - VMBUS_ROOT_MSG_PORT(0))) : 0;
    if (!c || vmbus_le32(msg) != VMBUS_HV_MESSAGE_TYPE)
      continue;
    if (!c->in_count && VMBUS_OUTBOX - c->out_count >= VMBUS_REPLY_RESERVE)
      vmbus_srv_message(s, c, msg + 16, size);
    else if (c->in_count < VMBUS_INBOX) /* behind its unread answers: it waits its turn */
      vmbus_srv_keep(&c->inbox[(c->in_head + c->in_count++) % VMBUS_INBOX], msg + 16, size);
    else
      vmbus_trace(s, HV_VMBUS_DROPPED, c->vm_id, 0, size >= 4 ? vmbus_le32(msg + 16) : 0);
  }
}

/* Flow control of one VM's channel messages: post its waiting answers,
 * then serve its waiting requests while their answers have room. True
 * when something is still waiting. */
static bool vmbus_srv_converse(struct vmbus_server *s, struct vmbus_srv_conn *c) {
  vmbus_srv_flush(s, c);
  while (c->in_count && VMBUS_OUTBOX - c->out_count >= VMBUS_REPLY_RESERVE) {
    struct vmbus_outmsg *m = &c->inbox[c->in_head];
    c->in_head = (c->in_head + 1) % VMBUS_INBOX;
    c->in_count--;
    vmbus_srv_message(s, c, m->msg, m->len);
  }
  return c->out_count || c->in_count;
}

/* Take the root's SINT 2 event flags (each word swapped with zero, so a
 * signal landing meanwhile stays for the next poll) into flags. */
static void vmbus_srv_take_flags(struct vmbus_server *s, uint64_t flags[32]) {
  guest_read(s->g, s->sief_gpa, flags, 256);
  for (uint32_t i = 0; i < 32; i++) {
    if (!flags[i])
      continue;
    uint64_t v = 0;
    flags[i] = guest_xchg64(s->g, s->sief_gpa + 8ull * i, &v) ? v : 0;
  }
}

bool vmbus_server_poll(struct vmbus_server *s) {
  if (!s->ready)
    return false;
  vmbus_srv_messages(s);
  uint64_t flags[32];
  vmbus_srv_take_flags(s, flags); /* cleared before the rings are looked at */
  bool more = false;
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS; i++) {
    struct vmbus_srv_conn *c = &s->conns[i];
    if (!c->used)
      continue;
    if (vmbus_srv_converse(s, c))
      more = true, guest_work(s->g, 2000); /* its buffers are full: try again soon, without spinning hard */
    for (uint32_t r = 1; r < VMBUS_MAX_CHANNELS; r++) {
      struct vmbus_srv_chan *ch = &c->ch[r];
      if (ch->state != VMBUS_CH_OPEN)
        continue;
      /* Every open ring is looked at on every poll: serving only the
       * channels whose flag was taken (or that had packets left) loses a
       * wakeup at level 2 (tests/bochs vmbus-script-l2: a NIC's first
       * packet never served), not yet understood; the flags are still
       * taken, so a signal is never left set. */
      ch->more = vmbus_srv_service(s, c, ch);
      more |= ch->more;
      vmbus_vsp_tick(s, c, ch);
    }
  }
  return more;
}

uint32_t vmbus_server_take_shutdown(struct vmbus_server *s) {
  for (uint32_t i = 0; i < VMBUS_MAX_CLIENTS; i++)
    if (s->conns[i].used && s->conns[i].shutdown_acked) {
      s->conns[i].shutdown_acked = false;
      return s->conns[i].vm_id;
    }
  return 0;
}

bool vmbus_server_shutdown(struct vmbus_server *s, uint32_t vm_id) {
  struct vmbus_srv_conn *c = vmbus_srv_find(s, vm_id);
  if (!c || c->ch[VMBUS_DEV_SHUTDOWN].state != VMBUS_CH_OPEN)
    return false;
  c->shutdown_requested = true;
  vmbus_vsp_tick(s, c, &c->ch[VMBUS_DEV_SHUTDOWN]);
  return true;
}
