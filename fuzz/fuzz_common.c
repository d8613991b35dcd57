/*
 * fuzz_common.c — input reader and oracle failure report (fuzz_common.h).
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t fz_uint(struct fz_in *in, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; i++) {
    if (in->n == 0) {
      in->exhausted = true;
      break;
    }
    v |= (uint64_t)in->p[0] << (8 * i);
    in->p++;
    in->n--;
  }
  return v;
}

size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out) {
  size_t k = max < in->n ? max : in->n;
  if (k < max)
    in->exhausted = true;
  *out = in->p;
  in->p += k;
  in->n -= k;
  return k;
}

FZ_NO_ASAN bool fz_equal(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  uint64_t diff = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    memcpy(&u, x + i, 8);
    memcpy(&v, y + i, 8);
    diff |= u ^ v;
  }
  for (; i < n; i++)
    diff |= (uint64_t)(x[i] ^ y[i]);
  return diff == 0;
}

static char fz_ctx[256];
static void (*fz_describe)(char *buf, size_t len);

void fz_set_describe(void (*fn)(char *buf, size_t len)) { fz_describe = fn; }

void fz_context(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fz_ctx, sizeof fz_ctx, fmt, ap);
  va_end(ap);
}

_Noreturn void fz_fail(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (fz_describe)
    fz_describe(fz_ctx, sizeof fz_ctx);
  fprintf(stderr, "hvsim-fuzz: ORACLE FAILED: %s\nhvsim-fuzz: during: %s\n", msg,
          fz_ctx[0] ? fz_ctx : "(setup)");
  fflush(stderr);
  abort();
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
/* AddressSanitizer's defaults for the harnesses (ASAN_OPTIONS still wins):
 * a smaller quarantine, so the VP contexts an input creates and the
 * reset frees are reused instead of faulting in fresh pages every run. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }
#endif

bool fz_verbose(void) {
  static int v = -1;
  if (v < 0) {
    const char *e = getenv("HVSIM_FUZZ_TRACE");
    v = e && *e && strcmp(e, "0") != 0;
  }
  return v != 0;
}
