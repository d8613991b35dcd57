/*
 * run_state.c — a whole-simulation checkpoint written to a state file
 * (include/hvsim/state_file.h, kind simulation): the checkpoint's arena
 * blocks, the run's regions, every page of simulated memory that is not
 * zero at that point and the disks' journal position, each a block with
 * its own checksum. The header names the scenario (SHA-256), the seed and
 * the build. Its blocks are meaningful at the arena's address in a
 * process of the same build: loading one into a new process (address
 * space layout fixed, the arena mapped at the recorded base) is the next
 * step (see README, "Checkpoints").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_int.h"
#include "sim/trace/sha256.h"
#include "sim/trace/state_io.h"

#ifndef HVSIM_BUILD_ID
#define HVSIM_BUILD_ID "unknown"
#endif

int run_state_header(const struct scenario *scn, uint64_t seed, struct state_header *h) {
  memset(h, 0, sizeof *h);
  h->kind = HVSTATE_KIND_SIMULATION;
  h->seed = seed;
  snprintf(h->build_id, sizeof h->build_id, "%s", HVSIM_BUILD_ID);
  return sha256_file(scn->path, h->scenario_sha256);
}

int run_checkpoint_write(struct run *r, uint32_t k, const char *path, char *err, size_t errlen) {
  struct ckpt_set *cs = r->host.ckpts;
  if (!cs || k >= cs->n) {
    snprintf(err, errlen, "no checkpoint %u", k);
    return -1;
  }
  const struct ckpt *c = &cs->c[k];
  struct state_header h;
  if (run_state_header(r->scn, r->opts.seed, &h) != 0) {
    snprintf(err, errlen, "%s: cannot read the scenario to hash it", r->scn->path);
    return -1;
  }
  h.position = c->tag;
  h.base = (uint64_t)(uintptr_t)r->host.arena.base;
  struct state_writer w;
  if (state_write_open(&w, path, &h, err, errlen) != 0)
    return -1;
  state_write_block(&w, HVSTATE_BLOCK_ARENA_TABLE, c->brk, c->blocks, c->nblocks * sizeof *c->blocks);
  const uint8_t *o = c->blob;
  for (uint32_t i = 0; i < c->nblocks; i++) {
    if (c->blocks[i].kind == ARENA_FREE)
      continue;
    uint64_t n = c->blocks[i].size - c->skip[i];
    state_write_block(&w, HVSTATE_BLOCK_ARENA, c->blocks[i].off + c->skip[i], o, n);
    o += n;
  }
  for (uint32_t i = 0; i < cs->nregions; i++) {
    state_write_block(&w, HVSTATE_BLOCK_REGION, i, o, cs->region[i].n);
    o += cs->region[i].n;
  }
  for (uint64_t p = 0; p < cs->mem_pages; p++) {
    const uint8_t *pg = ckpt_page_at(cs, k, (uint32_t)p);
    if (pg)
      state_write_block(&w, HVSTATE_BLOCK_PAGE, p, pg, 4096);
  }
  state_write_block(&w, HVSTATE_BLOCK_JOURNAL, c->journal_pos, 0, 0);
  if (state_write_close(&w) != 0) {
    snprintf(err, errlen, "%s: write failed", path);
    return -1;
  }
  return 0;
}

int run_with_checkpoint_files(const struct scenario *scn, const struct run_opts *o, uint64_t every, const char *dir) {
  struct run *r = run_open(scn, o);
  if (!r)
    return 2;
  if (run_checkpoints_enable(r) != 0) {
    fprintf(stderr, "hvsim: out of memory for checkpoints\n");
    run_free(r);
    return 2;
  }
  char path[1200], err[512];
  snprintf(path, sizeof path, "%s/", dir);
  for (char *p = path + 1; *p; p++) /* like mkdir -p */
    if (*p == '/') {
      *p = 0;
      mkdir(path, 0755);
      *p = '/';
    }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "hvsim: %s: cannot create the checkpoint directory\n", dir);
    run_free(r);
    return 2;
  }
  while (!run_advance(r, run_events(r) + every)) {
    int k = run_checkpoint(r);
    snprintf(path, sizeof path, "%s/ckpt-%010llu.hvstate", dir, (unsigned long long)run_events(r));
    if (k < 0 || run_checkpoint_write(r, (uint32_t)k, path, err, sizeof err) != 0) {
      fprintf(stderr, "hvsim: checkpoint: %s\n", k < 0 ? "out of memory" : err);
      run_free(r);
      return 2;
    }
  }
  return run_close(r);
}
