/*
 * vmbus_server.h — the VMBus server of the root partition and its VSPs:
 * one connection per child VM (offers, GPADLs, channels), the synthetic
 * storage provider (vstor over a raw disk of the platform), the network
 * provider with its virtual switch (NVSP + RNDIS) and the integration
 * components (heartbeat, shutdown, time sync).
 *
 * How the root reaches a child's GPADL pages: the core moves page
 * ownership, so a page a child owns is never in the root's SLAT. The
 * server copies through the hypervisor instead: HvCallHvsimCopyChildGpa
 * (hv/core/hc_copy.c) moves up to 4 KiB between a root bounce page and a
 * child GPA after checking, in the child's SLAT, that the child owns it.
 * The isolation invariant stays untouched; the price is one hypercall per
 * contiguous piece (cycle-accounted like any hypercall, plus 40 cycles
 * per 64 bytes) and a second copy through the bounce page.
 *
 * Guest software (root partition); freestanding.
 */
#ifndef MODELS_VMBUS_SERVER_H
#define MODELS_VMBUS_SERVER_H

#include "models/winhv/winhv.h"

#include "vmbus_proto.h"
#include "vmbus_ring.h"

#define VMBUS_MAX_CLIENTS 8
#define VMBUS_MAX_CHANNELS 8 /* relids 1..7 */
#define VMBUS_MAX_GPADLS 16
/* GPADL size: one range of up to VMBUS_GPADL_MAX_PAGES pages (64 MiB;
 * Linux's largest, hv_netvsc's receive buffer, is 16 MiB by default and
 * 31 MiB at most), the page count taken from the range's byte count (the
 * u16 range_buflen wraps beyond 8190 pages, as Linux fills it). The first
 * VMBUS_GPADL_INLINE PFNs (every ring) are kept here, the rest in pages
 * of the root's RAM (512 PFNs each) taken from VID on demand, reused
 * after a teardown and capped at VMBUS_LIST_PAGES_MAX for all VMs
 * together (512 MiB of GPADLs). Larger GPADLs are refused with
 * STATUS_INSUFFICIENT_RESOURCES (trace reason too_big), a full list pool
 * likewise (reason no_resources). */
#define VMBUS_GPADL_MAX_PAGES 16384u
#define VMBUS_GPADL_INLINE 64u
#define VMBUS_GPADL_LIST_PFNS 512u
#define VMBUS_GPADL_LIST_PAGES ((VMBUS_GPADL_MAX_PAGES - VMBUS_GPADL_INLINE + VMBUS_GPADL_LIST_PFNS - 1) / VMBUS_GPADL_LIST_PFNS)
#define VMBUS_LIST_PAGES_MAX 256u
/* Flow control of channel messages (Linux waits for each answer: dropping
 * one would hang it). Messages to a VM whose message buffers are full
 * wait in its outbox, in order, posted again on every poll. A VM's
 * requests are served only while its outbox has room for the largest
 * answer (VMBUS_REPLY_RESERVE: the offers); until then they wait, in
 * order, in its inbox. Only a guest that leaves VMBUS_INBOX requests
 * waiting behind its own unread answers loses the later ones (trace op
 * dropped: c = the message type). */
#define VMBUS_OUTBOX 32u
#define VMBUS_INBOX 32u
#define VMBUS_REPLY_RESERVE (VMBUS_MAX_CHANNELS + 1u)

enum vmbus_chan_state { VMBUS_CH_NONE, VMBUS_CH_OFFERED, VMBUS_CH_OPEN, VMBUS_CH_DEAD };

struct vmbus_gpadl {
  uint32_t handle;
  uint8_t state; /* 0 free, 1 receiving body messages, 2 created */
  uint32_t relid, npfn, want;
  uint64_t pfn[VMBUS_GPADL_INLINE];
  uint64_t list[VMBUS_GPADL_LIST_PAGES]; /* root GPAs of the PFN pages beyond the inline ones */
  uint32_t nlist;
};

struct vmbus_outmsg {
  uint32_t len;
  uint8_t msg[240];
};

struct vmbus_srv_conn;
/* One ring's pages: [first, first + pages) of a GPADL. */
struct vmbus_srv_ring_mem {
  struct vmbus_srv_conn *conn;
  struct vmbus_gpadl *gpadl;
  uint32_t first, pages;
};

struct vmbus_srv_chan {
  uint8_t dev;   /* enum vmbus_dev */
  uint8_t state; /* enum vmbus_chan_state */
  uint32_t relid, gpadl;
  uint32_t target_vp;        /* the child VP its interrupts go to (open, MODIFYCHANNEL) */
  bool port_made;            /* the child's event port of this channel exists */
  bool more;                 /* packets left after a poll's budget: served without a signal */
  struct vmbus_srv_ring_mem in_mem, out_mem;
  struct vmbus_ring in, out; /* guest->host (GPADL page 0 on), host->guest */
  bool out_blocked;          /* waiting for room in the host->guest ring */
  /* network: the receive buffer GPADL and a simple allocator over its
   * sections, the send buffer GPADL and its sections, the VM's MAC */
  uint32_t recv_gpadl;
  uint32_t recv_sections, recv_next;
  uint32_t send_gpadl, send_sections;
  bool rndis_up;            /* RNDIS INITIALIZE done (HALT undoes it) */
  uint32_t rndis_filter;    /* NDIS packet filter: what the switch delivers (0: nothing) */
  uint8_t mac[6];
  uint64_t rx_frames, tx_frames;
  /* integration components */
  uint8_t ic_state;         /* 0 new, 1 negotiate sent, 2 negotiated */
  bool ic_shutdown_sent;
  uint64_t ic_next;         /* root TSC of the next heartbeat / time sample */
  uint64_t ic_seq;          /* heartbeat sequence number sent */
  uint64_t ic_answers;      /* good answers from the guest */
  uint64_t ic_beat_answered; /* the latest heartbeat sequence number answered (+1 of the request's) */
  uint64_t packets, bytes;
};

struct vmbus_server;
struct vmbus_srv_conn {
  struct vmbus_server *server;
  bool used, contacted;
  uint32_t vm_id;
  uint64_t partition;
  uint32_t version;
  uint32_t msg_vp;       /* the child VP our channel messages go to (INITIATE_CONTACT target_vcpu) */
  uint64_t ref_start;    /* the root's reference time at the VM's reference time 0 */
  uint64_t disk_sectors; /* 0: no storage offer */
  struct vmbus_srv_chan ch[VMBUS_MAX_CHANNELS];
  struct vmbus_gpadl gpadl[VMBUS_MAX_GPADLS];
  struct vmbus_outmsg outbox[VMBUS_OUTBOX]; /* replies waiting for the VM's message buffers */
  uint32_t out_head, out_count;
  struct vmbus_outmsg inbox[VMBUS_INBOX]; /* its requests waiting for room in the outbox */
  uint32_t in_head, in_count;
  bool shutdown_requested; /* management asked; the shutdown IC carries it */
  bool shutdown_acked;     /* the guest said yes: VMMS turns the VM off */
};

/* What the server needs from the root's memory services (VID, in the
 * root's stack above this one): a page of the root's RAM, and pages
 * deposited into a partition's pool. Each returns an HV_STATUS. */
struct vmbus_host_mem {
  void *ctx;
  uint16_t (*alloc_page)(void *ctx, uint64_t *gpa);
  uint16_t (*deposit)(void *ctx, uint64_t partition, uint64_t pages);
};

struct vmbus_server {
  struct winhv *hv;
  struct vmbus_host_mem mem;
  struct guest *g;
  uint64_t simp_slot_gpa; /* the root's SINT 2 message slot */
  uint64_t sief_gpa;      /* the root's SINT 2 event flags (256 bytes) */
  uint64_t bounce_gpa;    /* one root page the copies go through */
  bool ready;             /* bounce page taken, SINT 2 enabled (first VMBus VM) */
  bool timer_armed;       /* the root's STIMER0 wakes it for the ICs (first IC channel) */
  uint64_t boot_gpa;      /* the root's boot block: wall_filetime, read at the first time sample */
  uint64_t wall_filetime; /* UTC at the root's reference time 0 (FILETIME): time sync */
  bool wall_read;
  struct vmbus_srv_conn conns[VMBUS_MAX_CLIENTS];
  uint64_t spare[VMBUS_LIST_PAGES_MAX]; /* GPADL list pages free for reuse */
  uint32_t nspare, list_pages;          /* free ones, all ever taken */
};

/* Set up the server (no hypercalls: the bounce page and the root's SINT 2
 * come with the first VMBus VM). simp/siefp: the root's SynIC pages. */
#define VMBUS_ROOT_VECTOR 0x42
#define VMBUS_ROOT_TIMER_VECTOR 0x43
void vmbus_server_init(struct vmbus_server *s, struct winhv *hv, const struct vmbus_host_mem *mem, uint64_t simp_gpa,
                       uint64_t siefp_gpa);
/* Whether a VM running program is a VMBus client: programs named vmbus-*
 * (models/child/programs.c). Other VMs get no VMBus wiring at all. */
bool vmbus_server_wanted(const char *program);
/* A VM started: create its ports and connections (see vmbus_proto.h).
 * ref_start: the root's TIME_REF_COUNT when the VM's reference time began
 * (its time sync samples carry the VM's reference time).
 * Returns an HV_STATUS; the VM runs without VMBus on failure. */
uint16_t vmbus_server_attach(struct vmbus_server *s, uint32_t vm_id, uint64_t partition, uint64_t ref_start);
/* The VM is being stopped: forget its channels, delete its ports. */
void vmbus_server_detach(struct vmbus_server *s, uint32_t vm_id);
/* Ask VM vm_id to shut down through its shutdown IC. Returns false when
 * its shutdown channel is not open. */
bool vmbus_server_shutdown(struct vmbus_server *s, uint32_t vm_id);
/* A VM whose guest accepted a shutdown request (0: none); VMMS stops it. */
uint32_t vmbus_server_take_shutdown(struct vmbus_server *s);
/* Serve what is waiting: channel messages on SINT 2, the event flags
 * taken (atomically), then up to a budget of packets from every open
 * channel (see vmbus_server_poll for why not only the flagged ones). Returns true when packets were left: call again before halting
 * (the guest will not signal a ring that is not empty), after serving
 * management requests so a busy device cannot starve them. */
bool vmbus_server_poll(struct vmbus_server *s);

/* vmbus_vsp.c — the providers, called by the server for each packet. */
struct vmbus_srv_pkt {
  const uint8_t *buf; /* the packet copied out of the ring, descriptor first */
  struct vmbus_pkt pkt;
};
/* Handle one guest packet; returns 0 or a close reason (trace.h HV_TR_VMBUS). */
uint32_t vmbus_vsp_packet(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                          const struct vmbus_srv_pkt *p);
/* Work a provider does without a guest packet (integration components). */
void vmbus_vsp_tick(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch);
/* Send a packet to the guest on ch; false when the ring is full or broken
 * (a broken ring closes the channel). */
bool vmbus_server_send(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint16_t type,
                       uint64_t trans_id, const void *ext, uint32_t ext_len, const void *body, uint32_t body_len);
/* Copy between a child GPA range described by GPADL pages or direct PFNs
 * and a root buffer. Returns false when a page is not the child's. */
bool vmbus_server_copy(struct vmbus_server *s, struct vmbus_srv_conn *c, uint64_t child_gpa, void *buf,
                       uint32_t len, bool to_child);
/* Close a channel because of what the guest did (reason: see trace.h). */
void vmbus_server_kill(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                       uint32_t reason);
struct vmbus_gpadl *vmbus_server_gpadl(struct vmbus_srv_conn *c, uint32_t handle);
/* PFN i of a GPADL (false when i is past its end or the list page cannot be read). */
bool vmbus_server_gpadl_pfn(struct vmbus_server *s, const struct vmbus_gpadl *gp, uint32_t i, uint64_t *pfn);

#endif /* MODELS_VMBUS_SERVER_H */
