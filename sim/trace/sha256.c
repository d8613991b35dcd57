/*
 * sha256.c — SHA-256 as specified in FIPS 180-4: constants (4.2.2), initial
 * hash value (5.3.3), padding (5.1.1), message schedule and compression
 * (6.2.2). Big-endian word order on any host.
 */
#include "sha256.h"

#include <stdio.h>
#include <string.h>

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots
 * of the first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
    0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
    0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
    0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
    0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
    0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
    0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
    0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static inline uint32_t sha256_rotr(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32u - n));
}

static inline uint32_t sha256_load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* FIPS 180-4 6.2.2: process one 512-bit block. */
static void sha256_compress(uint32_t h[8], const uint8_t blk[64]) {
  uint32_t w[64];
  for (unsigned t = 0; t < 16; t++)
    w[t] = sha256_load_be32(blk + 4 * t);
  for (unsigned t = 16; t < 64; t++) {
    uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^
                  (w[t - 15] >> 3);
    uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^
                  (w[t - 2] >> 10);
    w[t] = s1 + w[t - 7] + s0 + w[t - 16];
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
  for (unsigned t = 0; t < 64; t++) {
    uint32_t S1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + sha256_k[t] + w[t];
    uint32_t S0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void sha256_init(struct sha256_ctx *c) {
  /* FIPS 180-4 5.3.3 */
  static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u,
                                 0xa54ff53au, 0x510e527fu, 0x9b05688cu,
                                 0x1f83d9abu, 0x5be0cd19u};
  memcpy(c->h, h0, sizeof h0);
  memset(c->block, 0, sizeof c->block);
  c->block_len = 0;
  c->total_len = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len) {
  const uint8_t *p = data;
  c->total_len += len;
  if (c->block_len > 0) {
    size_t take = SHA256_BLOCK_LEN - c->block_len;
    if (take > len)
      take = len;
    memcpy(c->block + c->block_len, p, take);
    c->block_len += take;
    p += take;
    len -= take;
    if (c->block_len < SHA256_BLOCK_LEN)
      return;
    sha256_compress(c->h, c->block);
    c->block_len = 0;
  }
  while (len >= SHA256_BLOCK_LEN) {
    sha256_compress(c->h, p);
    p += SHA256_BLOCK_LEN;
    len -= SHA256_BLOCK_LEN;
  }
  memcpy(c->block, p, len);
  c->block_len = len;
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]) {
  /* FIPS 180-4 5.1.1: append 1 bit, zeros to 448 mod 512, then the
   * message length in bits as a 64-bit big-endian integer. */
  uint64_t bits = c->total_len * 8u;
  c->block[c->block_len++] = 0x80;
  if (c->block_len > 56) {
    memset(c->block + c->block_len, 0, SHA256_BLOCK_LEN - c->block_len);
    sha256_compress(c->h, c->block);
    c->block_len = 0;
  }
  memset(c->block + c->block_len, 0, 56 - c->block_len);
  for (unsigned i = 0; i < 8; i++)
    c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_compress(c->h, c->block);
  for (unsigned i = 0; i < 8; i++) {
    out[4 * i + 0] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]) {
  struct sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, data, len);
  sha256_final(&c, out);
}

void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 0xF];
  }
  hex[64] = '\0';
}

int sha256_file(const char *path, uint8_t out[SHA256_DIGEST_LEN]) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  struct sha256_ctx c;
  uint8_t buf[8192];
  size_t n;
  sha256_init(&c);
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    sha256_update(&c, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad)
    return -1;
  sha256_final(&c, out);
  return 0;
}
