/*
 * state_io.c — reading and writing state files (see state_io.h and
 * include/hvsim/state_file.h).
 */
#include "state_io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void state_put(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t state_get(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void state_errf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

const char *state_block_name(uint32_t type) {
  switch (type) {
  case HVSTATE_BLOCK_END: return "end";
  case HVSTATE_BLOCK_ARENA_TABLE: return "arena table";
  case HVSTATE_BLOCK_ARENA: return "arena";
  case HVSTATE_BLOCK_REGION: return "region";
  case HVSTATE_BLOCK_PAGE: return "page";
  case HVSTATE_BLOCK_JOURNAL: return "journal";
  default: return type >= HVSTATE_BLOCK_VM_FIRST ? "vm" : "unknown";
  }
}

static void state_encode_header(uint8_t *b, const struct state_header *h) {
  memset(b, 0, HVSTATE_HEADER_BYTES);
  memcpy(b, HVSTATE_MAGIC, 8);
  state_put(b + 8, HVSTATE_VERSION, 4);
  state_put(b + 12, h->kind, 4);
  state_put(b + 16, HVSTATE_HEADER_BYTES, 4);
  state_put(b + 24, h->seed, 8);
  memcpy(b + 32, h->scenario_sha256, 32);
  strncpy((char *)b + 64, h->build_id, HVSTATE_BUILD_ID_LEN - 1);
  state_put(b + 128, h->position, 8);
  state_put(b + 136, h->base, 8);
  sha256_buf(b, 224, b + 224);
}

int state_write_open(struct state_writer *w, const char *path, const struct state_header *h, char *err,
                     size_t errlen) {
  memset(w, 0, sizeof *w);
  w->f = fopen(path, "wb");
  if (!w->f) {
    state_errf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  uint8_t b[HVSTATE_HEADER_BYTES];
  state_encode_header(b, h);
  if (fwrite(b, 1, sizeof b, w->f) != sizeof b)
    w->error = 1;
  return 0;
}

void state_write_block(struct state_writer *w, uint32_t type, uint64_t key, const void *data, uint64_t n) {
  uint8_t b[HVSTATE_BLOCK_HEADER_BYTES], pad[8] = {0};
  memset(b, 0, sizeof b);
  state_put(b, type, 4);
  state_put(b + 8, key, 8);
  state_put(b + 16, n, 8);
  sha256_buf(n ? data : pad, n, b + 24);
  if (fwrite(b, 1, sizeof b, w->f) != sizeof b || (n && fwrite(data, 1, n, w->f) != n) ||
      fwrite(pad, 1, (8 - n % 8) % 8, w->f) != (8 - n % 8) % 8)
    w->error = 1;
  w->blocks++;
}

int state_write_close(struct state_writer *w) {
  state_write_block(w, HVSTATE_BLOCK_END, w->blocks, 0, 0);
  int rc = fclose(w->f) != 0 || w->error ? -1 : 0;
  memset(w, 0, sizeof *w);
  return rc;
}

static int state_check_header(const char *path, const uint8_t *b, uint64_t size, const struct state_header *expect,
                              struct state_header *got, char *err, size_t errlen) {
  if (size < 8 || memcmp(b, HVSTATE_MAGIC, 8) != 0) {
    state_errf(err, errlen, "%s: not an hvsim state file (bad magic)", path);
    return -1;
  }
  if (size < HVSTATE_HEADER_BYTES) {
    state_errf(err, errlen, "%s: truncated in its header (%llu bytes)", path, (unsigned long long)size);
    return -1;
  }
  uint8_t sum[32];
  sha256_buf(b, 224, sum);
  if (memcmp(sum, b + 224, 32) != 0) {
    state_errf(err, errlen, "%s: header checksum mismatch (the header is corrupt)", path);
    return -1;
  }
  uint32_t version = (uint32_t)state_get(b + 8, 4);
  if (version != HVSTATE_VERSION || state_get(b + 16, 4) != HVSTATE_HEADER_BYTES) {
    state_errf(err, errlen, "%s: format version %u, this build reads version %u", path, version, HVSTATE_VERSION);
    return -1;
  }
  memset(got, 0, sizeof *got);
  got->kind = (uint32_t)state_get(b + 12, 4);
  got->seed = state_get(b + 24, 8);
  memcpy(got->scenario_sha256, b + 32, 32);
  memcpy(got->build_id, b + 64, HVSTATE_BUILD_ID_LEN - 1);
  got->position = state_get(b + 128, 8);
  got->base = state_get(b + 136, 8);
  if (!expect)
    return 0;
  char a[65], e[65];
  if (got->kind != expect->kind) {
    state_errf(err, errlen, "%s: a state file of kind %u, not %u", path, got->kind, expect->kind);
    return -1;
  }
  if (strcmp(got->build_id, expect->build_id) != 0) {
    state_errf(err, errlen, "%s: written by build %s, this is build %s (a state file is read by the build that "
               "wrote it)", path, got->build_id, expect->build_id);
    return -1;
  }
  if (memcmp(got->scenario_sha256, expect->scenario_sha256, 32) != 0) {
    sha256_hex(got->scenario_sha256, a);
    sha256_hex(expect->scenario_sha256, e);
    state_errf(err, errlen, "%s: taken from another scenario (SHA-256 %.16s..., this one's %.16s...)", path, a, e);
    return -1;
  }
  if (got->seed != expect->seed) {
    state_errf(err, errlen, "%s: taken with seed %llu, this run's is %llu", path, (unsigned long long)got->seed,
               (unsigned long long)expect->seed);
    return -1;
  }
  return 0;
}

/* Walk the blocks: check (fn NULL) or deliver. Returns 0 or -1. */
static int state_walk(const char *path, const uint8_t *b, uint64_t size, state_block_fn fn, void *ctx, char *err,
                      size_t errlen) {
  uint64_t at = HVSTATE_HEADER_BYTES;
  for (uint64_t k = 0;; k++) {
    if (at + HVSTATE_BLOCK_HEADER_BYTES > size) {
      state_errf(err, errlen, "%s: truncated: block %llu (at byte %llu) is missing or cut short", path,
                 (unsigned long long)k, (unsigned long long)at);
      return -1;
    }
    const uint8_t *h = b + at;
    uint32_t type = (uint32_t)state_get(h, 4);
    uint64_t key = state_get(h + 8, 8), n = state_get(h + 16, 8);
    if (n > size || at + HVSTATE_BLOCK_HEADER_BYTES + n > size) {
      state_errf(err, errlen, "%s: truncated: block %llu (%s 0x%llx, at byte %llu) needs %llu payload bytes", path,
                 (unsigned long long)k, state_block_name(type), (unsigned long long)key, (unsigned long long)at,
                 (unsigned long long)n);
      return -1;
    }
    const uint8_t *data = h + HVSTATE_BLOCK_HEADER_BYTES;
    if (!fn) {
      uint8_t sum[32];
      sha256_buf(data, n, sum);
      if (memcmp(sum, h + 24, 32) != 0) {
        state_errf(err, errlen, "%s: block %llu (%s 0x%llx, at byte %llu): checksum mismatch", path,
                   (unsigned long long)k, state_block_name(type), (unsigned long long)key, (unsigned long long)at);
        return -1;
      }
    } else if (type != HVSTATE_BLOCK_END && fn(ctx, type, key, data, n) != 0) {
      state_errf(err, errlen, "%s: block %llu (%s 0x%llx) does not fit this run", path, (unsigned long long)k,
                 state_block_name(type), (unsigned long long)key);
      return -1;
    }
    if (type == HVSTATE_BLOCK_END)
      return 0;
    at += HVSTATE_BLOCK_HEADER_BYTES + n + (8 - n % 8) % 8;
  }
}

int state_read(const char *path, const struct state_header *expect, struct state_header *got, state_block_fn fn,
               void *ctx, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    state_errf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  uint8_t *b = 0;
  uint64_t size = 0, cap = 0;
  for (;;) {
    if (size == cap) {
      cap = cap ? cap * 2 : 1u << 20;
      uint8_t *nb = realloc(b, cap);
      if (!nb) {
        free(b);
        fclose(f);
        state_errf(err, errlen, "%s: out of memory", path);
        return -1;
      }
      b = nb;
    }
    size_t got_n = fread(b + size, 1, cap - size, f);
    size += got_n;
    if (got_n == 0)
      break;
  }
  fclose(f);
  int rc = state_check_header(path, b, size, expect, got, err, errlen) == 0 &&
                   state_walk(path, b, size, 0, 0, err, errlen) == 0 &&
                   (!fn || state_walk(path, b, size, fn, ctx, err, errlen) == 0)
               ? 0
               : -1;
  free(b);
  return rc;
}
