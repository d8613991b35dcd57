/*
 * vsp_ic.c — the integration components behind the root's VMBus server:
 * heartbeat, time sync and shutdown (version negotiation, then the host's
 * messages on a timer, the shutdown request when management asks for it;
 * the guest's answers checked).
 */
#include "vsp.h"

#include "hvsim/root_boot.h"

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
/* Bodies as Linux's hv_utils takes them (include/linux/hyperv.h):
 * shutdown_msg_data {reason_code u32, timeout_seconds u32, flags u32,
 * display_message[2048]} = 2060 bytes (Linux drops a shorter one:
 * "Packet length too small"; flags 0/1 shut down, 2/3 reboot);
 * heartbeat_msg_data {seq_num u64, reserved u32[8]} = 40;
 * ictimesync_ref_data (time sync 4.0) {parenttime u64 (UTC, FILETIME),
 * vmreferencetime u64 (the guest's reference time when parenttime was
 * read), flags u8, leapflags u8, stratum u8, reserved u8[3]} = 22. */
#define IC_SHUTDOWN_BODY 2060u
#define IC_SHUTDOWN_FLAG_SHUTDOWN 1u /* forced shutdown (0 graceful, 2/3 reboot) */
#define IC_HEARTBEAT_BODY 40u
#define IC_TIMESYNC_V4_BODY 22u
#define ICTIMESYNCFLAG_SYNC 1u       /* set the clock (the first sample) */
#define ICTIMESYNCFLAG_SAMPLE 2u     /* a periodic sample */
#define IC_MAX_BODY IC_SHUTDOWN_BODY

static void vsp_ic_send(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint16_t type,
                        const uint8_t *body, uint32_t len) {
  uint8_t m[IC_HDR + IC_MAX_BODY];
  vmbus_bzero(m, IC_HDR);
  vmbus_put_le32(m + 4, IC_HDR - 8 + len);
  m[8] = 3; /* framework 3.0 */
  m[12] = (uint8_t)type;
  m[14] = type == ICMSGTYPE_TIMESYNC ? 4 : 3; /* message version 3.0 (timesync 4.0) */
  m[18] = (uint8_t)len, m[19] = (uint8_t)(len >> 8);
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
    /* Any heartbeat we sent may be answered late (Hyper-V tolerates a VP
     * that was descheduled or had interrupts off): seq + 1 of one we sent
     * counts once; an older or repeated answer is let go; a number we
     * never sent is a lie. */
    uint64_t v = len >= IC_HDR + 8 ? vmbus_le64(m + IC_HDR) : 0;
    if (v < 2 || v > ch->ic_seq + 1)
      return HV_VMBUS_PROTOCOL;
    if (v > ch->ic_beat_answered) {
      ch->ic_beat_answered = v;
      ch->ic_answers++;
    }
  } else if (type == ICMSGTYPE_SHUTDOWN) {
    if (status == 0 && ch->ic_shutdown_sent)
      c->shutdown_acked = true;
    ch->ic_answers++;
  } else if (type == ICMSGTYPE_TIMESYNC) {
    ch->ic_answers++;
  }
  return 0;
}

/* Time sync 4.0: UTC now (the scenario's wall time at the root's
 * reference time 0, plus the root's reference time), with the VM's own
 * reference time of the same moment so the guest can age the sample. */
static void vsp_ic_timesync(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch, uint8_t *b) {
  if (!s->wall_read) {
    s->wall_read = true;
    guest_read(s->g, s->boot_gpa + offsetof(struct root_boot, wall_filetime), &s->wall_filetime, 8);
  }
  uint64_t ref = 0;
  guest_rdmsr(s->g, HV_X64_MSR_TIME_REF_COUNT, &ref); /* the root's reference time, 100 ns */
  vmbus_put_le64(b, s->wall_filetime + ref);
  vmbus_put_le64(b + 8, ref >= c->ref_start ? ref - c->ref_start : 0);
  b[16] = ch->ic_answers == 0 ? ICTIMESYNCFLAG_SYNC : ICTIMESYNCFLAG_SAMPLE;
  vsp_ic_send(s, c, ch, ICMSGTYPE_TIMESYNC, b, IC_TIMESYNC_V4_BODY);
}

void vmbus_vsp_tick(struct vmbus_server *s, struct vmbus_srv_conn *c, struct vmbus_srv_chan *ch) {
  if (ch->dev < VMBUS_DEV_HEARTBEAT || ch->state != VMBUS_CH_OPEN)
    return;
  uint8_t b[IC_MAX_BODY];
  vmbus_bzero(b, 64);
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
      vmbus_bzero(b, sizeof b);
      vmbus_put_le32(b + 8, IC_SHUTDOWN_FLAG_SHUTDOWN);
      vmbus_bcopy(b + 12, "hvsim: shutdown requested", 26);
      ch->ic_shutdown_sent = true;
      vsp_ic_send(s, c, ch, ICMSGTYPE_SHUTDOWN, b, IC_SHUTDOWN_BODY);
    }
    return;
  }
  if (now < ch->ic_next)
    return;
  if (ch->dev == VMBUS_DEV_HEARTBEAT) {
    uint64_t seq = ch->ic_seq + 1; /* the number this message goes out with */
    vmbus_put_le64(b, seq);
    vsp_ic_send(s, c, ch, ICMSGTYPE_HEARTBEAT, b, IC_HEARTBEAT_BODY);
    ch->ic_next = now + IC_HEARTBEAT_CYCLES;
  } else {
    vsp_ic_timesync(s, c, ch, b);
    ch->ic_next = now + IC_TIMESYNC_CYCLES;
  }
}
