"""Determinism: the same scenario and seed give a byte-identical trace.bin
on two runs of the dev build, and the same event digest in the asan and
release builds (build/<preset>/sim/hvsim). A missing asan or release binary
skips with the reason, unless HVSIM_REQUIRE_ASAN / HVSIM_REQUIRE_RELEASE
is set, which makes it a failure.
"""

import os

import pytest

from hvsim_driver import format_divergence, golden, read_trace, run
from hvsim_driver.trace import parse_header

SCENARIOS = golden.scenarios()
IDS = [golden.name_of(s) for s in SCENARIOS]
SEED = 1


def _bytes(run_result):
    with open(os.path.join(run_result.trace_dir, "trace.bin"), "rb") as f:
        return f.read()


def _explain_difference(a, b):
    """Where two trace.bin differ: header fields or the first event."""
    ha, sa = parse_header(_bytes(a))
    hb, sb = parse_header(_bytes(b))
    if _bytes(a)[:sa] != _bytes(b)[:sb]:
        diffs = [f"{k}: {getattr(ha, k)!r} != {getattr(hb, k)!r}" for k in vars(ha)
                 if getattr(ha, k) != getattr(hb, k)]
        return "headers differ: " + ("; ".join(diffs) or "in unused bytes")
    return format_divergence(read_trace(a.trace_dir), read_trace(b.trace_dir),
                             "run 1", "run 2")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_two_runs_byte_identical(scenario, hvsim_bin, run_dir):
    a = run(scenario, seed=SEED, trace_dir=run_dir("a"), binary=hvsim_bin)
    b = run(scenario, seed=SEED, trace_dir=run_dir("b"), binary=hvsim_bin)
    assert a.exit_code in (0, 1) and a.digest, a.explain()
    assert (a.exit_code, a.stdout.replace(a.trace_dir, "DIR")) == \
           (b.exit_code, b.stdout.replace(b.trace_dir, "DIR")), "exit or output differ"
    assert _bytes(a) == _bytes(b), \
        f"trace.bin differs between two runs of {a.repro}\n{_explain_difference(a, b)}"


@pytest.mark.parametrize("preset", ["asan", "release"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_same_digest_across_builds(scenario, preset, hvsim_bin, preset_bin, run_dir):
    other = preset_bin(preset)
    a = run(scenario, seed=SEED, trace_dir=run_dir("dev"), binary=hvsim_bin)
    b = run(scenario, seed=SEED, trace_dir=run_dir(preset), binary=other)
    # two builds that both reject the file, or both crash, agree on nothing
    assert a.exit_code in (0, 1) and a.digest, f"dev build: {a.explain()}"
    assert b.exit_code == a.exit_code, f"{preset} build: {b.explain()}"
    if a.digest != b.digest:
        pytest.fail(f"digest differs between dev ({a.digest}) and {preset} ({b.digest}) "
                    f"for {a.repro}\n" +
                    format_divergence(read_trace(a.trace_dir), read_trace(b.trace_dir),
                                      "dev", preset))
