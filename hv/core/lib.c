/*
 * lib.c — the few memory primitives the freestanding core needs.
 * Part of the hypervisor core; no libc headers below hv/. The compiler's
 * builtins are used for copy and fill: like GCC and Clang themselves in
 * freestanding mode, they rely on the platform providing memcpy and
 * memset symbols (the C library in the simulator, hv/arch/x86/lib.c in
 * the bare-metal image).
 */
#include "hv.h"

void hv_memset(void *d, int c, size_t n) { __builtin_memset(d, c, n); }

void hv_memcpy(void *d, const void *s, size_t n) { __builtin_memcpy(d, s, n); }

int hv_memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y)
      return *x < *y ? -1 : 1;
  return 0;
}
