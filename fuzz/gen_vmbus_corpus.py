#!/usr/bin/python3
"""gen_vmbus_corpus.py — writes the vmbus harness's seed corpus and dictionary.

  fuzz/corpus/vmbus/*   scripts of the vmbus-script guest program (the format is
                        documented in models/child/hostile/vmbus_script.c): each device's
                        protocol done right (vstor initialisation and every SCSI
                        command, NVSP with a receive buffer and RNDIS frames, the
                        integration components' answers), the channel protocol's
                        corners (GPADL bodies, teardown, close and reopen, unload
                        before offers), and the attacks of scenarios/vmbus-hostile
  fuzz/vmbus.dict       message types, operation codes and magic values

Run from anywhere: /usr/bin/python3 fuzz/gen_vmbus_corpus.py. Deterministic.
"""

import os
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(FUZZ, "corpus", "vmbus")

STORAGE, NETWORK, HEARTBEAT, SHUTDOWN, TIMESYNC = 1, 2, 3, 4, 5
FIRST_GPADL = 0xE1E10          # vmbus_client.c: handles count up after each contact
BUF_PFN = 0x100                # pages 0x100..0x1FF: free for buffers (vmbus_script.c)
INBAND, GPA_DIRECT, COMP = 0, 1, 2  # the script's packet type codes


def u8(v): return struct.pack("<B", v & 0xFF)
def u16(v): return struct.pack("<H", v & 0xFFFF)
def u32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def u64(v): return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


# ---- operations (vmbus_script.c) ---------------------------------------------
def op_open(relid, out_pages=4, in_pages=4):
    return u8(0) + u8(relid - 1) + u8(out_pages - 2) + u8(in_pages - 2)


def op_close(relid): return u8(1) + u8(relid)


def op_send(relid, body, type_code=INBAND, ext=b"", tid=1, flags=1):
    assert len(ext) % 8 == 0 and len(ext) <= 80 and len(body) <= 4096
    return (u8(2) + u8(relid) + u8(type_code) + u8(flags) + u32(tid) + u8(len(ext) // 8) + u16(len(body))
            + ext + body)


def op_poke(relid, off, data, in_ring=False):
    return u8(3) + u8(relid) + u8(1 if in_ring else 0) + u16(off) + u8(len(data)) + data


def op_signal(relid): return u8(4) + u8(relid)
def op_drain(relid, word=0):
    """Take the host's packets; each is marked with its body's u32 number word."""
    return u8(5) + u8(relid) + u8(word)
def op_wait(n=100): return u8(6) + u8(n)


def op_msg(body):
    return u8(7) + u8(len(body)) + body


def machine(pfn):
    """A GPADL token naming page pfn of the machine (a multiple of 64)."""
    assert pfn % 64 == 0 and pfn // 64 < 0x8000
    return 0x8000 | (pfn // 64)


def op_gpadl(relid, toks):
    """toks: our own page numbers (< 0x8000), or machine(pfn)."""
    return u8(8) + u8(relid) + u8(len(toks) - 1) + b"".join(u16(t) for t in toks)


def op_unload(): return u8(9)


def op_big_gpadl(relid, pages, first=0x100):
    """A GPADL of pages x 4 KiB over our pages from first on (wrapping at the end of our RAM)."""
    return u8(11) + u8(relid) + u16(pages) + u16(first)


def op_fill(pfn, data, off=0):
    """data into our buffer page pfn (0x100..0x1FF) at off."""
    assert BUF_PFN <= pfn < BUF_PFN + 0x100 and off + len(data) <= 4096
    return u8(10) + u8(pfn - BUF_PFN) + u16(off) + u16(len(data)) + data


def gpa_range(byte_count, pfns, byte_offset=0):
    """A GPA-direct packet's extension: one range."""
    return u32(0) + u32(1) + u32(byte_count) + u32(byte_offset) + b"".join(u64(p) for p in pfns)


# ---- vstor ---------------------------------------------------------------------
def vstor(op, srb=b"", flags=1):
    body = u32(op) + u32(flags) + u32(0) + srb
    return body + bytes(64 - len(body))


def srb(cdb, data_in, length, target=0, lun=0, path=0):
    s = bytearray(0x34)
    s[0:2] = u16(0x34)
    s[5], s[6], s[7] = path, target, lun
    s[8] = len(cdb)
    s[9] = 20
    s[10] = 1 if data_in else 0
    s[12:16] = u32(length)
    s[16:16 + len(cdb)] = cdb
    return bytes(s)


def be32(v): return struct.pack(">I", v)


def cdb10(op, lba, count): return bytes([op, 0]) + be32(lba) + bytes([0, count >> 8, count & 0xFF, 0])


def cdb16(op, lba, count): return bytes([op, 0]) + struct.pack(">Q", lba) + be32(count) + bytes(2)


def scsi(cdb, data_in, nbytes, pfn=BUF_PFN, tid=1, target=0, lun=0):
    npfn = max(1, (nbytes + 4095) // 4096)
    return op_send(STORAGE, vstor(3, srb(cdb, data_in, nbytes, target, lun)), GPA_DIRECT,
                   gpa_range(nbytes, list(range(pfn, pfn + npfn))), tid)


def storage_init():
    return (op_open(STORAGE) + op_send(STORAGE, vstor(7), tid=1) + op_send(STORAGE, vstor(9, u16(0x0602) + bytes(2)), tid=2)
            + op_send(STORAGE, vstor(10), tid=3) + op_send(STORAGE, vstor(8), tid=4) + op_wait() + op_drain(STORAGE))


# ---- NVSP / RNDIS --------------------------------------------------------------
def nvsp(*words):
    b = b"".join(u32(w) for w in words)
    return b + bytes(32 - len(b))


def rndis_frame(dst_vm, src_vm, seq, payload=64):
    frame = (bytes([0x00, 0x15, 0x5D, 0, 0, dst_vm]) + bytes([0x00, 0x15, 0x5D, 0, 0, src_vm]) + bytes([0x88, 0xB5])
             + u32(seq) + bytes(i & 0xFF for i in range(payload)))
    hdr = u32(1) + u32(44 + len(frame)) + u32(36) + u32(len(frame)) + bytes(28)
    return hdr + frame


def rndis_ctl(words, rid, page, tid):
    """An RNDIS control message (type, then the words after length and request id)
    in a GPA-direct range over one of our pages."""
    msg = u32(words[0]) + u32(4 * (len(words) + 2)) + u32(rid) + b"".join(u32(w) for w in words[1:])
    return (op_fill(page, msg) + op_send(NETWORK, nvsp(107, 1, 0xFFFFFFFF, 0), GPA_DIRECT, gpa_range(len(msg), [page]),
                                         tid))


RNDIS_UP = [(2, 1, 0, 0x4000), (4, 0x01010101, 0, 0, 0), (5, 0x0001010E, 4, 20, 0, 0x09)]


def network_up(recv_pages=16):
    recv = FIRST_GPADL + 1  # the ring's GPADL came first
    return (op_open(NETWORK) + op_send(NETWORK, nvsp(1, 0x2, 0x60001), tid=1) + op_send(NETWORK, nvsp(100, 6, 30), tid=2)
            + op_gpadl(NETWORK, list(range(BUF_PFN + 0x20, BUF_PFN + 0x20 + recv_pages)))
            + op_send(NETWORK, nvsp(101, recv, 0xCAFE), tid=3)
            + b"".join(rndis_ctl(w, 1 + i, BUF_PFN + 0x30 + i, 20 + i) for i, w in enumerate(RNDIS_UP))
            + op_wait() + op_drain(NETWORK))


def rndis_send(dst_vm, seq, pfn=BUF_PFN, tid=9):
    msg = rndis_frame(dst_vm, 1, seq)
    return op_fill(pfn, msg) + op_send(NETWORK, nvsp(107, 0, 0xFFFFFFFF, 0), GPA_DIRECT, gpa_range(len(msg), [pfn]), tid)


# ---- integration components -----------------------------------------------------
def ic_answer(relid, msgtype, body=b"", status=0):
    hdr = bytearray(28)
    hdr[4:8] = u32(20 + len(body))
    hdr[8] = 3
    hdr[12:14] = u16(msgtype)
    hdr[14] = 4 if msgtype == 4 else 3
    hdr[18:20] = u16(len(body))
    hdr[20:24] = u32(status)
    hdr[25] = 1 | 4  # transaction, response
    return op_send(relid, bytes(hdr) + body, tid=1, flags=0)


# ---- channel messages -----------------------------------------------------------
def msg(mtype, *words, pad_to=None):
    b = u32(mtype) + u32(0) + b"".join(u32(w) for w in words)
    if pad_to:
        b += bytes(pad_to - len(b))
    return op_msg(b)


def seeds():
    s = {}
    s["storage-init"] = storage_init()
    s["storage-io"] = (storage_init()
                       + scsi(bytes([0x12, 0, 0, 0, 36, 0]), True, 36, tid=10)
                       + scsi(cdb10(0x25, 0, 0), True, 8, tid=11)
                       + scsi(cdb10(0x2A, 4, 8), False, 4096, tid=12)
                       + scsi(cdb10(0x28, 4, 8), True, 4096, tid=13)
                       + scsi(cdb16(0x8A, 16, 16), False, 8192, tid=14)
                       + scsi(cdb16(0x88, 16, 16), True, 8192, tid=15)
                       + scsi(bytes([0x35] + [0] * 9), False, 0, tid=16)
                       + op_wait(200) + op_drain(STORAGE))
    s["storage-bad-commands"] = (storage_init()
                                 + scsi(cdb10(0x28, 0xFFFFFFF0, 8), True, 4096, tid=20)   # past the end
                                 + scsi(cdb10(0x28, 0, 8), True, 512, tid=21)             # length mismatch
                                 + scsi(bytes([0xC0] + [0] * 11), True, 64, tid=22)       # unknown opcode
                                 + op_send(STORAGE, vstor(77), tid=24)                   # unknown operation
                                 + op_send(STORAGE, vstor(9, u16(0x0700) + bytes(2)), tid=25)  # newer version
                                 + op_send(STORAGE, vstor(3, srb(bytes([0x28]), True, 0)[:30]), tid=26)  # SRB cut
                                 + op_wait(200) + op_drain(STORAGE)
                                 + scsi(cdb10(0x2A, 0, 1), False, 512, pfn=0x7FFF, tid=23)  # buffer outside RAM
                                 + op_wait(200))
    s["storage-scsi-target"] = (storage_init()
                                + scsi(bytes([0x00] * 6), False, 0, tid=30)                       # TEST UNIT READY
                                + scsi(bytes([0x12, 1, 0x00, 0, 64, 0]), True, 64, tid=31)         # VPD pages
                                + scsi(bytes([0x12, 1, 0x83, 0, 64, 0]), True, 64, tid=32)
                                + scsi(bytes([0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0]), True, 64, tid=33)
                                + scsi(bytes([0x9E, 0x10]) + bytes(8) + be32(32) + bytes(2), True, 32, tid=34)
                                + scsi(bytes([0x1A, 0, 0x3F, 0, 64, 0]), True, 64, tid=35)
                                + scsi(bytes([0x12, 0, 0, 0, 36, 0]), True, 36, tid=36, target=1)
                                + scsi(bytes([0x42] + [0] * 9), False, 0, tid=37)                 # UNMAP: refused
                                + op_wait(200) + op_drain(STORAGE, 10))
    s["network-up"] = network_up()
    s["network-frames"] = (network_up() + scsi(cdb10(0x28, 0, 1), True, 512)  # no storage channel: refused quietly
                           + rndis_send(3, 0) + rndis_send(0xFF, 1) + op_wait(250) + op_drain(NETWORK)
                           + op_wait(250) + op_drain(NETWORK))
    s["network-storage-frame"] = (storage_init() + network_up() + op_fill(BUF_PFN + 1, rndis_frame(3, 1, 0))
                                  + scsi(cdb10(0x2A, 0, 1), False, 512, pfn=BUF_PFN + 1)   # the frame to disk
                                  + scsi(cdb10(0x28, 0, 1), True, 512, pfn=BUF_PFN + 2)    # and back
                                  + op_wait(250) + op_wait(250)    # peer's NIC comes up (RNDIS, filter)
                                  + op_send(NETWORK, nvsp(107, 0, 0xFFFFFFFF, 0), GPA_DIRECT,
                                            gpa_range(len(rndis_frame(3, 1, 0)), [BUF_PFN + 2]), tid=9)
                                  + op_wait(250) + op_drain(NETWORK))
    send = FIRST_GPADL + 2  # after the ring's and the receive buffer's
    frame = rndis_frame(3, 1, 0)
    send_up = (network_up() + op_gpadl(NETWORK, [BUF_PFN + 0x40, BUF_PFN + 0x41])
               + op_send(NETWORK, nvsp(104, send, 0), tid=4) + op_wait(100) + op_drain(NETWORK)
               + op_fill(BUF_PFN + 0x40, frame))
    s["network-send-buffer"] = (send_up + op_send(NETWORK, nvsp(107, 0, 0, len(frame)), tid=5)  # section 0
                                + op_wait(150) + op_drain(NETWORK)
                                + op_send(NETWORK, nvsp(106, 0), tid=8)                       # revoke it
                                + op_send(NETWORK, nvsp(107, 0, 0, len(frame)), tid=9)        # then use it
                                + op_wait(150) + op_drain(NETWORK))
    s["network-send-section-outside"] = (send_up + op_send(NETWORK, nvsp(107, 0, 1, len(frame)), tid=6)
                                         + op_wait(150))                                      # no section 1
    s["network-send-section-too-long"] = (send_up + op_send(NETWORK, nvsp(107, 0, 0, 7000), tid=7)
                                          + op_wait(150))                                     # more than a section
    s["network-send-buffer-lies"] = (network_up()
                                     + op_send(NETWORK, nvsp(104, FIRST_GPADL, 0), tid=4)          # the ring's GPADL
                                     + op_send(NETWORK, nvsp(104, FIRST_GPADL + 1, 0), tid=5)      # the receive buffer
                                     + op_gpadl(NETWORK, [BUF_PFN + 0x50])                          # too small
                                     + op_send(NETWORK, nvsp(104, send, 0), tid=6)
                                     + op_gpadl(NETWORK, [BUF_PFN + 0x51, BUF_PFN + 0x52])
                                     + op_send(NETWORK, nvsp(104, send + 1, 0), tid=7)
                                     + op_send(NETWORK, nvsp(103, 0), tid=8)                       # revoke receive
                                     + op_wait(150) + op_drain(NETWORK)
                                     + msg(11, NETWORK, send + 1) + op_wait(150))                 # teardown in use
    # each message in its own page: the server reads a page when it takes the packet
    s["network-rndis-control"] = (network_up() + b"".join(rndis_ctl(w, 10 + i, BUF_PFN + 0x60 + i, 30 + i) for i, w in enumerate([
        (4, 0x00010106, 0, 0, 0), (4, 0x00010107, 0, 0, 0), (4, 0x00010114, 0, 0, 0), (4, 0x0001010E, 0, 0, 0),
        (4, 0x01010102, 0, 0, 0), (4, 0x12345678, 0, 0, 0),                    # an OID nobody knows
        (5, 0x0001010E, 4, 0xFFFFFFF0, 0, 1), (5, 0x0001010E, 400, 20, 0, 1),  # info outside the message
        (5, 0x0001010E, 2, 20, 0, 1), (5, 0x00010106, 4, 20, 0, 1),            # too short, a read-only OID
        (5, 0x0001010E, 4, 20, 0, 0x20),                                        # promiscuous
        (8,), (6,), (3,), (2, 1, 0), (77, 1, 2, 3)]))                           # keepalive, reset, halt, short, unknown
        + op_wait(200) + op_drain(NETWORK) + op_wait(200) + op_drain(NETWORK))
    s["network-bad-rndis"] = (network_up() + b"".join(
        op_fill(BUF_PFN + 3, bad) + op_send(NETWORK, nvsp(107, 0, 0xFFFFFFFF, 0), GPA_DIRECT, gpa_range(n, [BUF_PFN + 3]))
        for bad, n in ((u32(2) + bytes(60), 64),                                  # not a packet message
                       (u32(1) + u32(5000) + u32(36) + u32(60) + bytes(48), 64),   # longer than its buffer
                       (u32(1) + u32(64) + u32(0) + u32(60) + bytes(48), 64),      # data before the header ends
                       (u32(1) + u32(64) + u32(36) + u32(0xFFFFFFF0) + bytes(48), 64),  # data length wraps
                       (rndis_frame(3, 1, 0), 40),                                 # range shorter than the header
                       (rndis_frame(3, 1, 0), 3000)))                              # range past one section
        + op_wait(200) + op_drain(NETWORK))
    s["network-recv-buffer-lies"] = (op_open(NETWORK) + op_send(NETWORK, nvsp(1, 0x2, 0x60001), tid=1)
                                     + op_send(NETWORK, nvsp(101, FIRST_GPADL, 0xCAFE), tid=2)     # the ring itself
                                     + op_send(NETWORK, nvsp(101, 0x12345, 0xCAFE), tid=3)         # no such GPADL
                                     + op_gpadl(NETWORK, [BUF_PFN + 0x40])                          # one page
                                     + op_send(NETWORK, nvsp(101, FIRST_GPADL + 1, 0xCAFE), tid=4)
                                     + op_wait(250) + msg(11, NETWORK, FIRST_GPADL + 1)            # teardown in use
                                     + op_wait(250) + op_drain(NETWORK))
    s["ic-answers"] = (op_open(HEARTBEAT) + op_open(SHUTDOWN) + op_open(TIMESYNC) + op_wait(250)
                       + ic_answer(HEARTBEAT, 0) + ic_answer(SHUTDOWN, 0) + ic_answer(TIMESYNC, 0)
                       + op_wait(250) + op_drain(HEARTBEAT) + ic_answer(HEARTBEAT, 1, u64(2) + bytes(32))
                       + ic_answer(SHUTDOWN, 3, bytes(40)) + ic_answer(TIMESYNC, 4, bytes(25))
                       + op_wait(250) + op_drain(HEARTBEAT) + op_drain(TIMESYNC))
    s["ic-lies"] = (op_open(HEARTBEAT) + ic_answer(HEARTBEAT, 1, u64(99)) + op_open(TIMESYNC)
                    + op_send(TIMESYNC, bytes(12), tid=3) + op_wait(200) + op_drain(HEARTBEAT))
    # the attacks of scenarios/vmbus-hostile, one channel each
    s["hostile-scribble"] = (op_open(NETWORK) + op_poke(NETWORK, 4096, bytes([0xA5 ^ i for i in range(64)]))
                             + op_poke(NETWORK, 0, u32(64)) + op_signal(NETWORK) + op_wait(200))
    s["hostile-bad-index"] = (op_open(STORAGE) + op_poke(STORAGE, 0, u32(0x7FFFFFF8)) + op_signal(STORAGE)
                              + op_open(NETWORK) + op_poke(NETWORK, 4, u32(12), in_ring=True) + op_signal(NETWORK)
                              + op_wait(200))
    s["hostile-oversize"] = (op_open(NETWORK, 8, 4) + op_send(NETWORK, bytes(1024)) + op_wait(200)
                             + op_open(STORAGE) + op_send(STORAGE, bytes(4000)) + op_wait(200))
    s["hostile-truncated"] = (op_open(NETWORK) + op_send(NETWORK, u32(1)) + op_open(STORAGE)
                              + op_send(STORAGE, vstor(3)[:40]) + op_wait(200))
    s["hostile-foreign-gpadl"] = (op_gpadl(NETWORK, [machine(0x1000)]) + op_open(NETWORK)
                                  + op_gpadl(STORAGE, [BUF_PFN, machine(0x100000)]) + op_wait(100))
    s["hostile-foreign-buffer"] = (op_open(NETWORK) + op_send(NETWORK, nvsp(107, 0, 0xFFFFFFFF), GPA_DIRECT,
                                                              gpa_range(64, [0x1000]), tid=5)
                                   + storage_init() + scsi(cdb10(0x28, 0, 8), True, 4096, pfn=0x5000)
                                   + op_wait(200))
    s["hostile-pending-mask"] = (storage_init() + op_poke(STORAGE, 8, u32(1), in_ring=True)
                                 + op_poke(STORAGE, 12, u32(0xFFFFFFF0)) + op_poke(STORAGE, 64, u32(0))
                                 + b"".join(op_send(STORAGE, vstor(9, u16(0x0602) + bytes(2)), tid=30 + i)
                                            for i in range(40)) + op_wait(250) + op_drain(STORAGE))
    s["hostile-full-host-ring"] = (op_open(STORAGE, 8, 2) + b"".join(op_send(STORAGE, vstor(10), tid=i)
                                                                      for i in range(120)) + op_wait(250))
    # the channel protocol's corners
    s["protocol-gpadl-body"] = (op_gpadl(STORAGE, list(range(BUF_PFN, BUF_PFN + 40))) + op_open(STORAGE)
                                + msg(11, STORAGE, FIRST_GPADL) + op_wait(100) + op_open(STORAGE) + op_wait(100))
    s["protocol-raw-gpadl"] = (msg(8, STORAGE, 0x77, 8 + 8 * 30 | (1 << 16), 30 * 4096, 0,
                                   *[w for p in range(BUF_PFN, BUF_PFN + 26) for w in (p, 0)])
                               + msg(9, 1, 0x77, *[w for p in range(BUF_PFN + 26, BUF_PFN + 30) for w in (p, 0)])
                               + msg(9, 2, 0x77, BUF_PFN, 0) + msg(5, STORAGE, 1, 0x77, 0, 4, pad_to=148)
                               + op_wait(200) + msg(7, STORAGE) + msg(11, STORAGE, 0x77) + op_wait(100))
    s["protocol-close-reopen"] = (storage_init() + op_close(STORAGE) + op_open(STORAGE, 3, 3) + op_close(STORAGE)
                                  + op_open(STORAGE) + op_send(STORAGE, vstor(7)) + op_wait(100) + op_drain(STORAGE))
    s["protocol-unload-before-offers"] = (op_unload() + msg(14, 0x00040001, 0, pad_to=40) + op_wait(50)
                                          + msg(5, NETWORK, 2, FIRST_GPADL, 0, 2, pad_to=148)
                                          + msg(3) + op_wait(100) + op_open(NETWORK) + op_unload() + op_open(STORAGE)
                                          + op_wait(100))
    s["protocol-odd-messages"] = (msg(14, 0x00050000, 0, pad_to=40) + msg(14, 0x12345678, pad_to=40) + msg(0)
                                  + msg(1) + msg(13, 9) + msg(2, STORAGE) + msg(17) + msg(99) + op_wait(100)
                                  + op_unload() + op_open(STORAGE) + op_wait(50))
    s["protocol-big-gpadls"] = (op_big_gpadl(NETWORK, 4096) + op_big_gpadl(NETWORK, 16385) + op_big_gpadl(NETWORK, 300)
                                + msg(8, NETWORK, FIRST_GPADL, 16 | (1 << 16), 4096, 0, 0x100) + op_wait(50)
                                + msg(11, NETWORK, FIRST_GPADL) + op_big_gpadl(STORAGE, 8191) + op_wait(50))
    s["protocol-v5-messages"] = (msg(14, 0x00050003, 0, 2, pad_to=40) + msg(14, 0x00050002, 0, 3, pad_to=40)
                                 + msg(14, 0x00060000, 0, 2, pad_to=40) + op_open(STORAGE)
                                 + msg(22, STORAGE, 0) + msg(22, NETWORK, 0) + msg(22, STORAGE, 0x7FFFFFFF)
                                 + msg(21, 1, 2, 3, 4, 5, 6, 7, 8, pad_to=40) + msg(18, STORAGE, pad_to=40)
                                 + msg(19, STORAGE) + msg(20) + msg(23) + msg(24, STORAGE, 0)
                                 + op_send(STORAGE, vstor(7), tid=3) + op_wait(100) + op_drain(STORAGE))
    return s


DICT = [
    # channel message types (u32)
    *[("chmsg_%d" % t, u32(t)) for t in range(1, 25)],
    ("ver_win8", u32(0x00020004)), ("ver_win8_1", u32(0x00030000)), ("ver_win10", u32(0x00040000)),
    ("ver_win10_4_1", u32(0x00040001)), ("ver_win10_5", u32(0x00050000)),
    ("ver_win10_5_3", u32(0x00050003)), ("chan_conn_1", u32(0x2001)),
    ("gpadl_first", u32(FIRST_GPADL)), ("gpadl_second", u32(FIRST_GPADL + 1)),
    # vstor operations, SCSI opcodes
    *[("vstor_%d" % o, u32(o)) for o in range(1, 11)], ("vstor_version", u16(0x0602)),
    *[("scsi_%02x" % c, bytes([c])) for c in (0x12, 0x25, 0x28, 0x2A, 0x35, 0x88, 0x8A)],
    # NVSP, RNDIS, switch
    *[("nvsp_%d" % t, u32(t)) for t in (1, 2, 100, 101, 102, 103, 104, 105, 106, 107, 108)],
    ("nvsp_no_section", u32(0xFFFFFFFF)), ("send_section", u32(6144)),
    ("nvsp_v1", u32(0x2)), ("nvsp_v61", u32(0x60001)), ("xfer_pageset", u16(0xCAFE)),
    ("rndis_packet", u32(1)), ("mac_hyperv", bytes([0x00, 0x15, 0x5D])), ("ethertype", bytes([0x88, 0xB5])),
    # ring fields
    ("ring_gap", u32(0xFFFFFFF8)), ("ring_big", u32(0x7FFFFFF8)), ("range_one", u32(1)),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    with open(os.path.join(FUZZ, "vmbus.dict"), "w") as f:
        f.write("# vmbus harness dictionary (generated by fuzz/gen_vmbus_corpus.py)\n")
        for name, b in DICT:
            f.write('%s="%s"\n' % (name, "".join("\\x%02x" % c for c in b)))
    print("gen_vmbus_corpus: %d seeds in %s, %d dictionary entries" % (len(seeds()), OUT, len(DICT)))


if __name__ == "__main__":
    main()
