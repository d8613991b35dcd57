"""Fixtures of the platform suite (the VM platform of the root's worker:
guest image, ACPI tables, devices, loaders): the hvsim binary, skipped with
the reason when it is not built (HVSIM_REQUIRE_BIN=1 makes that a failure);
QEMU; the guest images built from Debian packages and our sources.
"""

import os
import shutil
import subprocess

import pytest

from hvsim_driver import REPO_ROOT, HvsimNotFound, find_hvsim

GUEST = os.path.join(REPO_ROOT, "build", "guest")


@pytest.fixture(scope="session")
def hvsim_bin():
    try:
        return find_hvsim()
    except HvsimNotFound as e:
        if os.environ.get("HVSIM_REQUIRE_BIN"):
            pytest.fail(f"{e} (HVSIM_REQUIRE_BIN is set)")
        pytest.skip(f"{e}; set HVSIM_REQUIRE_BIN=1 to make this a failure")


@pytest.fixture(scope="session")
def qemu():
    """qemu-system-x86_64, or skip (HVSIM_REQUIRE_QEMU=1: fail) when it is not installed."""
    path = shutil.which("qemu-system-x86_64")
    if not path:
        if os.environ.get("HVSIM_REQUIRE_QEMU"):
            pytest.fail("qemu-system-x86_64 not found (HVSIM_REQUIRE_QEMU is set)")
        pytest.skip("qemu-system-x86_64 not found: install qemu-system-x86 (scripts/setup)")
    return path


@pytest.fixture(scope="session")
def guest_image():
    """build/guest/ after guests/linux/build-image (reused when its inputs are unchanged)."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(REPO_ROOT, "guests", "linux", "build-image"),
                        "--out", GUEST], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return GUEST


@pytest.fixture(scope="session")
def mbtest():
    """build/guest/mbtest.elf, the multiboot test kernel (guests/multiboot)."""
    r = subprocess.run(["make", "-s", "-C", os.path.join(REPO_ROOT, "guests", "multiboot"), f"O={GUEST}"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return os.path.join(GUEST, "mbtest.elf")
