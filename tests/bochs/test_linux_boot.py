"""Level 2: Debian's unmodified Linux kernel boots as a child partition with
2 VPs (scenarios/linux-boot.yaml) on the instruction-level CPU: the runner
hands the kernel and its initramfs to the root through the files drive,
the worker loads them (PVH), the kernel brings its second CPU up with
INIT-SIPI-SIPI, and its /init prints the marker on COM1 with both CPUs
online. Checked: the run finishes (no ERROR), the console expectation
(marker with cpus=0-1), the IPIs and isolation hold, the console log
holds the marker, and two runs give the same trace digest (result.json:
every record's content and order; trace.bin also carries the build id).

Known bug, reported as an expected failure (pytest.xfail, after every
other check passed): `poweroff -f` never completes on bochs-vmx (both
CPUs idle, init blocked before "reboot: Power down"), so the scenario's
"linux Off" expectation fails. When it is fixed this test passes and the
xfail branch goes.

CI runs it on bochs-vmx only (each boot takes minutes of Bochs time; the
whole suite must stay well under its 45-minute budget on 2 cores). Set
HVSIM_LINUX_BACKENDS=bochs-vmx,bochs-svm to run it on AMD-V as well. The
guest image comes from guests/linux/build-image (build/guest/, reused when
its inputs are unchanged).
"""

import json
import os
import subprocess

import pytest

from test_bochs import REPO, hvsim, need_bochs

SCENARIO = "scenarios/linux-boot.yaml"
MARKER = "HVSIM-LINUX-INIT-OK cpus=0-1"
BACKENDS = [b for b in os.environ.get("HVSIM_LINUX_BACKENDS", "bochs-vmx").split(",") if b]


@pytest.fixture(scope="module")
def guest_image():
    r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "guests", "linux", "build-image"),
                        "--out", os.path.join(REPO, "build", "guest")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def boot(backend, trace_dir):
    p = hvsim("run", "--backend", backend, SCENARIO, "--trace-dir", trace_dir, timeout=1500)
    assert p.returncode in (0, 1) and "verdict: ERROR" not in p.stdout, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    for line in (f'[PASS] console linux contains "{MARKER}"', "[PASS] count ipi >= 2", "[PASS] isolation ok"):
        assert line in p.stdout, p.stdout
    console = open(os.path.join(trace_dir, "console-linux.log"), "rb").read().decode(errors="replace")
    assert MARKER in console, console[-2000:]
    return p


@pytest.mark.parametrize("backend", BACKENDS)
def test_linux_boots_to_init_with_two_cpus(backend, guest_image, tmp_path):
    need_bochs()
    a = boot(backend, str(tmp_path / "a"))
    boot(backend, str(tmp_path / "b"))
    da, db = (json.load(open(tmp_path / x / "result.json")) for x in "ab")
    assert (da["digest"], da["events"]) == (db["digest"], db["events"]), "two boots of the same scenario differ"
    if "[FAIL] state linux=Off" in a.stdout:
        pytest.xfail("known bug: poweroff -f never completes (init blocked before 'reboot: Power down')")
    assert a.returncode == 0, a.stdout
