"""A kernel's boot files at level 2: the runner puts the kernel, its command
line and its modules with their strings on the read-only files drive
(include/hvsim/bare_files.h, kinds BARE_FILE_BOOT + i), the bare-metal
root reads them through its ATA driver (guest_root_boot_file_*,
models/guest/bare/root_storage.c) and the worker's multiboot loader places
them as it does at level 1's dry run. Our 32-bit multiboot test kernel
(guests/multiboot) then runs as a child on the instruction-level CPUs: it
reads back the command line, the module and its string, the memory map and
the ACPI tables, reports on COM1 (console-mb.log) and powers off through
ACPI, which turns the VM Off — on VT-x and on AMD-V.

Bochs is required here (HVSIM_REQUIRE_BOCHS=1 in CI makes a missing one a
failure, as in tests/bochs).
"""

import os
import shutil

import pytest

from hvsim_driver import read_trace, run


def need_bochs():
    if shutil.which("bochs") is None:
        if os.environ.get("HVSIM_REQUIRE_BOCHS"):
            pytest.fail("bochs is not installed (HVSIM_REQUIRE_BOCHS is set)")
        pytest.skip("bochs is not installed (apt-get install bochs bochsbios vgabios bochs-term)")


def scenario(tmp_path, mbtest):
    (tmp_path / "mod.bin").write_bytes(b"MODULE-0 payload")
    f = tmp_path / "mb.yaml"
    f.write_text(f"""version: 1
name: mb-l2
machine: {{ lps: 1, memory: 64MiB }}
until: 2s
partitions:
  - name: mb
    memory: 16MiB
    kernel:
      multiboot: {mbtest}
      cmdline: "hello level2"
      modules: [ {{ path: mod.bin, cmdline: "first module" }} ]
timeline:
  - {{ at: 0ms, start: mb }}
expect:
  - {{ at: 1900ms, state: {{ mb: Off }} }}
""")
    return f


@pytest.mark.parametrize("backend", ["bochs-vmx", "bochs-svm"])
def test_multiboot_kernel_boots_from_the_files_drive(backend, mbtest, tmp_path):
    need_bochs()
    r = run(str(scenario(tmp_path, mbtest)), seed=1, trace_dir=tmp_path / "run", extra_args=("--backend", backend))
    assert r.exit_code == 0, r.explain()
    log = (tmp_path / "run" / "console-mb.log").read_bytes().decode(errors="replace")
    # ram: our memory map of a 16 MiB VM (636 KiB below the BIOS area, 15 MiB from 1 MiB); one VP in the MADT;
    # the worker's hardware-reduced FADT: S5 through the sleep control register
    want = ("HVSIM-MULTIBOOT-OK loader=hvsim cmdline=hello level2 mods=1 mod0=MODULE-0:first module "
            "ram=15996 cpus=1 s5=5 via=sleep-control\n")
    assert log == want, log
    states = [ev.to for ev in read_trace(tmp_path / "run").events if ev.kind_name == "vm_state" and ev.vm == "mb"]
    assert states[-1] == "Off", states
