"""VMBus end to end (issue 5), checked from the host side of the run:
a write the storage VSP completed to the guest is in the raw image when the
run ends, even for the VM stopped abruptly in the middle of its writes;
every attack of the hostile client closed its channel with the expected
reason and no other VM's channel was closed.

The writer's image is checked by hvsim_driver.disks. vmbus events (kind
32) carry a = op, b = vm id << 32 | relid, c = reason (include/hvsim/trace.h).
"""

import os

import pytest

from hvsim_driver import run
from hvsim_driver import tables as T
from hvsim_driver.disks import check_writer_image, completed_writes
from hvsim_driver.trace import read_trace

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def _scenario(name):
    return os.path.join(REPO, "scenarios", name)


def test_completed_writes_survive_an_abrupt_stop(hvsim_bin, tmp_path):
    r = run(_scenario("vmbus-storage.yaml"), seed=3, trace_dir=tmp_path, binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    assert (tmp_path / "out" / "vmbus-storage-a.img").stat().st_size == 16 << 20
    data = (tmp_path / "out" / "vmbus-storage-b.img").read_bytes()
    assert len(data) == 4 << 20, "created at the size the scenario gives"
    done = completed_writes(read_trace(tmp_path), "crash")
    assert len(done) > 10, "the writer was stopped in the middle of its writes"
    problems = check_writer_image(data, done, region=256, pattern=7)
    assert not problems, "\n".join(problems)


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


IC_WORLD = """version: 1
name: vmbus-ic-clock
machine: {{ lps: 2, memory: 64MiB{wall} }}
until: 12ms
partitions:
  - {{ name: web, memory: 4MiB, vps: 1, program: vmbus-ic }}
timeline:
  - {{ at: 0ms, start: [web] }}
  - {{ at: 6ms, shutdown: web }}
expect:
  - {{ state: {{ web: Off }}, at: 11ms }}
"""
FILETIME_2025 = 133801632000000000          # 2025-01-01T00:00:00Z in 100 ns since 1601
FILETIME_WALL = 134092800000000000          # 2025-12-04T00:00:00Z: 337 days later


def _ic_run(hvsim_bin, tmp_path, wall):
    scn = tmp_path / "ic.yaml"
    scn.write_text(IC_WORLD.format(wall=wall))
    r = run(scn, trace_dir=tmp_path / "t", binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    return read_trace(tmp_path / "t").events


@pytest.mark.parametrize("wall,base", [("", FILETIME_2025), (", wall_time: 2025-12-04T00:00:00Z", FILETIME_WALL)])
def test_time_sync_v4_gives_the_scenario_wall_time(hvsim_bin, tmp_path, wall, base):
    """The guest's clock from the first time sample (UTC FILETIME and its
    reference time, Linux's adj_guesttime) is the wall time at the moment
    it is computed, to the microsecond."""
    marks = [ev for ev in _ic_run(hvsim_bin, tmp_path, wall) if ev.kind_name == "guest" and ev.a == 9]
    assert len(marks) == 1
    utc_100ns = marks[0].b - base
    assert abs(utc_100ns - marks[0].us * 10) <= 10, (utc_100ns, marks[0].us)


def test_shutdown_message_has_linux_size_and_is_echoed(hvsim_bin, tmp_path):
    """shutdown_msg_data is 2,060 bytes: with the 28-byte header the packet
    is 16 + 2,088 bytes (+ the 8-byte trailer, counted on the host's
    sends) each way, above the old 512-byte limit."""
    evs = _ic_run(hvsim_bin, tmp_path, "")
    shutdown_relid = 4
    sizes = [(ev.b >> 32, ev.c) for ev in evs
             if ev.kind_name == "vmbus_packet" and ev.a & 0xFFFFFFFF == shutdown_relid]
    assert (1, 16 + 2088 + 8) in sizes and (0, 16 + 2088) in sizes, sizes
    assert any(ev.kind_name == "guest" and ev.a == 2 for ev in evs), "the guest agreed and stopped"
