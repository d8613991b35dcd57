"""Regression suite: every scenarios/*.yaml, sorted, run with seed 1; its
expectations must hold, its trace.jsonl and trace.perfetto.json must parse
and agree with trace.bin, and its event-sequence digest must equal the golden
in tests/scenarios/golden/<name>.digest. On a mismatch the first divergent
event of the golden trace (<name>.bin.gz, when stored) and the new one is
printed. `pytest --update-golden` (or update_golden.py) rewrites goldens.
"""

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
