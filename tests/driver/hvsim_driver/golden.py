"""Golden digests of the scenario regression suite (tests/scenarios/golden/).

<name>.digest holds one line, "digest <sha256> events <N>" (the format of
`hvsim trace digest`); <name>.bin.gz the gzip'd trace.bin when that is under
512 KiB, so a mismatch can name the first divergent event. Gzip output is
made reproducible (mtime 0, no file name) so regenerating an unchanged
golden leaves the file byte-identical.
"""

import gzip
import os
import re

from .events import format_divergence
from .runner import REPO_ROOT
from .trace import check_outputs, parse_trace, read_trace, trace_digest

GOLDEN_DIR = os.path.join(REPO_ROOT, "tests", "scenarios", "golden")
SCENARIO_DIR = os.path.join(REPO_ROOT, "scenarios")
GOLDEN_SEED = 1
MAX_GZ_BYTES = 512 * 1024
_LINE = re.compile(r"^digest ([0-9a-f]{64}) events (\d+)\s*$")


TOUR_DIR = "tour"  # scenarios/tour/: the tour's chapters, goldens named tour-<file>


def boots_a_kernel(path):
    """Whether a scenario file has a VM with a `kernel:` key: such a VM
    boots x86 code (Linux, a multiboot kernel), which only the bare-metal
    levels run; level 1 refuses it with file:line:col (exit 2)."""
    import yaml

    with open(os.path.join(REPO_ROOT, path) if not os.path.isabs(path) else path) as f:
        doc = yaml.safe_load(f)
    parts = doc.get("partitions") if isinstance(doc, dict) else None
    return any(isinstance(p, dict) and "kernel" in p for p in parts or [])


def scenarios(directory=SCENARIO_DIR, kernels=False):
    """Scenario files of a directory, sorted, as paths relative to the repo
    root when inside it (so trace headers name them the same everywhere),
    then those of its tour/ folder (hvsim tour's chapters):
    those level 1 runs, or with kernels=True those it refuses because a VM
    boots a kernel (boots_a_kernel)."""
    if not os.path.isdir(directory):
        return []
    out = []
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, REPO_ROOT)
            path = path if rel.startswith("..") else rel
            if boots_a_kernel(path) == kernels:
                out.append(path)
    tour = os.path.join(directory, TOUR_DIR)
    if os.path.isdir(tour):
        out += scenarios(tour, kernels)
    return out


def name_of(scenario):
    """The golden's name: the file's name without its extension, prefixed
    with "tour-" for a chapter of the tour."""
    path = os.fspath(scenario)
    base = os.path.basename(path).rsplit(".", 1)[0]
    parent = os.path.basename(os.path.dirname(path))
    return f"tour-{base}" if parent == TOUR_DIR else base


def paths(name, golden_dir=GOLDEN_DIR):
    return (os.path.join(golden_dir, name + ".digest"),
            os.path.join(golden_dir, name + ".bin.gz"))


def load(name, golden_dir=GOLDEN_DIR):
    """(digest, events) of the stored golden, or None if there is none."""
    dpath, _ = paths(name, golden_dir)
    if not os.path.exists(dpath):
        return None
    with open(dpath) as f:
        m = _LINE.match(f.read())
    if not m:
        raise ValueError(f"{dpath}: expected one line 'digest <sha256> events <N>'")
    return m.group(1), int(m.group(2))


def store(name, trace_dir, golden_dir=GOLDEN_DIR):
    """Record the run in trace_dir as the golden of name. Returns a note."""
    os.makedirs(golden_dir, exist_ok=True)
    digest, n = trace_digest(trace_dir)
    dpath, gpath = paths(name, golden_dir)
    with open(os.path.join(trace_dir, "trace.bin"), "rb") as f:
        gz = gzip.compress(f.read(), compresslevel=9, mtime=0)
    _write_if_changed(dpath, f"digest {digest} events {n}\n".encode())
    if len(gz) < MAX_GZ_BYTES:
        _write_if_changed(gpath, gz)
        kept = f"trace kept ({len(gz)} bytes gz)"
    else:
        if os.path.exists(gpath):
            os.remove(gpath)
        kept = f"trace not kept ({len(gz)} bytes gz >= {MAX_GZ_BYTES})"
    return f"golden {name}: digest {digest} events {n}, {kept}"


def store_run(name, result, golden_dir=GOLDEN_DIR):
    """Store a run (a runner.RunResult) as the golden of name, but only a run
    worth keeping: hvsim exited 0 (every expectation held) and its trace
    files agree with trace.bin. Returns (stored, note); nothing is written
    when stored is False."""
    if result.exit_code != 0:
        return False, (f"golden {name} not updated: hvsim exited {result.exit_code}\n"
                       f"{result.explain()}")
    problems = check_outputs(result.trace_dir)
    if problems:
        return False, f"golden {name} not updated: " + "; ".join(problems)
    return True, store(name, result.trace_dir, golden_dir)


def _write_if_changed(path, data):
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def compare(name, trace_dir, golden_dir=GOLDEN_DIR):
    """None when the run in trace_dir matches the golden, else a report:
    both digests and, when the golden trace is stored, the first divergent
    event of the two traces."""
    want = load(name, golden_dir)
    got, n = trace_digest(trace_dir)
    if want is None:
        return (f"no golden digest for {name} in {golden_dir}; run "
                f"tests/scenarios/update_golden.py {name} (or pytest --update-golden) "
                f"and commit it")
    if want == (got, n):
        return None
    lines = [f"digest mismatch for {name}:",
             f"  golden {want[0]} events {want[1]}",
             f"  actual {got} events {n}"]
    _, gpath = paths(name, golden_dir)
    if os.path.exists(gpath):
        golden = read_trace(gpath)
        actual = read_trace(trace_dir)
        lines.append(format_divergence(golden, actual, "golden", "actual"))
    else:
        lines.append("  (golden trace not stored: too large; rerun the old build "
                     "and compare with `hvsim trace dump`)")
    lines.append(f"  actual trace: {trace_dir}")
    return "\n".join(lines)
