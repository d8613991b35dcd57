/*
 * bochs_cfg.c — a scenario translated into the bare-metal image's run
 * description (models/guest/bare/bootcfg.h), and the option ROM that
 * carries it into Bochs. Refuses, with file:line:col, every scenario
 * element the image does not execute.
 */
#include "bochs_int.h"

#include <stdio.h>
#include <string.h>

static int cfg_refuse(char *err, size_t errlen, const struct scenario *scn, struct scn_pos pos,
                      const char *what) {
  if (pos.line)
    snprintf(err, errlen, "%s:%u:%u: %s", scn->path, pos.line, pos.col, what);
  else
    snprintf(err, errlen, "%s: %s", scn->path, what);
  return -1;
}

static int cfg_vms(const struct scenario *scn, struct bare_cfg *c, char *err, size_t errlen) {
  if (scn->npartitions > BARE_MAX_VMS)
    return cfg_refuse(err, errlen, scn, scn->partitions[BARE_MAX_VMS].pos,
                      "the bare-metal image runs at most 8 VMs");
  c->nvms = scn->npartitions;
  for (uint32_t i = 0; i < scn->npartitions; i++) {
    const struct scn_partition *p = &scn->partitions[i];
    struct bare_vm *v = &c->vms[i];
    if (p->vps > 16)
      return cfg_refuse(err, errlen, scn, p->pos, "vps: the bare guest runtime runs at most 16 VPs");
    if (p->memory_bytes < (2ull << 20))
      return cfg_refuse(err, errlen, scn, p->pos,
                        "memory: a bare-metal child needs at least 2 MiB (its image is "
                        "loaded at 1 MiB)");
    snprintf(v->name, sizeof v->name, "%s", p->name);
    snprintf(v->program, sizeof v->program, "%s", p->program);
    v->memory_bytes = p->memory_bytes;
    v->vps = p->vps;
    v->explicit_create = p->explicit_create;
    for (uint32_t k = 0; k < p->nparams; k++) {
      if (p->params[k].is_string)
        return cfg_refuse(err, errlen, scn, p->params[k].pos,
                          "string parameters are not passed to bare-metal guests");
      if (v->nparams == BARE_MAX_PARAMS)
        return cfg_refuse(err, errlen, scn, p->params[k].pos, "more than 16 parameters");
      snprintf(v->params[v->nparams].key, sizeof v->params[v->nparams].key, "%s",
               p->params[k].key);
      v->params[v->nparams++].value = p->params[k].value;
    }
  }
  return 0;
}

static int cfg_actions(const struct scenario *scn, struct bare_cfg *c, char *err, size_t errlen) {
  static const uint32_t mgmt[] = {
      [SCN_ACT_CREATE] = 1, [SCN_ACT_START] = 2, [SCN_ACT_STOP] = 3,
      [SCN_ACT_PAUSE] = 4,  [SCN_ACT_RESUME] = 5, [SCN_ACT_DELETE] = 6,
  };
  if (scn->nactions > BARE_MAX_ACTIONS)
    return cfg_refuse(err, errlen, scn, scn->actions[BARE_MAX_ACTIONS].pos,
                      "the bare-metal image runs at most 64 timeline actions");
  c->nactions = scn->nactions;
  for (uint32_t i = 0; i < scn->nactions; i++) {
    const struct scn_action *a = &scn->actions[i];
    struct bare_action *b = &c->actions[i];
    b->at_ns = a->at_ns;
    if (a->kind == SCN_ACT_INTERRUPT) {
      if (a->irq.count > 1)
        return cfg_refuse(err, errlen, scn, a->pos,
                          "interrupt storms (count > 1) are not supported on Bochs yet");
      if (a->irq.lp >= scn->machine.lps)
        return cfg_refuse(err, errlen, scn, a->pos, "interrupt: no such LP");
      b->kind = BARE_ACT_INTERRUPT;
      b->ntargets = 2;
      b->targets[0] = a->irq.vector;
      b->targets[1] = a->irq.lp;
      continue;
    }
    if ((unsigned)a->kind >= sizeof mgmt / sizeof mgmt[0] || !mgmt[a->kind])
      return cfg_refuse(err, errlen, scn, a->pos, "this action is not supported on Bochs");
    b->kind = mgmt[a->kind];
    b->ntargets = a->ntargets;
    for (uint32_t k = 0; k < a->ntargets; k++)
      b->targets[k] = a->targets[k];
  }
  return 0;
}

static int cfg_expects(const struct scenario *scn, char *err, size_t errlen) {
  for (uint32_t i = 0; i < scn->nexpects; i++)
    if (scn->expects[i].kind == SCN_EXP_FAIR)
      return cfg_refuse(err, errlen, scn, scn->expects[i].pos,
                        "fairness expectations need per-VP cycle statistics the Bochs "
                        "runner does not collect yet");
  return 0;
}

uint64_t bochs_until_ns(const struct scenario *scn) {
  if (scn->until_ns)
    return scn->until_ns;
  uint64_t last = 0;
  for (uint32_t i = 0; i < scn->nactions; i++)
    if (scn->actions[i].at_ns > last)
      last = scn->actions[i].at_ns;
  for (uint32_t i = 0; i < scn->nexpects; i++)
    if (scn->expects[i].kind == SCN_EXP_STATE && scn->expects[i].at_ns > last)
      last = scn->expects[i].at_ns;
  return last + BOCHS_DEFAULT_TAIL_NS;
}

int bochs_cfg_build(const struct scenario *scn, uint64_t seed, struct bare_cfg *c, char *err,
                    size_t errlen) {
  memset(c, 0, sizeof *c);
  c->magic = BARE_CFG_MAGIC;
  c->version = BARE_CFG_VERSION;
  c->size = sizeof *c;
  c->seed = seed;
  if (scn->machine.lps > 8)
    return cfg_refuse(err, errlen, scn, (struct scn_pos){0, 0},
                      "machine: lps: the bare-metal image runs at most 8 LPs");
  if (scn->machine.memory_bytes < (32ull << 20) || scn->machine.memory_bytes > (2048ull << 20))
    return cfg_refuse(err, errlen, scn, (struct scn_pos){0, 0},
                      "machine: memory: Bochs runs the image with 32 MiB to 2 GiB");
  c->memory_bytes = scn->machine.memory_bytes;
  c->cpu_mhz = scn->machine.cpu_mhz;
  c->slice_us = scn->machine.slice_us;
  c->until_ns = bochs_until_ns(scn);
  c->lps = scn->machine.lps;
  if (cfg_vms(scn, c, err, errlen) || cfg_actions(scn, c, err, errlen) ||
      cfg_expects(scn, err, errlen))
    return -1;
  return 0;
}

/* An option ROM (55 AA, length in 512-byte blocks, bytes summing to 0)
 * with the run description at BARE_CFG_ROM_OFFSET. */
int bochs_cfg_write_rom(const char *path, const struct bare_cfg *c) {
  uint8_t rom[BARE_CFG_ROM_OFFSET + sizeof *c + 512];
  size_t len = (BARE_CFG_ROM_OFFSET + sizeof *c + 1 + 511) / 512 * 512;
  memset(rom, 0, sizeof rom);
  rom[0] = 0x55;
  rom[1] = 0xAA;
  rom[2] = (uint8_t)(len / 512);
  memcpy(rom + BARE_CFG_ROM_OFFSET, c, sizeof *c);
  uint8_t sum = 0;
  for (size_t i = 0; i < len - 1; i++)
    sum = (uint8_t)(sum + rom[i]);
  rom[len - 1] = (uint8_t)(0x100 - sum);
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = fwrite(rom, 1, len, f);
  return (fclose(f) == 0 && n == len) ? 0 : -1;
}
