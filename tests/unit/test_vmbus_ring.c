/*
 * test_vmbus_ring.c — unit tests of the VMBus ring buffer
 * (models/vmbus/vmbus_ring.c) over plain memory: layout, wrap-around, a
 * full ring, pending-send-size flow control, every signalling decision,
 * and a hostile peer's indices and descriptors.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/vmbus/vmbus_ring.h"

#define RING_BYTES (4096u + 4096u) /* one control page, one data page */

static uint8_t mem[RING_BYTES];

static bool mem_read(void *ctx, uint32_t off, void *buf, uint32_t len) {
  (void)ctx;
  if (off > RING_BYTES || len > RING_BYTES - off)
    return false;
  memcpy(buf, mem + off, len);
  return true;
}

static bool mem_write(void *ctx, uint32_t off, const void *buf, uint32_t len) {
  (void)ctx;
  if (off > RING_BYTES || len > RING_BYTES - off)
    return false;
  memcpy(mem + off, buf, len);
  return true;
}

static struct vmbus_ring ring;

static void setup(void) {
  memset(mem, 0xA5, sizeof mem);
  struct vmbus_ring_io io = {0, mem_read, mem_write};
  cr_assert(vmbus_ring_attach(&ring, &io, RING_BYTES));
  cr_assert_eq(vmbus_ring_init(&ring), VMBUS_RING_OK);
}

static uint32_t ctl(uint32_t off) {
  uint32_t v;
  memcpy(&v, mem + off, 4);
  return v;
}

static void set_ctl(uint32_t off, uint32_t v) { memcpy(mem + off, &v, 4); }

TestSuite(vmbus_ring, .init = setup);

Test(vmbus_ring, init_lays_out_the_control_page) {
  cr_assert_eq(ctl(VMBUS_RING_WRITE_INDEX), 0);
  cr_assert_eq(ctl(VMBUS_RING_READ_INDEX), 0);
  cr_assert_eq(ctl(VMBUS_RING_INTERRUPT_MASK), 0);
  cr_assert_eq(ctl(VMBUS_RING_PENDING_SEND_SZ), 0);
  cr_assert_eq(ctl(VMBUS_RING_FEATURE_BITS), VMBUS_RING_FEAT_PENDING_SEND_SZ);
  cr_assert_eq(ring.data_size, 4096);
  struct vmbus_ring_io io = {0, mem_read, mem_write};
  struct vmbus_ring bad;
  cr_assert_not(vmbus_ring_attach(&bad, &io, 4096));
  cr_assert_not(vmbus_ring_attach(&bad, &io, 8192 + 8));
}

Test(vmbus_ring, packet_layout_descriptor_padding_trailer) {
  bool sig;
  const char body[5] = "abcde";
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 1, 0x1122334455667788ull, 0, 0, body, 5, &sig),
               VMBUS_RING_OK);
  const uint8_t *d = mem + 4096;
  uint16_t f[4];
  memcpy(f, d, 8);
  cr_assert_eq(f[0], VM_PKT_DATA_INBAND);
  cr_assert_eq(f[1], 2);           /* offset8: data right after the descriptor */
  cr_assert_eq(f[2], (16 + 8) / 8); /* len8: descriptor + padded body */
  cr_assert_eq(f[3], 1);
  uint64_t tid, trailer;
  memcpy(&tid, d + 8, 8);
  cr_assert_eq(tid, 0x1122334455667788ull);
  cr_assert_eq(memcmp(d + 16, "abcde\0\0\0", 8), 0);
  memcpy(&trailer, d + 24, 8);
  cr_assert_eq(trailer >> 32, 0); /* started at offset 0 */
  cr_assert_eq(ctl(VMBUS_RING_WRITE_INDEX), 32);
  cr_assert_eq(vmbus_ring_packet_bytes(0, 5), 32);
  cr_assert_eq(vmbus_ring_packet_bytes(8, 64), 96);
}

Test(vmbus_ring, write_then_read_round_trip_and_empty) {
  bool sig;
  uint8_t buf[256];
  struct vmbus_pkt p;
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_EMPTY);
  cr_assert_eq(vmbus_ring_poll(&ring), VMBUS_RING_EMPTY);
  uint64_t ext = 0xEEEE;
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_USING_GPA_DIRECT, 0, 7, &ext, 8, "hello", 5, &sig),
               VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_poll(&ring), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_eq(p.type, VM_PKT_DATA_USING_GPA_DIRECT);
  cr_assert_eq(p.trans_id, 7);
  cr_assert_eq(p.data_off, 24);
  cr_assert_eq(p.len, 32);
  cr_assert_eq(memcmp(buf + 16, &ext, 8), 0);
  cr_assert_eq(memcmp(buf + 24, "hello", 5), 0);
  cr_assert_eq(ctl(VMBUS_RING_READ_INDEX), 40);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_EMPTY);
}

Test(vmbus_ring, wrap_around_many_times) {
  bool sig;
  uint8_t body[200], buf[512];
  struct vmbus_pkt p;
  for (uint32_t i = 0; i < 500; i++) {
    uint32_t len = 1 + (i * 37) % 200;
    for (uint32_t k = 0; k < len; k++)
      body[k] = (uint8_t)(i + k);
    cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, i, 0, 0, body, len, &sig), VMBUS_RING_OK);
    if (i % 3 == 2)
      continue; /* let packets accumulate, read in bursts */
    while (vmbus_ring_poll(&ring) == VMBUS_RING_OK) {
      cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
      uint32_t n = 1 + ((uint32_t)p.trans_id * 37) % 200;
      for (uint32_t k = 0; k < n; k++)
        cr_assert_eq(buf[16 + k], (uint8_t)(p.trans_id + k), "packet %lu byte %u", (unsigned long)p.trans_id, k);
    }
  }
}

Test(vmbus_ring, full_ring_refuses_and_keeps_a_gap) {
  bool sig;
  uint8_t body[1000] = {0}, buf[1100];
  struct vmbus_pkt p;
  int n = 0;
  while (vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, body, sizeof body, &sig) == VMBUS_RING_OK)
    n++;
  /* 4 x 1024 bytes would fill the 4096-byte area exactly, which would look
   * empty: only 3 fit. */
  cr_assert_eq(n, 3);
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, body, sizeof body, &sig), VMBUS_RING_FULL);
  cr_assert_eq(ctl(VMBUS_RING_WRITE_INDEX), 3072);
  cr_assert_eq(vmbus_ring_free(4096, 3072, 0), 1016);
  cr_assert_eq(vmbus_ring_free(4096, 0, 0), 4088);
  cr_assert_eq(vmbus_ring_free(4096, 0, 1024), 1016);
  /* never fits */
  uint8_t big[4096];
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, big, sizeof big, &sig), VMBUS_RING_TOO_BIG);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, body, sizeof body, &sig), VMBUS_RING_OK);
}

Test(vmbus_ring, signal_decisions_writer) {
  cr_assert(vmbus_ring_signal_after_write(0, 64, 64));     /* was empty, not masked */
  cr_assert_not(vmbus_ring_signal_after_write(1, 64, 64)); /* was empty, masked */
  cr_assert_not(vmbus_ring_signal_after_write(0, 64, 32)); /* reader still busy */
  cr_assert_not(vmbus_ring_signal_after_write(1, 64, 32));
}

Test(vmbus_ring, signal_decisions_reader) {
  cr_assert_not(vmbus_ring_signal_after_read(0, 10, 5000));     /* nobody waits */
  cr_assert(vmbus_ring_signal_after_read(1024, 1000, 2000));    /* crossed */
  cr_assert(vmbus_ring_signal_after_read(1024, 1000, 1024));    /* exactly enough */
  cr_assert_not(vmbus_ring_signal_after_read(1024, 500, 1000)); /* still not enough */
  cr_assert_not(vmbus_ring_signal_after_read(1024, 1024, 2000));/* had room already: signalled before */
  cr_assert_not(vmbus_ring_signal_after_read(7, 0, 4000));      /* low bits carry nothing */
}

Test(vmbus_ring, signal_on_write_follows_the_rules) {
  bool sig;
  uint8_t buf[64];
  struct vmbus_pkt p;
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 1, 0, 0, "a", 1, &sig), VMBUS_RING_OK);
  cr_assert(sig, "empty -> non-empty");
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 2, 0, 0, "b", 1, &sig), VMBUS_RING_OK);
  cr_assert_not(sig, "already non-empty");
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_mask(&ring, 1), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 3, 0, 0, "c", 1, &sig), VMBUS_RING_OK);
  cr_assert_not(sig, "masked");
}

Test(vmbus_ring, flow_control_pending_send_size) {
  bool sig;
  uint8_t body[1000] = {0}, buf[1100];
  struct vmbus_pkt p;
  for (int i = 0; i < 3; i++)
    cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, body, sizeof body, &sig), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, body, sizeof body, &sig), VMBUS_RING_FULL);
  cr_assert_eq(vmbus_ring_set_pending(&ring, 1024), VMBUS_RING_OK);
  cr_assert_eq(ctl(VMBUS_RING_PENDING_SEND_SZ), 1024);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert(sig, "free went 1016 -> 2040: crosses 1024");
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_not(sig, "writer was already told");
  cr_assert_eq(vmbus_ring_set_pending(&ring, 0), VMBUS_RING_OK);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
  cr_assert_not(sig, "nobody waits");
}

Test(vmbus_ring, hostile_indices_are_errors) {
  bool sig;
  uint8_t buf[64];
  struct vmbus_pkt p;
  set_ctl(VMBUS_RING_WRITE_INDEX, 4096); /* outside the data area */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_INDEX);
  cr_assert_eq(vmbus_ring_poll(&ring), VMBUS_RING_BAD_INDEX);
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, "x", 1, &sig), VMBUS_RING_BAD_INDEX);
  set_ctl(VMBUS_RING_WRITE_INDEX, 12); /* unaligned */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_INDEX);
  set_ctl(VMBUS_RING_WRITE_INDEX, 0);
  set_ctl(VMBUS_RING_READ_INDEX, 0xFFFFFFF8u);
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_INDEX);
}

Test(vmbus_ring, hostile_descriptors_are_errors) {
  bool sig;
  uint8_t buf[64];
  struct vmbus_pkt p;
  cr_assert_eq(vmbus_ring_write(&ring, VM_PKT_DATA_INBAND, 0, 0, 0, 0, "abcdefgh", 8, &sig), VMBUS_RING_OK);
  uint16_t *f = (uint16_t *)(mem + 4096);
  f[2] = 0x200; /* len8 claims 4 KiB: more than was published */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_PACKET);
  f[2] = 1; /* shorter than a descriptor */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_PACKET);
  f[2] = 3;
  f[1] = 4; /* data offset past the end */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_PACKET);
  f[1] = 2;
  mem[4096 + 24 + 4] ^= 1; /* scribbled trailer */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_PACKET);
  mem[4096 + 24 + 4] ^= 1;
  cr_assert_eq(vmbus_ring_read(&ring, buf, 16, &p, &sig), VMBUS_RING_TOO_BIG); /* oversize for the reader */
  cr_assert_eq(ctl(VMBUS_RING_READ_INDEX), 0, "nothing consumed on an error");
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_OK);
}

Test(vmbus_ring, hostile_write_index_behind_the_data) {
  bool sig;
  uint8_t buf[64];
  struct vmbus_pkt p;
  set_ctl(VMBUS_RING_WRITE_INDEX, 8); /* claims 8 bytes: not even a descriptor */
  cr_assert_eq(vmbus_ring_read(&ring, buf, sizeof buf, &p, &sig), VMBUS_RING_BAD_PACKET);
}
