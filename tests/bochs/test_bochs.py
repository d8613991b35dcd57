"""Level 2: the bare-metal image on Bochs's x86 model, with VT-x and AMD-V.

Runs `hvsim run --backend bochs-vmx|bochs-svm` on scenarios/hello.yaml and
on tests/bochs/bad-actor.yaml, checks the trace, runs each twice and
compares the image's output (Bochs's standard output: port 0xE9, where the
image prints its log, figures and trace records) and trace.bin byte for
byte, and checks that the simulator (level 1) yields the same sequence of
architectural events. Skips, with the reason, only when bochs (or, for
its test, qemu) is not installed; with HVSIM_REQUIRE_BOCHS=1 (scripts/test
sets it, after scripts/setup installed both) a missing tool is a failure.

    pytest tests/bochs -q
"""

import os
import shutil
import struct
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HVSIM = os.path.join(REPO, "hvsim")
BACKENDS = ["bochs-vmx", "bochs-svm"]

# include/hvsim/trace.h
TR_VP_EXIT, TR_HYPERCALL, TR_GPA_VIOLATION, TR_VM_STATE, TR_GUEST, TR_VM_BIND = 4, 5, 9, 14, 15, 20
EXIT_SHUTDOWN = 11
ROOT = 1


def need_tool(tool, packages):
    if shutil.which(tool) is not None:
        return
    why = f"{tool} is not installed (apt-get install {packages})"
    if os.environ.get("HVSIM_REQUIRE_BOCHS"):
        pytest.fail(why + "; HVSIM_REQUIRE_BOCHS is set")
    pytest.skip(why + "; set HVSIM_REQUIRE_BOCHS=1 to make this a failure")


def need_bochs():
    need_tool("bochs", "bochs bochsbios vgabios bochs-term")


def hvsim(*args, timeout=600):
    return subprocess.run([HVSIM, *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def run(backend, scenario, trace_dir):
    need_bochs()
    p = hvsim("run", "--backend", backend, scenario, "--trace-dir", trace_dir)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def records(trace_dir):
    """trace.bin: header (size at offset 12), then 40-byte records."""
    data = open(os.path.join(trace_dir, "trace.bin"), "rb").read()
    assert data[:8] == b"HVTRACE\0"
    hsize, rsize = struct.unpack_from("<II", data, 12)
    assert rsize == 40
    out = []
    for off in range(hsize, len(data) - 39, 40):
        t, kind, lp, vp, part, a, b, c = struct.unpack_from("<QHHHHQQQ", data, off)
        out.append(dict(time=t, kind=kind, lp=lp, vp=vp, partition=part, a=a, b=b, c=c))
    return out


def vm_partition(recs, vm_id):
    binds = [r["b"] for r in recs if r["kind"] == TR_VM_BIND and r["a"] == vm_id]
    assert binds, f"VM {vm_id} was never bound to a partition"
    return binds[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_hello_runs_and_is_deterministic(backend, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    p = run(backend, "scenarios/hello.yaml", a)
    run(backend, "scenarios/hello.yaml", b)
    assert "verdict: PASS" in p.stdout
    out_a = (a / "bochs" / "bochs.out").read_bytes()
    assert out_a == (b / "bochs" / "bochs.out").read_bytes(), "serial output differs between runs"
    assert (a / "trace.bin").read_bytes() == (b / "trace.bin").read_bytes(), "trace.bin differs"
    assert b"@END status=0" in out_a
    recs = records(a)
    child = vm_partition(recs, 1)
    calls = [r for r in recs if r["kind"] == TR_HYPERCALL and r["partition"] == child]
    assert len(calls) == 40
    assert all(r["b"] & 0xFFFF == 0 for r in calls), "a child hypercall failed"
    assert any(r["kind"] == TR_HYPERCALL and r["partition"] == ROOT and r["a"] & 0xFFFF == 0x40
               for r in recs), "the root never created a partition"
    states = [r["c"] for r in recs if r["kind"] == TR_VM_STATE and r["a"] == 1]
    assert 2 in states and states[-1] == 5, f"VM states {states}: never Running, or not Deleted"
    times = [r["time"] for r in recs]
    assert times == sorted(times), "record times go backwards"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lps", [1, 2])
def test_misbehaving_child_is_refused_and_the_rest_carries_on(backend, lps, tmp_path):
    scenario = "tests/bochs/bad-actor.yaml"
    if lps != 1:  # the same on a two-LP machine (two LPs multiplexed on CPU 0, each its own clock)
        text = open(os.path.join(REPO, scenario)).read().replace("lps: 1,", f"lps: {lps},")
        scenario = tmp_path / "bad-actor-2lp.yaml"
        scenario.write_text(text)
    p = run(backend, scenario, tmp_path / "run")
    assert "verdict: PASS" in p.stdout
    recs = records(tmp_path / "run")
    evil, good = vm_partition(recs, 1), vm_partition(recs, 2)
    denied = [r for r in recs if r["kind"] == TR_HYPERCALL and r["partition"] == evil
              and r["b"] & 0xFFFF in (0x2, 0x3, 0x6)]
    assert len(denied) >= 9
    assert sum(r["kind"] == TR_GPA_VIOLATION and r["partition"] == evil for r in recs) == 9
    assert [r["a"] for r in recs if r["kind"] == TR_GUEST and r["partition"] == good] == [1, 2]


def architectural(r):
    """What of a record must agree between levels: kind, LP, VP, partition,
    and for a hypercall its call code and status, for a VP exit its reason,
    for a guest mark its code and value."""
    what = {TR_HYPERCALL: (r["a"] & 0xFFFF, r["b"] & 0xFFFF), TR_VP_EXIT: (r["a"],),
            TR_GUEST: (r["a"], r["b"])}.get(r["kind"], ())
    return (r["kind"], r["lp"], r["vp"], r["partition"]) + what


def test_sim_and_bochs_see_the_same_events(tmp_path):
    """The same scenario on level 1 and level 2: the same sequence of
    architectural events (architectural() above). Times differ, and so
    may what depends on them: slice ends (a preemption exit where the
    root's work outlasts a slice on Bochs) and the scheduler's records."""
    need_bochs()
    sim = hvsim("run", "scenarios/hello.yaml", "--trace-dir", tmp_path / "sim")
    assert sim.returncode == 0, sim.stdout + sim.stderr
    TR_VP_ENTRY, TR_SCHED, EXIT_PREEMPT = 3, 6, 9

    def events(d):
        return [architectural(r) for r in records(d)
                if r["kind"] not in (TR_VP_ENTRY, TR_SCHED)
                and not (r["kind"] == TR_VP_EXIT and r["a"] == EXIT_PREEMPT)]

    want = events(tmp_path / "sim")
    for backend in BACKENDS:
        run(backend, "scenarios/hello.yaml", tmp_path / backend)
        got = events(tmp_path / backend)
        assert got == want, f"{backend}: event sequence differs from the simulator's"


BASE = ("version: 1\nname: refuse\nmachine: {{ lps: {lps}, memory: 64MiB }}\n"
        "partitions:\n  - {{ name: a, memory: {mem}, vps: {vps}, program: idle }}\n"
        "timeline:\n  - {{ at: 0ms, start: [a] }}\n")


@pytest.mark.parametrize("body,where", [
    (BASE.format(lps=9, mem="4MiB", vps=1), "machine: lps"),
    (BASE.format(lps=1, mem="1MiB", vps=1), ".yaml:5:5: memory"),  # file:line:col of the VM
    (BASE.format(lps=1, mem="4MiB", vps=20), ".yaml:5:5: vps"),
])
def test_unsupported_scenarios_are_refused(body, where, tmp_path):
    need_bochs()
    f = tmp_path / "s.yaml"
    f.write_text(body)
    p = hvsim("run", "--backend", "bochs-vmx", f)
    assert p.returncode == 2, p.stdout + p.stderr
    assert where in p.stderr and str(f) in p.stderr, p.stderr


def test_qemu_svm_runs_hello_deterministically(tmp_path):
    """The AMD-V image through multiboot on QEMU's TCG (-icount): a second
    CPU model for the same image."""
    need_tool("qemu-system-x86_64", "qemu-system-x86")
    a = hvsim("run", "--backend", "qemu-svm", "scenarios/hello.yaml", "--trace-dir", tmp_path / "a")
    assert a.returncode == 0, a.stdout + a.stderr
    b = hvsim("run", "--backend", "qemu-svm", "scenarios/hello.yaml", "--trace-dir", tmp_path / "b")
    assert b.returncode == 0, b.stdout + b.stderr
    assert (tmp_path / "a" / "trace.bin").read_bytes() == (tmp_path / "b" / "trace.bin").read_bytes()
    assert (tmp_path / "a" / "bochs" / "bochs.out").read_bytes() == \
        (tmp_path / "b" / "bochs" / "bochs.out").read_bytes()
