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

import numpy as np
import pyarrow.compute as pc

from workbench.case.model import Case
from workbench.columns.arrow_numpy import strings, to_numpy
from workbench.columns.numbers import normalize_numbers
from workbench.columns.times import NAT, parse_times
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.tracebacks import Traceback
from workbench.store.protocol import SourceId
from workbench.trace.engine import Call, CaseView, Need, Steps, serve, trace_steps
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


def normalize_calls(case: Case, calls: Sequence[BatchCall]) -> list[Call | InputError]:
    """Every call's numbers and time, each column normalized in one pass."""
    country = case.config.default_country
    calling = [c.traceback.calling if c.traceback else c.calling for c in calls]
    called = [c.traceback.called if c.traceback else c.called for c in calls]
    # Arrow arrays built from buffers: pa.array (and to_numpy) would import pandas, a third
    # of a second of a batch process that otherwise never needs it
    ing = normalize_numbers(strings([x or None for x in calling]), country)
    ed = normalize_numbers(strings([x or None for x in called]), country)
    ing_text, ed_text = ing.text.to_pylist(), ed.text.to_pylist()
    at_us = np.full(len(calls), NAT, dtype=np.int64)
    texts = [(i, str(c.at)) for i, c in enumerate(calls)
             if not c.traceback and isinstance(c.at, str) and c.at.strip()]
    zoned = np.zeros(len(calls), bool)
    if texts:
        col = strings([t for _, t in texts])
        idx = np.array([i for i, _ in texts], dtype=np.int64)
        at_us[idx] = parse_times(col, "UTC").us
        zoned[idx] = to_numpy(pc.match_substring_regex(col, _ZONED).fill_null(False))
    out: list[Call | InputError] = []
    ing_key, ed_key = ing.key.tolist(), ed.key.tolist()
    at_list, zoned_list = at_us.tolist(), zoned.tolist()
    for i, c in enumerate(calls):
        tb = c.traceback
        if tb is not None:
            t_us, zoned_i, alt = tb.call_time_us, True, tb.call_time_alt_us
        elif isinstance(c.at, int):
            t_us, zoned_i, alt = int(c.at), True, NAT
        else:
            t_us, zoned_i, alt = at_list[i], zoned_list[i], NAT
        err = _problem(c, ed_key[i], t_us, zoned_i)
        if err is not None:
            out.append(err)
            continue
        out.append(Call(ing_text[i] or calling[i] or "", ing_key[i],
                        ed_text[i] or called[i] or "", ed_key[i], t_us, alt))
    return out


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
               should_stop: StopFn = never_stop, fast: bool = True
               ) -> list[TraceResult | InputError]:
    """Trace every call; a call that cannot be traced gets its InputError in its place.

    ``fast`` settles plain matches in bulk (``trace.fast_match``); False sends every lookup
    through find_call, as a single trace does (the tests compare both)."""
    with _collector_paused():
        return _trace_all(case, calls, skew, tolerance_s, progress, should_stop, fast)


@contextmanager
def _collector_paused() -> Iterator[None]:
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
               fast: bool) -> list[TraceResult | InputError]:
    results: list[TraceResult | InputError | None] = [None] * len(calls)
    pending: dict[int, tuple[Steps, Need]] = {}
    view = CaseView(case)
    for i, (c, call) in enumerate(zip(calls, normalize_calls(case, calls))):
        if isinstance(call, InputError):
            results[i] = call
            continue
        steps = trace_steps(case, call, tolerance_s=tolerance_s, traceback=c.traceback,
                            skew=skew, view=view)
        _advance(results, pending, i, steps, None)
    level, total = 0, max(len(calls), 1)
    while pending:
        check(should_stop)
        done = sum(r is not None for r in results)
        progress(done / total, f"hop level {level + 1}: {len(pending):,} call(s) still open")
        order = list(pending)
        lookups = serve(case, [pending[i][1] for i in order], fast=fast)  # one query a level
        current, pending = pending, {}
        for i, found in zip(order, lookups):
            _advance(results, pending, i, current[i][0], found)
        level += 1
    progress(1.0, f"{len(calls):,} call(s) traced")
    return [r if r is not None else InputError("not traced") for r in results]


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
    """How the calls ended (and how many could not be traced), for the closing summary."""
    out: dict[str, int] = {}
    for r in results:
        key = "error" if isinstance(r, InputError) else str(r.outcome)
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


__all__ = ["BatchCall", "normalize_calls", "outcome_counts", "trace_many"]
