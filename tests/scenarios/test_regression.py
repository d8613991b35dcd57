"""Regression suite: every scenarios/*.yaml, sorted, run with seed 1; its
expectations must hold, its trace.jsonl and trace.perfetto.json must parse
and agree with trace.bin, and its event-sequence digest must equal the golden
in tests/scenarios/golden/<name>.digest. On a mismatch the first divergent
event of the golden trace (<name>.bin.gz, when stored) and the new one is
printed. `pytest --update-golden` (or update_golden.py) rewrites goldens.

Scenarios whose VMs boot a kernel (linux-boot) are level 2's: here level 1
must refuse each with its documented error, exactly (test_level1_refuses_a_
kernel_scenario); tests/bochs runs them on the instruction-level CPUs.
"""

import re

import pytest

from hvsim_driver import golden, run
from hvsim_driver.trace import check_outputs

SCENARIOS = golden.scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[golden.name_of(s) for s in SCENARIOS])
def test_scenario_matches_golden(scenario, hvsim_bin, run_dir, update_golden):
    name = golden.name_of(scenario)
    r = run(scenario, seed=golden.GOLDEN_SEED, trace_dir=run_dir("run"), binary=hvsim_bin)
    assert r.exit_code != 2, f"hvsim rejected the scenario:\n{r.explain()}"
    if update_golden:  # a run whose expectations fail never becomes a golden
        stored, note = golden.store_run(name, r)
        assert stored, note
        print(note)
        return
    problems = []
    if r.exit_code != 0:
        problems.append("expectations failed:\n" + r.explain())
    problems += check_outputs(r.trace_dir)
    report = golden.compare(name, r.trace_dir)
    if report:
        problems.append(report + f"\n  repro: {r.repro}")
    assert not problems, "\n".join(problems)


KERNEL_SCENARIOS = golden.scenarios(kernels=True)


@pytest.fixture(scope="module")
def guest_image():
    """build/guest/ (guests/linux/build-image, reused when unchanged): the
    files a kernel scenario names must exist for the parser to reach the
    level-1 refusal."""
    import os
    import subprocess

    from hvsim_driver.runner import REPO_ROOT

    out = os.path.join(REPO_ROOT, "build", "guest")
    r = subprocess.run(["/usr/bin/python3", os.path.join(REPO_ROOT, "guests", "linux", "build-image"), "--out", out],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("scenario", KERNEL_SCENARIOS, ids=[golden.name_of(s) for s in KERNEL_SCENARIOS])
def test_level1_refuses_a_kernel_scenario(scenario, hvsim_bin, run_dir, guest_image):
    """A scenario whose VM boots a kernel runs on the bare-metal backends
    (tests/bochs); level 1 refuses it before running anything, with the
    position of the kernel key and the level (exit 2, one line)."""
    import subprocess

    import yaml

    with open(scenario) as f:
        parts = yaml.safe_load(f)["partitions"]
    i = next(k for k, p in enumerate(parts) if "kernel" in p)
    with open(scenario) as f:
        line = next(n for n, text in enumerate(f, 1) if text.strip().startswith("kernel:"))
    r = subprocess.run([hvsim_bin, "run", scenario, "--quiet", "--trace-dir", str(run_dir("run"))],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    m = re.match(rf"{re.escape(scenario)}:(\d+):(\d+): partitions\[{i}\]\.kernel: level 1 \(the model simulator\) "
                 "cannot boot a kernel", lines[0])
    assert m, lines[0]
    assert int(m.group(1)) in (line, line + 1), f"{lines[0]}: the kernel key is at line {line}"
    assert "--backend bochs-vmx" in lines[0], lines[0]
