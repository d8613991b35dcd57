"""scripts/mutants and its list: every mutant's original text is found
exactly once where the list says (so a moved or reworded check fails here,
naming the mutant, long before a mutation run), the list keeps at least 30
mutants with at least one test each, and the script refuses what it cannot
do with exit 2."""

import importlib.machinery
import importlib.util
import os
import subprocess

import pytest
import yaml

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SCRIPT = os.path.join(REPO, "scripts", "mutants")


def _load():
    loader = importlib.machinery.SourceFileLoader("mutants_script", SCRIPT)
    spec = importlib.util.spec_from_loader("mutants_script", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


M = _load()


def test_every_original_is_found_once():
    mutants = M.load_list()  # raises ListError naming the mutant otherwise
    assert len(mutants) >= 30
    assert all(m["killers"] for m in mutants)
    assert any(m["ci"] for m in mutants)


def write_list(tmp_path, original, in_fn=None, text="int f(int a) {\n  if (a > 1)\n    return 1;\n  return 0;\n}\n"):
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "f.c").write_text(text)
    m = {"name": "m", "what": "w", "file": "f", "original": original, "replacement": "0",
         "killers": ["unit:test_f"]}
    if in_fn:
        m["in"] = in_fn
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"files": {"f": "src/f.c"}, "mutants": [m]}))
    return str(tmp_path / "list.yaml")


def test_original_must_occur_exactly_once(tmp_path):
    assert M.load_list(write_list(tmp_path, "a > 1"), str(tmp_path))[0]["path"] == "src/f.c"
    with pytest.raises(M.ListError, match="occurs 0 times in src/f.c"):
        M.load_list(write_list(tmp_path, "a > 2"), str(tmp_path))
    with pytest.raises(M.ListError, match="occurs 2 times"):
        M.load_list(write_list(tmp_path, "return"), str(tmp_path))
    two = "int g(int a) {\n  return a;\n}\n\nint f(int a) {\n  return a;\n}\n"
    assert M.load_list(write_list(tmp_path, "return a;", "f", two), str(tmp_path))
    with pytest.raises(M.ListError, match=r"no single definition of h\(\)"):
        M.load_list(write_list(tmp_path, "return a;", "h", two), str(tmp_path))


def test_function_span_skips_declarations():
    text = "int f(int a);\n\nint f(int a) {\n  return a;\n}\nint g(void) {\n  return 1;\n}\n"
    lo, hi = M.function_span(text, "f")
    assert text[lo:hi] == "int f(int a) {\n  return a;\n}"


def run(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, *args], capture_output=True, text=True, cwd=REPO)


def test_command_line():
    assert run("--help").returncode == 0
    p = run("--list", "--ci")
    assert p.returncode == 0 and p.stdout.count("\n") >= 5
    p = run("--list", "--only", "get-partition-id-unprivileged")
    assert p.returncode == 0 and p.stdout.startswith("get-partition-id-unprivileged")
    p = run("--only", "no-such-mutant")
    assert p.returncode == 2 and "no mutant no-such-mutant" in p.stderr
    assert run("--frobnicate").returncode == 2
