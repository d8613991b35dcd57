/*
 * vmbus_client.h — the VMBus client of a child partition (the guest's
 * vmbus driver): contact and version negotiation, offers, GPADLs, opening
 * and closing channels, and sending/receiving packets on a channel's
 * rings with the signalling and flow-control rules of vmbus_ring.h.
 *
 * The client waits the way a guest does: it halts until the SynIC raises
 * SINT 2 (a channel message in the slot, or event flags for a channel),
 * clears the flags before it looks at the rings, and re-checks a ring
 * after unmasking. Guest software (children); freestanding.
 */
#ifndef MODELS_VMBUS_CLIENT_H
#define MODELS_VMBUS_CLIENT_H

#include "models/winhv/winhv.h"

#include "vmbus_proto.h"
#include "vmbus_ring.h"

#define VMBUS_CLIENT_MAX_OFFERS 8

/* A ring in the child's own memory: contiguous GPAs from base. */
struct vmbus_cring_mem {
  struct guest *g;
  uint64_t base;
};

struct vmbus_cchan {
  uint32_t relid, conn_id, gpadl;
  bool open;
  struct vmbus_cring_mem out_mem, in_mem;
  struct vmbus_ring out, in; /* guest->host, host->guest */
  uint64_t sent, received;
};

struct vmbus_offer {
  uint8_t guid[16];
  uint32_t relid, conn_id;
};

struct vmbus_client {
  struct guest *g;
  struct winhv *w;
  uint64_t slot_gpa, sief_gpa; /* SINT 2 message slot and event flags */
  uint32_t version;
  uint32_t msg_conn;   /* where channel messages go: 1, or what a 5.x VERSION_RESPONSE names */
  struct vmbus_offer offers[VMBUS_CLIENT_MAX_OFFERS];
  uint32_t noffers;
  uint32_t next_gpadl;
  uint32_t rescinded; /* bit per relid: the host closed the channel */
  uint8_t msg[256];   /* the last channel message taken */
};

/* Errors the client returns (besides vmbus_ring statuses, kept below 16). */
#define VMBUS_CLIENT_OK 0
#define VMBUS_CLIENT_NO_HOST 16     /* no answer to INITIATE_CONTACT */
#define VMBUS_CLIENT_NO_OFFER 17    /* the device class is not offered */
#define VMBUS_CLIENT_REFUSED 18     /* GPADL or open refused by the host */
#define VMBUS_CLIENT_RESCINDED 19   /* the host closed the channel */

/* Contact the host and collect its offers. simp/siefp: this VP's SynIC
 * pages, SINT 2 already enabled. Returns VMBUS_CLIENT_*. */
int vmbus_client_connect(struct vmbus_client *c, struct guest *g, struct winhv *w, uint64_t simp_gpa,
                         uint64_t siefp_gpa);
/* The two halves of connect: contact (version negotiation) only, and
 * REQUESTOFFERS until ALLOFFERS_DELIVERED. A client may UNLOAD between
 * them and contact again (kexec-like restart before the offers). */
int vmbus_client_contact(struct vmbus_client *c, struct guest *g, struct winhv *w, uint64_t simp_gpa,
                         uint64_t siefp_gpa);
int vmbus_client_request_offers(struct vmbus_client *c);
/* The offer of a device class, NULL when absent. */
const struct vmbus_offer *vmbus_client_offer(const struct vmbus_client *c, const uint8_t guid[16]);
/* Describe pages [gpa, gpa + pages * 4096) to the host; *handle receives
 * the GPADL handle. Returns VMBUS_CLIENT_OK or REFUSED. */
int vmbus_client_gpadl(struct vmbus_client *c, uint32_t relid, uint64_t gpa, uint32_t pages, uint32_t *handle);
/* The same for any PFNs: pfn_at(ctx, i) gives page i of n (header and
 * body messages as Linux sends them; the host caps the size). */
int vmbus_client_gpadl_fn(struct vmbus_client *c, uint32_t relid, uint64_t (*pfn_at)(const void *ctx, uint32_t i),
                          const void *ctx, uint32_t n, uint32_t *handle);
/* The same for an arbitrary PFN list (a hostile program lies with it). */
int vmbus_client_gpadl_pfns(struct vmbus_client *c, uint32_t relid, const uint64_t *pfns, uint32_t n,
                            uint32_t *handle);
/* Open the channel of offer o with rings at ring_gpa: out_pages then
 * in_pages (each at least 2: control page + data). */
int vmbus_client_open(struct vmbus_client *c, struct vmbus_cchan *ch, const struct vmbus_offer *o, uint64_t ring_gpa,
                      uint32_t out_pages, uint32_t in_pages);
/* Close the channel and tear its GPADL down. */
int vmbus_client_close(struct vmbus_client *c, struct vmbus_cchan *ch);
/* Send one packet, waiting for room when the ring is full. Returns a
 * vmbus_ring status or VMBUS_CLIENT_RESCINDED. */
int vmbus_client_send(struct vmbus_client *c, struct vmbus_cchan *ch, uint16_t type, uint16_t flags,
                      uint64_t trans_id, const void *ext, uint32_t ext_len, const void *body, uint32_t body_len);
/* Receive one packet (waiting for it) into buf. */
int vmbus_client_recv(struct vmbus_client *c, struct vmbus_cchan *ch, void *buf, uint32_t cap,
                      struct vmbus_pkt *pkt);
/* Take one packet from ch if there is one (VMBUS_RING_EMPTY otherwise). */
int vmbus_client_try_recv(struct vmbus_client *c, struct vmbus_cchan *ch, void *buf, uint32_t cap,
                          struct vmbus_pkt *pkt);
/* Wait until one of the n channels may have a packet (or a channel
 * message came): halts only when all of them are empty. */
void vmbus_client_wait(struct vmbus_client *c, struct vmbus_cchan *const *chans, uint32_t n);
/* Tell the host about new data on ch (HvSignalEvent on the offer's
 * connection, flag 0: Linux's dedicated-interrupt signal). */
void vmbus_client_signal(struct vmbus_client *c, struct vmbus_cchan *ch);
/* Take every channel message waiting in the slot without waiting
 * (rescinds are answered and marked); returns how many. */
uint32_t vmbus_client_take_messages(struct vmbus_client *c);
/* UNLOAD and wait for the answer. */
int vmbus_client_unload(struct vmbus_client *c);

#endif /* MODELS_VMBUS_CLIENT_H */
