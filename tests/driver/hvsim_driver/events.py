"""Selecting events and asserting on them, with messages a person can act on.

A filter is keyword arguments; each names an Event attribute or decoded
field and gives the wanted value:
  kind="hypercall" or 5          partition="web" (VM name), "root" or an id
  call="HvCallCreatePartition"   status="ACCESS_DENIED" (hypercall) / "ok" (mgmt)
  reason="hlt"  vm="web"  to="Running"  lp=0  vp=1  ...
A value may also be a set/list/tuple (any of), or a callable predicate.
Names are compared as names and numbers as numbers, so status=6 and
status="ACCESS_DENIED" both work for hypercalls.
"""

from . import tables as T
from .trace import format_event

MAX_SHOWN = 5


def _events(events):
    return getattr(events, "events", events)


def _one(ev, key, want):
    if callable(want):
        return bool(want(ev.get(key)))
    if isinstance(want, (set, frozenset, list, tuple)):
        return any(_one(ev, key, w) for w in want)
    if key == "kind":
        return ev.kind == T.kind_code(want)
    if key == "partition":
        if isinstance(want, str):
            return ev.partition_name == want
        return ev.partition == want
    if key in ("call", "status", "reason", "from", "to") and isinstance(want, int) \
            and not isinstance(want, bool):
        numeric = {"call": "code"}.get(key)
        if numeric:
            return ev.get(numeric) == want
        if key == "status" and ev.kind == 5:
            return ev.b & T.HC_RESULT_MASK == want
        if key == "status" and ev.kind == 13:
            return ev.b == want
        if key == "reason" and ev.kind == 4:
            return ev.a == want
        if key in ("from", "to") and ev.kind == 14:
            return (ev.b if key == "from" else ev.c) == want
        return False
    if key == "status" and isinstance(want, str) and want.startswith("HV_STATUS_"):
        want = want[len("HV_STATUS_"):]
    return ev.get(key, _MISSING) == want


_MISSING = object()


def matches(ev, **where):
    """True when ev satisfies every key=value of the filter."""
    return all(_one(ev, k, v) for k, v in where.items())


def select(events, **where):
    """The events matching the filter, in trace order."""
    return [e for e in _events(events) if matches(e, **where)]


def count(events, **where):
    return sum(1 for e in _events(events) if matches(e, **where))


def describe(where):
    return " ".join(f"{k}={v!r}" if not callable(v) else f"{k}=<predicate>"
                    for k, v in where.items()) or "(any event)"


def _show(evs):
    lines = [f"    {format_event(e)}" for e in evs[:MAX_SHOWN]]
    if len(evs) > MAX_SHOWN:
        lines.append(f"    ... and {len(evs) - MAX_SHOWN} more")
    return "\n".join(lines)


OUTCOME_KEYS = ("status", "reps_done", "reason", "to", "held")


def assert_every(events, then=None, *, min_count=1, **where):
    """Every event matching `where` also satisfies `then` (a dict filter).

    Without `then`, the outcome keys among the keyword arguments (status,
    reps_done, reason, to, held) form it and the rest select, so
        assert_every(tr, kind="hypercall", partition="web",
                     call="HvCallCreatePartition", status="ACCESS_DENIED")
    reads "every CreatePartition hypercall from web returned ACCESS_DENIED".
    At least min_count events must match `where` (a vacuous "every" hides
    a scenario that never ran its workload). Returns the selected events.
    """
    if then is None:
        then = {k: where.pop(k) for k in list(where) if k in OUTCOME_KEYS}
    if not then:
        raise TypeError("assert_every needs an outcome: then={...} or one of " +
                        ", ".join(OUTCOME_KEYS))
    chosen = select(events, **where)
    if len(chosen) < min_count:
        raise AssertionError(
            f"assert_every: expected at least {min_count} event(s) matching "
            f"{describe(where)}, found {len(chosen)}")
    bad = [e for e in chosen if not matches(e, **then)]
    if bad:
        raise AssertionError(
            f"assert_every: {len(bad)} of {len(chosen)} event(s) matching "
            f"{describe(where)} do not have {describe(then)}:\n{_show(bad)}")
    return chosen


def assert_none(events, **where):
    """No event matches the filter."""
    found = select(events, **where)
    if found:
        raise AssertionError(
            f"assert_none: {len(found)} event(s) match {describe(where)}:\n{_show(found)}")


def assert_count(events, n=None, *, at_least=None, at_most=None, **where):
    """The number of matching events equals n (or lies within at_least..at_most).
    Returns the matching events."""
    found = select(events, **where)
    k = len(found)
    ok = (n is None or k == n) and (at_least is None or k >= at_least) and \
         (at_most is None or k <= at_most)
    if not ok:
        want = " ".join(s for s in (f"== {n}" if n is not None else "",
                                    f">= {at_least}" if at_least is not None else "",
                                    f"<= {at_most}" if at_most is not None else "") if s)
        raise AssertionError(
            f"assert_count: {k} event(s) match {describe(where)}, expected {want}" +
            (f":\n{_show(found)}" if found else ""))
    return found


def assert_order(events, *filters):
    """Events matching each filter (dicts) occur in this order: the first
    match of filters[i+1] comes after the first match of filters[i]."""
    evs = _events(events)
    pos = 0
    for i, f in enumerate(filters):
        while pos < len(evs) and not matches(evs[pos], **f):
            pos += 1
        if pos == len(evs):
            raise AssertionError(
                f"assert_order: no event matching {describe(f)} after "
                f"step {i} ({describe(filters[i - 1]) if i else 'start'})")
        pos += 1


def first_divergence(events_a, events_b):
    """Index and events of the first difference between two event sequences,
    compared on the raw records: (index, a, b), where a or b is None when
    that sequence ended first. None when they are identical."""
    a, b = _events(events_a), _events(events_b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x.record() != y.record():
            return i, x, y
    if len(a) != len(b):
        i = min(len(a), len(b))
        return i, (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
    return None


def format_divergence(events_a, events_b, label_a="expected", label_b="actual",
                      context=3):
    """Text for a report: the first divergent event of both sequences, with
    the common events just before it. Empty string when identical."""
    d = first_divergence(events_a, events_b)
    if d is None:
        return ""
    i, x, y = d
    a = _events(events_a)
    out = [f"first divergence at event #{i} "
           f"({label_a}: {len(a)} events, {label_b}: {len(_events(events_b))} events)"]
    for e in a[max(0, i - context):i]:
        out.append(f"  common    {format_event(e)}")
    out.append(f"  {label_a:<9} {format_event(x) if x else '<end of trace>'}")
    out.append(f"  {label_b:<9} {format_event(y) if y else '<end of trace>'}")
    return "\n".join(out)
