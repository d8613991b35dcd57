/*
 * engine.c — the simulated machine and its event loop.
 *
 * LPs advance independently, each on its own virtual clock; the loop
 * always steps the LP with the smallest clock (ties: lowest index), and
 * lets it run at most SIM_SKEW cycles past the next-slowest LP, so that
 * what one LP does to another (a wake-up, an interrupt) lands within
 * that window. World events (scenario actions, device interrupts) run
 * when the clocks reach their time, before any LP step at the same time.
 * An LP with nothing to run is parked until it is kicked (IPI) or a world
 * event targets it. Same inputs, same order: byte-identical traces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv/core/objects.h"
#include "arena.h"
#include "hvsim/root_boot.h"
#include "sim.h"

#define SIM_SKEW 5000 /* cycles an LP may run ahead of the slowest other LP */
#define SIM_PROGRESS_STEPS (1u << 18)

static void sim_boot_root(struct sim *s) {
  uint64_t first, n;
  hv_root_ram(s->hv, &first, &n);
  struct root_boot rb = {ROOT_BOOT_MAGIC, first, n, s->nlps, 0, s->seed, s->wall_filetime};
  memcpy(s->mem + (first << 12), &rb, sizeof rb);
  s->dirty[first] = 1;
  s->root_boot_gpa = first << 12;
  for (uint32_t i = 0; i < s->nlps; i++) {
    struct hv_vp *vp = vp_get(s->hv, 0, i, 0);
    vp->arch.gpr[6] = s->root_boot_gpa;
  }
}

/* The memory of the last machine destroyed, all zero again, kept for the
 * next one of the same size: a program that builds many machines (the
 * vmbus fuzzer, the benchmarks) pays for zero-filled page faults once, and
 * each machine after that for zeroing the pages the last one wrote. Host
 * state of the simulator, invisible to the simulation: a machine starts
 * from zeroed memory either way. */
static struct {
  bool on;
  uint8_t *mem, *dirty;
  uint64_t bytes;
  struct hv *hv;
} sim_spare;

void sim_recycle_memory(bool on) {
  sim_spare.on = on;
  coro_recycle_stacks(on); /* the VPs' stacks as well */
}

static bool sim_verify_recycle(void) {
  const char *v = getenv("HVSIM_VERIFY_RECYCLE");
  return v && *v && strcmp(v, "0") != 0;
}

/* Zero what the machine wrote and keep its memory (see sim_spare); false
 * when it cannot be kept (the caller unmaps it). */
static bool sim_mem_keep(struct sim *s) {
  uint64_t pages = s->mem_bytes >> 12;
  if (!sim_spare.on || !s->recycle || !s->dirty || !s->hv || sim_spare.mem || s->arena)
    return false;
  /* the hypervisor's boot reservation (the PFN database) is written
   * through its direct pointer, without marks */
  for (uint64_t p = s->hv->pfn_first; p < s->hv->pfn_first + s->hv->hv_pages && p < pages; p++)
    s->dirty[p] = 1;
  for (uint64_t p = 0; p < pages; p++)
    if (s->dirty[p]) {
      memset(s->mem + (p << 12), 0, 4096);
      s->dirty[p] = 0;
    }
  if (sim_verify_recycle())
    for (uint64_t i = 0; i < s->mem_bytes; i++)
      if (s->mem[i]) {
        fprintf(stderr, "hvsim: internal error: page 0x%llx written without a dirty mark\n",
                (unsigned long long)(i >> 12));
        abort();
      }
  sim_spare.mem = s->mem, sim_spare.dirty = s->dirty, sim_spare.bytes = s->mem_bytes, sim_spare.hv = s->hv;
  return true;
}

void *sim_alloc(struct sim *s, size_t n) { return s->arena ? arena_alloc(s->arena, n) : calloc(1, n); }

void *sim_realloc(struct sim *s, void *p, size_t n) {
  return s->arena ? arena_realloc(s->arena, p, n) : realloc(p, n);
}

void sim_free(struct sim *s, void *p) {
  if (s->arena)
    arena_free(s->arena, p);
  else
    free(p);
}

int sim_create(struct sim *s, const struct sim_config *cfg, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  s->arena = cfg->arena;
  s->costs = sim_default_costs;
  s->nlps = cfg->lps;
  s->seed = cfg->seed;
  s->wall_filetime = cfg->wall_filetime;
  s->mgmt.seed = cfg->seed;
  s->mem_bytes = cfg->memory_bytes;
  if (s->arena) { /* a run that can be checkpointed: its own memory */
    s->mem = mmap(0, s->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    s->hv = arena_alloc(s->arena, sizeof *s->hv);
    s->dirty = calloc(s->mem_bytes >> 12 ? s->mem_bytes >> 12 : 1, 1);
  } else if (sim_spare.mem && sim_spare.bytes == s->mem_bytes) {
    s->mem = sim_spare.mem, s->dirty = sim_spare.dirty, s->hv = sim_spare.hv;
    sim_spare.mem = 0, sim_spare.dirty = 0, sim_spare.hv = 0, sim_spare.bytes = 0;
  } else {
    if (sim_spare.mem) { /* a different size: let it go */
      munmap(sim_spare.mem, sim_spare.bytes);
      free(sim_spare.dirty);
      free(sim_spare.hv);
      sim_spare.mem = 0, sim_spare.dirty = 0, sim_spare.hv = 0, sim_spare.bytes = 0;
    }
    s->mem = mmap(0, s->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    s->hv = calloc(1, sizeof *s->hv);
    s->dirty = calloc(s->mem_bytes >> 12 ? s->mem_bytes >> 12 : 1, 1);
  }
  if (s->mem == MAP_FAILED || !s->hv || !s->dirty) {
    snprintf(err, errlen, "cannot allocate %llu bytes of simulated memory",
             (unsigned long long)s->mem_bytes);
    if (s->mem != MAP_FAILED)
      munmap(s->mem, s->mem_bytes);
    sim_free(s, s->hv);
    free(s->dirty);
    memset(s, 0, sizeof *s);
    return -1;
  }
  s->recycle = true;
  s->hv->arch.sim = s;
  struct hv_boot boot = {
      .nlps = cfg->lps,
      .mem_base = 0,
      .mem_pages = cfg->memory_bytes >> 12,
      .slice_cycles = cfg->cpu_mhz * cfg->slice_us,
      .cycles_per_100ns = cfg->cpu_mhz / 10 ? cfg->cpu_mhz / 10 : 1,
  };
  hv_status_t st = hv_init(s->hv, &boot);
  if (st != HV_STATUS_SUCCESS) {
    snprintf(err, errlen, "hypervisor boot failed (status 0x%x): machine too small?", st);
    sim_destroy(s);
    return -1;
  }
  for (uint32_t i = 0; i < s->nlps; i++)
    s->hv->lps[i].arch.costs = s->costs.hv;
  sim_boot_root(s);
  if (!cfg->boot_root) {
    for (uint32_t i = 0; i < s->nlps; i++) {
      uint16_t slot;
      struct hv_vp *vp = vp_get(s->hv, 0, i, &slot);
      vp->explicit_suspend = true;
      vp_update_runnable(s->hv, 0, slot);
    }
  }
  return 0;
}

void sim_destroy(struct sim *s) {
  if (s->hv) {
    for (uint32_t i = 0; i < s->hv->vps_hi; i++) {
      struct hv_vp *vp = &s->hv->vps[i];
      if (vp->in_use && vp->arch.vcpu) {
        coro_destroy(&vp->arch.vcpu->coro);
        sim_free(s, vp->arch.vcpu);
        vp->arch.vcpu = 0;
      }
    }
  }
  if (!sim_mem_keep(s)) {
    sim_free(s, s->hv);
    if (s->mem && s->mem != MAP_FAILED)
      munmap(s->mem, s->mem_bytes);
    free(s->dirty);
  }
  sim_free(s, s->gone);
  memset(s, 0, sizeof *s);
}

uint64_t sim_time(const struct sim *s) {
  uint64_t t = UINT64_MAX;
  for (uint32_t i = 0; i < s->nlps; i++)
    if (!s->parked[i] && s->hv->lps[i].arch.clock < t)
      t = s->hv->lps[i].arch.clock;
  return t == UINT64_MAX ? s->now : t;
}

void sim_lp_wake(struct sim *s, uint32_t lp, uint64_t t) {
  uint64_t *clk = &s->hv->lps[lp].arch.clock;
  if (s->parked[lp] && *clk < t)
    *clk = t;
  s->parked[lp] = false;
}

void sim_irq(struct sim *s, uint32_t lp, uint8_t vector) {
  sim_lp_wake(s, lp, s->now);
  hv_irq_raise(s->hv, lp, vector);
}

/* The LP to step: smallest clock among the unparked, lowest index first. */
static int sim_pick(const struct sim *s) {
  int best = -1;
  for (uint32_t i = 0; i < s->nlps; i++)
    if (!s->parked[i] && (best < 0 || s->hv->lps[i].arch.clock < s->hv->lps[best].arch.clock))
      best = (int)i;
  return best;
}

/* The earliest hypervisor timer (arch_lp_timer) of a parked LP. */
static int sim_parked_timer(const struct sim *s, uint64_t *t) {
  int lp = -1;
  *t = UINT64_MAX;
  for (uint32_t i = 0; i < s->nlps; i++)
    if (s->parked[i] && s->lp_timer[i] && s->lp_timer[i] < *t)
      *t = s->lp_timer[i], lp = (int)i;
  return lp;
}

static uint64_t sim_boundary(const struct sim *s, int best, uint64_t next_ev, uint64_t until) {
  uint64_t b = next_ev < until ? next_ev : until;
  uint64_t now = s->hv->lps[best].arch.clock;
  for (uint32_t j = 0; j < s->nlps; j++) /* stop at a hypervisor timer: it fires on time */
    if (s->lp_timer[j] > now && s->lp_timer[j] < b)
      b = s->lp_timer[j];
  for (uint32_t j = 0; j < s->nlps; j++) {
    if ((int)j == best || s->parked[j])
      continue;
    uint64_t c = s->hv->lps[j].arch.clock + SIM_SKEW;
    if (c < b)
      b = c;
  }
  return b;
}

void sim_run(struct sim *s, uint64_t until, sim_world_fn world, void *ctx, uint64_t first_event,
             void (*progress)(void *ctx, struct sim *s), void *pctx) {
  if (!s->running) {
    s->running = true;
    s->next_ev = world ? first_event : UINT64_MAX;
  }
  uint64_t next_ev = s->next_ev;
  while (!s->stop) {
    if (s->pause) { /* a step boundary: everything the run is, is in the machine */
      s->pause = false;
      s->next_ev = next_ev;
      return;
    }
    int best = sim_pick(s);
    uint64_t t_lp = best < 0 ? UINT64_MAX : s->hv->lps[best].arch.clock;
    /* A parked LP's timer due before the next world event fires first (with
     * every LP parked, t_lp alone would let the world jump ahead of it);
     * at equal times the world goes first. */
    uint64_t t_timer;
    int timer_lp = sim_parked_timer(s, &t_timer);
    if (timer_lp >= 0 && t_timer <= t_lp && t_timer < next_ev && t_timer < until) {
      sim_lp_wake(s, (uint32_t)timer_lp, t_timer); /* the LP's timer interrupt */
      continue;
    }
    if (next_ev != UINT64_MAX && next_ev <= t_lp) {
      if (next_ev >= until)
        break;
      s->now = next_ev;
      next_ev = world(ctx, s, next_ev);
      continue;
    }
    if (best < 0 || t_lp >= until)
      break;
    s->boundary = sim_boundary(s, best, next_ev, until);
    s->now = t_lp;
    if (!hv_lp_step(s->hv, (uint32_t)best))
      s->parked[best] = true;
    if (++s->steps % SIM_PROGRESS_STEPS == 0 && progress)
      progress(pctx, s);
  }
  s->next_ev = next_ev;
  s->ended = true;
  s->now = until != UINT64_MAX && sim_time(s) > until ? until : sim_time(s);
}
