/*
 * world_player.h — plays a world plan (hvsim/world.h) on a level: the one
 * timeline player of the simulator (sim/world/run.c) and of the bare-metal
 * platform (platform/bare/), so every level acts the same events in the
 * same order and leaves the same world records. Freestanding: no libc.
 *
 * A level calls world_play() whenever its clock reaches the time the last
 * call returned; the player does what is due, through the level's hooks,
 * in a fixed order: management requests, interrupts and device actions as
 * the plan lists them; then the next interrupts of storms in progress; then
 * the observation points (samples). It returns the time of the next thing
 * to do.
 */
#ifndef PLATFORM_WORLD_PLAYER_H
#define PLATFORM_WORLD_PLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "hvsim/trace.h"
#include "hvsim/world.h"

#define WORLD_MAX_STORMS 64

/* What a level provides. Times are the level's cycles. */
struct world_hooks {
  void *ctx;
  /* A record from the world (kind HV_TR_WORLD or HV_TR_MGMT), time filled
   * in by the level. */
  void (*trace)(void *ctx, uint16_t kind, uint16_t partition, uint64_t a, uint64_t b, uint64_t c);
  /* A physical interrupt on an LP. */
  void (*irq)(void *ctx, uint32_t lp, uint8_t vector);
  /* The root's management queue (in the root's memory). */
  struct mgmt_channel *(*channel)(void *ctx);
  /* A device action: the event's arg names the scenario action. NULL on a
   * level without device models (the plan then has no such events). */
  void (*device)(void *ctx, const struct world_event *e);
};

struct world_storm {
  uint64_t next, left, period;
  uint32_t lp;
  uint8_t vector;
};

struct world_player {
  const struct world_event *ev;
  const struct mgmt_request *reqs;
  uint32_t nev, nreqs;
  uint64_t cycles_per_us;
  uint32_t nlps;
  uint32_t next;        /* the next non-sample event */
  uint32_t next_sample; /* the next sample */
  struct world_storm storms[WORLD_MAX_STORMS];
  uint32_t nstorms;
};

void world_player_init(struct world_player *p, const struct world_event *ev, uint32_t nev,
                       const struct mgmt_request *reqs, uint32_t nreqs, uint64_t cycles_per_us,
                       uint32_t nlps);
/* Do what is due at now (cycles); returns the time of the next world
 * event, or UINT64_MAX when the plan is done. */
uint64_t world_play(struct world_player *p, uint64_t now, const struct world_hooks *h);
/* Scenario nanoseconds in the level's cycles. */
uint64_t world_cycles(const struct world_player *p, uint64_t ns);

#endif /* PLATFORM_WORLD_PLAYER_H */
