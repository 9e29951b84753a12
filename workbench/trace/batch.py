"""Many calls traced at once: targets normalized as columns, one store query per hop level.

Each call runs the same steps as a single trace (``engine.trace_steps``); this driver
collects what every open call needs from the store at a hop level and asks for all of it
in one ``CdrStore.candidates`` call, so a SQL or Spark backend sees a handful of large
queries instead of tens of thousands of small ones. Results equal single traces by
construction; the plain matches of a level are settled by ``trace.fast_match`` (proved
equal to find_call's in tests/test_batch_fast.py), the rest by find_call as in a single
trace.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.case.model import Case
from workbench.columns.arrow_numpy import coded_texts, strings, to_numpy
from workbench.columns.numbers import normalize_numbers
from workbench.columns.times import NAT, parse_times
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.tracebacks import Traceback
from workbench.store.protocol import CallKey, SourceId
from workbench.trace.columnar import Answer, Columnar, LazyTrace, Mismatch
from workbench.trace.engine import Call, CaseView, Need, Steps, _Lookup, drive, trace_steps
from workbench.trace.results import Skew, TraceResult

_ZONED = r"(Z|z|[+-]\d{2}(:?\d{2})?)\s*$"


@dataclass(frozen=True)
class BatchCall:
    """One line of a list of calls: numbers and time as written, or a traceback record."""

    calling: str = ""
    called: str = ""
    at: str | int = ""  # ISO 8601 with an offset, or UTC µs
    traceback: Traceback | None = None
    row: int | None = None  # where it came from (a line of the user's file), for errors


class Targets(NamedTuple):
    """A batch's calls normalized: per call its ``Call`` (or why it cannot be traced), and
    the columns the columnar path reads (per call, whatever the call's fate)."""

    calls: list[Call | InputError]
    called_key: np.ndarray  # int64, -1: not a number
    calling_key: np.ndarray
    at_us: list[int]  # UTC µs (NAT: none)


def normalize_calls(case: Case, calls: Sequence[BatchCall]) -> list[Call | InputError]:
    """Every call's numbers and time, each column normalized in one pass."""
    return targets(case, calls).calls


def targets(case: Case, calls: Sequence[BatchCall]) -> Targets:
    """``normalize_calls``, with the columns it worked out."""
    country = case.config.default_country
    tbs = [c.traceback for c in calls]
    calling = [tb.calling if tb else c.calling for c, tb in zip(calls, tbs)]
    called = [tb.called if tb else c.called for c, tb in zip(calls, tbs)]
    # Arrow arrays built from buffers: pa.array (and to_numpy) would import pandas, a third
    # of a second of a batch process that otherwise never needs it
    ing = normalize_numbers(strings([x or None for x in calling]), country)
    ed = normalize_numbers(strings([x or None for x in called]), country)
    ing_text, ed_text = _texts(ing.text), _texts(ed.text)
    at_us = np.full(len(calls), NAT, dtype=np.int64)
    texts = [(i, str(c.at)) for i, c in enumerate(calls)
             if not c.traceback and isinstance(c.at, str) and c.at.strip()]
    zoned = np.zeros(len(calls), bool)
    if texts:
        col = strings([t for _, t in texts])
        idx = np.array([i for i, _ in texts], dtype=np.int64)
        at_us[idx] = parse_times(col, "UTC").us
        zoned[idx] = to_numpy(pc.match_substring_regex(col, _ZONED).fill_null(False))
    ing_key, ed_key = ing.key.tolist(), ed.key.tolist()
    at_list, zoned_list = at_us.tolist(), zoned.tolist()
    # per call, as columns (list comprehensions: a batch holds tens of thousands of calls):
    # the time, whether it was written with an offset (records and µs always are), the
    # second pass of a record's repeated local hour
    t_us = [tb.call_time_us if tb is not None else int(c.at) if isinstance(c.at, int) else t
            for c, tb, t in zip(calls, tbs, at_list)]
    alt = [NAT if tb is None else tb.call_time_alt_us for tb in tbs]
    ing_out = [t or r or "" for t, r in zip(ing_text, calling)]
    ed_out = [t or r or "" for t, r in zip(ed_text, called)]
    # every call as a Call, made in C (tuple.__new__ with every field, as the named tuple's
    # own __new__ does, at a third of its cost); then those failing a check of _problem
    # get its InputError instead
    out: list[Call | InputError] = list(map(tuple.__new__, repeat(Call), zip(
        ing_out, ing_key, ed_out, ed_key, t_us, alt)))
    for i, (c, tb, bk, t, z) in enumerate(zip(calls, tbs, ed_key, t_us, zoned_list)):
        z = z or tb is not None or isinstance(c.at, int)
        if not (bk >= 0 and t != NAT and z and (tb is None or tb.called)):
            out[i] = _problem(c, bk, t, z)  # type: ignore[assignment]
    return Targets(out, ed.key, ing.key, t_us)


def _texts(arr: pa.Array) -> list[str | None]:
    """An Arrow string array's values as Python strings (a dictionary array's made once
    per distinct value)."""
    if pa.types.is_dictionary(arr.type):
        codes, values = coded_texts(arr)
        return list(map(values.__getitem__, codes.tolist()))
    return arr.to_pylist()  # type: ignore[no-any-return]


def _problem(c: BatchCall, called_key: int, at_us: int, zoned: bool) -> InputError | None:
    if c.traceback is not None and (not c.traceback.called or at_us == NAT):
        return InputError(f"traceback {c.traceback.traceback_id} lacks a called number or "
                          "call time", field="called", line=c.row)
    if called_key < 0:
        return InputError(f"called number '{c.called}' is not a telephone number",
                          field="called", line=c.row)
    if not zoned:
        return InputError(f"time '{c.at}' has no UTC offset (ISO 8601 with an offset or Z)",
                          field="at", line=c.row)
    if at_us == NAT:
        return InputError(f"time '{c.at}' is not ISO 8601", field="at", line=c.row)
    return None


def trace_many(case: Case, calls: Sequence[BatchCall], *, skew: Mapping[SourceId, Skew],
               tolerance_s: float | None = None, progress: ProgressFn = no_progress,
               should_stop: StopFn = never_stop, fast: bool = True, columnar: bool = True
               ) -> list[TraceResult | InputError]:
    """Trace every call; a call that cannot be traced gets its InputError in its place.

    ``fast`` settles plain matches in bulk (``trace.fast_match``); False sends every lookup
    through find_call, as a single trace does (the tests compare both). ``columnar`` (with
    ``fast``) decides the plain chains (of traceback records and of plain calls) a level
    at a time (``trace.columnar``), their results built when first read; False runs every
    call's own steps."""
    with collector_paused():
        return _trace_all(case, calls, skew, tolerance_s, progress, should_stop, fast,
                          columnar and fast)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch runs: the batch allocates millions of
    small objects that all stay alive (the results), and each collection pass walks them
    again, about half the time of a 10,000-call batch. Back on at the end."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # what the batch made moves to the oldest generation untraversed (freeze, then
        # unfreeze), instead of being walked at once by the first young collection after
        # enable (≈ 0.25 s for 10,000 results); cyclic garbage among it is still collected
        # by the next full collection
        gc.freeze()
        gc.unfreeze()
        if was_on:
            gc.enable()


def _trace_all(case: Case, calls: Sequence[BatchCall], skew: Mapping[SourceId, Skew],
               tolerance_s: float | None, progress: ProgressFn, should_stop: StopFn,
               fast: bool, columnar: bool) -> list[TraceResult | InputError]:
    pending: dict[int, tuple[Steps, Need]] = {}
    view = CaseView(case)
    got = targets(case, calls)
    # an error stands in its call's place; the calls are filled in below
    results: list[TraceResult | InputError | None] = [
        c if isinstance(c, InputError) else None for c in got.calls]
    cols = Columnar(case, view, skew, tolerance_s, len(calls)) if columnar else None
    if cols is not None:
        general = cols.admit_all(got.calls, [c.traceback for c in calls], got.called_key,
                                 got.calling_key, got.at_us)
    else:
        general = [i for i, r in enumerate(results) if r is None]
    for i in general:
        call = got.calls[i]
        assert isinstance(call, Call)
        steps = trace_steps(case, call, tolerance_s=tolerance_s,
                            traceback=calls[i].traceback, skew=skew, view=view)
        _advance(results, pending, i, steps, None)
    level, total = 0, max(len(calls), 1)
    while pending or (cols is not None and cols.waiting()):
        check(should_stop)
        still = len(pending) + (cols.waiting() if cols is not None else 0)
        progress((len(calls) - still) / total,
                 f"hop level {level + 1}: {still:,} call(s) still open")
        keys: list[CallKey] = cols.keys() if cols is not None else []
        order = list(pending)
        firsts: list[int] = []
        for i in order:
            firsts.append(len(keys))
            keys += pending[i][1].keys()
        # one store query a level, for the columnar calls and the others alike
        answer = Answer(case.store.candidates(keys), len(keys)) if keys else None
        current, pending = pending, {}
        for i, first in zip(order, firsts):
            need = current[i][1]
            found = answer.lookup(need, first, fast) if answer is not None else _Lookup(need)
            _advance(results, pending, i, current[i][0], found)
        if cols is not None:
            for plan in cols.decide(answer):
                _resume(results, pending, plan.slot, cols.steps(plan))
        level += 1
    if cols is not None:  # built when first read (see LazyTrace)
        make = partial(_materialized, case, cols, skew, tolerance_s)
        for i in cols.ended():
            results[i] = LazyTrace(make, i)
    progress(1.0, f"{len(calls):,} call(s) traced")
    return [r if r is not None else InputError("not traced") for r in results]


def _resume(results: list[TraceResult | InputError | None],
            pending: dict[int, tuple[Steps, Need]], i: int,
            got: tuple[Steps, Need] | TraceResult | InputError) -> None:
    """A call left the columnar path: open in the general one, or already ended."""
    if isinstance(got, tuple):
        pending[i] = got
    else:
        results[i] = got


def _materialized(case: Case, cols: Columnar, skew: Mapping[SourceId, Skew],
                  tolerance_s: float | None, slot: int, into: TraceResult) -> None:
    """A columnar call's result, built in ``into``; should its decided chain not hold up
    while it is built (a bug: the tests prove it does), the call is traced on its own
    instead (and that result's fields are copied in)."""
    plan = cols.plan(slot)
    try:
        cols.materialize(plan, into)
    except Mismatch:
        real = drive(case, trace_steps(case, plan.call, tolerance_s=tolerance_s,
                                       traceback=plan.traceback, skew=skew, view=cols.view))
        for f in TraceResult.__slots__:
            setattr(into, f, getattr(real, f))


def _advance(results: list[TraceResult | InputError | None],
             pending: dict[int, tuple[Steps, Need]], i: int, steps: Steps,
             found: object) -> None:
    """Run call ``i`` to its next need (or to its end)."""
    try:
        need = next(steps) if found is None else steps.send(found)  # type: ignore[arg-type]
        pending[i] = (steps, need)
    except StopIteration as end:
        results[i] = end.value
    except InputError as exc:
        results[i] = exc


def outcome_counts(results: Sequence[TraceResult | InputError]) -> dict[str, int]:
    """How the calls ended (and how many could not be traced), for the closing summary.
    Reading the outcomes builds a batch's results (``columnar.LazyTrace``): with the cycle
    collector paused, as while tracing."""
    out: dict[str, int] = {}
    with collector_paused():
        for r in results:
            key = "error" if isinstance(r, InputError) else str(r.outcome)
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


__all__ = ["BatchCall", "Targets", "collector_paused", "normalize_calls", "outcome_counts",
           "targets", "trace_many"]
