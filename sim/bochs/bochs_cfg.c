/*
 * bochs_cfg.c — the world's plan (sim/world/plan.c) serialised into the
 * bare-metal image's run description (hvsim/bare_cfg.h), and the option
 * ROM that carries it into Bochs. Refuses, with file:line:col and the
 * level's name, every part of a scenario level 2 cannot play.
 */
#include "bochs_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bochs_refuse(char *err, size_t errlen, const struct scenario *scn, struct scn_pos pos, const char *backend,
                 const char *what) {
  if (pos.line)
    snprintf(err, errlen, "%s:%u:%u: %s (level 2, %s)", scn->path, pos.line, pos.col, what, backend);
  else
    snprintf(err, errlen, "%s: %s (level 2, %s)", scn->path, what, backend);
  return -1;
}

static int cfg_vms(const struct scenario *scn, const char *backend, char *err, size_t errlen) {
  for (uint32_t i = 0; i < scn->npartitions; i++) {
    const struct scn_partition *p = &scn->partitions[i];
    if (p->vps > 16)
      return bochs_refuse(err, errlen, scn, p->pos, backend, "vps: the bare guest runtime runs at most 16 VPs");
    if (p->memory_bytes < (2ull << 20))
      return bochs_refuse(err, errlen, scn, p->pos, backend,
                          "memory: a bare-metal child needs at least 2 MiB (its image is loaded at 1 MiB)");
    for (uint32_t k = 0; k < p->nparams; k++)
      if (p->params[k].is_string)
        return bochs_refuse(err, errlen, scn, p->params[k].pos, backend,
                            "string parameters are not passed to bare-metal guests");
  }
  return 0;
}

static int cfg_plan(const struct scenario *scn, const struct plan *plan, struct bare_cfg *c, const char *backend,
                    char *err, size_t errlen) {
  for (uint32_t i = 0; i < plan->nev; i++) {
    const struct world_event *e = &plan->ev[i];
    if (e->kind == WORLD_EV_DEVICE)
      return bochs_refuse(err, errlen, scn, plan->pos[i], backend,
                          "device actions (assign, unassign, DMA storms, device faults) need the IOMMU and "
                          "device models, which the bare-metal image does not have");
    if (e->kind == WORLD_EV_INTERRUPT && e->lp >= scn->machine.lps)
      return bochs_refuse(err, errlen, scn, plan->pos[i], backend, "interrupt: no such LP");
    if (c->nevents == BARE_MAX_EVENTS)
      return bochs_refuse(err, errlen, scn, plan->pos[i], backend,
                          "more than 128 world events (creations, timeline actions per VM, state checks)");
    struct world_event *out = &c->events[c->nevents++];
    *out = *e;
    if (e->kind != WORLD_EV_MGMT)
      continue;
    if (c->nreqs == BARE_MAX_REQS)
      return bochs_refuse(err, errlen, scn, plan->pos[i], backend, "more than 64 management requests");
    c->reqs[c->nreqs] = plan->reqs[e->arg];
    out->arg = c->nreqs++;
  }
  return 0;
}

int bochs_cfg_build(const struct scenario *scn, const struct plan *plan, const struct run_opts *opts,
                    const char *backend, struct bare_cfg *c, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  c->magic = BARE_CFG_MAGIC;
  c->version = BARE_CFG_VERSION;
  c->size = sizeof *c;
  c->seed = opts->seed;
  c->wall_filetime = scn->machine.wall_filetime;
  if (scn->machine.lps > 8 || scn->machine.lps == 0)
    return bochs_refuse(err, errlen, scn, (struct scn_pos){0, 0}, backend,
                        "machine: lps: the bare-metal image runs at most 8 LPs");
  if (scn->machine.memory_bytes < (32ull << 20) || scn->machine.memory_bytes > (2048ull << 20))
    return bochs_refuse(err, errlen, scn, (struct scn_pos){0, 0}, backend,
                        "machine: memory: Bochs runs the image with 32 MiB to 2 GiB");
  c->memory_bytes = scn->machine.memory_bytes;
  c->cpu_mhz = scn->machine.cpu_mhz;
  c->slice_us = scn->machine.slice_us;
  c->until_ns = plan->until_ns;
  c->lps = scn->machine.lps;
  if (cfg_vms(scn, backend, err, errlen) || cfg_plan(scn, plan, c, backend, err, errlen) ||
      bochs_storage_plan(scn, opts, backend, &c->storage, err, errlen))
    return -1;
  return 0;
}

/* An option ROM (55 AA, length in 512-byte blocks, bytes summing to 0)
 * with the run description at BARE_CFG_ROM_OFFSET. */
int bochs_cfg_write_rom(const char *path, const struct bare_cfg *c) {
  _Static_assert(BARE_CFG_ROM_OFFSET + sizeof(struct bare_cfg) + 1 <= 0x10000,
                 "the run description fits the option-ROM window at 0xD0000");
  size_t len = (BARE_CFG_ROM_OFFSET + sizeof *c + 1 + 511) / 512 * 512;
  uint8_t *rom = calloc(1, len);
  if (!rom)
    return -1;
  rom[0] = 0x55;
  rom[1] = 0xAA;
  rom[2] = (uint8_t)(len / 512);
  memcpy(rom + BARE_CFG_ROM_OFFSET, c, sizeof *c);
  uint8_t sum = 0;
  for (size_t i = 0; i < len - 1; i++)
    sum = (uint8_t)(sum + rom[i]);
  rom[len - 1] = (uint8_t)(0x100 - sum);
  FILE *f = fopen(path, "wb");
  size_t n = f ? fwrite(rom, 1, len, f) : 0;
  free(rom);
  if (!f)
    return -1;
  return (fclose(f) == 0 && n == len) ? 0 : -1;
}
