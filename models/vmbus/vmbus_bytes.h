/*
 * vmbus_bytes.h — little-endian fields of VMBus wire formats (channel
 * messages, ring descriptors, vstor, NVSP, RNDIS), read and written byte
 * by byte so that no buffer alignment is assumed, and the small copies
 * freestanding code needs. Shared by the server, the providers, the
 * client and the VSC programs.
 */
#ifndef MODELS_VMBUS_BYTES_H
#define MODELS_VMBUS_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t vmbus_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t vmbus_le64(const uint8_t *p) { return vmbus_le32(p) | (uint64_t)vmbus_le32(p + 4) << 32; }

static inline void vmbus_put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static inline void vmbus_put_le64(uint8_t *p, uint64_t v) {
  vmbus_put_le32(p, (uint32_t)v);
  vmbus_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void vmbus_bzero(void *p, size_t n) {
  uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    b[i] = 0;
}

static inline void vmbus_bcopy(void *d, const void *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    ((uint8_t *)d)[i] = ((const uint8_t *)s)[i];
}

#endif /* MODELS_VMBUS_BYTES_H */
