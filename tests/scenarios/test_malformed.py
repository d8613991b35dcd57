"""Malformed scenarios: each tests/malformed/*.yaml makes `hvsim check`
exit 2 with exactly one line "path:line:col: field: message" whose
position and field agree with tests/malformed/expected.tsv
(FILE<TAB>LINE:COL<TAB>FIELD-substring; '#' comments and blank lines skipped).
"""

import os
import re

import pytest

from hvsim_driver import REPO_ROOT, check

MALFORMED = os.path.join(REPO_ROOT, "tests", "malformed")
TSV = os.path.join(MALFORMED, "expected.tsv")
LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<field>[^:]*): (?P<msg>.+)$")


def _files():
    if not os.path.isdir(MALFORMED):
        return []
    return sorted(f for f in os.listdir(MALFORMED) if f.endswith((".yaml", ".yml")))


def _expected():
    rows = {}
    if not os.path.exists(TSV):
        return rows
    with open(TSV) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            assert len(parts) == 3, f"{TSV}:{n}: want FILE<TAB>LINE:COL<TAB>FIELD, got {line!r}"
            rows[parts[0]] = (parts[1], parts[2], n)
    return rows


FILES = _files()
EXPECTED = _expected()


@pytest.mark.parametrize("name", FILES)
def test_check_reports_one_positioned_error(name, hvsim_bin):
    assert name in EXPECTED, f"{name} has no line in {TSV}"
    pos, field_sub, tsv_line = EXPECTED[name]
    rel = os.path.relpath(os.path.join(MALFORMED, name), REPO_ROOT)
    r = check(rel, binary=hvsim_bin)
    out = r.stderr if r.stderr.strip() else r.stdout
    lines = [x for x in out.splitlines() if x.strip()]
    how = f"killed by signal {-r.exit_code}" if r.exit_code < 0 else f"exit {r.exit_code}"
    assert r.exit_code == 2, f"hvsim check {rel}: {how}, want 2; output:\n{out}"
    assert len(lines) == 1, f"hvsim check {rel}: want one error line, got:\n{out}"
    m = LINE.match(lines[0])
    assert m, f"not 'path:line:col: field: message': {lines[0]!r}"
    assert m["path"].endswith(name), f"error names {m['path']!r}, not {name}"
    got = f"{m['line']}:{m['col']}"
    assert got == pos, f"{name}: position {got}, expected.tsv line {tsv_line} says {pos}\n{lines[0]}"
    assert field_sub in m["field"], \
        f"{name}: field {m['field']!r} does not contain {field_sub!r} (expected.tsv line {tsv_line})"


def test_every_expected_row_has_a_file():
    missing = sorted(set(EXPECTED) - set(FILES))
    assert not missing, f"{TSV} names files that do not exist: {missing}"
