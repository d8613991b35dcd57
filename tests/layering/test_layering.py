"""scripts/layering: the include graph of the tree is clean, and each kind of
forbidden edge is caught — a file added with a bad include fails the check
with its file:line."""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "layering")


def layering(root):
    return subprocess.run([sys.executable, SCRIPT, "--root", str(root)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the sources the check reads."""
    root = tmp_path_factory.mktemp("tree")
    for d in ("include", "hv", "platform", "models", "sim", "fuzz", "tests"):
        shutil.copytree(os.path.join(REPO, d), root / d, ignore=shutil.ignore_patterns(
            "golden", "corpus", "regressions", "*.gz", "*.img", "__pycache__"))
    return root


def test_the_tree_is_clean():
    p = layering(REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no cycles" in p.stdout


def layering_with(tree, path, include):
    """Run the check with `#include "include"` added at the end of path (a
    new file, or an existing one restored afterwards); the line it is on."""
    f = tree / path
    original = f.read_text() if f.exists() else None
    f.write_text((original or "") + f'#include "{include}"\n')
    try:
        return layering(tree), (original or "").count("\n") + 1
    finally:
        if original is None:
            f.unlink()
        else:
            f.write_text(original)


@pytest.mark.parametrize("path,include,message", [
    ("hv/core/bad.c", "models/guest/guest.h", "hv/core may not include models/guest/guest.h"),
    ("hv/arch/x86/bad.c", "sim/machine/sim.h", "hv/arch/x86 may not include sim/machine/sim.h"),
    ("sim/devices/bad.c", "models/root/vmms.h", "sim/devices may not include models/root/vmms.h"),
    ("models/guest/bad.c", "models/root/vid.h", "models/guest may not include models/root/vid.h"),
    ("hv/core/bad2.c", "../arch/arch.h", "not ../"),
    ("sim/verdict/bad.c", "sim/world/run.h", "sim/verdict may not include sim/world/run.h"),
    # the core's tiers: a file includes no header of a tier above or beside it
    ("hv/core/sched.c", "vic.h", "the objects tier may not include hv/core/vic.h (the vic tier, above it)"),
    ("hv/core/vp.c", "hc.h", "the objects tier may not include hv/core/hc.h (the hypercall tier, above it)"),
    ("hv/core/iommu.c", "vic.h", "the iommu tier may not include hv/core/vic.h (the vic tier, beside it)"),
    ("hv/core/synic.c", "entry.h", "the vic tier may not include hv/core/entry.h (the entry tier, above it)"),
    ("hv/core/msr.c", "entry.h", "the hypercall tier may not include hv/core/entry.h (the entry tier, above it)"),
])
def test_a_forbidden_include_fails(tree, path, include, message):
    p, line = layering_with(tree, path, include)
    assert p.returncode == 1, p.stdout
    assert f"{path}:{line}:" in p.stdout and message in p.stdout, p.stdout


def test_a_cycle_between_boxes_fails(tree):
    p, _ = layering_with(tree, "models/vmbus/bad.h", "models/root/vid.h")
    assert p.returncode == 1
    assert "models/vmbus may not include models/root/vid.h" in p.stdout


def test_a_core_file_outside_every_tier_fails(tree):
    p, _ = layering_with(tree, "hv/core/loose.c", "objects.h")
    assert p.returncode == 1, p.stdout
    assert "hv/core/loose.c:1: in no tier of hv/core" in p.stdout, p.stdout
