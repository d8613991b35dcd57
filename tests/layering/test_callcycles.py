"""scripts/callcycles: hv/core has no call cycle larger than the virtual
interrupt controller's box, and the measure itself is right — a cycle made
on purpose is found and fails --max, what only looks like a call (comments,
strings, struct members, another file's static function) links nothing, and
a function table counts only with --tables."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "callcycles")
# The interrupt controller's four files (irq, vapic, synic, stimer) call each
# other round; scripts/test runs the same bound.
CORE_MAX = 4


def callcycles(*args, root=REPO):
    return subprocess.run([sys.executable, SCRIPT, "--root", str(root), *args], capture_output=True, text=True)


def write(root, files):
    d = root / "core"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text)
    return root


def test_the_core_stays_within_its_bound():
    p = callcycles("--max", str(CORE_MAX))
    assert p.returncode == 0, p.stdout + p.stderr
    p = callcycles("--tables", "--max", str(CORE_MAX))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "irq.c stimer.c synic.c vapic.c" in p.stdout


def test_the_core_fails_when_a_lower_tier_calls_back_up(tmp_path):
    """The run queue (objects) calling the LP loop, a hardware event calling
    the run queue, the interrupt controller calling a hardware event: the
    entry tier, the objects and the interrupt controller become one cycle."""
    core = tmp_path / "hv" / "core"
    core.parent.mkdir()
    subprocess.run(["cp", "-r", os.path.join(REPO, "hv", "core"), str(core)], check=True)
    with open(core / "sched.c", "a") as fh:
        fh.write("void sched_again(struct hv *hv) { (void)hv_lp_step(hv, 0); }\n")
    with open(core / "hw_event.c", "a") as fh:
        fh.write("void hv_event_again(struct hv *hv) { sched_again(hv); }\n")
    with open(core / "irq.c", "a") as fh:
        fh.write("void irq_again(struct hv *hv) { hv_irq_raise(hv, 0, 32); }\n")
    p = callcycles("--max", str(CORE_MAX), root=tmp_path)
    assert p.returncode == 1, p.stdout
    assert "exceeds --max 4" in p.stderr
    big = p.stdout.splitlines()[0]
    assert "hw_event.c" in big and "lp.c" in big and "sched.c" in big and "irq.c" in big, big


def test_a_cycle_is_found_with_its_calls(tmp_path):
    write(tmp_path, {
        "a.c": "int a(void) { return b(); }\n",
        "b.c": "int b(void) {\n  return c() + 1;\n}\n",
        "c.c": "int c(void) { return a(); }\nint d(void) { return 0; }\n",
        "e.c": "int e(void) { return d(); }\n",
    })
    p = callcycles("--dir", "core", "--edges", root=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "3 files: a.c b.c c.c" in p.stdout
    assert "a.c -> b.c: a->b" in p.stdout and "c.c -> a.c: c->a" in p.stdout
    assert "e.c" not in p.stdout.splitlines()[0]
    assert callcycles("--dir", "core", "--max", "2", root=tmp_path).returncode == 1
    assert callcycles("--dir", "core", "--max", "3", root=tmp_path).returncode == 0


def test_what_only_looks_like_a_call_links_nothing(tmp_path):
    write(tmp_path, {
        "a.c": "int a(void) { return 0; }\n"
               "static int helper(void) { return 1; }\n"
               "int a2(struct s *p) { /* b() */ const char *t = \"b()\"; (void)t; return p->b() + p->c.b() + helper(); }\n",
        "b.c": "static int helper(void) { return a(); }\n"
               "int b(void) { return helper(); }\n",
    })
    p = callcycles("--dir", "core", root=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "largest cycle 0" in p.stdout, p.stdout


def test_a_function_table_counts_only_with_tables(tmp_path):
    write(tmp_path, {
        "table.c": "static int (*const fns[])(void) = {handler};\nint run(int i) { return fns[i](); }\n",
        "handler.c": "int handler(void) { return run(0); }\n",
    })
    assert "largest cycle 0" in callcycles("--dir", "core", root=tmp_path).stdout
    p = callcycles("--dir", "core", "--tables", root=tmp_path)
    assert "2 files: handler.c table.c" in p.stdout, p.stdout


def test_a_missing_folder_is_a_usage_error(tmp_path):
    p = callcycles("--dir", "nowhere", root=tmp_path)
    assert p.returncode == 2 and "no such folder" in p.stderr
