"""The plain shapes of a hop's match, settled without the general search.

``find_call`` (trace.match) weighs windows, DST alternates, length checks and fallbacks
for one call in one source, with numpy on a handful of rows: ≈ 50 µs a lookup, most of a
10,000-call batch. Nearly every lookup of a batch has one of three plain shapes, and for
those find_call's answer is fixed by a few comparisons:

- the pair has no record in the source at all;
- none in the window and no fallback allowed (the result is the nearest-record hint);
- exactly one in the window, whose length fits the downstream record.

Any row flagged as a DST-overlap time anywhere in the pair, two or more rows in the window,
a length that does not fit, or an empty window where fallbacks are allowed: ``None``, and
the caller asks find_call. Scores come from find_call's own candidate scoring
(``_Search.candidate``), so the two paths cannot drift apart on numbers; the property test
(tests/test_batch_fast.py) compares both paths over generated calls with decoys.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import fields
from typing import Any, NamedTuple

import numpy as np

from workbench.columns.times import US
from workbench.store.normalize import F_TIME_AMBIGUOUS, SourceSummary
from workbench.trace.match import (
    Match,
    PairRows,
    _duration_consistent,
    _Search,
    origid_confidence,
    tolerance_for,
)
from workbench.trace.results import Candidate, Note, NoteKind


class LevelRows:
    """Every row one store answer returned (all lookups of a hop level), converted once:
    numpy columns for scoring and find_call's slices, start times as a Python list for
    bisecting, DST flags as prefix counts."""

    def __init__(self, rows: PairRows):
        self.rows = rows
        self.start: list[int] = rows.start.tolist()
        # the same rows as Python lists: scoring one row reads a dozen scalars, and a list
        # hands out Python ints and floats without numpy's per-item boxing
        self.plain = PairRows(*(_listed(getattr(rows, f.name)) for f in fields(PairRows)))
        ambiguous = (rows.flags.astype(np.int64) & F_TIME_AMBIGUOUS) != 0
        self.ambiguous_before: list[int] = np.concatenate(
            ([0], np.cumsum(ambiguous, dtype=np.int64))).tolist()

    @staticmethod
    def empty() -> PairRows:
        """No rows (a level whose lookups found nothing)."""
        i64 = np.zeros(0, dtype=np.int64)
        return PairRows(i64, i64, i64, np.zeros(0), np.zeros(0, dtype=np.uint32), [], [], [],
                        [], [], answer=i64, calling_key=i64, called_key=i64, pp_orig=[],
                        pp_dest=[], pp_iat=i64, pp_x5u=[])

    def slice(self, a: int, b: int) -> PairRows:
        """Rows [a, b) as the PairRows find_call takes (views and list slices, no copy of
        the Arrow data)."""
        r = self.rows

        def cut(v: object) -> object:
            return None if v is None else v[a:b]  # type: ignore[index]

        return PairRows(r.row[a:b], r.line[a:b], r.start[a:b], r.duration[a:b],
                        r.flags[a:b], r.origid[a:b], r.ingress[a:b], r.egress[a:b],
                        r.attest[a:b], r.verstat[a:b],
                        answer=cut(r.answer),  # type: ignore[arg-type]
                        calling_key=cut(r.calling_key),  # type: ignore[arg-type]
                        called_key=cut(r.called_key),  # type: ignore[arg-type]
                        pp_orig=cut(r.pp_orig), pp_dest=cut(r.pp_dest),  # type: ignore[arg-type]
                        pp_iat=cut(r.pp_iat), pp_x5u=cut(r.pp_x5u))  # type: ignore[arg-type]


def _listed(values: Any) -> Any:
    """A numpy column as a list (text columns already are one; None stays None)."""
    return values.tolist() if isinstance(values, np.ndarray) else values


def quick_match(level: LevelRows, a: int, b: int, summary: SourceSummary, *,
                calling_key: int, at_us: int, skew_s: float, tol_s: float,
                ref_duration: float | None = None, ref_origid: str | None = None,
                allow_fallbacks: bool = True) -> Match | None:
    """find_call's Match for rows [a, b) of ``level`` when the shape is plain, else None.

    Same arguments as ``trace.match.find_call``."""
    tol = tolerance_for(summary, tol_s)
    notes = [Note(NoteKind.ANSWER_BASIS)] if summary.time_basis == "answer" else []
    if a == b:
        return Match(None, [], 0.0, tol, notes)
    if level.ambiguous_before[b] != level.ambiguous_before[a]:
        return None  # a DST-overlap row may also be read an hour later: find_call
    skew_us = int(round(skew_s * US))
    i, j = _window(level, a, b, at_us + skew_us, tol)
    # as find_call builds it when no ring time is known and no row is in a repeated hour
    search = _Search(level.plain, calling_key, at_us, skew_us, ref_duration, ref_origid,
                     answer_basis=summary.time_basis == "answer")
    if i == j:
        if allow_fallbacks:
            return None  # whole-hour and ±15 min searches: find_call
        m = Match(None, [], 0.0, tol, notes)
        m.nearest_outside = _nearest(level, search, a, b)
        return m
    if j - i > 1:
        return None  # rivals in the window: ranking and shares in find_call
    best = search.candidate(i, tol)
    if not _duration_consistent(best.duration, ref_duration):
        return None  # a doubtful length or a retry: find_call
    return Match(best, [], _confidence(best, ref_origid, notes), tol, notes)


class Glance(NamedTuple):
    """quick_match's answer in brief, for a step that only needs to know whether a source
    has the call and, if so, its record's offset and ingress."""

    found: bool
    offset_s: float = 0.0
    ingress: str | None = None


NOTHING = Glance(False)


def glance(level: LevelRows, a: int, b: int, summary: SourceSummary, *, at_us: int,
           skew_s: float, tol_s: float) -> Glance | None:
    """What ``quick_match`` (no downstream record, no fallbacks) would find in rows [a, b),
    without scoring anything: nothing, or the lone row in the window. None where quick_match
    would not settle it either (the caller then asks it, or find_call)."""
    if a == b:
        return NOTHING
    if level.ambiguous_before[b] != level.ambiguous_before[a]:
        return None
    skew_us = int(round(skew_s * US))
    i, j = _window(level, a, b, at_us + skew_us, tolerance_for(summary, tol_s))
    if i == j:
        return NOTHING
    if j - i > 1:
        return None
    # the lone candidate's offset and ingress exactly as _Search.candidate reports them
    return Glance(True, (level.start[i] - skew_us - at_us) / US, level.plain.ingress[i])


def _window(level: LevelRows, a: int, b: int, center: int, tol: float) -> tuple[int, int]:
    """Rows [i, j) of [a, b) within ±tol of ``center`` (source clock)."""
    half = int(tol * US)
    return (bisect_left(level.start, center - half, a, b),
            bisect_right(level.start, center + half, a, b))


def _confidence(best: Candidate, ref_origid: str | None, notes: list[Note]) -> float:
    """A lone candidate's confidence: its score, raised or lowered by the origid check."""
    conf = origid_confidence(best.score, best, ref_origid, notes)
    if 0.0 < conf < 1.0:  # inside the bounds (nearly always): min and max would keep it
        return float(conf)
    return float(min(max(conf, 0.0), 1.0))


def _nearest(level: LevelRows, search: _Search, a: int, b: int) -> Candidate:
    """The row of [a, b) nearest the searched time, the first of equals (as numpy's argmin
    picks it), scored plainly as find_call's hint is."""
    center, start = search.center, level.start
    p = bisect_left(start, center, a, b)
    if p == b:
        i = bisect_left(start, start[b - 1], a, b)
    elif p == a:
        i = p
    else:
        lo = bisect_left(start, start[p - 1], a, b)
        i = lo if center - start[lo] <= start[p] - center else p
    plain = _Search(level.plain, search.calling_key, search.at_us, search.skew_us, None, None,
                    answer_basis=search.answer_basis, open_pass=False)
    return plain.candidate(i, 1.0)
