"""The run report (hvsim report, sim/report/) and the tour (hvsim tour,
scenarios/tour/): the page parses as XML, draws one box per partition and
one edge per VMBus channel of the run, links every verdict to events,
stays self-contained (no script, no network) and under a stated size for
the largest scenario, is the same byte for byte for the same trace; the
tour lists its chapters and runs one; the README's pictures are what the
code draws now. The real-browser test is test_report_browser.py.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from hvsim_driver import REPO_ROOT, golden, read_trace, run

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
TOUR = [s for s in golden.scenarios() if golden.name_of(s).startswith("tour-")]
# The largest scenario by events (1.2 M events, a 48 MB trace.bin) and the
# bound its report must stay under: the views aggregate past fixed limits.
LARGEST = "scenarios/synic-pingpong.yaml"
SIZE_BOUND = 1 << 20  # 1 MiB


def _report(hvsim_bin, trace_dir):
    p = subprocess.run([hvsim_bin, "report", str(trace_dir)], cwd=REPO_ROOT, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    path = os.path.join(trace_dir, "report.html")
    assert p.stdout.strip() == f"report: {path}"
    with open(path, "rb") as f:
        return f.read()


def _partitions(trace):
    """Partition ids the run had: the root and every one a record names."""
    ids = {1}
    for e in trace:
        if e.kind_name == "partition_state":
            ids.add(e.a)
    return ids


def _channels(trace):
    """(vm, relid) of every VMBus channel offered, opened or used."""
    out = set()
    for e in trace:
        if e.kind_name == "vmbus" and e.a in (2, 4, 5, 7, 10):
            out.add((e.b >> 32, e.b & 0xffffffff))
        elif e.kind_name == "vmbus_packet":
            out.add((e.a >> 32, e.a & 0xffffffff))
    return out


def _by_class(root, tag, cls):
    return [el for el in root.iter(tag) if cls in el.get("class", "").split()]


def _check_page(html, trace):
    root = ET.fromstring(html)  # well-formed XML, or this raises
    assert root.tag == XHTML + "html"
    text = html.decode("utf-8")
    assert "<script" not in text, "the report must not need a script"
    assert not re.search(r'(src|href)="(https?:)?//', text), "the report must not load anything remote"
    svgs = list(root.iter(SVG + "svg"))
    ids = {s.get("id") for s in svgs}
    assert {"arch-svg", "timeline-overview", "memory-svg"} <= ids, ids
    # one box per partition, one edge per channel, one hypervisor
    boxes = _by_class(root, SVG + "g", "partition")
    assert sorted(int(b.get("data-pid")) for b in boxes) == sorted(_partitions(trace))
    edges = _by_class(root, SVG + "path", "channel")
    assert sorted(tuple(map(int, e.get("data-ch").split(":"))) for e in edges) == sorted(_channels(trace))
    assert len(_by_class(root, SVG + "g", "hypervisor")) == 1
    # every partition has its edge to the hypervisor
    assert len(_by_class(root, SVG + "path", "hc")) == len(boxes)
    # the timeline has a row per LP in the overview and in each page
    lps = {e.lp for e in trace if e.kind_name == "vp_entry"}
    overview = next(s for s in svgs if s.get("id") == "timeline-overview")
    assert len(_by_class(overview, SVG + "g", "lp")) == max(lps) + 1
    # verdicts: one row per expectation, each linked to an event in the table
    rows = _by_class(root, XHTML + "tr", "verdict")
    expects = [e for e in trace if e.kind_name == "expect"]
    assert len(rows) == len(expects)
    anchors = {tr.get("id") for tr in root.iter(XHTML + "tr") if tr.get("id")}
    for tr, exp in zip(rows, expects):
        verdict = "".join(tr[0].itertext())
        assert verdict == ("PASS" if exp.b else "FAIL")
        links = [a.get("href")[1:] for a in tr.iter(XHTML + "a")]
        assert f"ev-{exp.seq}" in links, "each verdict links its EXPECT record"
        assert all(link in anchors for link in links if link.startswith("ev-"))
    return root


@pytest.mark.parametrize("scenario", TOUR + ["scenarios/quickstart.yaml", "scenarios/vmbus-ic.yaml",
                                             "scenarios/passthrough-disk.yaml"],
                         ids=[golden.name_of(s) for s in TOUR] + ["quickstart", "vmbus-ic", "passthrough-disk"])
def test_report_draws_the_run(scenario, hvsim_bin, run_dir):
    r = run(scenario, trace_dir=run_dir("r"), binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    html = _report(hvsim_bin, r.trace_dir)
    _check_page(html, read_trace(r.trace_dir))
    assert html == _report(hvsim_bin, r.trace_dir), "the same trace must give the same page"


@pytest.mark.parametrize("chapter", TOUR, ids=[golden.name_of(s) for s in TOUR])
def test_tour_chapter_report_twice_identical(chapter, hvsim_bin, run_dir):
    """Two runs of a chapter: the same trace.bin and the same report, byte for byte."""
    pages = []
    for label in ("a", "b"):
        d = run_dir(label)
        p = subprocess.run([hvsim_bin, "run", chapter, "--trace-dir", str(d), "--quiet", "--report"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        assert f"report: {d}/report.html" in p.stdout
        pages.append((open(d / "trace.bin", "rb").read(), open(d / "report.html", "rb").read()))
    assert pages[0][0] == pages[1][0], "trace.bin differs between two runs"
    assert pages[0][1] == pages[1][1], "report.html differs between two runs"


def test_report_of_the_largest_scenario_is_bounded(hvsim_bin, run_dir):
    r = run(LARGEST, trace_dir=run_dir("big"), binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    html = _report(hvsim_bin, r.trace_dir)
    assert len(html) < SIZE_BOUND, f"{len(html)} bytes, the bound is {SIZE_BOUND}"
    root = ET.fromstring(html)
    bars = _by_class(root, SVG + "rect", "vp")
    lps = 2
    # at most RPT_TL_WIDTH / 2 bars per LP in each of the 9 charts (overview + 8 pages)
    assert len(bars) <= 9 * lps * 500


def test_tour_lists_and_runs_a_chapter(hvsim_bin, tmp_path):
    p = subprocess.run([hvsim_bin, "tour"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if re.match(r"^\s*\d+\s", ln)]
    assert len(lines) == len(TOUR) >= 10
    for i, (line, path) in enumerate(zip(lines, TOUR), 1):
        assert re.match(rf"^\s*{i}  [a-z0-9-]+ \u2014 \S", line), line
    d = tmp_path / "ch1"
    p = subprocess.run([hvsim_bin, "tour", "1", "--trace-dir", str(d)], cwd=REPO_ROOT, capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"open it: file://{d}/report.html" in p.stdout
    assert (d / "report.html").stat().st_size > 10000
    for bad in (["tour", "0"], ["tour", str(len(TOUR) + 1)], ["tour", "x"], ["report"],
                ["report", str(tmp_path / "nothing")]):
        q = subprocess.run([hvsim_bin] + bad, cwd=REPO_ROOT, capture_output=True, text=True)
        assert q.returncode == 2 and q.stderr.startswith("hvsim"), (bad, q.stderr)
    for cmd in ("tour", "report"):
        h = subprocess.run([hvsim_bin, cmd, "--help"], cwd=REPO_ROOT, capture_output=True, text=True)
        assert h.returncode == 0 and h.stdout.startswith(f"usage: hvsim {cmd}")


def test_every_chapter_explains_itself():
    import yaml
    for path in TOUR:
        with open(os.path.join(REPO_ROOT, path)) as f:
            doc = yaml.safe_load(f)
        words = doc.get("description", "").split()
        assert len(words) >= 60, f"{path}: the description is {len(words)} words"
        assert "Look at" in doc["description"], f"{path}: the description must point to events"
        assert len(doc.get("expect", [])) >= 5, f"{path}: too few expectations"


def test_readme_pictures_are_current(hvsim_bin):
    env = dict(os.environ, HVSIM_BIN=hvsim_bin)
    p = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts", "readme-pictures"), "--check"],
                       cwd=REPO_ROOT, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(REPO_ROOT, "README.md")) as f:
        readme = f.read()
    for name in ("quickstart-architecture.svg", "quickstart-timeline.svg"):
        path = os.path.join(REPO_ROOT, "docs", "pictures", name)
        root = ET.parse(path).getroot()
        assert root.tag == SVG + "svg"
        assert f"docs/pictures/{name}" in readme, f"the README does not show {name}"
