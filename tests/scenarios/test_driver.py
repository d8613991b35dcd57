"""Unit tests of the Python driver on synthetic traces: reading and writing
trace.bin, decoding, filters and assertions, first_divergence, goldens,
the name tables against the C headers, and (when hvsim is built) the
driver's decoding against `hvsim trace digest` / `hvsim trace dump`.
"""

import gzip
import hashlib
import json
import os
import re

import pytest

from hvsim_driver import (REPO_ROOT, HvsimNotFound, TraceFormatError, TraceMeta,
                          assert_count, assert_every, assert_none, assert_order, count,
                          encode_trace, find_hvsim, first_divergence, format_divergence,
                          golden, read_trace, run, select, trace_cmd, trace_digest, write_trace)
from hvsim_driver import tables as T

N = T.TRACE_NONE
HC = 5


def hc(t, part, code, status, vp=0, lp=0, reps=0, done=0, fast=False):
    a = code | (T.HC_FAST_BIT if fast else 0) | (reps << T.HC_REP_COUNT_SHIFT)
    return (t, HC, lp, vp, part, a, status | (done << T.HC_REP_DONE_SHIFT), 100)


META = TraceMeta(seed=7, scenario_sha256=hashlib.sha256(b"x").digest(),
                 scenario_path="scenarios/q.yaml", build_id="test", options="--until 1ms",
                 cycles_per_us=2000, lps=2, vm_names=["web", "db"])

RECS = [
    (0, 14, N, N, 1, 1, 0, 1),          # web Off -> Starting
    (10, 13, N, N, 1, 1, 0, 1),         # mgmt create ok on web
    (50, 7, 1, N, N, 0x30, 0, 0),       # irq_phys before any bind
    (90, 5, 0, 0, 2, 0x40, 6, 10),      # hypercall from partition 2 before its bind
    (100, 20, 0, 0, 1, 1, 2, 0),        # bind web -> partition 2
    (200, 3, 0, 0, 2, 5000, 0, 0),      # vp_entry
    hc(246912, 2, 0x40, 6),             # CreatePartition ACCESS_DENIED
    hc(250000, 2, 0x40, 6, vp=1, lp=1),
    hc(260000, 2, 0x4B, 0, reps=4, done=4),
    hc(270000, 1, 0x40, 0),             # root creates: SUCCESS
    (300000, 4, 0, 0, 2, 6, 0, 0x1000),  # vp_exit hlt
    (300100, 6, 0, N, N, 0, 0, 0),       # sched switch-out
    (400000, 14, N, N, 1, 1, 1, 2),      # web Starting -> Running
]


@pytest.fixture
def trace_dir(tmp_path):
    write_trace(tmp_path, META, RECS)
    return tmp_path


# ---- trace.bin ----------------------------------------------------------

def test_round_trip_header_and_events(trace_dir):
    t = read_trace(trace_dir)
    assert (t.meta.seed, t.meta.build_id, t.meta.options) == (7, "test", "--until 1ms")
    assert t.meta.scenario_path == "scenarios/q.yaml"
    assert t.meta.vm_names == ["web", "db"]
    assert t.meta.scenario_sha256 == hashlib.sha256(b"x").digest()
    assert [e.record() for e in t] == RECS
    assert [e.seq for e in t] == list(range(len(RECS)))


def test_decoded_fields(trace_dir):
    t = read_trace(trace_dir)
    e = t[6]
    assert (e.kind_name, e.call, e.code, e.status, e.fast, e.cycles) == \
           ("hypercall", "HvCallCreatePartition", 0x40, "ACCESS_DENIED", False, 100)
    assert e.us == 123.456 and e.lp == 0 and e.partition == 2
    assert t[8].call == "HvCallMapGpaPages" and t[8].rep_count == 4 and t[8].reps_done == 4
    assert t[10].reason == "hlt" and t[10].rip == 0x1000
    assert (t[0].vm, t[0].get("from"), t[0].to) == ("web", "Off", "Starting")
    assert (t[1].action, t[1].status, t[1].vm) == ("create", "ok", "web")
    assert t[2].lp == 1 and t[2].partition is None and t[2].vp is None
    assert t[11].what == "switch_out"
    with pytest.raises(AttributeError, match="no field 'call'"):
        t[10].call


def test_partition_names_from_vm_bind(trace_dir):
    t = read_trace(trace_dir)
    assert t[3].partition_name == "web"   # before the bind: named by the later bind
    assert t[6].partition_name == "web"
    assert t[9].partition_name == "root"
    assert t[2].partition_name is None
    assert t.partition_of("web") == [2]


def test_digest_is_sha256_of_records(trace_dir):
    raw = (trace_dir / "trace.bin").read_bytes()
    body = raw[1168 + 2 * 32:]
    assert len(body) == 40 * len(RECS)
    assert trace_digest(trace_dir) == (hashlib.sha256(body).hexdigest(), len(RECS))
    empty = write_trace(trace_dir / "empty.bin", META, [])
    assert trace_digest(empty)[0] == hashlib.sha256(b"").hexdigest()


def test_encoding_is_deterministic():
    assert encode_trace(META, RECS) == encode_trace(META, list(RECS))


def test_rejects_foreign_and_cut_files(tmp_path):
    data = encode_trace(META, RECS)
    cases = {"short.bin": (data[:100], "truncated header"),
             "names.bin": (data[:1170], "truncated header"),
             "magic.bin": (b"X" + data[1:], "bad magic"),
             "version.bin": (data[:8] + b"\x63" + data[9:], "version 99"),
             "empty.bin": (b"", "bad magic")}
    for name, (blob, why) in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        with pytest.raises(TraceFormatError, match=why):
            read_trace(p)


def test_partial_last_record_is_ignored(tmp_path):
    p = tmp_path / "cut.bin"
    p.write_bytes(encode_trace(META, RECS)[:-17])
    assert [e.record() for e in read_trace(p)] == RECS[:-1]


def test_reads_gzip(tmp_path):
    p = tmp_path / "g.bin.gz"
    p.write_bytes(gzip.compress(encode_trace(META, RECS)))
    assert [e.record() for e in read_trace(p)] == RECS


# ---- filters and assertions -----------------------------------------------

def test_select_and_count(trace_dir):
    t = read_trace(trace_dir)
    assert count(t, kind="hypercall") == 5
    assert count(t, kind="hypercall", partition="web") == 4
    assert count(t, kind="hypercall", partition=2, status=6) == 3
    assert count(t, kind="hypercall", status="HV_STATUS_ACCESS_DENIED") == 3
    assert count(t, kind="hypercall", call=0x40, status={"SUCCESS", "ACCESS_DENIED"}) == 4
    assert count(t, kind="vm_state", vm="web", to="Running") == 1
    assert count(t, kind="vp_exit", reason="hlt") == 1
    assert count(t, kind="hypercall", cycles=lambda c: c > 50) == 4
    assert [e.seq for e in select(t, kind="hypercall", vp=1)] == [7]


def test_assert_every_holds(trace_dir):
    t = read_trace(trace_dir)
    got = assert_every(t, kind="hypercall", partition="web", call="HvCallCreatePartition",
                       status="ACCESS_DENIED")
    assert len(got) == 3
    assert_every(t, then={"reps_done": 4}, kind="hypercall", call="HvCallMapGpaPages")


def test_assert_every_failure_names_the_events(trace_dir):
    t = read_trace(trace_dir)
    with pytest.raises(AssertionError) as e:
        assert_every(t, kind="hypercall", call="HvCallCreatePartition", status="ACCESS_DENIED")
    msg = str(e.value)
    assert "1 of 4 event(s) matching kind='hypercall' call='HvCallCreatePartition'" in msg
    assert "status='ACCESS_DENIED'" in msg
    assert "#9 t=270000" in msg and "part=1(root)" in msg and "status=SUCCESS" in msg


def test_assert_every_is_not_vacuous(trace_dir):
    t = read_trace(trace_dir)
    with pytest.raises(AssertionError, match="at least 1 event"):
        assert_every(t, kind="hypercall", partition="db", status="SUCCESS")
    assert_every(t, kind="hypercall", partition="db", status="SUCCESS", min_count=0)
    with pytest.raises(TypeError):
        assert_every(t, kind="hypercall")


def test_assert_none_count_order(trace_dir):
    t = read_trace(trace_dir)
    assert_none(t, kind="isolation")
    with pytest.raises(AssertionError, match="2 event"):
        assert_none(t, kind="vm_state")
    assert_count(t, 2, kind="vm_state")
    assert_count(t, at_least=1, at_most=3, kind="hypercall", status="ACCESS_DENIED")
    with pytest.raises(AssertionError, match="5 event.*expected == 4"):
        assert_count(t, 4, kind="hypercall")
    assert_order(t, {"kind": "vm_state", "to": "Starting"}, {"kind": "vm_bind"},
                 {"kind": "vm_state", "to": "Running"})
    with pytest.raises(AssertionError, match="assert_order"):
        assert_order(t, {"kind": "vm_state", "to": "Running"}, {"kind": "vm_bind"})
    with pytest.raises(ValueError, match="unknown trace kind"):
        count(t, kind="hypercal")


# ---- divergence ------------------------------------------------------------

def test_first_divergence(tmp_path):
    a = read_trace(write_trace(tmp_path / "a.bin", META, RECS))
    assert first_divergence(a, a) is None
    assert format_divergence(a, a) == ""
    changed = list(RECS)
    changed[7] = hc(250000, 2, 0x40, 0, vp=1, lp=1)
    b = read_trace(write_trace(tmp_path / "b.bin", META, changed))
    i, x, y = first_divergence(a, b)
    assert i == 7 and x.status == "ACCESS_DENIED" and y.status == "SUCCESS"
    text = format_divergence(a, b, "golden", "actual")
    assert "first divergence at event #7" in text
    assert re.search(r"golden +#7 .*status=ACCESS_DENIED", text)
    assert re.search(r"actual +#7 .*status=SUCCESS", text)
    assert "common    #6" in text
    short = read_trace(write_trace(tmp_path / "c.bin", META, RECS[:5]))
    i, x, y = first_divergence(a, short)
    assert (i, x.seq, y) == (5, 5, None)
    assert "<end of trace>" in format_divergence(a, short)


def test_golden_store_and_compare(tmp_path):
    gdir = tmp_path / "golden"
    run1 = tmp_path / "run1"
    run1.mkdir()
    write_trace(run1, META, RECS)
    assert "no golden digest" in golden.compare("q", run1, gdir)
    note = golden.store("q", run1, gdir)
    assert "trace kept" in note
    first = (gdir / "q.bin.gz").read_bytes()
    golden.store("q", run1, gdir)
    assert (gdir / "q.bin.gz").read_bytes() == first  # reproducible gzip
    assert (gdir / "q.digest").read_text() == \
        f"digest {trace_digest(run1)[0]} events {len(RECS)}\n"
    assert golden.compare("q", run1, gdir) is None
    run2 = tmp_path / "run2"
    run2.mkdir()
    changed = list(RECS)
    changed[9] = hc(270000, 1, 0x40, 6)
    write_trace(run2, META, changed)
    report = golden.compare("q", run2, gdir)
    assert "digest mismatch for q" in report and "first divergence at event #9" in report
    os.remove(gdir / "q.bin.gz")
    assert "golden trace not stored" in golden.compare("q", run2, gdir)


SMALL = """version: 1
name: small
machine: {{ lps: 1, memory: 64MiB }}
until: 2ms
partitions:
  - {{ name: a, memory: 2MiB, vps: 1, program: hypercall-loop, params: {{ calls: 5, work: 0 }} }}
timeline:
  - {{ at: 0ms, start: a }}
expect:
  - {{ count: {{ event: hypercall, partition: a }}, equals: {calls} }}
"""


def test_golden_is_stored_only_for_a_passing_run(hvsim_bin, tmp_path):
    """--update-golden and update_golden.py keep a run only when every
    expectation held: a failing run leaves the golden untouched."""
    gdir = tmp_path / "golden"
    scn = tmp_path / "small.yaml"
    scn.write_text(SMALL.format(calls=6))  # a is told to make 5 calls
    bad = run(scn, trace_dir=tmp_path / "bad", binary=hvsim_bin)
    assert bad.exit_code == 1, bad.explain()
    stored, note = golden.store_run("small", bad, gdir)
    assert not stored and "not updated" in note and "exited 1" in note
    assert not os.path.exists(gdir / "small.digest") and not os.path.exists(gdir / "small.bin.gz")
    scn.write_text(SMALL.format(calls=5))
    good = run(scn, trace_dir=tmp_path / "good", binary=hvsim_bin)
    stored, note = golden.store_run("small", good, gdir)
    assert stored, note
    assert golden.load("small", gdir) == trace_digest(good.trace_dir)


def test_golden_scenario_listing(tmp_path):
    for n in ("b.yaml", "a.yaml", "notes.txt"):
        (tmp_path / n).write_text("")
    assert [os.path.basename(p) for p in golden.scenarios(str(tmp_path))] == ["a.yaml", "b.yaml"]
    assert golden.name_of("scenarios/quick.start.yaml") == "quick.start"
    (tmp_path / "tour").mkdir()
    (tmp_path / "tour" / "01-x.yaml").write_text("")
    listed = golden.scenarios(str(tmp_path))
    assert [os.path.basename(p) for p in listed] == ["a.yaml", "b.yaml", "01-x.yaml"]
    assert golden.name_of(listed[-1]) == "tour-01-x"


# ---- tables against the C headers ------------------------------------------

def _read(rel):
    with open(os.path.join(REPO_ROOT, rel)) as f:
        return f.read()


def _enum_body(text, name):
    m = re.search(r"enum\s+" + name + r"\s*\{(.*?)\};", text, re.S)
    assert m, f"enum {name} not found"
    return re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)


def _enum_values(text, name, prefix):
    """{SUFFIX: value} of an enum, following C's implicit numbering."""
    out, nxt = {}, 0
    for item in _enum_body(text, name).split(","):
        item = item.strip()
        if not item:
            continue
        m = re.match(prefix + r"(\w+)\s*(?:=\s*(\w+))?$", item)
        assert m, f"cannot parse enum item {item!r}"
        nxt = int(m.group(2), 0) if m.group(2) else nxt
        out[m.group(1)] = nxt
        nxt += 1
    return out


def test_writer_image_check_finds_a_lost_write():
    import struct
    from hvsim_driver.disks import WRITER_MAGIC, check_writer_image, writer_lba
    region, pattern = 16, 7
    img = bytearray(region * 512)
    for seq in range(1, 9):
        lba = writer_lba(pattern, seq, region)
        struct.pack_into("<QQQ", img, lba * 512, WRITER_MAGIC, lba, seq)
    assert check_writer_image(bytes(img), list(range(1, 9)), region, pattern) == []
    assert check_writer_image(bytes(img), list(range(1, 8)), region, pattern) == [], "write 8 was in flight"
    assert check_writer_image(bytes(img), list(range(1, 7)), region, pattern), "write 8 never completed"
    lost = bytearray(img)
    struct.pack_into("<Q", lost, writer_lba(pattern, 8, region) * 512, 0)  # the last write's sector
    assert check_writer_image(bytes(lost), list(range(1, 9)), region, pattern) == [
        f"sector {writer_lba(pattern, 8, region)} lost completed write 8"]


def test_tables_match_trace_h():
    h = _read("include/hvsim/trace.h")
    kinds = _enum_values(h, "hv_trace_kind", "HV_TR_")
    kinds.pop("KIND_COUNT")
    kinds.pop("NONE")
    assert {v: k.lower() for k, v in kinds.items()} == T.TRACE_KINDS
    reasons = _enum_values(h, "hv_exit_reason", "HV_EXIT_")
    reasons.pop("REASON_COUNT")
    reasons.pop("NONE")
    assert {v: k.lower() for k, v in reasons.items()} == T.EXIT_REASONS
    assert int(re.search(r"#define HV_TRACE_NONE (0x[0-9A-Fa-f]+)", h).group(1), 16) == N


@pytest.mark.parametrize("enum,prefix,table", [
    ("hv_world_op", "HV_WORLD_", "WORLD_OPS"),
    ("hv_device_op", "HV_DEVICE_", "DEVICE_OPS"),
    ("hv_gpa_action", "HV_GPA_", "GPA_ACTIONS"),
    ("hv_iommu_op", "HV_IOMMU_", "IOMMU_OPS"),
    ("hv_vmbus_op", "HV_VMBUS_", "VMBUS_OPS"),
    ("hv_vmbus_reason", "HV_VMBUS_", "VMBUS_REASONS"),
])
def test_sub_code_tables_match_trace_h(enum, prefix, table):
    values = _enum_values(_read("include/hvsim/trace.h"), enum, prefix)
    assert {v: k.lower() for k, v in values.items()} == getattr(T, table)


def test_tables_match_hvgdk_h():
    h = _read("hv/include/hv/hvgdk.h")
    statuses = {int(v, 16): k for k, v in
                re.findall(r"#define HV_STATUS_(\w+) (0x[0-9A-Fa-f]+)", h)}
    assert statuses == T.STATUSES
    calls = {int(v, 16): "HvCall" + "".join(w.capitalize() for w in k.split("_"))
             for k, v in re.findall(r"#define HVCALL_(\w+) (0x[0-9A-Fa-f]+)", h)}
    assert calls == T.CALLS


def test_tables_match_scenario_h():
    h = _read("sim/scenario/scenario.h")
    states = _enum_values(h, "scn_vm_state", "SCN_VM_")
    assert {v: k.capitalize() for k, v in states.items()} == T.VM_STATES
    mgmt = _enum_values(h, "scn_mgmt_status", "SCN_MGMT_")
    assert {v: k.lower() for k, v in mgmt.items()} == T.MGMT_STATUSES


def test_tables_match_mgmt_api_h():
    actions = _enum_values(_read("include/hvsim/mgmt.h"), "mgmt_action", "MGMT_")
    assert {v: k.lower() for k, v in actions.items()} == T.MGMT_ACTIONS


# ---- against the C tool (needs a built hvsim) -------------------------------

def _all_names_trace():
    recs = [(i, k, 0, 0, 2, 1, 2, 3) for i, k in enumerate([0] + list(T.TRACE_KINDS))]
    recs += [hc(1000 + i, 2, code, 0) for i, code in enumerate(T.CALLS)]
    recs += [hc(2000 + i, 2, 0x40, st, reps=3, done=1, fast=True)
             for i, st in enumerate(T.STATUSES)]
    recs += [(3000 + r, 4, 0, 0, 2, r, 0, 0) for r in [0] + list(T.EXIT_REASONS) + [99]]
    recs += [(4000, 14, N, N, 1, 2, f, 5 - f) for f in T.VM_STATES]
    recs += [(5000 + s, 13, N, N, 1, 3, s, 2) for s in list(T.MGMT_STATUSES) + [77]]
    recs += [(5100 + a, 13, N, N, 1, a, 0, 1) for a in [0] + list(T.MGMT_ACTIONS) + [99]]
    recs += [(6000, 5, N, N, N, 0x7777, 0x7777, 0), (6001, 99, 1, 2, 3, 4, 5, 6)]
    return recs


@pytest.fixture(scope="module")
def hvsim_or_skip():
    try:
        return find_hvsim()
    except HvsimNotFound as e:
        if os.environ.get("HVSIM_REQUIRE_BIN"):
            pytest.fail(str(e))
        pytest.skip(str(e))


def test_c_digest_and_dump_agree_with_driver(tmp_path, hvsim_or_skip):
    path = write_trace(tmp_path / "all.bin", META, _all_names_trace())
    p = trace_cmd("digest", path, binary=hvsim_or_skip)
    assert p.returncode == 0, p.stderr
    digest, n = trace_digest(path)
    assert p.stdout == f"digest {digest} events {n}\n"
    p = trace_cmd("dump", path, binary=hvsim_or_skip)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    header = json.loads(lines[0])
    assert (header["type"], header["seed"], header["vms"]) == ("header", 7, ["web", "db"])
    events = read_trace(path)
    assert len(lines) == len(events) + 1
    for line, ev in zip(lines[1:], events):
        assert json.loads(line) == ev.to_dict(), f"C and Python decode #{ev.seq} differently"
    p = trace_cmd("dump", path, "--from", "3", "--to", "4", binary=hvsim_or_skip)
    assert [json.loads(x)["seq"] for x in p.stdout.splitlines()[1:]] == [3, 4]


def test_check_outputs_flags_bad_files(trace_dir):
    from hvsim_driver.trace import check_outputs
    t = read_trace(trace_dir)
    (trace_dir / "trace.jsonl").write_text(
        '{"type":"header"}\n' + "".join(json.dumps(e.to_dict()) + "\n" for e in t))
    (trace_dir / "trace.perfetto.json").write_text('{"traceEvents":[]}')
    assert check_outputs(trace_dir) == []
    (trace_dir / "trace.perfetto.json").write_text('{"traceEvents":[')
    (trace_dir / "trace.jsonl").write_text('{"type":"header"}\n')
    problems = check_outputs(trace_dir)
    assert len(problems) == 2 and "0 event lines" in problems[0] and "not valid JSON" in problems[1]


def test_c_tool_rejects_bad_input(tmp_path, hvsim_or_skip):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a trace at all")
    p = trace_cmd("digest", bad, binary=hvsim_or_skip)
    assert p.returncode == 2 and "bad magic" in p.stderr
    p = trace_cmd("frobnicate", bad, binary=hvsim_or_skip)
    assert p.returncode == 2 and "unknown subcommand" in p.stderr
    p = trace_cmd("info", write_trace(tmp_path / "ok.bin", META, RECS), binary=hvsim_or_skip)
    assert p.returncode == 0 and "seed 7\n" in p.stdout and "vm 2 db\n" in p.stdout
