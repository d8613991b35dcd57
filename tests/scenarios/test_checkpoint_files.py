"""Checkpoint files (issue 17): `hvsim run --checkpoint-every N
--checkpoint-dir DIR` writes a state file every N events without changing
the run (its digest is the golden one); `hvsim checkpoint verify` accepts
each for its scenario and seed, refuses them for another scenario or seed,
and names the first bad block of a damaged or truncated file.
"""

import glob
import os
import subprocess

from hvsim_driver import golden


def _hvsim(binary, *args):
    return subprocess.run([str(binary), *args], cwd=golden.REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_checkpoint_files(hvsim_bin, run_dir):
    d = run_dir("ck")
    r = _hvsim(hvsim_bin, "run", "scenarios/quickstart.yaml", "--quiet", "--checkpoint-every", "800",
               "--checkpoint-dir", str(d))
    assert r.returncode == 0, r.stderr
    want = open(os.path.join(golden.REPO_ROOT, "tests/scenarios/golden/quickstart.digest")).read().split()[1]
    assert f"digest: {want}" in r.stdout
    files = sorted(glob.glob(str(d / "ckpt-*.hvstate")))
    assert [os.path.basename(f) for f in files] == ["ckpt-0000000800.hvstate", "ckpt-0000001600.hvstate"]
    for f in files:
        v = _hvsim(hvsim_bin, "checkpoint", "verify", f, "--scenario", "scenarios/quickstart.yaml")
        assert v.returncode == 0 and ": ok: kind 1" in v.stdout, v.stderr
    f = files[0]
    v = _hvsim(hvsim_bin, "checkpoint", "verify", f, "--scenario", "scenarios/hello.yaml")
    assert v.returncode == 1 and "taken from another scenario" in v.stderr, v.stderr
    v = _hvsim(hvsim_bin, "checkpoint", "verify", f, "--scenario", "scenarios/quickstart.yaml", "--seed", "2")
    assert v.returncode == 1 and "taken with seed 1, this run's is 2" in v.stderr, v.stderr
    data = bytearray(open(f, "rb").read())
    data[len(data) // 2] ^= 0x40
    bad = d / "bad.hvstate"
    bad.write_bytes(bytes(data))
    v = _hvsim(hvsim_bin, "checkpoint", "verify", str(bad))
    # a payload byte (checksum) or, in another build's layout, a length field (cut short)
    assert v.returncode == 1 and "block " in v.stderr, v.stderr
    assert "checksum mismatch" in v.stderr or "cut short" in v.stderr or "needs" in v.stderr, v.stderr
    bad.write_bytes(bytes(data[: len(data) // 3]))
    v = _hvsim(hvsim_bin, "checkpoint", "verify", str(bad))
    assert v.returncode == 1 and "truncated: block " in v.stderr, v.stderr
