"""Reading (and, for tests, writing) hvsim trace.bin files.

Layout (sim/trace/trace_file.h): a little-endian header -- magic "HVTRACE\\0",
version, header size, record size, seed, SHA-256 of the scenario file,
cycles per microsecond, LPs, VM count, build id, options, scenario path,
VM names -- then 40-byte records <time u64, kind u16, lp u16, vp u16,
partition u16, a u64, b u64, c u64>. The record count is implied by the file
size; a trailing partial record is ignored, as the C reader does.
"""

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass, field
from typing import List, Optional

from . import tables as T

MAGIC = b"HVTRACE\0"
VERSION = 1
HEADER_FIXED = 1168
VM_NAME_LEN = 32
MAX_VMS = 256
RECORD = struct.Struct("<QHHHHQQQ")
assert RECORD.size == 40
_HEAD = struct.Struct("<8sIIII Q 32s QII 64s 512s 512s".replace(" ", ""))
assert _HEAD.size == HEADER_FIXED


class TraceFormatError(Exception):
    """The file is not a readable hvsim trace (foreign, cut, other version)."""


@dataclass
class TraceMeta:
    seed: int = 0
    scenario_sha256: bytes = bytes(32)
    scenario_path: str = ""
    build_id: str = ""
    options: str = ""
    cycles_per_us: int = 2000
    lps: int = 1
    vm_names: List[str] = field(default_factory=list)  # VM id i+1 -> name
    version: int = VERSION

    def vm_name(self, vm_id):
        if 1 <= vm_id <= len(self.vm_names) and self.vm_names[vm_id - 1]:
            return self.vm_names[vm_id - 1]
        return None


def _opt(v):
    return None if v == T.TRACE_NONE else v


class Event:
    """One trace record with its decoded fields.

    Attributes: seq, time (cycles), kind (number), kind_name, lp, vp,
    partition (None when not applicable), a, b, c, partition_name (VM bound
    to the partition by vm_bind, "root" for partition 1), and `fields`: the
    per-kind decoded values under the same keys as trace.jsonl (call, code,
    fast, rep_count, rep_start, status, reps_done, cycles for hypercalls;
    reason, qual, rip for vp_exit; vm, vm_id, from, to for vm_state; ...),
    also readable as attributes (ev.status, ev.call) or with ev.get(key).
    """

    __slots__ = ("seq", "time", "kind", "lp", "vp", "partition", "a", "b", "c",
                 "us", "kind_name", "partition_name", "fields")

    def __init__(self, seq, rec, meta):
        (self.time, self.kind, lp, vp, part, self.a, self.b, self.c) = rec
        self.seq = seq
        self.lp, self.vp, self.partition = _opt(lp), _opt(vp), _opt(part)
        cpu = meta.cycles_per_us or 1
        self.us = float(f"{self.time // cpu}.{(self.time % cpu) * 1000 // cpu:03d}")
        self.kind_name = T.TRACE_KINDS.get(self.kind)
        self.partition_name = "root" if self.partition == T.ROOT_PARTITION else None
        self.fields = _decode(self, meta)

    def record(self):
        """The raw record tuple (what the digest covers)."""
        none = T.TRACE_NONE
        return (self.time, self.kind, none if self.lp is None else self.lp,
                none if self.vp is None else self.vp,
                none if self.partition is None else self.partition,
                self.a, self.b, self.c)

    def get(self, key, default=None):
        if key in Event.__slots__:
            return getattr(self, key)
        return self.fields.get(key, default)

    def __getattr__(self, key):
        try:
            return object.__getattribute__(self, "fields")[key]
        except KeyError:
            raise AttributeError(f"event of kind {self.kind_name} has no field {key!r}") from None

    def to_dict(self):
        """The event as trace.jsonl writes it."""
        d = {"seq": self.seq, "t": self.time, "us": self.us,
             "kind": self.kind_name if self.kind_name else self.kind,
             "lp": self.lp, "partition": self.partition, "vp": self.vp,
             "a": self.a, "b": self.b, "c": self.c}
        d.update(self.fields)
        return d

    def __eq__(self, other):
        return isinstance(other, Event) and self.record() == other.record()

    def __hash__(self):
        return hash(self.record())

    def __repr__(self):
        return format_event(self)


def _name(table, v):
    return table.get(v, v)


def _decode(ev, meta):
    k, a, b, c = ev.kind, ev.a, ev.b, ev.c
    if k == 5:  # hypercall
        code = a & T.HC_CODE_MASK
        st = b & T.HC_RESULT_MASK
        return {"call": _name(T.CALLS, code), "code": code, "fast": bool(a & T.HC_FAST_BIT),
                "rep_count": (a >> T.HC_REP_COUNT_SHIFT) & T.HC_REP_COUNT_MASK,
                "rep_start": (a >> T.HC_REP_START_SHIFT) & T.HC_REP_START_MASK,
                "status": _name(T.STATUSES, st),
                "reps_done": (b >> T.HC_REP_DONE_SHIFT) & T.HC_REP_DONE_MASK,
                "cycles": c}
    if k == 4:  # vp_exit
        return {"reason": _name(T.EXIT_REASONS, a), "qual": b, "rip": c}
    if k == 14:  # vm_state
        return {"vm_id": a, "vm": meta.vm_name(a), "from": _name(T.VM_STATES, b),
                "to": _name(T.VM_STATES, c)}
    if k == 13:  # mgmt
        return {"action": _name(T.MGMT_ACTIONS, a), "status": _name(T.MGMT_STATUSES, b), "vm_id": c,
                "vm": meta.vm_name(c)}
    if k == 20:  # vm_bind
        return {"vm_id": a, "vm": meta.vm_name(a), "partition_id": b}
    if k == 6:  # sched
        return {"what": _name(T.SCHED_WHAT, a), "reason_code": b}
    if k == 16:  # expect
        return {"index": a, "held": bool(b)}
    return {}


def format_event(ev):
    """One line: '#seq t=cycles (us) kind lp/partition/vp fields'."""
    where = f"lp={ev.lp} part={ev.partition}"
    if ev.partition_name:
        where += f"({ev.partition_name})"
    where += f" vp={ev.vp}"
    if ev.fields:
        detail = " ".join(f"{k}={v}" for k, v in ev.fields.items())
    else:
        detail = f"a={ev.a:#x} b={ev.b:#x} c={ev.c:#x}"
    return f"#{ev.seq} t={ev.time} ({ev.us}us) {ev.kind_name or ev.kind} {where} {detail}"


class Trace:
    """A read trace: .meta (TraceMeta), .events (list of Event), .digest (hex)."""

    def __init__(self, meta, events, digest, path=None):
        self.meta, self.events, self.digest, self.path = meta, events, digest, path

    def __iter__(self):
        return iter(self.events)

    def __len__(self):
        return len(self.events)

    def __getitem__(self, i):
        return self.events[i]

    def partition_of(self, vm):
        """Partition ids a VM name was bound to (vm_bind records), in order."""
        return [e.get("partition_id") for e in self.events
                if e.kind == 20 and e.get("vm") == vm]


def _cstr(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


def parse_header(data, where="trace"):
    """Decode and validate a header; returns (TraceMeta, header_size)."""
    if len(data) < 8 or data[:8] != MAGIC:
        raise TraceFormatError(f"{where}: not an hvsim trace (bad magic)")
    if len(data) < HEADER_FIXED:
        raise TraceFormatError(f"{where}: truncated header ({len(data)} of {HEADER_FIXED} bytes)")
    (_, version, hsize, recsize, _, seed, sha, cpu, lps, nvms, build, opts,
     path) = _HEAD.unpack_from(data)
    if version != VERSION:
        raise TraceFormatError(f"{where}: trace format version {version}, this driver reads {VERSION}")
    if recsize != RECORD.size:
        raise TraceFormatError(f"{where}: record size {recsize}, expected {RECORD.size}")
    if nvms > MAX_VMS or hsize != HEADER_FIXED + nvms * VM_NAME_LEN:
        raise TraceFormatError(f"{where}: corrupt header (size {hsize}, {nvms} VMs)")
    if len(data) < hsize:
        raise TraceFormatError(f"{where}: truncated header ({len(data)} of {hsize} bytes)")
    names = [_cstr(data[HEADER_FIXED + i * VM_NAME_LEN:HEADER_FIXED + (i + 1) * VM_NAME_LEN])
             for i in range(nvms)]
    meta = TraceMeta(seed=seed, scenario_sha256=sha, scenario_path=_cstr(path),
                     build_id=_cstr(build), options=_cstr(opts), cycles_per_us=cpu,
                     lps=lps, vm_names=names, version=version)
    return meta, hsize


def _bin_path(path):
    path = os.fspath(path)
    return os.path.join(path, "trace.bin") if os.path.isdir(path) else path


def read_trace_bytes(path):
    """Raw bytes of a trace.bin (a directory, a .bin, or a .bin.gz)."""
    path = _bin_path(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def _name_partitions(events):
    """Fill partition_name from vm_bind records: the binding in force at the
    event, else (events before the bind, e.g. its creation) the first later one."""
    bound, pending = {}, {}
    for ev in events:
        if ev.kind == 20:
            pid, name = ev.get("partition_id"), ev.get("vm")
            bound[pid] = name
            for early in pending.pop(pid, []):
                early.partition_name = name
        if ev.partition is None or ev.partition_name is not None:
            continue
        if ev.partition in bound:
            ev.partition_name = bound[ev.partition]
        else:
            pending.setdefault(ev.partition, []).append(ev)


def parse_trace(data, where="trace"):
    meta, hsize = parse_header(data, where)
    body = memoryview(data)[hsize:]
    n = len(body) // RECORD.size
    body = body[:n * RECORD.size]
    events = [Event(i, rec, meta) for i, rec in enumerate(RECORD.iter_unpack(body))]
    _name_partitions(events)
    return Trace(meta, events, hashlib.sha256(body).hexdigest(), where)


def read_trace(path):
    """Read DIR/trace.bin, a trace.bin, or a gzip'd one (golden traces).
    Raises TraceFormatError for a foreign or cut file."""
    where = _bin_path(path)
    return parse_trace(read_trace_bytes(path), where)


def trace_digest(path):
    """(hex digest, event count) of a trace: SHA-256 over the records,
    the value `hvsim trace digest` prints."""
    t = read_trace(path)
    return t.digest, len(t.events)


def encode_trace(meta, records):
    """Bytes of a trace.bin for meta and records (tuples as Event.record()
    returns); used to make synthetic traces in tests."""
    names = list(meta.vm_names)[:MAX_VMS]
    hsize = HEADER_FIXED + len(names) * VM_NAME_LEN

    def fixed(s, n):
        b = s.encode()[:n - 1]
        return b + bytes(n - len(b))

    head = _HEAD.pack(MAGIC, meta.version, hsize, RECORD.size, 0, meta.seed,
                      bytes(meta.scenario_sha256), meta.cycles_per_us, meta.lps,
                      len(names), fixed(meta.build_id, 64), fixed(meta.options, 512),
                      fixed(meta.scenario_path, 512))
    head += b"".join(fixed(n, VM_NAME_LEN) for n in names)
    return head + b"".join(RECORD.pack(*r) for r in records)


def write_trace(path, meta, records):
    """Write a synthetic trace.bin to path (a file, or DIR/trace.bin if a dir)."""
    path = _bin_path(path)
    with open(path, "wb") as f:
        f.write(encode_trace(meta, records))
    return path


def check_outputs(trace_dir):
    """Problems (a list of strings, empty when fine) with the three outputs
    of one run: trace.jsonl must hold a header line and one parseable line
    per trace.bin record, agreeing with this driver's decoding;
    trace.perfetto.json must be one valid trace-event JSON object."""
    import json
    problems = []
    t = read_trace(trace_dir)
    jpath = os.path.join(os.fspath(trace_dir), "trace.jsonl")
    with open(jpath) as f:
        lines = f.read().splitlines()
    if not lines or json.loads(lines[0]).get("type") != "header":
        problems.append(f"{jpath}: first line is not the header object")
    if len(lines) != len(t.events) + 1:
        problems.append(f"{jpath}: {len(lines) - 1} event lines, trace.bin has {len(t.events)}")
    for line, ev in zip(lines[1:], t.events):
        if json.loads(line) != ev.to_dict():
            problems.append(f"{jpath}: event #{ev.seq} decodes differently:\n"
                            f"  jsonl  {line}\n  driver {json.dumps(ev.to_dict())}")
            break
    ppath = os.path.join(os.fspath(trace_dir), "trace.perfetto.json")
    try:
        with open(ppath) as f:
            doc = json.load(f)
        if not isinstance(doc.get("traceEvents"), list):
            problems.append(f"{ppath}: no traceEvents array")
    except ValueError as e:
        problems.append(f"{ppath}: not valid JSON: {e}")
    return problems
