"""Level 2 takes the simulator's command line and verdicts: --until,
--stop-at, --quiet, --result and result.json; the isolation oracle runs in
the image (after every ownership-changing hypercall and at the end);
scenario parts level 2 cannot play are refused before the run with
file:line:col and the level's name."""

import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HVSIM = os.environ.get("HVSIM_BIN") or os.path.join(REPO, "build", os.environ.get("HVSIM_PRESET", "dev"),
                                                    "sim", "hvsim")


def hvsim(*args, timeout=600):
    if shutil.which("bochs") is None:
        pytest.skip("bochs is not installed (apt-get install bochs bochsbios vgabios bochs-term)")
    return subprocess.run([HVSIM, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_result_json_until_and_quiet(tmp_path):
    p = hvsim("run", "--backend", "bochs-vmx", "scenarios/hello.yaml", "--quiet", "--until", "21800us",
              "--trace-dir", tmp_path / "r", "--result", tmp_path / "res.json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "partition    " not in p.stdout, "--quiet still printed the summary table"
    assert "ran 21.800 ms" in p.stdout, p.stdout
    res = json.loads((tmp_path / "res.json").read_text())
    assert res["backend"] == "bochs-vmx" and res["exit"] == 0 and res["error"] is None
    assert len(res["verdicts"]) == 8 and all(v["held"] for v in res["verdicts"])


def test_stop_at_judges_only_the_records_before_it(tmp_path):
    p = hvsim("run", "--backend", "bochs-svm", "scenarios/hello.yaml", "--stop-at", "50",
              "--trace-dir", tmp_path / "r")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "stopped after event 50" in p.stdout
    assert "unreached" in p.stdout  # the 19 ms sample comes later
    res = json.loads((tmp_path / "r" / "result.json").read_text())
    assert res["events"] == 50


def test_the_isolation_oracle_runs_in_the_image(tmp_path):
    p = hvsim("run", "--backend", "bochs-vmx", "scenarios/hello.yaml", "--trace-dir", tmp_path / "r")
    assert p.returncode == 0, p.stdout + p.stderr
    figures = dict(kv.split("=", 1) for kv in p.stdout.split("image: ", 1)[1].split("\n", 1)[0].split())
    # the boot check, one per ownership-changing hypercall of the root, the end-of-run check
    assert int(figures["isolation_checks"]) >= 5, figures
    assert int(figures["oracle_tsc"]) > 0, figures


@pytest.mark.parametrize("body,where,what", [
    ("".join(f"  - {{ name: v{i}, memory: 2MiB, program: idle, disk: {{ path: d{i}.img, size: 64KiB }} }}\n"
             for i in range(9)), ":13:52:", "disk: the machine has 8 ATA drives"),
    ("  - { name: a, memory: 4MiB, program: idle }\ndevices:\n  - { name: d, kind: nvme, bdf: \"00:04.0\", image: d.img, "
     "size: 1MiB }\ntimeline:\n  - { at: 1ms, assign: { device: d, to: a, vector: 0x50 } }\n", ":9:5:", "device actions"),
])
def test_refused_before_the_run(body, where, what, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("version: 1\nname: refuse\nmachine: { lps: 1, memory: 64MiB }\npartitions:\n" + body)
    p = hvsim("run", "--backend", "bochs-vmx", f, "--trace-dir", tmp_path / "r")
    assert p.returncode == 2, p.stdout + p.stderr
    assert where in p.stderr and what in p.stderr and "level 2, bochs-vmx" in p.stderr, p.stderr
    assert not (tmp_path / "r" / "bochs" / "bochs.out").exists(), "the image ran"
