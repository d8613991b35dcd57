"""A test per VMBus message (issue 5): each channel-protocol message and each
provider message (vstor and SCSI, NVSP, RNDIS, integration components), sent by
a child running vmbus-script (the vmbus fuzzer's guest program) with the script
built by fuzz/gen_vmbus_corpus.py's helpers, and the root's answer checked:
the server's trace events (kind vmbus: a = op, b = vm id << 32 | relid or
handle, c = version, device, page count or close reason) and the packets the
child took from its rings (guest mark 9: type << 48 | trans id << 32 | the
body word the script asked for).

The world: evil (vm 1, the script, a 64 KiB disk) and peer (vm 2, netvsc,
sending two frames to evil's MAC 00:15:5d:00:00:01 after 0.2 ms).
"""

import os
import sys

import pytest

from hvsim_driver import run
from hvsim_driver.trace import read_trace

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(REPO, "fuzz"))
import gen_vmbus_corpus as g  # noqa: E402  (the script format's helpers)

EVIL = 1
OP_CONTACT, OP_OFFER, OP_GPADL, OP_OPEN, OP_CLOSE, OP_TEARDOWN, OP_KILLED, OP_UNLOAD, OP_GPADL_REFUSED, \
    OP_OPEN_REFUSED, OP_MODIFY, OP_TL_REFUSED = range(1, 13)
INBAND, XFER, COMP = 6, 7, 11
UNSUCCESSFUL = 0xC0000001
MARK_STEP, MARK_PACKET = 8, 9
OP_MSG = 7                        # the script's raw channel message (models/child/vmbus_script.c)
ROOT_MSG_CONN = 0x300000 + EVIL   # the root's message connection into evil (VMBUS_ROOT_MSG_CONN)
VERSION_RESPONSE_BYTES = 16       # VERSION_RESPONSE (and MODIFYCHANNEL_RESPONSE) are 16 bytes
MODIFY_RESPONSE_BYTES = 16
TL_CONNECT_RESULT_BYTES = 44

WORLD = """version: 1
name: vmbus-message
machine: {{ lps: 2, memory: 32MiB }}
until: {until}
partitions:
  - {{ name: evil, memory: 4MiB, program: vmbus-script, payload: script.bin, disk: {{ path: evil.img, size: 64KiB }} }}
  - {{ name: peer, memory: 4MiB, program: vmbus-network, params: {{ self: 2, peer: 1, frames: 2, expect: 0, delay: 400000 }} }}
timeline:
  - {{ at: 0ms, start: [evil, peer] }}
expect:
  - {{ count: {{ event: guest, partition: peer, code: 3 }}, equals: 0 }}
  - {{ count: {{ event: mgmt, status: "!ok" }}, equals: 0 }}
  - {{ isolation: ok }}
"""


class Outcome:
    def __init__(self, events):
        self.events = events
        self.ops = [(ev.a, ev.b & 0xFFFFFFFF, ev.c) for ev in events
                    if ev.kind_name == "vmbus" and ev.b >> 32 == EVIL]
        self.packets = [((ev.b >> 48) & 0xFFFF, (ev.b >> 32) & 0xFFFF, ev.b & 0xFFFFFFFF) for ev in events
                        if ev.kind_name == "guest" and ev.a == MARK_PACKET]

    def count(self, op):
        return sum(1 for o in self.ops if o[0] == op)

    def root_posts_after_step(self, step_op):
        """Sizes of the messages the root posted to evil after the script's
        first operation step_op started (its MARK_STEP)."""
        evs = self.events
        at = next(i for i, ev in enumerate(evs)
                  if ev.kind_name == "guest" and ev.a == MARK_STEP and ev.b >> 32 == step_op)
        return [ev.b >> 32 for ev in evs[at:]
                if ev.kind_name == "msg_post" and ev.partition_name == "root" and ev.a == ROOT_MSG_CONN]

    def answer(self, tid, type_=COMP):
        """The body word of the packet of this type and transaction id."""
        got = [w for t, i, w in self.packets if t == type_ and i == tid]
        assert got, f"no packet type {type_} tid {tid} among {self.packets}"
        return got[0]


@pytest.fixture(autouse=True)
def _binary(hvsim_bin):
    global BINARY
    BINARY = hvsim_bin


BINARY = None


def run_script(tmp_path, script, until="3ms"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "script.bin").write_bytes(script)
    scn = tmp_path / "world.yaml"
    scn.write_text(WORLD.format(until=until))
    out = tmp_path / "trace"
    r = run(scn, trace_dir=out, binary=BINARY)
    assert r.exit_code == 0, r.explain()
    return Outcome(read_trace(out).events)


# ---- the channel protocol ----------------------------------------------------------

@pytest.mark.parametrize("version", [0x00020004, 0x00030000, 0x00040000, 0x00040001])
def test_initiate_contact_accepts_each_version(tmp_path, version):
    o = run_script(tmp_path, g.msg(14, version, 0, pad_to=40))
    assert (OP_CONTACT, 0, version) in o.ops


@pytest.mark.parametrize("version", [0x00050000, 0x00050001, 0x00050002, 0x00050003])
def test_initiate_contact_accepts_5x_with_sint_2(tmp_path, version):
    """5.0 and later name the SINT of the host's messages at offset 16 (Linux
    sets VMBUS_MESSAGE_SINT = 2); the answer names connection 4."""
    o = run_script(tmp_path, g.msg(14, version, 0, 2, pad_to=40))
    assert (OP_CONTACT, 0, version) in o.ops
    assert o.root_posts_after_step(OP_MSG) == [VERSION_RESPONSE_BYTES]


@pytest.mark.parametrize("version,sint", [
    (0x00050000, 0),            # 5.0 asking for its messages on SINT 0: not the SINT we serve
    (0x00050003, 3),
    (0x00060000, 2),            # 6.0 (Copper): not spoken here
    (0x12345678, 2),
])
def test_initiate_contact_refuses_unknown_versions_and_sints(tmp_path, version, sint):
    o = run_script(tmp_path, g.msg(14, version, 0, sint, pad_to=40))
    assert o.count(OP_CONTACT) == 1, "only the program's own contact (5.3) took"
    assert (OP_CONTACT, 0, 0x00050003) in o.ops
    # ... and the server answered this one (VERSION_RESPONSE, not supported)
    # rather than ignoring it
    assert o.root_posts_after_step(OP_MSG) == [VERSION_RESPONSE_BYTES]


def test_signal_on_the_offer_connection_with_flag_0_is_served(tmp_path):
    """Linux signals flag 0 on the offer's own connection id (our client
    does the same): the request on the storage ring is answered."""
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.op_send(g.STORAGE, g.vstor(7), tid=5) + g.op_wait(80)
                   + g.op_drain(g.STORAGE, 2))
    assert o.answer(5) == 0 and o.count(OP_KILLED) == 0


def test_modifychannel_moves_an_open_channel_and_answers_from_5_3(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.msg(22, g.STORAGE, 0) + g.op_wait(20)
                   + g.op_send(g.STORAGE, g.vstor(7), tid=5) + g.op_wait(60) + g.op_drain(g.STORAGE, 2))
    assert (OP_MODIFY, g.STORAGE, 0) in o.ops
    assert o.root_posts_after_step(OP_MSG)[0] == MODIFY_RESPONSE_BYTES
    assert o.answer(5) == 0, "the channel still works after the move"


def test_modifychannel_of_a_closed_channel_is_refused(tmp_path):
    o = run_script(tmp_path, g.msg(22, g.NETWORK, 0))
    assert (OP_MODIFY, g.NETWORK, 5) in o.ops
    assert o.root_posts_after_step(OP_MSG) == [MODIFY_RESPONSE_BYTES]


def test_tl_connect_request_is_refused_with_a_result(tmp_path):
    o = run_script(tmp_path, g.msg(21, 0x11111111, 0, 0, 0, 0x22222222, pad_to=40))
    assert (OP_TL_REFUSED, 0, 0) in o.ops
    assert o.root_posts_after_step(OP_MSG) == [TL_CONNECT_RESULT_BYTES]


@pytest.mark.parametrize("mtype", [18, 19, 20, 23, 24])
def test_reserved_and_host_only_messages_are_ignored(tmp_path, mtype):
    o = run_script(tmp_path, g.msg(mtype, g.STORAGE, 0, pad_to=40))
    assert o.root_posts_after_step(OP_MSG) == []


def test_requestoffers_offers_every_device_again(tmp_path):
    o = run_script(tmp_path, g.msg(3))
    offers = [rel for op, rel, dev in o.ops if op == OP_OFFER]
    assert offers == [1, 2, 3, 4, 5] * 2


def test_gpadl_header_alone(tmp_path):
    o = run_script(tmp_path, g.op_gpadl(g.STORAGE, [0x100, 0x101, 0x102]))
    assert (OP_GPADL, g.FIRST_GPADL, 3) in o.ops


def test_gpadl_header_and_bodies(tmp_path):
    o = run_script(tmp_path, g.op_gpadl(g.STORAGE, list(range(0x100, 0x100 + 60))))
    assert (OP_GPADL, g.FIRST_GPADL, 60) in o.ops


@pytest.mark.parametrize("pages", [2 * 128, 4096, 7936, 8191, 16384])
def test_gpadls_as_large_as_linux_makes_them(tmp_path, pages):
    """hv_netvsc's rings (2 x 128 pages), its 16 MiB receive buffer (4096
    pages), 31 MiB (its maximum: range_buflen is a u16 and wraps past 8190
    pages), up to the documented limit of 64 MiB (VMBUS_GPADL_MAX_PAGES)."""
    o = run_script(tmp_path, g.op_big_gpadl(g.NETWORK, pages) + g.op_wait(50), until="30ms")
    assert (OP_GPADL, g.FIRST_GPADL, pages) in o.ops


def test_gpadl_beyond_the_limit_is_refused_with_a_status(tmp_path):
    o = run_script(tmp_path, g.op_big_gpadl(g.NETWORK, 16385) + g.op_big_gpadl(g.NETWORK, 8) + g.op_wait(50),
                   until="30ms")
    assert (OP_GPADL_REFUSED, g.FIRST_GPADL, 3) in o.ops            # too_big, STATUS_INSUFFICIENT_RESOURCES
    assert (OP_GPADL, g.FIRST_GPADL + 1, 8) in o.ops, "the next one is served"


def test_gpadl_list_pages_are_reused_after_teardown(tmp_path):
    big = g.op_big_gpadl(g.NETWORK, 4096)
    o = run_script(tmp_path, big + g.msg(11, g.NETWORK, g.FIRST_GPADL) + g.op_wait(20) + big + g.op_wait(50),
                   until="30ms")
    assert (OP_TEARDOWN, g.FIRST_GPADL, 0) in o.ops
    assert (OP_GPADL, g.FIRST_GPADL + 1, 4096) in o.ops


def test_gpadl_handle_in_use_is_refused_not_ignored(tmp_path):
    o = run_script(tmp_path, g.op_gpadl(g.STORAGE, [0x100]) + g.msg(8, g.STORAGE, g.FIRST_GPADL, 16 | (1 << 16),
                                                                       4096, 0, 0x101, 0))
    assert (OP_GPADL, g.FIRST_GPADL, 1) in o.ops
    assert (OP_GPADL_REFUSED, g.FIRST_GPADL, 7) in o.ops            # in_use, STATUS_OBJECT_NAME_COLLISION
    assert o.root_posts_after_step(OP_MSG) == [20], "answered with GPADL_CREATED"


def test_many_requests_lose_no_reply(tmp_path):
    o = run_script(tmp_path, g.msg(3) * 12 + g.op_wait(200), until="10ms")
    offers = [rel for op, rel, dev in o.ops if op == OP_OFFER]
    assert len(offers) == 5 * 13 and o.count(13) == 0, "no message dropped"
    assert o.root_posts_after_step(OP_MSG).count(196) == 5 * 12


def test_gpadl_over_a_page_not_owned_is_refused(tmp_path):
    o = run_script(tmp_path, g.op_gpadl(g.STORAGE, [0x100, g.machine(0x1000)]))
    assert (OP_GPADL_REFUSED, g.FIRST_GPADL, 6) in o.ops and o.count(OP_GPADL) == 0


def test_gpadl_header_with_two_ranges_is_refused(tmp_path):
    o = run_script(tmp_path, g.msg(8, g.STORAGE, 0x77, (8 + 8) | (2 << 16), 4096, 0, 0x100, 0))
    assert (OP_GPADL_REFUSED, 0x77, 5) in o.ops


def test_openchannel_and_its_refusal(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.msg(5, g.NETWORK, 2, 0x99, 0, 2, pad_to=148))
    assert (OP_OPEN, g.STORAGE, 1) in o.ops
    assert (OP_OPEN_REFUSED, g.NETWORK, 5) in o.ops


def test_closechannel_then_gpadl_teardown(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.op_close(g.STORAGE))
    assert (OP_CLOSE, g.STORAGE, 0) in o.ops
    assert (OP_TEARDOWN, g.FIRST_GPADL, 0) in o.ops


def test_teardown_of_a_gpadl_in_use_closes_its_channel_first(tmp_path):
    o = run_script(tmp_path, g.op_open(g.NETWORK) + g.msg(11, g.NETWORK, g.FIRST_GPADL) + g.op_wait(50))
    killed = o.ops.index((OP_KILLED, g.NETWORK, 5))
    assert o.ops.index((OP_TEARDOWN, g.FIRST_GPADL, 0)) > killed


def test_relid_released_changes_nothing(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.msg(13, g.STORAGE) + g.op_send(g.STORAGE, g.vstor(7), tid=5)
                   + g.op_wait(50) + g.op_drain(g.STORAGE, 2))
    assert o.count(OP_KILLED) == 0 and o.answer(5) == 0


def test_unload_then_contact_again(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.op_unload() + g.op_open(g.STORAGE))
    assert (OP_UNLOAD, 0, 0) in o.ops
    assert o.count(OP_CONTACT) == 2 and o.count(OP_OPEN) == 2


# ---- storage: vstor and SCSI ----------------------------------------------------------

@pytest.mark.parametrize("op,body,status", [
    (7, b"", 0), (8, b"", 0), (10, b"", 0),                      # begin/end initialisation, query properties
    (9, g.u16(0x0602) + bytes(2), 0),                            # query protocol version: Win10
    (9, g.u16(0x0700) + bytes(2), UNSUCCESSFUL),                 # a version newer than ours
    (77, b"", UNSUCCESSFUL),                                     # no such operation
])
def test_vstor_operation(tmp_path, op, body, status):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.op_send(g.STORAGE, g.vstor(op, body), tid=9)
                   + g.op_wait(60) + g.op_drain(g.STORAGE, 2))
    assert o.answer(9) == status


def _srb_status(word):  # SRB bytes 12..15 of the completion: length u16, srb status, scsi status
    return (word >> 16) & 0xFF, word >> 24


@pytest.mark.parametrize("name,cdb,data_in,nbytes,want", [
    ("inquiry", bytes([0x12, 0, 0, 0, 36, 0]), True, 36, (1, 0)),
    ("read-capacity", g.cdb10(0x25, 0, 0), True, 8, (1, 0)),
    ("write-10", g.cdb10(0x2A, 8, 8), False, 4096, (1, 0)),
    ("read-10", g.cdb10(0x28, 8, 8), True, 4096, (1, 0)),
    ("write-16", g.cdb16(0x8A, 16, 16), False, 8192, (1, 0)),
    ("read-16", g.cdb16(0x88, 16, 16), True, 8192, (1, 0)),
    ("synchronize-cache", bytes([0x35] + [0] * 9), False, 0, (1, 0)),
    ("read-past-the-end", g.cdb10(0x28, 127, 2), True, 1024, (0x84, 2)),   # error + autosense valid
    ("length-mismatch", g.cdb10(0x28, 0, 8), True, 512, (6, 2)),
    ("unknown-opcode", bytes([0xC0] + [0] * 11), True, 64, (0x84, 2)),
    ("test-unit-ready", bytes(6), False, 0, (1, 0)),
    ("synchronize-cache-16", bytes([0x91] + [0] * 15), False, 0, (1, 0)),
])
def test_scsi_command(tmp_path, name, cdb, data_in, nbytes, want):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.scsi(cdb, data_in, nbytes, tid=9) + g.op_wait(100)
                   + g.op_drain(g.STORAGE, 3))
    assert _srb_status(o.answer(9)) == want, name


ILLEGAL_REQUEST = 5


def _scsi_answer(tmp_path, cdb, data_in, nbytes, word, **addr):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.scsi(cdb, data_in, nbytes, tid=9, **addr) + g.op_wait(100)
                   + g.op_drain(g.STORAGE, word))
    return o.answer(9)


@pytest.mark.parametrize("name,cdb,nbytes,returned", [
    ("inquiry-standard", bytes([0x12, 0, 0, 0, 36, 0]), 36, 36),
    ("inquiry-cut-at-allocation-length", bytes([0x12, 0, 0, 0, 8, 0]), 36, 8),
    ("vpd-supported-pages", bytes([0x12, 1, 0x00, 0, 64, 0]), 64, 4 + 5),
    ("vpd-serial", bytes([0x12, 1, 0x80, 0, 64, 0]), 64, 4 + 16),
    ("vpd-identification", bytes([0x12, 1, 0x83, 0, 64, 0]), 64, 4 + 4 + 24),
    ("vpd-block-limits", bytes([0x12, 1, 0xB0, 0, 64, 0]), 64, 4 + 0x3C),
    ("vpd-block-characteristics", bytes([0x12, 1, 0xB1, 0, 64, 0]), 64, 4 + 0x3C),
    ("report-luns", bytes([0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0]), 64, 16),
    ("read-capacity-16", bytes([0x9E, 0x10]) + bytes(8) + g.be32(32) + bytes(2), 32, 32),
    ("mode-sense-6-all", bytes([0x1A, 0, 0x3F, 0, 64, 0]), 64, 4 + 20),
    ("mode-sense-10-caching", bytes([0x5A, 0, 0x08, 0, 0, 0, 0, 0, 64, 0]), 64, 8 + 20),
])
def test_scsi_data_in_commands(tmp_path, name, cdb, nbytes, returned):
    word = _scsi_answer(tmp_path, cdb, True, nbytes, 3)
    assert _srb_status(word) == (1, 0), name
    assert _scsi_answer(tmp_path, cdb, True, nbytes, 6) == returned, name   # data_transfer_length


@pytest.mark.parametrize("name,cdb,data_in,nbytes,asc", [
    ("unknown-opcode", bytes([0xC0] + [0] * 11), True, 64, 0x20),
    ("unmap-refused", bytes([0x42] + [0] * 9), False, 0, 0x20),
    ("write-same-16-refused", bytes([0x93] + [0] * 15), False, 0, 0x20),
    ("vpd-page-we-lack", bytes([0x12, 1, 0x89, 0, 64, 0]), True, 64, 0x24),
    ("page-code-without-evpd", bytes([0x12, 0, 0x80, 0, 64, 0]), True, 64, 0x24),
    ("mode-page-we-lack", bytes([0x1A, 0, 0x1C, 0, 64, 0]), True, 64, 0x24),
    ("service-action-not-rc16", bytes([0x9E, 0x11]) + bytes(14), True, 32, 0x24),
    ("read-past-the-end", g.cdb10(0x28, 127, 2), True, 1024, 0x21),
])
def test_scsi_check_condition_carries_sense(tmp_path, name, cdb, data_in, nbytes, asc):
    sense0 = _scsi_answer(tmp_path, cdb, data_in, nbytes, 7)     # fixed format: 0x70, 0, key, 0
    assert sense0 & 0xFF == 0x70 and (sense0 >> 16) & 0xF == ILLEGAL_REQUEST, (name, hex(sense0))
    assert _scsi_answer(tmp_path, cdb, data_in, nbytes, 10) & 0xFF == asc, name   # sense byte 12


@pytest.mark.parametrize("target,lun", [(1, 0), (0, 1), (0, 7), (3, 2)])
def test_scsi_only_target_0_lun_0_has_a_disk(tmp_path, target, lun):
    word = _scsi_answer(tmp_path, bytes([0x12, 0, 0, 0, 36, 0]), True, 36, 3, target=target, lun=lun)
    assert _srb_status(word)[0] == 0x20, "SRB_STATUS_INVALID_LUN: no device there"


def test_scsi_buffer_not_owned_closes_the_channel(tmp_path):
    o = run_script(tmp_path, g.op_open(g.STORAGE) + g.scsi(g.cdb10(0x28, 0, 1), True, 512, pfn=0x1000, tid=9)
                   + g.op_wait(100))
    assert (OP_KILLED, g.STORAGE, 6) in o.ops


# ---- network: NVSP and RNDIS -------------------------------------------------------------

def _nic(extra=b""):
    return g.op_open(g.NETWORK) + g.op_send(g.NETWORK, g.nvsp(1, 0x2, 0x60001), tid=1) + extra


def test_nvsp_init_completes(tmp_path):
    o = run_script(tmp_path, _nic(g.op_wait(50) + g.op_drain(g.NETWORK, 3)))
    assert o.answer(1) == 1  # INIT_COMPLETE status: success


def test_nvsp_receive_and_send_buffers(tmp_path):
    o = run_script(tmp_path, _nic(
        g.op_gpadl(g.NETWORK, list(range(0x120, 0x130))) + g.op_send(g.NETWORK, g.nvsp(101, g.FIRST_GPADL + 1), tid=2)
        + g.op_gpadl(g.NETWORK, [0x140, 0x141]) + g.op_send(g.NETWORK, g.nvsp(104, g.FIRST_GPADL + 2), tid=3)
        + g.op_send(g.NETWORK, g.nvsp(104, g.FIRST_GPADL), tid=4)      # the ring's own GPADL
        + g.op_wait(80) + g.op_drain(g.NETWORK, 1)))
    assert o.answer(2) == 1 and o.answer(3) == 1  # SEND_RECV_BUF / SEND_SEND_BUF complete: success
    assert o.answer(4) == 2                       # refused


def _rndis_up(filter_=0x09):
    msgs = [(2, 1, 0, 0x4000), (4, 0x01010101, 0, 0, 0)] + ([(5, 0x0001010E, 4, 20, 0, filter_)] if filter_ else [])
    return (g.op_gpadl(g.NETWORK, list(range(0x120, 0x130))) + g.op_send(g.NETWORK, g.nvsp(101, g.FIRST_GPADL + 1), tid=2)
            + b"".join(g.rndis_ctl(w, 1 + i, 0x150 + i, 20 + i) for i, w in enumerate(msgs)))


def test_rndis_control_answers_come_through_the_receive_buffer(tmp_path):
    o = run_script(tmp_path, _nic(_rndis_up(filter_=0)
                                  + g.rndis_ctl((4, 0x12345678, 0, 0, 0), 9, 0x160, 30)   # an unknown OID: answered
                                  + g.rndis_ctl((3,), 10, 0x161, 31)                      # HALT: no answer
                                  + g.op_wait(100) + g.op_drain(g.NETWORK, 1)))
    assert [o.answer(t) for t in (20, 21, 30, 31)] == [1, 1, 1, 1]  # SEND_RNDIS_PKT_COMPLETE: success
    assert sum(1 for t, _, _ in o.packets if t == XFER) == 3        # INIT_C, QUERY_C twice; HALT none


def test_switch_delivers_only_what_the_packet_filter_takes(tmp_path):
    up = run_script(tmp_path / "up", _nic(_rndis_up(0x09) + g.op_wait(250) + g.op_wait(250)
                                          + g.op_drain(g.NETWORK, 0)), until="4ms")
    deaf = run_script(tmp_path / "deaf", _nic(_rndis_up(0) + g.op_wait(250) + g.op_wait(250)
                                              + g.op_drain(g.NETWORK, 0)), until="4ms")
    assert sum(1 for t, _, _ in up.packets if t == XFER) == 3 + 2    # three answers, peer's two frames
    assert sum(1 for t, _, _ in deaf.packets if t == XFER) == 2      # two answers; no filter, no frames


# ---- integration components ----------------------------------------------------------------

def test_heartbeat_negotiation_then_heartbeats(tmp_path):
    o = run_script(tmp_path, g.op_open(g.HEARTBEAT) + g.op_wait(200) + g.op_drain(g.HEARTBEAT, 3)
                   + g.ic_answer(g.HEARTBEAT, 0) + g.op_wait(250) + g.op_wait(250) + g.op_drain(g.HEARTBEAT, 3))
    ic_types = [w & 0xFFFF for t, _, w in o.packets if t == INBAND]   # icmsgtype, at body byte 12
    assert ic_types[0] == 0 and 1 in ic_types[1:], ic_types          # NEGOTIATE first, then HEARTBEAT
    assert o.count(OP_KILLED) == 0


def _heartbeat_answer(seq):  # heartbeat_msg_data: seq_num u64, reserved u32[8]
    return g.ic_answer(g.HEARTBEAT, 1, g.u64(seq) + bytes(32))


def test_heartbeat_answered_late_is_tolerated(tmp_path):
    """Several heartbeats outstanding (a guest VP descheduled for more than
    1 ms), then the answer to the first one: the channel stays open."""
    o = run_script(tmp_path, g.op_open(g.HEARTBEAT) + g.op_wait(200) + g.ic_answer(g.HEARTBEAT, 0)
                   + g.op_wait(250) * 8 + _heartbeat_answer(3) + _heartbeat_answer(3) + g.op_wait(100),
                   until="5ms")
    assert o.count(OP_KILLED) == 0


def test_heartbeat_answer_to_a_number_never_sent_closes_the_channel(tmp_path):
    o = run_script(tmp_path, g.op_open(g.HEARTBEAT) + g.op_wait(200) + g.ic_answer(g.HEARTBEAT, 0)
                   + g.op_wait(250) + _heartbeat_answer(1000000) + g.op_wait(100), until="5ms")
    assert (OP_KILLED, g.HEARTBEAT, 5) in o.ops


def test_ic_answer_before_negotiation_closes_the_channel(tmp_path):
    o = run_script(tmp_path, g.op_open(g.TIMESYNC) + g.ic_answer(g.TIMESYNC, 4, bytes(25)) + g.op_wait(100))
    assert (OP_KILLED, g.TIMESYNC, 5) in o.ops
