/*
 * pingpong.c — two children exchange SynIC messages through ports the
 * root connected (timeline `connect`). Parameters: role (0 ping: sends
 * first, 1 pong: answers), count (messages each way, 1000), conn (the
 * connection id to send on), sint (the SINT its port delivers to, 3).
 * Each message carries a sequence number the other side checks.
 */
#include "models/child/child.h"

void prog_pingpong(struct guest *g, const struct guest_boot *b) {
  struct winhv w;
  uint8_t sint = (uint8_t)guest_param(b, "sint", 3);
  if (!child_winhv(g, b, &w) || !child_synic_enable(g, b, sint, 0x50, true))
    return;
  uint64_t count = guest_param(b, "count", 1000), role = guest_param(b, "role", 0);
  uint32_t conn = (uint32_t)guest_param(b, "conn", 1);
  uint64_t ok = 0;
  uint8_t msg[256];
  for (uint64_t i = 0; i < count; i++) {
    if (role == 0) {
      uint16_t st;
      while ((st = winhv_post_message(&w, conn, CHILD_MSG_TYPE, &i, 8)) == HV_STATUS_INVALID_SYNIC_STATE ||
             st == HV_STATUS_INVALID_PORT_ID || st == HV_STATUS_INVALID_CONNECTION_ID)
        guest_work(g, 20000); /* the peer or the link is not up yet */
      if (st != HV_STATUS_SUCCESS) {
        guest_mark(g, MARK_ERROR, st);
        return;
      }
    }
    child_msg_wait(g, sint, msg);
    uint64_t seq;
    for (int k = 0; k < 8; k++)
      ((uint8_t *)&seq)[k] = msg[16 + k];
    ok += seq == i;
    if (role == 1) {
      uint16_t st;
      while ((st = winhv_post_message(&w, conn, CHILD_MSG_TYPE, &seq, 8)) == HV_STATUS_INSUFFICIENT_BUFFERS ||
             st == HV_STATUS_INVALID_CONNECTION_ID || st == HV_STATUS_INVALID_PORT_ID)
        guest_work(g, 20000);
      if (st != HV_STATUS_SUCCESS) {
        guest_mark(g, MARK_ERROR, st);
        return;
      }
    }
  }
  guest_mark(g, MARK_DONE, ok);
}
