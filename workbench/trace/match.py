"""Finding one call in one source: window search on the sorted index, then scoring."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.columns.times import NAT, US
from workbench.store.normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS
from workbench.store.source import CdrSource

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
    q = _Search(source, calling_key, called_key, at_us, int(round(skew_s * US)), ref_duration,
                ref_origid)
    cands = [q.candidate(r, tol) for r in q.rows_around(0, tol)]
    cands += _ambiguous_alternates(q, tol)
    notes: list[str] = []
    if source.summary.time_basis == "answer":
        notes.append("this switch logs answer time as start: window widened")
    cands, rejected = _by_duration(cands, ref_duration, notes)
    if not cands and allow_fallbacks:
        cands, more = _by_duration(_whole_hour(q, tol_s), ref_duration, notes)
        rejected += more
        if cands:
            notes.append(f"found only at a whole-hour offset ({cands[0].note}): the file's "
                         "time zone is probably wrong")
    if not cands and allow_fallbacks:
        cands = _wide(q)
        if cands:
            notes.append(f"found only outside ±{tol:.0f} s (at {cands[0].offset_s:+.0f} s): "
                         "a clock off by minutes whose skew could not be estimated")
    if not cands:
        m = Match(None, rejected, 0.0, tol, notes)
        m.nearest_outside = _nearest(q)
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


@dataclass
class _Search:
    """One call looked for in one source: what every candidate is scored against."""

    source: CdrSource
    calling_key: int
    called_key: int
    at_us: int  # the time searched for, reference clock
    skew_us: int  # the source's clock minus the reference
    ref_duration: float | None
    ref_origid: str | None

    @property
    def center(self) -> int:
        """The searched time on the source's own clock."""
        return self.at_us + self.skew_us

    def rows_around(self, shift_us: int, half_width_s: float) -> np.ndarray:
        """Rows of this call's numbers within ±half_width of center + shift (source clock)."""
        mid, half = self.center + shift_us, int(half_width_s * US)
        return self.same_calling(self.source.window(self.called_key, mid - half, mid + half))

    def same_calling(self, rows: np.ndarray) -> np.ndarray:
        if self.calling_key < 0 or not len(rows):
            return rows
        return rows[self.source.col("calling_key")[rows] == self.calling_key]

    def candidate(self, r: int, tol: float, note: str | None = None, shift_us: int = 0,
                  penalty: float = 1.0) -> Candidate:
        """Score one row. ``shift_us`` is an assumed error of the row's clock beyond the
        estimated skew (a whole hour, a DST overlap): the corrected time removes it, the
        reported offset keeps it, so nothing is hidden."""
        src = self.source
        start = int(src.col("start")[r])
        observed = start - self.skew_us
        corrected = observed - shift_us
        residual = (corrected - self.at_us) / US
        dur = src.col("duration")[r]
        dur = None if np.isnan(dur) else float(dur)
        time_score = max(0.0, 1.0 - abs(residual) / tol) if tol else 1.0
        if self.ref_duration is not None and dur is not None:
            dur_score = max(0.0, 1.0 - abs(dur - self.ref_duration) / 30.0)
            score = 0.65 * time_score + 0.35 * dur_score
        else:
            score = 0.85 * time_score + 0.15 * 0.5
        if int(src.col("flags")[r]) & F_LOW_PRECISION:
            score *= 0.9
        origid = src.text("origid", [r])[0]
        if self.ref_origid and origid == self.ref_origid:
            score = min(1.0, score + 0.1)
        return Candidate(int(r), int(src.col("line")[r]), start, corrected,
                         (observed - self.at_us) / US, dur, round(score, 4), origid, note,
                         shift_s=shift_us / US, penalty=penalty)


def _ambiguous_alternates(q: _Search, tol: float) -> list[Candidate]:
    """Rows whose local start fell in a DST overlap were read as the first occurrence;
    try them as the second one (an hour later) too."""
    hour = 3600 * US
    rows = q.rows_around(-hour, tol)
    rows = rows[(q.source.col("flags")[rows] & F_TIME_AMBIGUOUS) != 0]
    return [q.candidate(r, tol, note="start in a DST overlap: read as the second occurrence "
                        "of that local time", shift_us=-hour, penalty=0.95) for r in rows]


def _whole_hour(q: _Search, tol_s: float) -> list[Candidate]:
    out = []
    for h in WHOLE_HOURS:
        for sign in (1, -1):
            shift = sign * h * 3600 * US
            out += [q.candidate(r, tol_s, note=f"{sign * h:+d} h from the expected time",
                                shift_us=shift, penalty=0.6)
                    for r in q.rows_around(shift, tol_s)]
    return out


def _wide(q: _Search) -> list[Candidate]:
    """Same calling and called within ±WIDE_S; kept only if the duration agrees (or the
    origid does), since a skewed clock moves the start but not the call's length. The
    whole offset is taken as the clock's error, so the next hop searches the right time."""
    if q.calling_key < 0:
        return []
    out = []
    for r in q.rows_around(0, WIDE_S):
        observed = int(q.source.col("start")[r]) - q.skew_us
        c = q.candidate(r, WIDE_S, note="outside the tolerance window",
                        shift_us=observed - q.at_us, penalty=0.6)
        same_origid = q.ref_origid is not None and c.origid == q.ref_origid
        dur_ok = q.ref_duration is not None and c.duration is not None and \
            abs(c.duration - q.ref_duration) <= 2.0
        if same_origid or dur_ok:
            c.score = round(c.score * max(0.2, 1 - abs(c.offset_s) / WIDE_S), 4)
            out.append(c)
    return out


def _nearest(q: _Search) -> Candidate | None:
    rows = q.same_calling(q.source.rows_with_called(q.called_key))
    starts = q.source.col("start")[rows]
    ok = starts != NAT
    if not ok.any():
        return None
    rows, starts = rows[ok], starts[ok]
    r = int(rows[np.argmin(np.abs(starts - q.center))])
    return _Search(q.source, q.calling_key, q.called_key, q.at_us, q.skew_us, None,
                   None).candidate(r, 1.0)
