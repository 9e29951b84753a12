"""Finding one call in one source: window search on the sorted index, then scoring."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS
from .source import CdrSource
from .times import NAT, US

ANSWER_EXTRA_S = 45.0  # answer-time logging: ring time varies around the estimated offset
LOW_PRECISION_EXTRA_S = 60.0
WHOLE_HOURS = range(1, 15)
WIDE_S = 900.0
DURATION_SLACK_S = 12.0
DOUBTFUL_MAX_OFFSET_S = 10.0


@dataclass
class Candidate:
    row: int
    line: int
    start_us: int  # as the source's clock wrote it (UTC)
    corrected_us: int  # minus the source's skew
    offset_s: float  # corrected start minus the time searched for
    duration: float | None
    score: float
    calling_matches: bool
    origid: str | None = None
    note: str | None = None
    shift_s: float = 0.0  # assumed clock error beyond the estimated skew
    penalty: float = 1.0  # confidence factor for a match that needed an assumption

    def to_dict(self) -> dict:
        return {"line": self.line, "offset_s": round(self.offset_s, 3),
                "duration": self.duration, "score": round(self.score, 3), "note": self.note}


@dataclass
class Match:
    """The best record for a call in a source, its rivals and how it was searched."""

    best: Candidate | None
    alternatives: list[Candidate] = field(default_factory=list)
    confidence: float = 0.0
    window_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    nearest_outside: Candidate | None = None


def tolerance_for(source: CdrSource, tol_s: float) -> float:
    tol = tol_s
    if source.summary.time_basis == "answer":
        tol += ANSWER_EXTRA_S
    if source.summary.low_precision:
        tol += LOW_PRECISION_EXTRA_S
    return tol


def find_call(source: CdrSource, *, calling_key: int, called_key: int, at_us: int,
              skew_s: float, tol_s: float, ref_duration: float | None = None,
              ref_origid: str | None = None, allow_fallbacks: bool = True) -> Match:
    """Search ``source`` for the call placed at ``at_us`` (reference clock).

    ``allow_fallbacks`` lets the search look at whole-hour offsets (a file in the wrong
    zone) and up to ±15 min (a clock off by minutes) when the source's skew could not be
    estimated; with a well-estimated skew those would only find other calls.
    """
    tol = tolerance_for(source, tol_s)
    skew_us = int(round(skew_s * US))
    center = at_us + skew_us
    args = (source, at_us, skew_us, ref_duration, ref_origid, calling_key)
    rows = _same_calling(source, source.window(called_key, center - int(tol * US),
                                               center + int(tol * US)), calling_key)
    cands = [_candidate(*args, r, tol) for r in rows]
    cands += _ambiguous_alternates(source, called_key, center, tol, args)
    notes: list[str] = []
    if source.summary.time_basis == "answer":
        notes.append("this switch logs answer time as start: window widened")
    cands, rejected = _by_duration(cands, ref_duration, notes)
    if not cands and allow_fallbacks:
        cands = _whole_hour(source, called_key, center, tol_s, args)
        cands, more = _by_duration(cands, ref_duration, notes)
        rejected += more
        if cands:
            notes.append(f"found only at a whole-hour offset ({cands[0].note}): the file's "
                         "time zone is probably wrong")
    if not cands and allow_fallbacks:
        cands = _wide(source, called_key, center, args)
        if cands:
            notes.append(f"found only outside ±{tol:.0f} s (at {cands[0].offset_s:+.0f} s): "
                         "a clock off by minutes whose skew could not be estimated")
    if not cands:
        m = Match(None, rejected, 0.0, tol, notes)
        m.nearest_outside = _nearest(source, calling_key, called_key, center, at_us, skew_us)
        return m
    cands.sort(key=lambda c: -c.score)
    best, rest = cands[0], cands[1:]
    total = sum(c.score for c in cands) or 1.0
    share = best.score / total
    conf = best.score * (0.5 + 0.5 * share) if rest else best.score
    if ref_origid and best.origid:
        if best.origid == ref_origid:
            conf = max(conf, min(0.99, best.score + 0.3))
            notes.append("same SHAKEN origid as the downstream hop")
        else:
            notes.append(f"different origid ({best.origid} here, {ref_origid} downstream): "
                         "re-signed?")
            conf *= 0.8
    if best.note:
        conf *= best.penalty
        notes.append(best.note)
    return Match(best, rest + rejected, round(float(min(max(conf, 0.0), 1.0)), 3), tol, notes)


def _by_duration(cands: list[Candidate], ref: float | None,
                 notes: list[str]) -> tuple[list[Candidate], list[Candidate]]:
    """Keep calls whose length fits the downstream record. A doubtful length (ring time
    counted on one side) is kept only right on time; a retry 30 s later is not."""
    keep, rejected = [], []
    for c in cands:
        if _duration_consistent(c.duration, ref):
            keep.append(c)
        elif abs(c.offset_s - c.shift_s) <= DOUBTFUL_MAX_OFFSET_S:
            c.score = round(c.score * 0.7, 4)
            c.note = c.note or (f"duration {c.duration:.0f} s against {ref:.0f} s downstream "
                                "(ring time counted on one side?)")
            c.penalty = min(c.penalty, 0.8)
            keep.append(c)
        else:
            rejected.append(c)
    for c in rejected[:3]:
        notes.append(f"line {c.line} ({c.offset_s:+.0f} s) has duration {c.duration:.0f} s "
                     f"against {ref:.0f} s downstream: a different call (retry?), not taken")
    return keep, rejected


def _duration_consistent(dur: float | None, ref: float | None) -> bool:
    """Same call, same length: allow rounding and ring time counted on one side only."""
    if dur is None or ref is None:
        return True
    lo, hi = sorted((dur, ref))
    return (hi - lo) <= DURATION_SLACK_S or hi <= 1.5 * lo


def _same_calling(source: CdrSource, rows: np.ndarray, calling_key: int) -> np.ndarray:
    if calling_key < 0 or not len(rows):
        return rows
    return rows[source.col("calling_key")[rows] == calling_key]


def _candidate(source, at_us, skew_us, ref_duration, ref_origid, calling_key, r, tol,
               note=None, shift_us=0, penalty=1.0) -> Candidate:
    """Score one row. ``shift_us`` is an assumed error of the row's clock beyond the
    estimated skew (a whole hour, a DST overlap): the corrected time removes it, the
    reported offset keeps it, so nothing is hidden."""
    start = int(source.col("start")[r])
    observed = start - skew_us
    corrected = observed - shift_us
    offset = (observed - at_us) / US
    residual = (corrected - at_us) / US
    dur = source.col("duration")[r]
    dur = None if np.isnan(dur) else float(dur)
    time_score = max(0.0, 1.0 - abs(residual) / tol) if tol else 1.0
    if ref_duration is not None and dur is not None:
        dur_score = max(0.0, 1.0 - abs(dur - ref_duration) / 30.0)
        score = 0.65 * time_score + 0.35 * dur_score
    else:
        score = 0.85 * time_score + 0.15 * 0.5
    if int(source.col("flags")[r]) & F_LOW_PRECISION:
        score *= 0.9
    origid = source.text("origid", [r])[0]
    if ref_origid and origid == ref_origid:
        score = min(1.0, score + 0.1)
    return Candidate(int(r), int(source.col("line")[r]), start, corrected, offset, dur,
                     round(score, 4), calling_key < 0 or
                     int(source.col("calling_key")[r]) == calling_key, origid, note,
                     shift_s=shift_us / US, penalty=penalty)


def _ambiguous_alternates(source, called_key, center, tol, args) -> list[Candidate]:
    """Rows whose local start fell in a DST overlap were read as the first occurrence;
    try them as the second one (an hour later) too."""
    hour = 3600 * US
    rows = source.window(called_key, center - hour - int(tol * US), center - hour + int(tol * US))
    if not len(rows):
        return []
    rows = rows[(source.col("flags")[rows] & F_TIME_AMBIGUOUS) != 0]
    rows = _same_calling(source, rows, args[-1])
    return [_candidate(*args, r, tol, note="start in a DST overlap: read as the second "
                       "occurrence of that local time", shift_us=-hour, penalty=0.95) for r in rows]


def _whole_hour(source, called_key, center, tol_s, args) -> list[Candidate]:
    out = []
    for h in WHOLE_HOURS:
        for sign in (1, -1):
            shift = sign * h * 3600 * US
            rows = source.window(called_key, center + shift - int(tol_s * US),
                                 center + shift + int(tol_s * US))
            rows = _same_calling(source, rows, args[-1])
            out += [_candidate(*args, r, tol_s, note=f"{sign * h:+d} h from the expected time",
                               shift_us=shift, penalty=0.6) for r in rows]
    return out


def _wide(source, called_key, center, args) -> list[Candidate]:
    """Same calling and called within ±WIDE_S; kept only if the duration agrees (or the
    origid does), since a skewed clock moves the start but not the call's length. The
    whole offset is taken as the clock's error, so the next hop searches the right time."""
    at_us, calling_key, ref_duration, ref_origid = args[1], args[-1], args[3], args[4]
    rows = source.window(called_key, center - int(WIDE_S * US), center + int(WIDE_S * US))
    rows = _same_calling(source, rows, calling_key)
    if calling_key < 0 or not len(rows):
        return []
    out = []
    for r in rows:
        observed = int(source.col("start")[r]) - args[2]
        c = _candidate(*args, r, WIDE_S, note="outside the tolerance window",
                       shift_us=observed - at_us, penalty=0.6)
        same_origid = ref_origid is not None and c.origid == ref_origid
        dur_ok = ref_duration is not None and c.duration is not None and \
            abs(c.duration - ref_duration) <= 2.0
        if same_origid or dur_ok:
            c.score = round(c.score * max(0.2, 1 - abs(c.offset_s) / WIDE_S), 4)
            out.append(c)
    return out


def _nearest(source, calling_key, called_key, center, at_us, skew_us) -> Candidate | None:
    rows = source.rows_with_called(called_key)
    if not len(rows):
        return None
    rows = _same_calling(source, rows, calling_key)
    starts = source.col("start")[rows]
    ok = starts != NAT
    if not ok.any():
        return None
    rows, starts = rows[ok], starts[ok]
    r = int(rows[np.argmin(np.abs(starts - center))])
    return _candidate(source, at_us, skew_us, None, None, calling_key, r, 1.0)
