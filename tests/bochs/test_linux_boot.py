"""Level 2: Debian's unmodified Linux kernel boots as a child partition with
2 VPs (scenarios/linux-boot.yaml) on the instruction-level CPU: the runner
hands the kernel and its initramfs to the root through the files drive,
the worker loads them (PVH), the kernel brings its second CPU up with
INIT-SIPI-SIPI, its /init prints the marker on COM1 and `poweroff -f`
turns the VM Off through ACPI. The scenario's expectations hold (VM Off,
COM1 output, IPIs, isolation); the console log holds the marker with both
CPUs online; two runs give byte-identical trace.bin.

CI runs it on bochs-vmx only (each boot takes minutes of Bochs time; the
whole suite must stay well under its 45-minute budget on 2 cores). Set
HVSIM_LINUX_BACKENDS=bochs-vmx,bochs-svm to run it on AMD-V as well.
The guest image comes from guests/linux/build-image (build/guest/,
reused when its inputs are unchanged).
"""

import os
import subprocess

import pytest

from test_bochs import REPO, need_bochs, run

SCENARIO = "scenarios/linux-boot.yaml"
MARKER = "HVSIM-LINUX-INIT-OK cpus=0-1"
BACKENDS = [b for b in os.environ.get("HVSIM_LINUX_BACKENDS", "bochs-vmx").split(",") if b]


@pytest.fixture(scope="module")
def guest_image():
    r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "guests", "linux", "build-image"),
                        "--out", os.path.join(REPO, "build", "guest")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def boot(backend, trace_dir):
    p = run(backend, SCENARIO, trace_dir)
    assert "verdict: PASS" in p.stdout, p.stdout
    console = open(os.path.join(trace_dir, "console-linux.log"), "rb").read().decode(errors="replace")
    return p, console


@pytest.mark.parametrize("backend", BACKENDS)
def test_linux_boots_to_init_and_powers_off(backend, guest_image, tmp_path):
    need_bochs()
    a, console = boot(backend, str(tmp_path / "a"))
    assert MARKER in console, console[-2000:]
    assert "Power down" in console, "poweroff -f went through ACPI S5: " + console[-2000:]
    b, _ = boot(backend, str(tmp_path / "b"))
    ta = open(tmp_path / "a" / "trace.bin", "rb").read()
    tb = open(tmp_path / "b" / "trace.bin", "rb").read()
    assert ta == tb, "two boots of the same scenario differ"
