/*
 * synic.c — the synthetic interrupt controller of each VP (TLFS
 * "Inter-Partition Communication": SCONTROL, SVERSION, SIEFP, SIMP, EOM,
 * SINT0-15; the message page and the event-flags page).
 *
 * Message slots. Slot n (256 bytes at SIMP + 256n) belongs to SINTn and
 * is empty when its MessageType is 0. The hypervisor only ever writes a
 * message into an empty slot, then raises SINTn's vector (unless masked or
 * polling). Ordering with the guest: the guest copies the message, writes
 * MessageType = 0, then (full barrier) reads MessageFlags and writes EOM
 * if MessagePending was set; the hypervisor sets MessagePending in an
 * occupied slot before leaving a message queued, and rescans on EOM, on an
 * APIC EOI and whenever a message is queued — so a guest that clears the
 * slot after the hypervisor looked at it always finds the flag and its EOM
 * triggers the redelivery: no message waits forever. (In the simulator
 * both sides run in one thread; the bare-metal backends keep this order.)
 */
#include "objects.h"
#include "vic.h"

#define SIMP_ENABLE 1ull
#define MSG_FLAG_PENDING 1u

uint64_t synic_next_seq(struct hv *hv) { return ++hv->msg_seq; }

struct hv_vp *synic_target(struct hv *hv, uint16_t part, uint32_t vp_index) {
  return vp_get(hv, part, vp_index, 0);
}

/* Host pointer to a 4 KiB page of the VP's partition named by an
 * SIMP/SIEFP-style register, or NULL when disabled or not owned. */
static uint8_t *synic_page(struct hv *hv, struct hv_vp *vp, uint64_t reg, bool write) {
  spa_t s;
  if (!(vp->synic.scontrol & 1) || !(reg & SIMP_ENABLE))
    return 0;
  if (!slat_lookup(hv, vp->partition, gpa(reg & ~HV_PAGE_MASK), &s, 0))
    return 0;
  return arch_phys_page(hv, spa(s.v & ~HV_PAGE_MASK), write);
}

static void synic_raise(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint8_t sint) {
  uint64_t s = vp->synic.sint[sint];
  if (!(s & (HV_SINT_MASKED | HV_SINT_POLLING)))
    irq_post(hv, lp, vp_slot(hv, vp), (uint8_t)(s & HV_SINT_VECTOR_MASK));
}

enum { SRC_NONE, SRC_TIMER, SRC_PORT, SRC_INTERCEPT };
struct synic_pick {
  uint64_t seq;
  int src, index, buf, count;
};

static void synic_consider(struct synic_pick *p, uint64_t seq, int src, int index, int buf) {
  p->count++;
  if (p->src == SRC_NONE || seq < p->seq)
    *p = (struct synic_pick){seq, src, index, buf, p->count};
}

/* Collect the oldest pending message per SINT of vp. */
static void synic_collect(struct hv *hv, struct hv_vp *vp, struct synic_pick best[HV_SINT_COUNT]) {
  hv_memset(best, 0, sizeof(struct synic_pick) * HV_SINT_COUNT);
  for (int t = 0; t < HV_STIMER_COUNT; t++) {
    const struct hv_stimer *st = &vp->synic.stimer[t];
    if (st->msg_pending)
      synic_consider(&best[(st->config >> HV_STIMER_SINT_SHIFT) & 0xF], st->msg_seq, SRC_TIMER, t, 0);
  }
  for (int i = 0; i < hv->ports_hi; i++) {
    const struct hv_port *po = &hv->ports[i];
    if (!po->in_use || !po->pending || po->partition != vp->partition || po->vp != vp->index)
      continue;
    for (int b = 0; b < HV_PORT_BUFFERS; b++)
      if (po->pending & (1u << b))
        synic_consider(&best[po->sint & 0xF], po->seq[b], SRC_PORT, i, b);
  }
  if (vp->partition == 0 && vp->index == 0) {
    for (int i = 0; i < hv->vps_hi; i++)
      if (hv->vps[i].in_use && hv->vps[i].synic.icpt_pending)
        synic_consider(&best[HV_SYNIC_SINT_INTERCEPT], hv->vps[i].synic.icpt_seq, SRC_INTERCEPT, i, 0);
  }
}

static void synic_put_u64(uint8_t *p, uint64_t v) { hv_memcpy(p, &v, 8); }

/* The intercept message of VP slot i (TLFS HV_X64_INTERCEPT_MESSAGE_HEADER
 * then the type-specific part; see intercept.c). Returns the payload size. */
static uint8_t synic_intercept_payload(struct hv *hv, int i, uint8_t *pl) {
  const struct hv_vp *c = &hv->vps[i];
  const struct hv_synic *s = &c->synic;
  uint32_t vpi = c->index;
  hv_memcpy(pl, &vpi, 4);
  pl[4] = s->icpt_len;
  pl[5] = s->icpt_access;
  synic_put_u64(pl + 24, s->icpt_rip);
  synic_put_u64(pl + 32, c->arch.rflags);
  if (s->icpt_type == HVMSG_X64_IO_PORT_INTERCEPT) {
    hv_memcpy(pl + 40, &s->icpt_port, 2);
    pl[42] = s->icpt_size;
    synic_put_u64(pl + 48, s->icpt_rax);
    return 56;
  }
  hv_memcpy(pl + 40, &s->icpt_param, 4);
  synic_put_u64(pl + 48, s->icpt_rax);
  return 56;
}

/* Copy the chosen message into slot and release its buffer. */
static void synic_deliver(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint8_t sint,
                          const struct synic_pick *pk, uint8_t *slot) {
  uint32_t type = 0;
  uint8_t size = 0;
  uint64_t origin = 0, latency = 0;
  hv_memset(slot, 0, HV_MESSAGE_SIZE);
  uint8_t *pl = slot + 16;
  if (pk->src == SRC_TIMER) {
    struct hv_stimer *st = &vp->synic.stimer[pk->index];
    uint32_t index = (uint32_t)pk->index;
    hv_memcpy(pl, &index, 4);
    synic_put_u64(pl + 8, st->expiration_ref);
    synic_put_u64(pl + 16, stimer_ref_time(hv, lp, vp->partition));
    type = HVMSG_TIMER_EXPIRED;
    size = 24;
    st->msg_pending = false;
    latency = arch_cycles(lp) - st->deadline_fired;
    hv_trace_vp(hv, lp, vp, HV_TR_TIMER,
             (uint64_t)pk->index, latency, 0);
  } else if (pk->src == SRC_PORT) {
    struct hv_port *po = &hv->ports[pk->index];
    const uint8_t *buf = (const uint8_t *)arch_phys_page(hv, po->buffers, false) + HV_MESSAGE_SIZE * pk->buf;
    hv_memcpy(&type, buf, 4);
    size = buf[4];
    hv_memcpy(pl, buf + 16, size);
    origin = po->id;
    latency = arch_cycles(lp) - po->posted_at[pk->buf];
    po->pending &= (uint16_t)~(1u << pk->buf);
  } else {
    struct hv_vp *c = &hv->vps[pk->index];
    type = c->synic.icpt_type;
    size = synic_intercept_payload(hv, pk->index, pl);
    origin = hv->partitions[c->partition].id;
    c->synic.icpt_pending = false;
  }
  hv_memcpy(slot, &type, 4);
  slot[4] = size;
  slot[5] = pk->count > 1 ? MSG_FLAG_PENDING : 0;
  synic_put_u64(slot + 8, origin);
  hv_trace_vp(hv, lp, vp, HV_TR_MSG_DELIVER, sint,
           latency, type | ((pk->seq & 0xFFFFFFFFull) << 32));
  synic_raise(hv, lp, vp, sint);
}

void synic_scan(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  struct synic_pick best[HV_SINT_COUNT];
  uint8_t *page = synic_page(hv, vp, vp->synic.simp, true);
  if (!page)
    return; /* SynIC or SIM disabled: messages stay queued */
  synic_collect(hv, vp, best);
  for (uint8_t s = 0; s < HV_SINT_COUNT; s++) {
    if (best[s].src == SRC_NONE)
      continue;
    uint8_t *slot = page + HV_MESSAGE_SIZE * s;
    uint32_t busy;
    hv_memcpy(&busy, slot, 4);
    if (busy)
      slot[5] |= MSG_FLAG_PENDING;
    else
      synic_deliver(hv, lp, vp, s, &best[s], slot);
  }
}

hv_status_t synic_signal(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint8_t sint, uint32_t flag) {
  if (flag >= 2048)
    return HV_STATUS_INVALID_PARAMETER;
  if (vp->synic.sint[sint] & HV_SINT_MASKED)
    return HV_STATUS_INVALID_SYNIC_STATE;
  uint8_t *page = synic_page(hv, vp, vp->synic.siefp, true);
  if (!page)
    return HV_STATUS_INVALID_SYNIC_STATE;
  uint8_t *byte = page + 256 * sint + flag / 8;
  bool newly = !(*byte & (1u << (flag % 8)));
  *byte |= (uint8_t)(1u << (flag % 8));
  hv_trace_vp(hv, lp, vp, HV_TR_EVENT_SIGNAL, sint,
           flag, newly);
  if (newly)
    synic_raise(hv, lp, vp, sint);
  return HV_STATUS_SUCCESS;
}

static bool synic_page_reg_write(struct hv *hv, struct hv_vp *vp, uint64_t *reg, uint64_t v) {
  uint64_t next = (v & ~0xFFEull) | (*reg & 0xFFEull); /* bits 11:1 RsvdP */
  if ((next & SIMP_ENABLE) && !slat_lookup(hv, vp->partition, gpa(next & ~HV_PAGE_MASK), 0, 0))
    return false;
  bool enabling = (next & SIMP_ENABLE) && (!(*reg & SIMP_ENABLE) || (next ^ *reg) >> 12);
  *reg = next;
  if (enabling) { /* the hypervisor presents a clean page when it is enabled */
    spa_t s;
    slat_lookup(hv, vp->partition, gpa(next & ~HV_PAGE_MASK), &s, 0);
    hv_memset(arch_phys_page(hv, spa(s.v & ~HV_PAGE_MASK), true), 0, HV_PAGE_SIZE);
  }
  return true;
}

bool synic_msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *v) {
  (void)lp;
  if (!(hv->partitions[vp->partition].privileges & HV_ACCESS_SYNIC_REGS))
    return false;
  struct hv_synic *s = &vp->synic;
  if (msr >= HV_X64_MSR_SINT0 && msr < HV_X64_MSR_SINT0 + HV_SINT_COUNT) {
    *v = s->sint[msr - HV_X64_MSR_SINT0];
    return true;
  }
  switch (msr) {
  case HV_X64_MSR_SCONTROL: *v = s->scontrol; return true;
  case HV_X64_MSR_SVERSION: *v = HV_SYNIC_VERSION_1; return true;
  case HV_X64_MSR_SIEFP: *v = s->siefp; return true;
  case HV_X64_MSR_SIMP: *v = s->simp; return true;
  case HV_X64_MSR_EOM: *v = 0; return true;
  default: return false;
  }
}

bool synic_msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t v) {
  if (!(hv->partitions[vp->partition].privileges & HV_ACCESS_SYNIC_REGS))
    return false;
  struct hv_synic *s = &vp->synic;
  bool ok = true;
  if (msr >= HV_X64_MSR_SINT0 && msr < HV_X64_MSR_SINT0 + HV_SINT_COUNT) {
    if (!(v & HV_SINT_MASKED) && (v & HV_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR)
      return false; /* TLFS: an unmasked SINT with vector < 16 is #GP */
    s->sint[msr - HV_X64_MSR_SINT0] = v & (HV_SINT_VECTOR_MASK | HV_SINT_MASKED | HV_SINT_AUTO_EOI | HV_SINT_POLLING);
  } else {
    switch (msr) {
    case HV_X64_MSR_SCONTROL: s->scontrol = v & 1; break;
    case HV_X64_MSR_SIEFP: ok = synic_page_reg_write(hv, vp, &s->siefp, v); break;
    case HV_X64_MSR_SIMP: ok = synic_page_reg_write(hv, vp, &s->simp, v); break;
    case HV_X64_MSR_EOM: break;
    default: return false; /* SVERSION is read-only */
    }
  }
  if (ok)
    synic_scan(hv, lp, vp); /* a slot freed, a page or SINT enabled: deliver what waits */
  return ok;
}

/* A partition goes away: its ports (and their buffers) and every
 * connection to or from it. */
void synic_port_release(struct hv *hv, uint16_t part) {
  for (int i = 0; i < hv->ports_hi; i++) {
    struct hv_port *po = &hv->ports[i];
    if (po->in_use && po->partition != part && po->conn_partition == part)
      po->conn_partition = HV_NO_VP; /* its slot may be reused: nobody connects in its name */
    if (!po->in_use || po->partition != part)
      continue;
    if (po->buffers.v)
      pool_free(hv, part, po->buffers);
    hv_memset(po, 0, sizeof *po);
    for (int c = 0; c < HV_MAX_CONNECTIONS; c++)
      if (hv->connections[c].in_use && hv->connections[c].port == i)
        hv_memset(&hv->connections[c], 0, sizeof hv->connections[c]);
  }
  for (int c = 0; c < HV_MAX_CONNECTIONS; c++)
    if (hv->connections[c].in_use && hv->connections[c].partition == part)
      hv_memset(&hv->connections[c], 0, sizeof hv->connections[c]);
  for (int i = 0; i < HV_MAX_INTERCEPTS; i++)
    if (hv->intercepts[i].in_use && hv->intercepts[i].partition == part)
      hv_memset(&hv->intercepts[i], 0, sizeof hv->intercepts[i]);
}
