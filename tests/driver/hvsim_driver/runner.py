"""Running the hvsim binary: locating it, `hvsim run`, `hvsim check`.

The binary is $HVSIM_BIN, else build/<preset>/sim/hvsim under the repository
root with preset $HVSIM_PRESET (default "dev"). Every run gets its own trace
directory, so runs in parallel (pytest-xdist) never share an output path.
"""

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Optional

from .trace import read_trace, trace_digest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class HvsimNotFound(Exception):
    pass


def binary_path(preset=None):
    """Where the hvsim binary of a preset is (it may not exist)."""
    if preset is None:
        env = os.environ.get("HVSIM_BIN")
        if env:
            return os.path.abspath(env)
        preset = os.environ.get("HVSIM_PRESET", "dev")
    return os.path.join(REPO_ROOT, "build", preset, "sim", "hvsim")


def find_hvsim(preset=None):
    """Path of an executable hvsim, or HvsimNotFound naming where it looked."""
    path = binary_path(preset)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if preset is None and os.environ.get("HVSIM_BIN"):
            raise HvsimNotFound(f"HVSIM_BIN={path} is not an executable file")
        raise HvsimNotFound(
            f"hvsim binary not found at {path} (set HVSIM_BIN, or build it: "
            f"cmake --preset {preset or os.environ.get('HVSIM_PRESET', 'dev')} && "
            f"cmake --build --preset {preset or os.environ.get('HVSIM_PRESET', 'dev')})")
    return path


@dataclass
class RunResult:
    exit_code: int
    stdout: str
    stderr: str
    trace_dir: str
    result: Optional[dict]  # DIR/result.json, None if the run wrote none
    digest: Optional[str]
    argv: list

    @property
    def repro(self):
        """The command line that repeats this run."""
        return " ".join(shlex.quote(a) for a in self.argv)

    def trace(self):
        """The run's trace (hvsim_driver.trace.Trace)."""
        return read_trace(self.trace_dir)

    def verdicts(self):
        return (self.result or {}).get("verdicts", [])

    def failed_verdicts(self):
        return [v for v in self.verdicts() if not v.get("held")]

    def explain(self):
        """Multi-line summary for an assertion message."""
        how = (f"killed by signal {-self.exit_code}" if self.exit_code < 0
               else f"exit {self.exit_code}")
        lines = [f"{how}: {self.repro}"]
        for v in self.failed_verdicts():
            lines.append(f"  FAILED expect[{v.get('index')}] {v.get('text')}: {v.get('detail')}")
        for m in (self.result or {}).get("mgmt_errors", []):
            lines.append(f"  mgmt error at {m.get('time_ns')}ns {m.get('vm')} "
                         f"{m.get('action')}: {m.get('error')}")
        if self.stderr.strip():
            lines.append("  stderr: " + self.stderr.strip().replace("\n", "\n          "))
        return "\n".join(lines)


def _run(argv, timeout, cwd):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, errors="replace")


def run(scenario, seed=1, trace_dir=None, until=None, extra_args=(), binary=None,
        timeout=600, cwd=REPO_ROOT):
    """`hvsim run scenario --seed N --trace-dir DIR [--until T] extra_args`.

    trace_dir defaults to a fresh temporary directory. Returns a RunResult;
    the digest comes from result.json, else from DIR/trace.bin."""
    binary = binary or find_hvsim()
    if trace_dir is None:
        trace_dir = tempfile.mkdtemp(prefix="hvsim-run-")
    trace_dir = os.fspath(trace_dir)
    argv = [binary, "run", os.fspath(scenario), "--seed", str(seed), "--trace-dir", trace_dir]
    if until is not None:
        argv += ["--until", str(until)]
    argv += list(extra_args)
    p = _run(argv, timeout, cwd)
    result = None
    rpath = os.path.join(trace_dir, "result.json")
    if os.path.exists(rpath):
        with open(rpath) as f:
            result = json.load(f)
    digest = (result or {}).get("digest")
    if digest is None and os.path.exists(os.path.join(trace_dir, "trace.bin")):
        digest = trace_digest(trace_dir)[0]
    return RunResult(p.returncode, p.stdout, p.stderr, trace_dir, result, digest, argv)


@dataclass
class CheckResult:
    exit_code: int
    stdout: str
    stderr: str


def check(scenario, binary=None, timeout=60, cwd=REPO_ROOT):
    """`hvsim check scenario`: exit 0 valid, 2 with one error line."""
    binary = binary or find_hvsim()
    p = _run([binary, "check", os.fspath(scenario)], timeout, cwd)
    return CheckResult(p.returncode, p.stdout, p.stderr)


def trace_cmd(*args, binary=None, timeout=60, cwd=REPO_ROOT):
    """`hvsim trace ARGS...` -> CompletedProcess (text)."""
    binary = binary or find_hvsim()
    return _run([binary, "trace", *map(os.fspath, args)], timeout, cwd)
