"""VMBus end to end (issue 5), checked from the host side of the run:
a write the storage VSP completed to the guest is in the raw image when the
run ends, even for the VM stopped abruptly in the middle of its writes;
every attack of the hostile client closed its channel with the expected
reason and no other VM's channel was closed.

The writer's sectors are self-describing (models/child/vsc/vsc_storage.c):
u64 magic "SHVSVSC1", lba, sequence number; write number seq goes to
vsc_lba_of(pattern, seq, region), reproduced below. The writer marks each
completed write (guest mark code 7, value seq); vmbus events (kind 32)
carry a = op, b = vm id << 32 | relid, c = reason (include/hvsim/trace.h).
"""

import os
import struct

from hvsim_driver import run
from hvsim_driver import tables as T
from hvsim_driver.trace import read_trace

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
MAGIC = 0x3153435653564853
M64 = (1 << 64) - 1


def _scenario(name):
    return os.path.join(REPO, "scenarios", name)


def _lba_of(pattern, seq, region):
    x = (pattern * 0x9E3779B97F4A7C15 + seq) & M64
    x ^= x >> 31
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 29
    return x % region


def test_completed_writes_survive_an_abrupt_stop(hvsim_bin, tmp_path):
    r = run(_scenario("vmbus-storage.yaml"), seed=3, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    assert (tmp_path / "out" / "vmbus-storage-a.img").stat().st_size == 16 << 20
    data = (tmp_path / "out" / "vmbus-storage-b.img").read_bytes()
    assert len(data) == 4 << 20, "created at the size the scenario gives"
    t = read_trace(tmp_path)
    done = [ev.b for ev in t.events if ev.kind_name == "guest" and ev.partition_name == "crash" and ev.a == 7]
    assert len(done) > 10 and done == list(range(1, len(done) + 1)), "one write at a time, in order"
    last, region, pattern = done[-1], 256, 7
    want = {}
    for seq in range(1, last + 1):
        want[_lba_of(pattern, seq, region)] = seq
    in_flight = _lba_of(pattern, last + 1, region)  # may have reached the disk, not completed
    for lba in range(region):
        magic, num, seq = struct.unpack_from("<QQQ", data, lba * 512)
        if lba == in_flight and magic == MAGIC and seq == last + 1:
            continue
        if lba in want:
            assert (magic, num, seq) == (MAGIC, lba, want[lba]), f"sector {lba} lost completed write {want[lba]}"
        else:
            assert magic != MAGIC, f"sector {lba} holds a write that never happened"


def test_hostile_channels_closed_with_their_reasons(hvsim_bin, tmp_path):
    r = run(_scenario("vmbus-hostile.yaml"), seed=2, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    closed = [ev for ev in read_trace(tmp_path).events if ev.kind_name == "vmbus" and ev.a == T.VMBUS_OP_CODES["killed"]]
    assert {ev.b >> 32 for ev in closed} == {1}, "only the hostile VM (vm id 1) lost channels"
    # 2 scribbled ring, 1 index outside the ring, 3 oversize, 5 truncated,
    # 6 foreign GPADL and foreign GPA-direct buffer
    R = T.VMBUS_REASON_CODES
    assert sorted(ev.c for ev in closed) == sorted(
        [R["bad_index"], R["bad_packet"], R["too_big"], R["protocol"], R["not_owned"], R["not_owned"]])
