/*
 * vmbus_hostile.c — a VMBus client that lies to the root's server, one
 * attack per opening of its network channel (`attacks`, a bit mask,
 * default all): 1 scribbles over its ring (garbage descriptor), 2 claims
 * a write index outside the ring, 4 writes a packet larger than any the
 * server accepts, 8 sends a truncated NVSP message, 16 builds a GPADL over
 * pages it does not own, 32 sends an RNDIS packet whose GPA-direct buffer
 * names a page it does not own. Each time the server must close that channel
 * (RESCIND_CHANNELOFFER; the reason is in the trace) and nothing else
 * may notice. The program acknowledges (CLOSECHANNEL), reopens, attacks
 * again; MARK_DENIED per attack the server stopped, MARK_ALLOWED when
 * one went through unnoticed; MARK_DONE with the count stopped.
 *
 * Memory: rings at 0x210000 (4 + 4 pages).
 */
#include "models/vmbus/vmbus_client.h"

#include "models/child/child.h"

#define VH_RING_GPA 0x210000ull

/* Wait for the rescind of relid (false after a long quiet spell). */
static bool vh_rescinded(struct vmbus_client *c, struct vmbus_cchan *ch) {
  uint8_t buf[256];
  struct vmbus_pkt p;
  for (int i = 0; i < 50; i++) {
    int st = vmbus_client_recv(c, ch, buf, sizeof buf, &p);
    if (st == VMBUS_CLIENT_RESCINDED)
      return true;
    if (st != VMBUS_RING_OK)
      return false; /* our own lie confuses our reader: not the host's doing */
  }
  return false;
}

static void vh_attack(struct guest *g, struct vmbus_client *c, struct vmbus_cchan *ch, uint32_t attack) {
  bool sig;
  uint8_t body[6144]; /* attack 4: above the server's 4 KiB packet limit */
  for (uint32_t i = 0; i < sizeof body; i++)
    body[i] = (uint8_t)(0xA5 ^ i);
  switch (attack) {
  case 1: { /* garbage where a descriptor should be, then publish it */
    uint32_t w = 64;
    guest_write(g, ch->out_mem.base + 4096, body, 64);
    guest_write(g, ch->out_mem.base, &w, 4);
    break;
  }
  case 2: { /* a write index far outside the data area */
    uint32_t w = 0x7FFFFFF8u;
    guest_write(g, ch->out_mem.base, &w, 4);
    break;
  }
  case 4: /* a packet the server's buffer cannot take */
    vmbus_ring_write(&ch->out, VM_PKT_DATA_INBAND, 0, 1, 0, 0, body, sizeof body, &sig);
    break;
  case 8: /* an NVSP message cut short */
    vmbus_ring_write(&ch->out, VM_PKT_DATA_INBAND, 0, 1, 0, 0, body, 4, &sig);
    break;
  case 32: { /* an RNDIS packet whose GPA-direct buffer is another partition's page */
    uint64_t ext[3] = {(uint64_t)1 << 32, 64, 0x4000000};
    uint32_t nvsp[8] = {NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, 0xFFFFFFFFu};
    vmbus_ring_write(&ch->out, VM_PKT_DATA_USING_GPA_DIRECT, 0, 1, ext, sizeof ext, nvsp, sizeof nvsp, &sig);
    break;
  }
  default: break;
  }
  vmbus_client_signal(c, ch);
}

void prog_vmbus_hostile(struct guest *g, const struct guest_boot *b) {
  static const uint8_t nic[16] = VMBUS_GUID_NETWORK;
  struct winhv w;
  struct vmbus_client bus;
  struct vmbus_cchan ch;
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g), stopped = 0;
  uint32_t attacks = (uint32_t)guest_param(b, "attacks", 63);
  if (guest_vp_index(g) != 0 || !child_winhv(g, b, &w) ||
      !child_synic_enable(g, b, VMBUS_MESSAGE_SINT, 0x52, true))
    return;
  int st = vmbus_client_connect(&bus, g, &w, simp, simp + 0x1000);
  const struct vmbus_offer *o = st ? 0 : vmbus_client_offer(&bus, nic);
  if (!o)
    return (void)guest_mark(g, MARK_ERROR, 0x200 + (uint64_t)st);
  static const uint32_t order[] = {1, 2, 4, 8, 32, 16}; /* the refused GPADL last: it leaves the channel rescinded */
  for (uint32_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    uint32_t a = order[k];
    if (!(attacks & a))
      continue;
    if (a == 16) { /* a GPADL naming pages far beyond this partition's memory */
      uint64_t pfns[4] = {VH_RING_GPA >> 12, 0x4000000, 0x4000001, 0x4000002};
      uint32_t handle;
      st = vmbus_client_gpadl_pfns(&bus, o->relid, pfns, 4, &handle);
      bool killed = st == VMBUS_CLIENT_REFUSED;
      guest_mark(g, killed ? MARK_DENIED : MARK_ALLOWED, a);
      stopped += killed;
      continue;
    }
    st = vmbus_client_open(&bus, &ch, o, VH_RING_GPA, 4, 4);
    if (st)
      return (void)guest_mark(g, MARK_ERROR, 0x300 + (uint64_t)st);
    vh_attack(g, &bus, &ch, a);
    bool killed = vh_rescinded(&bus, &ch);
    guest_mark(g, killed ? MARK_DENIED : MARK_ALLOWED, a);
    stopped += killed;
    vmbus_client_close(&bus, &ch);
  }
  guest_mark(g, MARK_DONE, stopped);
}
