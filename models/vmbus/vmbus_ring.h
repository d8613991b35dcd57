/*
 * vmbus_ring.h — VMBus ring buffers as Hyper-V lays them out (Linux
 * `struct hv_ring_buffer`, OpenVMM vmbus_ring; facts hyperv-abi.md 5.6).
 *
 * One ring = a 4 KiB control page followed by the data pages. The control
 * page holds write_index @0, read_index @4, interrupt_mask @8,
 * pending_send_sz @12, feature_bits @64. The data area carries packets:
 * a 16-byte descriptor (type u16, offset8 u16, len8 u16, flags u16,
 * trans_id u64), the body padded to 8 bytes, then an 8-byte trailer whose
 * high 32 bits are the offset where the packet started. Indices are byte
 * offsets into the data area, multiples of 8, below its size; the ring is
 * never filled completely (full would look empty).
 *
 * The memory behind a ring is reached through an accessor: a child reads
 * its own GPAs, the root copies a child's GPADL pages through the
 * hypervisor, a unit test uses a plain array. Everything read back from
 * the shared pages comes from the other side of a trust boundary: every
 * index is checked before use, and a packet is copied out whole before it
 * is parsed. A lying peer gets an error status, never a crash.
 *
 * Freestanding: <stdint.h>, <stdbool.h>, <stddef.h> only.
 */
#ifndef MODELS_VMBUS_RING_H
#define MODELS_VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMBUS_RING_CTRL_BYTES 4096u
#define VMBUS_RING_WRITE_INDEX 0u
#define VMBUS_RING_READ_INDEX 4u
#define VMBUS_RING_INTERRUPT_MASK 8u
#define VMBUS_RING_PENDING_SEND_SZ 12u
#define VMBUS_RING_FEATURE_BITS 64u
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 1u
#define VMBUS_PKT_DESC_BYTES 16u
#define VMBUS_PKT_TRAILER_BYTES 8u

/* Packet types (Linux enum vmbus_packet_type). */
#define VM_PKT_DATA_INBAND 0x6
#define VM_PKT_DATA_USING_GPA_DIRECT 0x9
#define VM_PKT_COMP 0xB
#define VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED 1u

/* Reads and writes of the ring's bytes: off counts from the start of the
 * control page. Return false when the memory is not reachable. */
struct vmbus_ring_io {
  void *ctx;
  bool (*read)(void *ctx, uint32_t off, void *buf, uint32_t len);
  bool (*write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
};

struct vmbus_ring {
  struct vmbus_ring_io io;
  uint32_t data_size; /* bytes of the data area: ours, never read from the ring */
};

enum vmbus_ring_status {
  VMBUS_RING_OK = 0,
  VMBUS_RING_EMPTY = 1,     /* nothing to read */
  VMBUS_RING_FULL = 2,      /* not enough free space; nothing written */
  VMBUS_RING_BAD_INDEX = 3, /* an index is unaligned or outside the data area */
  VMBUS_RING_BAD_PACKET = 4,/* descriptor lengths or the trailer do not add up */
  VMBUS_RING_TOO_BIG = 5,   /* the packet is larger than the reader's buffer / the ring */
  VMBUS_RING_IO = 6,        /* the accessor failed (memory not reachable) */
};

/* A packet copied out of the ring: the descriptor's fields and where the
 * body (after offset8) lies in the caller's buffer. */
struct vmbus_pkt {
  uint16_t type, flags;
  uint64_t trans_id;
  uint32_t len;       /* whole packet without trailer, bytes (len8 * 8) */
  uint32_t data_off;  /* offset8 * 8: start of the data in the buffer */
};

/* Set up a ring over size bytes of memory (control page + data pages;
 * size a multiple of 4 KiB, at least 8 KiB). Returns false otherwise. */
bool vmbus_ring_attach(struct vmbus_ring *r, const struct vmbus_ring_io *io, uint32_t size);
/* The writer's initialisation: indices 0, mask 0, pending 0, feature bits
 * FEAT_PENDING_SEND_SZ. Returns VMBUS_RING_OK or VMBUS_RING_IO. */
int vmbus_ring_init(struct vmbus_ring *r);

/* Free bytes for a writer, keeping the 8-byte gap (Linux and OpenVMM
 * ring_free): read > write ? read - write - 8 : size - (write - read) - 8. */
uint32_t vmbus_ring_free(uint32_t size, uint32_t write, uint32_t read);
/* Bytes of the packet with descriptor, extension, body and trailer. */
uint32_t vmbus_ring_packet_bytes(uint32_t ext_len, uint32_t body_len);
/* Writer signals after publishing: the reader may be waiting only when
 * the ring was empty before (read == old write) and it did not mask. */
bool vmbus_ring_signal_after_write(uint32_t interrupt_mask, uint32_t old_write, uint32_t read);
/* Reader signals after consuming: the blocked writer asked for pending
 * bytes; signal when the free space crossed it (before < pending <= after). */
bool vmbus_ring_signal_after_read(uint32_t pending, uint32_t free_before, uint32_t free_after);

/* Write one packet: descriptor (type, flags, trans_id), ext_len bytes of
 * extension (a multiple of 8, before the data offset), body_len bytes of
 * body. *signal says whether the reader must be interrupted. Returns OK,
 * FULL (nothing written), TOO_BIG (can never fit), BAD_INDEX, IO. */
int vmbus_ring_write(struct vmbus_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *ext,
                     uint32_t ext_len, const void *body, uint32_t body_len, bool *signal);
/* Copy the next packet (descriptor onwards, without trailer) into buf of
 * cap bytes, validate it, consume it. *signal: the writer is blocked and
 * now has room. Returns OK, EMPTY, TOO_BIG, BAD_INDEX, BAD_PACKET, IO;
 * on an error nothing is consumed. */
int vmbus_ring_read(struct vmbus_ring *r, void *buf, uint32_t cap, struct vmbus_pkt *pkt, bool *signal);
/* Whether a packet waits (OK: yes, EMPTY: no, or an index error). */
int vmbus_ring_poll(struct vmbus_ring *r);
/* Reader: set (1) or clear (0) interrupt_mask. */
int vmbus_ring_mask(struct vmbus_ring *r, uint32_t mask);
/* Writer: ask to be signalled when bytes are free (0: not waiting). */
int vmbus_ring_set_pending(struct vmbus_ring *r, uint32_t bytes);

#endif /* MODELS_VMBUS_RING_H */
