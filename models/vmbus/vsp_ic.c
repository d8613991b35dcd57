/*
 * vsp_ic.c — the integration components behind the root's VMBus server:
 * heartbeat, time sync and shutdown (version negotiation, then the host's
 * messages on a timer, the shutdown request when management asks for it;
 * the guest's answers checked).
 */
#include "vsp.h"

/* ---- integration components ------------------------------------------ */
/* Framing (Linux hyperv.h): vmbuspipe_hdr {flags u32, msgsize u32}, then
 * icmsg_hdr: icverframe {major u16, minor u16} @8, icmsgtype u16 @12,
 * icvermsg @14, icmsgsize u16 @18, status u32 @20, ictransaction_id u8 @24,
 * icflags u8 @25, reserved @26; the message body at @28. */
#define IC_HDR 28u
#define ICMSGTYPE_NEGOTIATE 0u
#define ICMSGTYPE_HEARTBEAT 1u
#define ICMSGTYPE_SHUTDOWN 3u
#define ICMSGTYPE_TIMESYNC 4u
#define ICMSGHDRFLAG_TRANSACTION 1u
#define ICMSGHDRFLAG_REQUEST 2u
#define ICMSGHDRFLAG_RESPONSE 4u
#define IC_HEARTBEAT_CYCLES 1900000u  /* about 1 ms at 2 GHz: due at every tick of the root's 1 ms timer */
#define IC_TIMESYNC_CYCLES 10000000u  /* 5 ms */

static void vsp_ic_send(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint16_t type,
                        const uint8_t *body, uint32_t len) {
  uint8_t m[IC_HDR + 64];
  vmbus_bzero(m, sizeof m);
  vmbus_put_le32(m + 4, IC_HDR - 8 + len);
  m[8] = 3; /* framework 3.0 */
  m[12] = (uint8_t)type;
  m[14] = type == ICMSGTYPE_TIMESYNC ? 4 : 3; /* message version 3.0 (timesync 4.0) */
  m[18] = (uint8_t)len;
  m[24] = (uint8_t)ch->ic_seq;
  m[25] = ICMSGHDRFLAG_TRANSACTION | ICMSGHDRFLAG_REQUEST;
  vmbus_bcopy(m + IC_HDR, body, len);
  vmbus_server_send(s, c, ch, VM_PKT_DATA_INBAND, ++ch->ic_seq, 0, 0, m, IC_HDR + len);
}

uint32_t vsp_ic(struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, const struct vmbus_srv_pkt *p) {
  uint32_t len = p->pkt.len - p->pkt.data_off;
  const uint8_t *m = p->buf + p->pkt.data_off;
  if (len < IC_HDR || !(m[25] & ICMSGHDRFLAG_RESPONSE))
    return HV_VMBUS_PROTOCOL;
  uint16_t type = (uint16_t)(m[12] | m[13] << 8);
  uint32_t status = vmbus_le32(m + 20);
  if (type == ICMSGTYPE_NEGOTIATE) {
    ch->ic_state = 2;
  } else if (ch->ic_state != 2) {
    return HV_VMBUS_PROTOCOL; /* an answer before negotiation */
  } else if (type == ICMSGTYPE_HEARTBEAT) {
    if (len < IC_HDR + 8 || vmbus_le64(m + IC_HDR) != ch->ic_seq + 1)
      return HV_VMBUS_PROTOCOL; /* heartbeat answers seq + 1 */
    ch->ic_answers++;
  } else if (type == ICMSGTYPE_SHUTDOWN) {
    if (status == 0 && ch->ic_shutdown_sent)
      c->shutdown_acked = true;
    ch->ic_answers++;
  } else if (type == ICMSGTYPE_TIMESYNC) {
    ch->ic_answers++;
  }
  return 0;
}

void vmbus_vsp_tick(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch) {
  if (ch->dev < VMBUS_DEV_HEARTBEAT || ch->state != VMBUS_CH_OPEN)
    return;
  uint8_t b[64];
  vmbus_bzero(b, sizeof b);
  if (ch->ic_state == 0) { /* NEGOTIATE: one framework version (3.0), one message version */
    b[0] = 1, b[2] = 1;
    b[8] = 3;
    b[12] = ch->dev == VMBUS_DEV_TIMESYNC ? 4 : 3;
    vsp_ic_send(s, c, ch, ICMSGTYPE_NEGOTIATE, b, 16);
    ch->ic_state = 1;
    return;
  }
  if (ch->ic_state != 2)
    return;
  uint64_t now = guest_rdtsc(s->g);
  if (ch->dev == VMBUS_DEV_SHUTDOWN) {
    if (c->shutdown_requested && !ch->ic_shutdown_sent) {
      vmbus_put_le32(b + 8, 1); /* flags: shut down (not reboot) */
      vmbus_bcopy(b + 12, "hvsim: shutdown requested", 26);
      ch->ic_shutdown_sent = true;
      vsp_ic_send(s, c, ch, ICMSGTYPE_SHUTDOWN, b, 40);
    }
    return;
  }
  if (now < ch->ic_next)
    return;
  if (ch->dev == VMBUS_DEV_HEARTBEAT) {
    uint64_t seq = ch->ic_seq + 1; /* the number this message goes out with */
    for (int i = 0; i < 8; i++)
      b[i] = (uint8_t)(seq >> (8 * i));
    vsp_ic_send(s, c, ch, ICMSGTYPE_HEARTBEAT, b, 40);
    ch->ic_next = now + IC_HEARTBEAT_CYCLES;
  } else {
    uint64_t ref = 0;
    guest_rdmsr(s->g, HV_X64_MSR_TIME_REF_COUNT, &ref); /* the host's time, 100 ns */
    for (int i = 0; i < 8; i++)
      b[i] = (uint8_t)(ref >> (8 * i));
    vsp_ic_send(s, c, ch, ICMSGTYPE_TIMESYNC, b, 25);
    ch->ic_next = now + IC_TIMESYNC_CYCLES;
  }
}
