/*
 * hc_synic.c — TLFS inter-partition communication and interrupt
 * hypercalls: HvCallCreatePort, DeletePort, ConnectPort, DisconnectPort,
 * PostMessage, SignalEvent, AssertVirtualInterrupt, and
 * HvCallMapDeviceInterrupt (the root's interrupt routing table).
 *
 * Privileges: CreatePort, ConnectPort, PostMessages, SignalEvents (TLFS
 * HV_PARTITION_PRIVILEGE_MASK). A partition creates ports in itself or
 * (the root) in its children; a port names the one partition allowed to
 * connect to it.
 *
 * HvCallMapDeviceInterrupt uses a simplified input (not the TLFS
 * HV_INTERRUPT_ENTRY form): PartitionId u64 @0 (target; SELF = the root),
 * PhysicalVector u32 @8, TargetVp u32 @12, TargetVector u32 @16, RsvdZ u32
 * @20 — a physical vector is routed to one partition's VP and vector.
 */
#include "hc.h"
#include "objects.h"
#include "vic.h"

static int hc_port_find(struct hv *hv, uint16_t part, uint32_t id) {
  for (int i = 0; i < hv->ports_hi; i++)
    if (hv->ports[i].in_use && hv->ports[i].partition == part && hv->ports[i].id == id)
      return i;
  return -1;
}

static int hc_conn_find(struct hv *hv, uint16_t part, uint32_t id) {
  for (int i = 0; i < HV_MAX_CONNECTIONS; i++)
    if (hv->connections[i].in_use && hv->connections[i].partition == part && hv->connections[i].id == id)
      return i;
  return -1;
}

/* The partition a port call acts on: itself or one of its children. */
static hv_status_t hc_self_or_child(struct hc_ctx *c, uint64_t id, uint16_t *slot) {
  hv_status_t st = hc_partition(c, id, slot);
  if (st != HV_STATUS_SUCCESS)
    return st;
  return *slot == c->caller || partition_is_parent(c->hv, c->caller, *slot) ? HV_STATUS_SUCCESS
                                                                           : HV_STATUS_ACCESS_DENIED;
}

static hv_status_t hc_port_info(const struct hc_ctx *c, struct hv_port *p) {
  uint32_t type = hc_in_u32(c, 24), sint = hc_in_u32(c, 32), vp = hc_in_u32(c, 36);
  if ((type != HV_PORT_TYPE_MESSAGE && type != HV_PORT_TYPE_EVENT) || sint >= HV_SINT_COUNT)
    return HV_STATUS_INVALID_PARAMETER;
  if (vp == HV_ANY_VP)
    vp = 0;
  if (vp >= HV_MAX_VPS_PER_PARTITION)
    return HV_STATUS_INVALID_VP_INDEX;
  p->type = (uint8_t)type;
  p->sint = (uint8_t)sint;
  p->vp = vp;
  if (type == HV_PORT_TYPE_EVENT) {
    uint16_t base = (uint16_t)hc_in_u32(c, 40), count = (uint16_t)(hc_in_u32(c, 40) >> 16);
    if (count == 0 || (uint32_t)base + count > 2048)
      return HV_STATUS_INVALID_PARAMETER;
    p->base_flag = base;
    p->flag_count = count;
  }
  return HV_STATUS_SUCCESS;
}

/* Input (56 bytes): PortPartition, PortId, PortVtl, MinConnectionVtl,
 * rsvd, ConnectionPartition, HV_PORT_INFO (24), ProximityDomainInfo. */
hv_status_t hc_create_port(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CREATE_PORT))
    return HV_STATUS_ACCESS_DENIED;
  uint16_t part, conn;
  hv_status_t st = hc_self_or_child(c, hc_in_u64(c, 0), &part);
  if (st == HV_STATUS_SUCCESS)
    st = hc_partition(c, hc_in_u64(c, 16), &conn);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t id = hc_in_u32(c, 8);
  if ((id >> 24) || hc_in_u32(c, 12) || hc_in_u32(c, 28))
    return HV_STATUS_INVALID_PARAMETER;
  if (hc_port_find(c->hv, part, id) >= 0)
    return HV_STATUS_INVALID_PORT_ID;
  struct hv_port p;
  hv_memset(&p, 0, sizeof p);
  st = hc_port_info(c, &p);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int slot = -1;
  for (int i = 0; i < HV_MAX_PORTS && slot < 0; i++)
    if (!c->hv->ports[i].in_use)
      slot = i;
  if (slot < 0)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  if (p.type == HV_PORT_TYPE_MESSAGE) {
    st = pool_alloc(c->hv, part, &p.buffers); /* 16 message buffers, owner's pool */
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  p.in_use = true;
  p.id = id;
  p.partition = part;
  p.conn_partition = conn;
  c->hv->ports[slot] = p;
  if (slot >= c->hv->ports_hi)
    c->hv->ports_hi = (uint16_t)(slot + 1);
  return HV_STATUS_SUCCESS;
}

/* Input: PortPartition, PortId, rsvd. */
hv_status_t hc_delete_port(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CREATE_PORT))
    return HV_STATUS_ACCESS_DENIED;
  uint16_t part;
  hv_status_t st = hc_self_or_child(c, hc_in_u64(c, 0), &part);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int i = hc_port_find(c->hv, part, hc_in_u32(c, 8));
  if (i < 0)
    return HV_STATUS_INVALID_PORT_ID;
  struct hv_port *p = &c->hv->ports[i];
  if (p->buffers.v)
    pool_free(c->hv, part, p->buffers);
  hv_memset(p, 0, sizeof *p);
  for (int k = 0; k < HV_MAX_CONNECTIONS; k++)
    if (c->hv->connections[k].in_use && c->hv->connections[k].port == i)
      hv_memset(&c->hv->connections[k], 0, sizeof c->hv->connections[k]);
  return HV_STATUS_SUCCESS;
}

/* Input (72 bytes): ConnectionPartition, ConnectionId, ConnectionVtl,
 * rsvd, PortPartition, PortId, rsvd, ConnectionInfo (32), Proximity. */
hv_status_t hc_connect_port(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CONNECT_PORT))
    return HV_STATUS_ACCESS_DENIED;
  uint16_t cpart, ppart;
  hv_status_t st = hc_self_or_child(c, hc_in_u64(c, 0), &cpart);
  if (st == HV_STATUS_SUCCESS)
    st = hc_partition(c, hc_in_u64(c, 16), &ppart);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t id = hc_in_u32(c, 8);
  if ((id >> 24) || hc_in_u32(c, 12))
    return HV_STATUS_INVALID_PARAMETER;
  int port = hc_port_find(c->hv, ppart, hc_in_u32(c, 24));
  if (port < 0)
    return HV_STATUS_INVALID_PORT_ID;
  if (c->hv->ports[port].conn_partition != cpart)
    return HV_STATUS_ACCESS_DENIED;
  if (hc_conn_find(c->hv, cpart, id) >= 0)
    return HV_STATUS_INVALID_CONNECTION_ID;
  for (int i = 0; i < HV_MAX_CONNECTIONS; i++) {
    if (!c->hv->connections[i].in_use) {
      c->hv->connections[i] = (struct hv_connection){true, id, cpart, (uint16_t)port};
      return HV_STATUS_SUCCESS;
    }
  }
  return HV_STATUS_INSUFFICIENT_MEMORY;
}

/* Input: ConnectionPartition, ConnectionId, flags. */
hv_status_t hc_disconnect_port(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_CONNECT_PORT))
    return HV_STATUS_ACCESS_DENIED;
  uint16_t cpart;
  hv_status_t st = hc_self_or_child(c, hc_in_u64(c, 0), &cpart);
  if (st != HV_STATUS_SUCCESS)
    return st;
  int i = hc_conn_find(c->hv, cpart, hc_in_u32(c, 8));
  if (i < 0)
    return HV_STATUS_INVALID_CONNECTION_ID;
  hv_memset(&c->hv->connections[i], 0, sizeof c->hv->connections[i]);
  return HV_STATUS_SUCCESS;
}

/* The port behind one of the caller's connections, and its target VP. */
static hv_status_t hc_conn_target(struct hc_ctx *c, uint32_t conn_id, uint8_t type, struct hv_port **port,
                                  struct hv_vp **vp) {
  int i = hc_conn_find(c->hv, c->caller, conn_id & 0xFFFFFF);
  if (i < 0 || (conn_id >> 24))
    return HV_STATUS_INVALID_CONNECTION_ID;
  struct hv_port *p = &c->hv->ports[c->hv->connections[i].port];
  if (!p->in_use || p->type != type || c->hv->partitions[p->partition].state != PART_ACTIVE)
    return HV_STATUS_INVALID_PORT_ID;
  *vp = synic_target(c->hv, p->partition, p->vp);
  if (!*vp)
    return HV_STATUS_INVALID_VP_INDEX;
  *port = p;
  return HV_STATUS_SUCCESS;
}

/* Input (256 bytes): ConnectionId, RsvdZ, MessageType, PayloadSize, Payload[240]. */
hv_status_t hc_post_message(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_POST_MESSAGES))
    return HV_STATUS_ACCESS_DENIED;
  struct hv_port *p;
  struct hv_vp *vp;
  hv_status_t st = hc_conn_target(c, hc_in_u32(c, 0), HV_PORT_TYPE_MESSAGE, &p, &vp);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t type = hc_in_u32(c, 8), size = hc_in_u32(c, 12);
  if (hc_in_u32(c, 4) || type == 0 || (type & 0x80000000u) || size > HV_MESSAGE_PAYLOAD)
    return HV_STATUS_INVALID_PARAMETER;
  if (!(vp->synic.scontrol & 1) || !(vp->synic.simp & 1))
    return HV_STATUS_INVALID_SYNIC_STATE;
  int b = 0;
  while (b < HV_PORT_BUFFERS && (p->pending & (1u << b)))
    b++;
  if (b == HV_PORT_BUFFERS)
    return HV_STATUS_INSUFFICIENT_BUFFERS;
  uint8_t *buf = (uint8_t *)arch_phys_page(c->hv, p->buffers, true) + HV_MESSAGE_SIZE * b;
  hv_memcpy(buf, &type, 4);
  buf[4] = (uint8_t)size;
  hv_memcpy(buf + 16, c->in + 16, size);
  p->pending |= (uint16_t)(1u << b);
  p->seq[b] = synic_next_seq(c->hv);
  p->posted_at[b] = arch_cycles(c->lp);
  arch_charge(c->lp, HV_COST_MSG_POST, 1);
  hv_trace_vp(c->hv, c->lp, c->vp, HV_TR_MSG_POST,
           hc_in_u32(c, 0), type | ((uint64_t)size << 32), p->seq[b]);
  synic_scan(c->hv, c->lp, vp);
  return HV_STATUS_SUCCESS;
}

/* Input (8 bytes, fast capable): ConnectionId u32, FlagNumber u16, RsvdZ u16. */
hv_status_t hc_signal_event(struct hc_ctx *c) {
  if (!(c->hv->partitions[c->caller].privileges & HV_SIGNAL_EVENTS))
    return HV_STATUS_ACCESS_DENIED;
  struct hv_port *p;
  struct hv_vp *vp;
  hv_status_t st = hc_conn_target(c, hc_in_u32(c, 0), HV_PORT_TYPE_EVENT, &p, &vp);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t flag = hc_in_u32(c, 4) & 0xFFFF;
  if ((hc_in_u32(c, 4) >> 16) || flag >= p->flag_count)
    return HV_STATUS_INVALID_PARAMETER;
  return synic_signal(c->hv, c->lp, vp, p->sint, p->base_flag + flag);
}

/* Input: TargetPartition, InterruptControl (type u32: 0 fixed; bit 32
 * level), DestinationAddress (VP index), RequestedVector u32, TargetVtl. */
hv_status_t hc_assert_virtual_interrupt(struct hc_ctx *c) {
  uint16_t target;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t vector = hc_in_u32(c, 24);
  if (hc_in_u32(c, 8) != 0 || vector < HV_SYNIC_FIRST_VALID_VECTOR || vector > 255 || hc_in_u32(c, 28))
    return HV_STATUS_INVALID_PARAMETER;
  uint64_t dest = hc_in_u64(c, 16);
  uint16_t slot;
  if (dest >= HV_MAX_VPS_PER_PARTITION || !vp_get(c->hv, target, (uint32_t)dest, &slot))
    return HV_STATUS_INVALID_VP_INDEX;
  irq_post(c->hv, c->lp, slot, (uint8_t)vector);
  return HV_STATUS_SUCCESS;
}

hv_status_t hc_map_device_interrupt(struct hc_ctx *c) {
  if (c->caller != 0)
    return HV_STATUS_ACCESS_DENIED; /* the routing table is the root's */
  uint16_t target;
  hv_status_t st = hc_partition(c, hc_in_u64(c, 0), &target);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint32_t phys = hc_in_u32(c, 8), vp = hc_in_u32(c, 12), vec = hc_in_u32(c, 16);
  if (phys < 16 || phys > 255 || vec < 16 || vec > 255 || hc_in_u32(c, 20))
    return HV_STATUS_INVALID_PARAMETER;
  if (vp >= HV_MAX_VPS_PER_PARTITION)
    return HV_STATUS_INVALID_VP_INDEX;
  c->hv->irq_route[phys].partition = target;
  c->hv->irq_route[phys].vp = vp;
  c->hv->irq_route[phys].vector = (uint8_t)vec;
  return HV_STATUS_SUCCESS;
}
