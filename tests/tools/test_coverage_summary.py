"""coverage/summary, the figures and floor of coverage/run: a summary it
cannot read, or one that counts no line of hv/, fails closed (exit 2)
instead of passing the floor."""

import json
import os
import subprocess

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SUMMARY = os.path.join(REPO, "coverage", "summary")


def summary(tmp_path, content, *args):
    f = tmp_path / "summary.json"
    f.write_text(content if isinstance(content, str) else json.dumps(content))
    return subprocess.run(["/usr/bin/python3", SUMMARY, str(f), *args], capture_output=True, text=True)


def files(hv_total, hv_covered):
    return {"files": [{"filename": "hv/core/a.c", "line_total": hv_total, "line_covered": hv_covered},
                      {"filename": "models/x.c", "line_total": 10, "line_covered": 5},
                      {"filename": "sim/y.c", "line_total": 100, "line_covered": 0}]}


def test_figures_and_floor(tmp_path):
    p = summary(tmp_path, files(200, 190), "--floor", "95")
    assert (p.returncode, p.stdout) == (0, "coverage: hv/ 95.0% lines, models/ 50.0% lines\n"), p.stderr
    p = summary(tmp_path, files(200, 189), "--floor", "95")
    assert p.returncode == 1 and "94.5% is below the floor 95%" in p.stderr


def test_no_figure_fails_closed(tmp_path):
    for bad in ("", "{not json", json.dumps({"no": "files"}), json.dumps({"files": [{"filename": "hv/a.c"}]}),
                files(0, 0)):
        p = summary(tmp_path, bad, "--floor", "95")
        assert p.returncode == 2, (bad, p.stdout, p.stderr)
        assert p.stderr.startswith("coverage/summary: ") and not p.stdout
    assert subprocess.run([SUMMARY, str(tmp_path / "missing.json")], capture_output=True).returncode == 2


def test_usage_errors(tmp_path):
    assert summary(tmp_path, files(1, 1), "--floor", "lots").returncode == 2
    assert summary(tmp_path, files(1, 1), "--flour", "95").returncode == 2
