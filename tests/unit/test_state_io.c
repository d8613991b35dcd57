/*
 * test_state_io.c — state files (sim/trace/state_io.c, the format of
 * include/hvsim/state_file.h): a written file reads back block for
 * block; a file of another build, scenario, seed or kind is refused; a
 * truncated file and a file with one byte changed are refused with a
 * message naming the first bad block, and no block reaches the reader.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/trace/state_io.h"

static char path[256];

static void header_fill(struct state_header *h) {
  memset(h, 0, sizeof *h);
  h->kind = HVSTATE_KIND_SIMULATION;
  h->seed = 7;
  sha256_buf("scenario", 8, h->scenario_sha256);
  snprintf(h->build_id, sizeof h->build_id, "build-a");
  h->position = 1234;
  h->base = 0x7f0000000000ull;
}

/* header, then blocks: table (24 bytes), two pages, a journal mark, end */
static void file_write(void) {
  char d[] = "/tmp/test_state_io.XXXXXX";
  cr_assert_not_null(mkdtemp(d));
  snprintf(path, sizeof path, "%s/s.hvstate", d);
  struct state_header h;
  header_fill(&h);
  struct state_writer w;
  char err[256];
  cr_assert_eq(state_write_open(&w, path, &h, err, sizeof err), 0, "%s", err);
  uint8_t table[24], page[4096];
  for (int i = 0; i < 24; i++)
    table[i] = (uint8_t)i;
  state_write_block(&w, HVSTATE_BLOCK_ARENA_TABLE, 0x4000, table, sizeof table);
  for (int p = 0; p < 2; p++) {
    memset(page, 0x50 + p, sizeof page);
    state_write_block(&w, HVSTATE_BLOCK_PAGE, 0x100 + (uint64_t)p, page, sizeof page);
  }
  state_write_block(&w, HVSTATE_BLOCK_JOURNAL, 3, 0, 0);
  cr_assert_eq(state_write_close(&w), 0);
}

static long file_size(void) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

static void file_flip(long at) {
  FILE *f = fopen(path, "r+b");
  cr_assert_not_null(f);
  fseek(f, at, SEEK_SET);
  int c = fgetc(f);
  fseek(f, at, SEEK_SET);
  fputc(c ^ 0x20, f);
  fclose(f);
}

struct seen {
  int n;
  uint32_t type[8];
  uint64_t key[8], bytes[8];
  uint8_t first[8];
};

static int collect(void *ctx, uint32_t type, uint64_t key, const uint8_t *data, uint64_t n) {
  struct seen *s = ctx;
  if (s->n < 8) {
    s->type[s->n] = type, s->key[s->n] = key, s->bytes[s->n] = n;
    s->first[s->n] = n ? data[0] : 0;
  }
  s->n++;
  return 0;
}

/* Read with this build's expectations; returns state_read's result. */
static int file_read(struct seen *s, const struct state_header *expect, char *err, size_t errlen) {
  struct state_header got;
  memset(s, 0, sizeof *s);
  return state_read(path, expect, &got, collect, s, err, errlen);
}

Test(state_io, round_trip) {
  file_write();
  struct state_header want, got;
  header_fill(&want);
  struct seen s;
  char err[512] = "";
  memset(&s, 0, sizeof s);
  cr_assert_eq(state_read(path, &want, &got, collect, &s, err, sizeof err), 0, "%s", err);
  cr_assert_eq(got.position, 1234);
  cr_assert_eq(got.base, 0x7f0000000000ull);
  cr_assert_str_eq(got.build_id, "build-a");
  cr_assert_eq(s.n, 4);
  cr_assert_eq(s.type[0], HVSTATE_BLOCK_ARENA_TABLE);
  cr_assert_eq(s.bytes[0], 24);
  cr_assert_eq(s.type[1], HVSTATE_BLOCK_PAGE);
  cr_assert_eq(s.key[2], 0x101);
  cr_assert_eq(s.first[2], 0x51);
  cr_assert_eq(s.type[3], HVSTATE_BLOCK_JOURNAL);
  cr_assert_eq(s.key[3], 3);
}

Test(state_io, refuses_another_build_scenario_seed_or_kind) {
  file_write();
  struct state_header want;
  struct seen s;
  char err[512];
  header_fill(&want);
  snprintf(want.build_id, sizeof want.build_id, "build-b");
  cr_assert_eq(file_read(&s, &want, err, sizeof err), -1);
  cr_assert(strstr(err, "written by build build-a, this is build build-b"), "%s", err);
  header_fill(&want);
  sha256_buf("other", 5, want.scenario_sha256);
  cr_assert_eq(file_read(&s, &want, err, sizeof err), -1);
  cr_assert(strstr(err, "taken from another scenario"), "%s", err);
  header_fill(&want);
  want.seed = 8;
  cr_assert_eq(file_read(&s, &want, err, sizeof err), -1);
  cr_assert(strstr(err, "seed 7, this run's is 8"), "%s", err);
  header_fill(&want);
  want.kind = HVSTATE_KIND_VM;
  cr_assert_eq(file_read(&s, &want, err, sizeof err), -1);
  cr_assert(strstr(err, "kind 1, not 2"), "%s", err);
  cr_assert_eq(s.n, 0, "no block of a refused file reaches the reader");
}

Test(state_io, truncated_names_the_block) {
  file_write();
  long size = file_size();
  /* blocks: 0 table at 256 (56 + 24), 1 page at 336, 2 page at 4488, 3 journal at 8640, 4 end at 8696 */
  struct { long cut; const char *want; } cases[] = {
      {100, "truncated in its header"},
      {256 + 30, "block 0 (at byte 256) is missing or cut short"},
      {336 + 56 + 100, "block 1 (page 0x100, at byte 336) needs 4096 payload bytes"},
      {8640 + 56, "block 4 (at byte 8696) is missing"},
  };
  cr_assert_eq(size, 8696 + 56);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    file_write();
    cr_assert_eq(truncate(path, cases[i].cut), 0);
    struct seen s;
    char err[512];
    cr_assert_eq(file_read(&s, 0, err, sizeof err), -1, "cut at %ld read", cases[i].cut);
    cr_assert(strstr(err, cases[i].want), "cut at %ld: %s", cases[i].cut, err);
    cr_assert_eq(s.n, 0);
  }
}

Test(state_io, corrupt_byte_names_the_block) {
  struct { long at; const char *want; } cases[] = {
      {20, "header checksum mismatch"},
      {256 + 56 + 5, "block 0 (arena table 0x4000, at byte 256): checksum mismatch"},
      {4488 + 56 + 4000, "block 2 (page 0x101, at byte 4488): checksum mismatch"},
      {4488 + 24, "block 2 (page 0x101, at byte 4488): checksum mismatch"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    file_write();
    file_flip(cases[i].at);
    struct seen s;
    char err[512];
    cr_assert_eq(file_read(&s, 0, err, sizeof err), -1, "flip at %ld read", cases[i].at);
    cr_assert(strstr(err, cases[i].want), "flip at %ld: %s", cases[i].at, err);
    cr_assert_eq(s.n, 0, "nothing of a damaged file is used");
  }
}

Test(state_io, not_a_state_file) {
  file_write();
  FILE *f = fopen(path, "wb");
  fputs("HVTRACE\0 something else", f);
  fclose(f);
  struct seen s;
  char err[512];
  cr_assert_eq(file_read(&s, 0, err, sizeof err), -1);
  cr_assert(strstr(err, "not an hvsim state file"), "%s", err);
}
