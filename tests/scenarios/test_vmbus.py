"""VMBus end to end (issue 5), checked from the host side of the run:
a write the storage VSP completed to the guest is in the raw image when the
run ends, even for the VM stopped abruptly in the middle of its writes;
every attack of the hostile client closed its channel with the expected
reason and no other VM's channel was closed.

The writer's image is checked by hvsim_driver.disks. vmbus events (kind
32) carry a = op, b = vm id << 32 | relid, c = reason (include/hvsim/trace.h).
"""

import os

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
