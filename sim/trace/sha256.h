/*
 * sha256.h — SHA-256 (FIPS 180-4 section 6.2) with a streaming interface.
 *
 * Used for the scenario-file hash in trace headers and for the digest of a
 * run's event sequence. Host code (sim/); no allocation, no global state.
 */
#ifndef SIM_SHA256_H
#define SIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64

struct sha256_ctx {
  uint32_t h[8];                   /* intermediate hash value H(i) */
  uint8_t block[SHA256_BLOCK_LEN]; /* partial message block */
  size_t block_len;                /* bytes held in block */
  uint64_t total_len;              /* message length so far, bytes */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Pads, finishes and writes the 32-byte digest; c must be re-initialised
 * before reuse. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]);
/* One-shot hash of a buffer. */
void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* Lower-case hex of a digest into hex[65] (NUL-terminated). */
void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char hex[65]);
/* Hash the file at path. Returns 0, or -1 (errno set) if it cannot be read. */
int sha256_file(const char *path, uint8_t out[SHA256_DIGEST_LEN]);

#endif /* SIM_SHA256_H */
