#!/usr/bin/python3
"""Regenerate the golden digests (and small golden traces) of the scenario
regression suite: runs every scenarios/*.yaml (or the names given) with
seed 1 on the hvsim binary the driver finds (HVSIM_BIN, else
build/$HVSIM_PRESET/sim/hvsim, preset dev) and writes
tests/scenarios/golden/<name>.digest and <name>.bin.gz (when < 512 KiB).

    tests/scenarios/update_golden.py [NAME ...]

A scenario whose expectations fail (or whose trace files disagree) is
reported and its golden is left alone (exit 1); hvsim rejecting a file
gives exit 2. Same effect, through
pytest: /usr/bin/python3 -m pytest tests/scenarios/test_regression.py --update-golden
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))

from hvsim_driver import HvsimNotFound, find_hvsim, golden, run  # noqa: E402


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    try:
        binary = find_hvsim()
    except HvsimNotFound as e:
        print(f"update_golden: {e}", file=sys.stderr)
        return 2
    todo = golden.scenarios()
    if argv:
        by_name = {golden.name_of(s): s for s in todo}
        unknown = [a for a in argv if a not in by_name]
        if unknown:
            print(f"update_golden: no scenarios/{unknown[0]}.yaml", file=sys.stderr)
            return 2
        todo = [by_name[a] for a in argv]
    status = 0
    with tempfile.TemporaryDirectory(prefix="hvsim-golden-") as tmp:
        for scn in todo:
            name = golden.name_of(scn)
            r = run(scn, seed=golden.GOLDEN_SEED, trace_dir=os.path.join(tmp, name),
                    binary=binary)
            stored, note = golden.store_run(name, r)
            if not stored:
                print(note, file=sys.stderr)
                status = max(status, 2 if r.exit_code == 2 else 1)
                continue
            print(note)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
