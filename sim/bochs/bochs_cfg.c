/*
 * bochs_cfg.c — a scenario translated into the bare-metal image's run
 * description (models/guest/bare/bootcfg.h): the world's events prepared
 * as sim/run.c's world acts (management requests for the root's VMMS,
 * device interrupts and storms), and the option ROM that carries it into
 * Bochs. Refuses, with file:line:col, every scenario element the image
 * does not execute (device models).
 */
#include "bochs_int.h"
#include "scenario_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cfg_refuse(char *err, size_t errlen, const struct scenario *scn, struct scn_pos pos,
                      const char *what) {
  if (pos.line)
    snprintf(err, errlen, "%s:%u:%u: %s", scn->path, pos.line, pos.col, what);
  else
    snprintf(err, errlen, "%s: %s", scn->path, what);
  return -1;
}

/* One management request, as sim/run.c's run_mgmt builds it. */
static struct mgmt_request *cfg_req(struct bare_cfg *c, const struct scenario *scn, uint32_t action,
                                    uint32_t part, const struct scn_action *a) {
  struct mgmt_request *q = &c->reqs[c->nreqs];
  memset(q, 0, sizeof *q);
  q->action = action;
  q->vm_id = part + 1;
  if (a && action == MGMT_CONNECT) {
    q->peer_vm = a->targets[1] + 1;
    q->conn_id = a->conn.id;
    q->sint = (uint8_t)a->conn.sint;
    q->flags = (uint16_t)a->conn.flags;
  } else if (a && action == MGMT_ROUTE) {
    q->vector = (uint8_t)a->route.vector;
    q->to_vector = (uint8_t)a->route.to_vector;
    q->vp = a->route.vp;
  }
  if (action == MGMT_CREATE) {
    const struct scn_partition *p = &scn->partitions[part];
    snprintf(q->config.name, sizeof q->config.name, "%s", p->name);
    snprintf(q->config.program, sizeof q->config.program, "%s", p->program);
    q->config.memory_bytes = p->memory_bytes;
    q->config.vps = p->vps;
    scn_kernel_vm_config(p, &q->config);
    for (uint32_t i = 0; i < p->nparams && q->config.nparams < GUEST_MAX_PARAMS; i++) {
      if (p->params[i].is_string)
        continue;
      struct guest_boot_param *bp = &q->config.params[q->config.nparams++];
      snprintf(bp->key, sizeof bp->key, "%s", p->params[i].key);
      bp->value = p->params[i].value;
    }
  }
  return q;
}

static int cfg_event_mgmt(struct bare_cfg *c, const struct scenario *scn, uint64_t at_ns,
                          uint32_t action, uint32_t part, const struct scn_action *a, char *err,
                          size_t errlen) {
  if (c->nevents == BARE_MAX_EVENTS || c->nreqs == BARE_MAX_EVENTS)
    return cfg_refuse(err, errlen, scn, a ? a->pos : scn->partitions[part].pos,
                      "more than 64 world events (creations and timeline actions per VM)");
  cfg_req(c, scn, action, part, a);
  c->events[c->nevents++] = (struct bare_event){.at_ns = at_ns, .kind = BARE_EV_MGMT,
                                                .req = c->nreqs++, .count = 1};
  return 0;
}

static int cfg_vms(const struct scenario *scn, struct bare_cfg *c, char *err, size_t errlen) {
  for (uint32_t i = 0; i < scn->npartitions; i++) {
    const struct scn_partition *p = &scn->partitions[i];
    if (p->vps > 16)
      return cfg_refuse(err, errlen, scn, p->pos, "vps: the bare guest runtime runs at most 16 VPs");
    if (p->memory_bytes < (2ull << 20))
      return cfg_refuse(err, errlen, scn, p->pos,
                        "memory: a bare-metal child needs at least 2 MiB (its image is "
                        "loaded at 1 MiB)");
    if (p->payload)
      return cfg_refuse(err, errlen, scn, p->pos,
                        "payload: the bare-metal root has no platform payloads (level 1 only)");
    for (uint32_t k = 0; k < p->nparams; k++)
      if (p->params[k].is_string)
        return cfg_refuse(err, errlen, scn, p->params[k].pos,
                          "string parameters are not passed to bare-metal guests");
    /* VMs the timeline does not create are created at time 0 (sim/run.c). */
    if (!p->explicit_create && cfg_event_mgmt(c, scn, 0, MGMT_CREATE, i, 0, err, errlen))
      return -1;
  }
  return 0;
}

static int cfg_actions(const struct scenario *scn, struct bare_cfg *c, char *err, size_t errlen) {
  static const uint32_t mgmt[] = {
      [SCN_ACT_CREATE] = MGMT_CREATE, [SCN_ACT_START] = MGMT_START,
      [SCN_ACT_STOP] = MGMT_STOP,     [SCN_ACT_PAUSE] = MGMT_PAUSE,
      [SCN_ACT_RESUME] = MGMT_RESUME, [SCN_ACT_DELETE] = MGMT_DELETE,
      [SCN_ACT_CONNECT] = MGMT_CONNECT, [SCN_ACT_ROUTE] = MGMT_ROUTE,
  };
  for (uint32_t i = 0; i < scn->nactions; i++) {
    const struct scn_action *a = &scn->actions[i];
    if (a->kind == SCN_ACT_INTERRUPT) {
      if (a->irq.lp >= scn->machine.lps)
        return cfg_refuse(err, errlen, scn, a->pos, "interrupt: no such LP");
      if (c->nevents == BARE_MAX_EVENTS)
        return cfg_refuse(err, errlen, scn, a->pos, "more than 64 world events");
      c->events[c->nevents++] = (struct bare_event){
          .at_ns = a->at_ns, .kind = BARE_EV_INTERRUPT, .vector = a->irq.vector,
          .lp = a->irq.lp, .count = a->irq.count ? a->irq.count : 1,
          .period_ns = a->irq.period_ns};
      continue;
    }
    if ((unsigned)a->kind >= sizeof mgmt / sizeof mgmt[0] || !mgmt[a->kind])
      return cfg_refuse(err, errlen, scn, a->pos,
                        "device actions (assign, unassign, DMA storms, device faults) need "
                        "device models the bare-metal image does not have");
    if (a->kind == SCN_ACT_CONNECT || a->kind == SCN_ACT_ROUTE) {
      if (cfg_event_mgmt(c, scn, a->at_ns, mgmt[a->kind], a->targets[0], a, err, errlen))
        return -1;
      continue;
    }
    for (uint32_t k = 0; k < a->ntargets; k++)
      if (cfg_event_mgmt(c, scn, a->at_ns, mgmt[a->kind], a->targets[k], 0, err, errlen))
        return -1;
  }
  return 0;
}

uint64_t bochs_until_ns(const struct scenario *scn) {
  if (scn->until_ns)
    return scn->until_ns;
  uint64_t last = 0; /* as sim/run.c's run_until_ns */
  for (uint32_t i = 0; i < scn->nactions; i++) {
    const struct scn_action *a = &scn->actions[i];
    uint64_t t = a->at_ns + (a->irq.count > 1 ? a->irq.period_ns * a->irq.count : 0);
    if (t > last)
      last = t;
  }
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
  if (scn->machine.lps > 8 || scn->machine.lps == 0)
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
  if (cfg_vms(scn, c, err, errlen) || cfg_actions(scn, c, err, errlen))
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
