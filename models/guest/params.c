/*
 * params.c — reading a program's parameters from its boot block.
 * Guest software, freestanding.
 */
#include "guest.h"

static bool params_equal(const char *a, const char *b) {
  size_t i = 0;
  for (; i < 31 && a[i] && a[i] == b[i]; i++)
    ;
  return i == 31 || a[i] == b[i];
}

uint64_t guest_param(const struct guest_boot *b, const char *key, uint64_t def) {
  uint32_t n = b->nparams < GUEST_MAX_PARAMS ? b->nparams : GUEST_MAX_PARAMS;
  for (uint32_t i = 0; i < n; i++)
    if (params_equal(b->params[i].key, key))
      return b->params[i].value;
  return def;
}
