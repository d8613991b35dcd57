/*
 * vsp.h — shared by the providers behind the root's VMBus server
 * (vmbus_vsp.c: dispatch and GPA-direct ranges; vsp_storage.c,
 * vsp_network.c, vsp_ic.c: one provider each, as OpenVMM splits storvsp,
 * netvsp and the integration components).
 */
#ifndef MODELS_VMBUS_VSP_H
#define MODELS_VMBUS_VSP_H

#include "hvsim/trace.h"
#include "vmbus_bytes.h"
#include "vmbus_server.h"

/* A GPA-direct buffer (one range) as the packet's extension carries it. */
struct vsp_range {
  uint32_t byte_count, byte_offset, npfn;
  const uint8_t *pfns; /* npfn u64s inside the copied packet */
};

/* Parse the extension of a GPA-direct packet; false if malformed. */
bool vsp_range(const struct vmbus_srv_pkt *p, struct vsp_range *r);
/* Copy len bytes at pos of the range to or from buf; false when the range
 * is too short or a page cannot be copied (not the guest's). */
bool vsp_xfer(struct vmbus_server *s, struct vmbus_srv_conn *c, const struct vsp_range *r, uint32_t pos, void *buf,
              uint32_t len, bool to_child);

/* The providers: one guest packet each. Return 0, or the reason
 * (enum hv_vmbus_reason) to close the channel for. */
uint32_t vsp_storage(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                     const struct vmbus_srv_pkt *p);
uint32_t vsp_network(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch,
                     const struct vmbus_srv_pkt *p);
uint32_t vsp_ic(struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, const struct vmbus_srv_pkt *p);

#endif /* MODELS_VMBUS_VSP_H */
