/*
 * world.c — the world of a scenario acting on the bare-metal machine: the
 * plan the runner serialised into the run description (hvsim/bare_cfg.h),
 * played by the same player as the simulator's (platform/world/), with
 * this machine's hooks: world records into the trace stream, physical
 * interrupts raised in the core, management requests onto the root's
 * queue in the root's memory. This is the test harness around the
 * hypervisor, not part of it: the hypervisor never reads the plan.
 */
#include "hv/core/entry.h"
#include "hvsim/bare_cfg.h"
#include "platform/world/world_player.h"
#include "platform_bare.h"

static struct world_player world_player;
static struct hv *world_hv;

static void world_trace(void *ctx, uint16_t kind, uint16_t partition, uint64_t a, uint64_t b, uint64_t c) {
  struct hv_trace_rec r = {platform_now(), kind, HV_TRACE_NONE, HV_TRACE_NONE, partition, a, b, c};
  platform_trace(&r);
}

static void world_irq(void *ctx, uint32_t lp, uint8_t vector) { hv_irq_raise(world_hv, lp, vector); }

static struct mgmt_channel *world_channel(void *ctx) {
  return (struct mgmt_channel *)(uintptr_t)BARE_MGMT_CHANNEL_GPA;
}

static const struct world_hooks world_hooks = {0, world_trace, world_irq, world_channel, 0};

void platform_world_init(struct hv *hv, const struct bare_cfg *cfg) {
  world_hv = hv;
  world_player_init(&world_player, cfg->events, cfg->nevents, cfg->reqs, cfg->nreqs, cfg->cpu_mhz, hv->boot.nlps);
}

uint64_t platform_world(uint64_t now) { return world_play(&world_player, now, &world_hooks); }

uint64_t platform_ns_cycles(uint64_t ns) { return world_cycles(&world_player, ns); }
