"""The pass-through disk end to end (issue 8): every write the device
completed is in the raw image when the run ends, block for block, and the
image holds nothing else; the hostile-DMA run leaves no trace outside the
hostile partition (isolation verdicts) and every stray DMA is a dma_fault.

Blocks written by the ptdisk driver are self-describing (models/child/
ptdisk.c): word 0 "HVSBLK01", word 1 the block number, word 2 the
generation; completions in the trace (kind dma) carry opcode, first block,
block count and status (include/hvsim/trace.h).
"""

import os
import struct

from hvsim_driver import run
from hvsim_driver.trace import read_trace

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
MAGIC = 0x31304B4C42535648
BLOCK = 4096
OP_WRITE = 1


def _scenario(name):
    return os.path.join(REPO, "scenarios", name)


def test_completed_writes_are_in_the_image(hvsim_bin, tmp_path):
    r = run(_scenario("passthrough-disk.yaml"), seed=3, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    image = tmp_path / "out" / "disks" / "passthrough-disk.img"
    data = image.read_bytes()
    assert len(data) == 4 << 20, "created at the size the scenario gives"
    written = set()
    for ev in read_trace(tmp_path).events:
        if ev.kind_name == "dma" and ev.b >> 56 == OP_WRITE and ev.c & 0xFFFF == 0:
            first, count = ev.c >> 24, (ev.c >> 16) & 0xFF
            written.update(range(first, first + count))
    assert len(written) > 50
    for lba in range(len(data) // BLOCK):
        magic, num, gen = struct.unpack_from("<QQQ", data, lba * BLOCK)
        if lba in written:
            assert magic == MAGIC and num == lba and gen >= 1, f"block {lba} lost its write"
        else:
            assert magic != MAGIC, f"block {lba} written without a completed write"


def test_hostile_dma_is_contained(hvsim_bin, tmp_path):
    r = run(_scenario("dma-hostile.yaml"), seed=5, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    t = read_trace(tmp_path)
    faults = [ev for ev in t.events if ev.kind_name == "dma_fault"]
    assert len(faults) >= 1000
    assert all(ev.partition_name == "evil" for ev in faults)
    assert not [ev for ev in t.events if ev.kind_name == "isolation"]


def _mark_time(events, vm, code):
    times = [ev.time for ev in events if ev.kind_name == "guest" and ev.partition_name == vm and ev.a == code]
    assert len(times) == 1, f"{vm}: {len(times)} marks {code}, want one"
    return times[0]


def test_passthrough_costs_less_per_command_than_synthetic(hvsim_bin, tmp_path):
    """What passthrough-vs-synthetic.yaml compares: the same workload, 600
    commands one at a time, zero media time. The time from the disk being
    ready (pt: DISK_READY, mark 9; syn: READY, mark 1 -- its channel comes up
    inside the workload's time) to DONE (mark 2), per command: the
    pass-through disk takes a few microseconds, the synthetic one (ring
    packets, event signals, the root's copies) several times as long."""
    r = run(_scenario("passthrough-vs-synthetic.yaml"), seed=1, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    t = read_trace(tmp_path)
    per_us = t.meta.cycles_per_us
    pt = (_mark_time(t.events, "pt", 2) - _mark_time(t.events, "pt", 9)) / per_us / 600
    syn = (_mark_time(t.events, "syn", 2) - _mark_time(t.events, "syn", 1)) / per_us / 600
    assert 1 < pt < 5, f"pass-through: {pt:.2f} us per command"
    assert 10 < syn < 30, f"synthetic: {syn:.2f} us per command"
    assert syn > 4 * pt, f"synthetic {syn:.2f} us vs pass-through {pt:.2f} us per command"
