"""hvsim_driver — run hvsim scenarios, read their traces, assert on events.

    from hvsim_driver import run, read_trace, assert_every
    r = run("scenarios/quickstart.yaml", seed=1, trace_dir=tmp_path)
    assert r.exit_code == 0, r.explain()
    assert_every(r.trace(), kind="hypercall", partition="web",
                 call="HvCallCreatePartition", status="ACCESS_DENIED")

Modules: runner (the binary), trace (trace.bin), events (filters,
assertions, first_divergence), golden (regression digests), tables (names
kept in sync with the C headers).
"""

from .events import (assert_count, assert_every, assert_none, assert_order, count,
                     first_divergence, format_divergence, matches, select)
from .runner import (REPO_ROOT, HvsimNotFound, RunResult, binary_path, check,
                     find_hvsim, run, trace_cmd)
from .trace import (Event, Trace, TraceFormatError, TraceMeta, encode_trace,
                    format_event, read_trace, trace_digest, write_trace)

__all__ = [
    "assert_count", "assert_every", "assert_none", "assert_order", "count",
    "first_divergence", "format_divergence", "matches", "select",
    "REPO_ROOT", "HvsimNotFound", "RunResult", "binary_path", "check", "find_hvsim",
    "run", "trace_cmd", "Event", "Trace", "TraceFormatError", "TraceMeta",
    "encode_trace", "format_event", "read_trace", "trace_digest", "write_trace",
]
