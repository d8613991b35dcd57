"""The run report in a real browser: Debian's chromium-headless-shell
(scripts/setup installs it) loads each tour chapter's report offline with
its console logged, takes a screenshot and dumps the DOM it built. The
test checks that no script error or console message appeared, that the
screenshot is not blank (enough pixels differ from the page's background,
in several colours) and that the rendered DOM has the elements the report
drew: one partition box per partition of the run, the LP rows, the verdict
rows. Without chromium the tests skip with that reason, unless
HVSIM_REQUIRE_BROWSER is set (scripts/test), which makes it a failure.
"""

import os
import shutil
import subprocess
import zlib

import pytest

from hvsim_driver import REPO_ROOT, golden, read_trace, run

TOUR = [s for s in golden.scenarios() if golden.name_of(s).startswith("tour-")]
WINDOW = (1400, 1000)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-extensions", "--enable-logging=stderr", "--v=0", f"--window-size={WINDOW[0]},{WINDOW[1]}"]


@pytest.fixture(scope="session")
def chromium():
    for name in ("chromium-headless-shell", "chromium"):
        path = shutil.which(name) or (f"/usr/lib/chromium/{name}" if os.path.exists(
            f"/usr/lib/chromium/{name}") else None)
        if path:
            return path
    reason = "chromium-headless-shell is not installed (scripts/setup installs it from Debian)"
    if os.environ.get("HVSIM_REQUIRE_BROWSER"):
        pytest.fail(reason + " and HVSIM_REQUIRE_BROWSER is set")
    pytest.skip(reason)


def _browse(chromium, page, tmp_path, *extra):
    """Runs chromium on file://page; returns (stdout, stderr)."""
    p = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path}/profile", *extra, f"file://{page}"],
                       capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert p.returncode == 0, f"chromium exited {p.returncode}: {p.stderr[-2000:]}"
    return p.stdout, p.stderr


def _console(stderr):
    """Console messages and script errors chromium logged for the page."""
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]


def _ink(png_path):
    """(share of pixels that differ from the top-left one, distinct colours)."""
    try:
        from PIL import Image
    except ImportError:  # the stream's byte variety, a cruder sign of content
        data = open(png_path, "rb").read()
        raw, pos = b"", 8
        while pos < len(data):
            n = int.from_bytes(data[pos:pos + 4], "big")
            if data[pos + 4:pos + 8] == b"IDAT":
                raw += data[pos + 8:pos + 8 + n]
            pos += 12 + n
        plain = zlib.decompress(raw)
        return sum(1 for b in plain if b not in (0, 255)) / max(1, len(plain)), len(set(plain))
    img = Image.open(png_path).convert("RGB")
    bg = img.getpixel((0, 0))
    colours = img.getcolors(maxcolors=1 << 20) or []
    other = sum(n for n, c in colours if c != bg)
    return other / (img.width * img.height), len(colours)


def test_console_errors_are_caught(chromium, tmp_path):
    """The capture works: a page with a script error is seen failing."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><p>x</p><script>console.log('hello'); nosuch();</script></body></html>")
    _, err = _browse(chromium, page, tmp_path, "--dump-dom")
    assert any("nosuch" in ln for ln in _console(err)), err[-2000:]


@pytest.mark.parametrize("chapter", TOUR, ids=[golden.name_of(s) for s in TOUR])
def test_chapter_report_renders(chapter, chromium, hvsim_bin, run_dir, tmp_path):
    r = run(chapter, trace_dir=run_dir("r"), binary=hvsim_bin, extra_args=["--report"])
    assert r.exit_code == 0, r.explain()
    page = os.path.join(r.trace_dir, "report.html")
    shot = tmp_path / "shot.png"
    dom, err = _browse(chromium, page, tmp_path, f"--screenshot={shot}", "--dump-dom")  # one launch, both
    assert not _console(err), "console output or script errors:\n" + "\n".join(_console(err))
    assert shot.stat().st_size > 8000, f"screenshot of {shot.stat().st_size} bytes"
    ink, colours = _ink(shot)
    assert ink > 0.05 and colours > 8, f"the screenshot looks blank: {ink:.3f} of it drawn, {colours} colours"
    trace = read_trace(r.trace_dir)
    parts = len({1} | {e.a for e in trace if e.kind_name == "partition_state"})
    lps = 1 + max(e.lp for e in trace if e.kind_name == "vp_entry")
    expects = sum(1 for e in trace if e.kind_name == "expect")
    assert dom.count('class="box partition"') == parts, "partition boxes in the rendered DOM"
    assert dom.count('<g class="lp"') == lps * 9, "LP rows: the overview and 8 pages"
    assert dom.count('<tr class="verdict"') == expects
    assert dom.count("<svg") >= 12, "architecture, 9 timelines, cycles, memory (and sequence charts)"
