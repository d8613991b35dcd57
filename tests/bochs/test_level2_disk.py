"""Level 2: the root partition's disks are ATA drives of the emulated
machine (sim/bochs/bochs_storage.c attaches the images, the root's driver
models/guest/bare/ata.c reads and writes them), and files reach the
machine on a read-only files drive (include/hvsim/bare_files.h).

- A writer stopped abruptly, by management or by the end of the run: every
  write it saw complete is in its image file afterwards (the host reads
  the file the scenario names, as at level 1), on VT-x and AMD-V.
- A VM's payload comes through the files drive: the vmbus-script program
  runs the same steps from it as at level 1; a run with disks and files is
  deterministic on Bochs (trace.bin byte for byte); QEMU (qemu-svm) runs
  the same drives.

The scenarios are level-2 copies of scenarios/vmbus-storage.yaml and
vmbus-script.yaml with their times moved (see their headers: VM starts
take about 1 ms of emulated time each at level 2).
"""

import os
import shutil
import struct

import pytest

from hvsim_driver import read_trace, run
from hvsim_driver.disks import check_writer_image, completed_writes

HERE = os.path.dirname(os.path.abspath(__file__))
STORAGE = os.path.join(HERE, "vmbus-storage-l2.yaml")
SCRIPT = os.path.join(HERE, "vmbus-script-l2.yaml")
PAYLOAD = os.path.join(HERE, "..", "..", "fuzz", "corpus", "vmbus", "network-storage-frame")
FILES_MAGIC = 0x31534546564D5648  # include/hvsim/bare_files.h
MARK_STEP, MARK_DONE = 8, 2


def need(prog, packages):
    if shutil.which(prog) is None:
        pytest.skip(f"{prog} is not installed (apt-get install {packages})")


def run_l2(scenario, backend, trace_dir, **kw):
    if backend.startswith("bochs"):
        need("bochs", "bochs bochsbios vgabios bochs-term")
    else:
        need("qemu-system-x86_64", "qemu-system-x86")
    return run(scenario, seed=1, trace_dir=trace_dir, extra_args=("--backend", backend), **kw)


def writer_problems(trace_dir):
    data = (trace_dir / "out" / "l2-b.img").read_bytes()
    assert len(data) == 4 << 20, "created at the size the scenario gives"
    done = completed_writes(read_trace(trace_dir), "crash")
    assert len(done) >= 10, f"the writer completed only {len(done)} writes"
    return check_writer_image(data, done, region=256, pattern=7)


@pytest.mark.parametrize("backend", ["bochs-vmx", "bochs-svm"])
def test_completed_writes_survive_an_abrupt_stop(backend, tmp_path):
    r = run_l2(STORAGE, backend, tmp_path)
    assert r.exit_code == 0, r.explain()
    assert (tmp_path / "out" / "l2-a.img").stat().st_size == 1 << 20
    rc = (tmp_path / "bochs" / "bochsrc").read_text()
    drives = [line for line in rc.splitlines() if line.startswith("ata0-")]
    assert len(drives) == 2 and "l2-a.img" in drives[0] and "l2-b.img" in drives[1], \
        "one drive per distinct image: crash and check share theirs"
    problems = writer_problems(tmp_path)
    assert not problems, "\n".join(problems)


def test_completed_writes_survive_the_end_of_the_run(tmp_path):
    """The machine stops under the writer (the run ends at 9 ms, before the
    management stop): its completed writes are in the file all the same."""
    r = run_l2(STORAGE, "bochs-vmx", tmp_path, until="9ms")
    assert r.exit_code == 1 and "ERROR" not in r.stdout, r.explain()  # check never ran: its counts fail
    states = [ev for ev in read_trace(tmp_path).events if ev.kind_name == "vm_state" and ev.vm == "crash"]
    assert states[-1].to == "Running", "the writer was still writing when the machine stopped"
    problems = writer_problems(tmp_path)
    assert not problems, "\n".join(problems)


def steps(trace_dir):
    """The hostile VM's script steps (opcode << 32 | offset) and its end."""
    return [(ev.a, ev.b) for ev in read_trace(trace_dir).events
            if ev.kind_name == "guest" and ev.partition_name == "evil" and ev.a in (MARK_STEP, MARK_DONE)]


def files_image(trace_dir):
    """The payload as the files drive holds it, from the image's directory."""
    img = (trace_dir / "bochs" / "files.img").read_bytes()
    magic, version, nfiles = struct.unpack_from("<QII", img, 0)
    assert (magic, version, nfiles) == (FILES_MAGIC, 1, 1)
    kind, vm, lba, size = struct.unpack_from("<IIQQ", img, 64)
    assert (kind, vm) == (1, 1), "a payload (kind 1) of VM 1 (evil)"
    return img[lba * 512:lba * 512 + size]


def test_payload_through_the_files_drive_deterministic(tmp_path):
    sim = run(SCRIPT, seed=1, trace_dir=tmp_path / "sim")
    assert sim.exit_code == 0, sim.explain()
    a = run_l2(SCRIPT, "bochs-svm", tmp_path / "a")
    assert a.exit_code == 0, a.explain()
    want = steps(tmp_path / "sim")
    assert want[-1] == (MARK_DONE, 28) and steps(tmp_path / "a") == want, \
        "the script ran the same steps from the files drive as from level 1's payload"
    assert files_image(tmp_path / "a") == open(PAYLOAD, "rb").read()
    b = run_l2(SCRIPT, "bochs-svm", tmp_path / "b")
    assert b.exit_code == 0, b.explain()
    assert (tmp_path / "a" / "trace.bin").read_bytes() == (tmp_path / "b" / "trace.bin").read_bytes(), \
        "same scenario and seed, disks and files included: the same trace"


def test_qemu_runs_the_same_drives(tmp_path):
    """QEMU's IDE (PIIX3) completes requests on its I/O thread, outside
    -icount, so how much emulated time a request takes depends on the host's
    load: the scenario's stop moves from 14 ms to 60 ms here, so the outcome
    does not depend on it."""
    text = open(SCRIPT).read()
    assert "at: 14ms, stop: [evil]" in text and "until: 18ms" in text and "at: 17900us }" in text
    slow = tmp_path / "vmbus-script-qemu.yaml"
    slow.write_text(text.replace("at: 14ms, stop: [evil]", "at: 60ms, stop: [evil]")
                    .replace("until: 18ms", "until: 64ms").replace("at: 17900us }", "at: 63900us }")
                    .replace("../../fuzz/", os.path.join(os.path.dirname(SCRIPT), "../../fuzz/")))
    r = run_l2(slow, "qemu-svm", tmp_path / "run")
    assert r.exit_code == 0, r.explain()
    assert steps(tmp_path / "run")[-1] == (MARK_DONE, 28)
