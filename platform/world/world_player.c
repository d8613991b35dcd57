/*
 * world_player.c — the timeline player (see world_player.h): the world of
 * a scenario acting on a machine, at every level.
 */
#include "world_player.h"

void world_player_init(struct world_player *p, const struct world_event *ev, uint32_t nev,
                       const struct mgmt_request *reqs, uint32_t nreqs, uint64_t cycles_per_us,
                       uint32_t nlps) {
  uint8_t *b = (uint8_t *)p;
  for (uint32_t i = 0; i < sizeof *p; i++)
    b[i] = 0;
  p->ev = ev;
  p->nev = nev;
  p->reqs = reqs;
  p->nreqs = nreqs;
  p->cycles_per_us = cycles_per_us;
  p->nlps = nlps ? nlps : 1;
}

uint64_t world_cycles(const struct world_player *p, uint64_t ns) { return ns * p->cycles_per_us / 1000; }

/* A management request onto the root's queue, then the API vector on LP 0;
 * a full queue is the request's failure. */
static void world_mgmt(struct world_player *p, const struct mgmt_request *q, const struct world_hooks *h) {
  h->trace(h->ctx, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_MGMT, q->action, q->vm_id);
  struct mgmt_channel *ch = h->channel(h->ctx);
  if (!ch || !mgmt_channel_push(ch, q)) {
    h->trace(h->ctx, HV_TR_MGMT, HV_TRACE_ROOT_PARTITION, q->action, MGMT_FAILED, q->vm_id);
    return;
  }
  h->irq(h->ctx, 0, MGMT_API_VECTOR);
}

static void world_interrupt(struct world_player *p, const struct world_event *e, uint64_t now,
                            const struct world_hooks *h) {
  uint32_t lp = e->lp < p->nlps ? e->lp : 0;
  if (e->count > 1 && p->nstorms < WORLD_MAX_STORMS) {
    struct world_storm *st = &p->storms[p->nstorms++];
    st->period = world_cycles(p, e->period_ns);
    st->next = now + st->period;
    st->left = e->count - 1;
    st->lp = lp;
    st->vector = (uint8_t)e->vector;
  }
  h->trace(h->ctx, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_INTERRUPT, e->vector, lp);
  h->irq(h->ctx, lp, (uint8_t)e->vector);
}

static void world_act(struct world_player *p, const struct world_event *e, uint64_t now,
                      const struct world_hooks *h) {
  switch (e->kind) {
  case WORLD_EV_MGMT:
    if (e->arg < p->nreqs)
      world_mgmt(p, &p->reqs[e->arg], h);
    break;
  case WORLD_EV_INTERRUPT:
    world_interrupt(p, e, now, h);
    break;
  case WORLD_EV_DEVICE:
    if (h->device)
      h->device(h->ctx, e);
    break;
  default:
    break;
  }
}

/* The first event at or after i that is (want_sample) a sample or (else)
 * anything else; nev when there is none. The plan is time-sorted. */
static uint32_t world_seek(const struct world_player *p, uint32_t i, bool want_sample) {
  while (i < p->nev && (p->ev[i].kind == WORLD_EV_SAMPLE) != want_sample)
    i++;
  return i;
}

uint64_t world_play(struct world_player *p, uint64_t now, const struct world_hooks *h) {
  for (p->next = world_seek(p, p->next, false); p->next < p->nev; p->next = world_seek(p, p->next + 1, false)) {
    if (world_cycles(p, p->ev[p->next].at_ns) > now)
      break;
    world_act(p, &p->ev[p->next], now, h);
  }
  for (uint32_t i = 0; i < p->nstorms; i++) {
    struct world_storm *st = &p->storms[i];
    for (; st->left && st->next <= now; st->left--, st->next += st->period)
      h->irq(h->ctx, st->lp, st->vector);
  }
  for (p->next_sample = world_seek(p, p->next_sample, true); p->next_sample < p->nev;
       p->next_sample = world_seek(p, p->next_sample + 1, true)) {
    if (world_cycles(p, p->ev[p->next_sample].at_ns) > now)
      break;
    h->trace(h->ctx, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, p->ev[p->next_sample].arg, 0);
  }
  uint64_t next = UINT64_MAX;
  if (p->next < p->nev)
    next = world_cycles(p, p->ev[p->next].at_ns);
  if (p->next_sample < p->nev && world_cycles(p, p->ev[p->next_sample].at_ns) < next)
    next = world_cycles(p, p->ev[p->next_sample].at_ns);
  for (uint32_t i = 0; i < p->nstorms; i++)
    if (p->storms[i].left && p->storms[i].next < next)
      next = p->storms[i].next;
  return next;
}
