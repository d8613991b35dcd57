/*
 * lib.c — the memory symbols a freestanding C compiler may call on its own
 * (for struct copies and zeroing: memset, memcpy, memmove, memcmp), for
 * the bare-metal image. The core itself uses hv_memset/hv_memcpy.
 *
 * Whole quadwords first (REP STOSQ / MOVSQ), the tail by bytes: on Bochs
 * (built with its debugger, so without its repeat speed-ups) every
 * iteration of a REP string instruction is one instruction of the clock,
 * and a page zeroed by bytes cost 4,096 where quadwords cost 512.
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n) {
  void *r = d;
  size_t q = n / 8, b = n % 8;
  uint64_t v = (uint8_t)c * 0x0101010101010101ull;
  __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(b) : "a"(v) : "memory");
  return r;
}

void *memcpy(void *d, const void *s, size_t n) {
  void *r = d;
  size_t q = n / 8, b = n % 8;
  __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(b) : : "memory");
  return r;
}

void *memmove(void *d, const void *s, size_t n) {
  uint8_t *dp = d;
  const uint8_t *sp = s;
  if (dp <= sp || dp >= sp + n)
    return memcpy(d, s, n);
  while (n--)
    dp[n] = sp[n];
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y)
      return *x < *y ? -1 : 1;
  return 0;
}
