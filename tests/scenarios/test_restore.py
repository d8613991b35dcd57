"""The restore oracle of whole-simulation checkpoints (issue 17): for every
scenario, `hvsim run X --verify-restore 3` runs it uninterrupted, then with
three checkpoints spread over it (taking them must not perturb the run),
then restores each — the last first, back across the others, and the last
again, forward — and continues to the end: every event after the restore
and the final digest must equal the uninterrupted run's. In the dev build
and, where built, the asan one (HVSIM_REQUIRE_ASAN=1 makes a missing asan
binary a failure).
"""

import os
import subprocess

import pytest

from hvsim_driver import golden

SCENARIOS = golden.scenarios()
IDS = [golden.name_of(s) for s in SCENARIOS]
# Long runs whose oracle under ASan would cost minutes of CI: dev only.
ASAN_SKIP = {"synic-pingpong"}


def _check(binary, scenario, cwd):
    # cwd: the scenarios' relative disk images are created there
    p = subprocess.run([str(binary), "run", os.path.join(golden.REPO_ROOT, scenario), "--verify-restore", "3"], cwd=cwd,
                       capture_output=True, text=True, timeout=900)
    lines = p.stdout.splitlines()
    assert p.returncode == 0 and lines and lines[-1] == "restore-check: PASS", \
        f"exit {p.returncode}\n{p.stdout}\n{p.stderr[-2000:]}"
    # three checkpoints, the run with them, four restores: all equal
    assert sum(1 for x in lines if x.endswith("equal, digest equal")) == 5, p.stdout
    # and the uninterrupted run is the golden one
    name = golden.name_of(scenario)
    gold = os.path.join(golden.REPO_ROOT, "tests", "scenarios", "golden", name + ".digest")
    if os.path.exists(gold):
        want = open(gold).read().split()[1]
        assert f"digest {want}," in lines[0], f"{lines[0]} (golden {want})"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_restore_continues_identically(scenario, hvsim_bin, run_dir):
    _check(hvsim_bin, scenario, run_dir("restore"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_restore_continues_identically_asan(scenario, preset_bin, run_dir):
    if golden.name_of(scenario) in ASAN_SKIP:
        pytest.skip("long run: its oracle runs in the dev build only")
    _check(preset_bin("asan"), scenario, run_dir("restore"))
