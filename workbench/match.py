"""Finding one call in one source: window search on the sorted index, then scoring."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .normalize import F_LOW_PRECISION
from .source import CdrSource
from .times import NAT, US

ANSWER_EXTRA_S = 45.0  # answer-time logging: ring time varies around the estimated offset
LOW_PRECISION_EXTRA_S = 60.0
WHOLE_HOURS = range(1, 15)
WIDE_S = 900.0
DURATION_SLACK_S = 12.0


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
              ref_origid: str | None = None) -> Match:
    """Search ``source`` for the call placed at ``at_us`` (reference clock)."""
    tol = tolerance_for(source, tol_s)
    skew_us = int(round(skew_s * US))
    center = at_us + skew_us
    rows = source.window(called_key, center - int(tol * US), center + int(tol * US))
    rows = _same_calling(source, rows, calling_key)
    cands = [_candidate(source, r, at_us, skew_us, tol, ref_duration, ref_origid, calling_key)
             for r in rows]
    notes: list[str] = []
    if source.summary.time_basis == "answer":
        notes.append("this switch logs answer time as start: window widened")
    if not cands:
        shifted = _whole_hour(source, calling_key, called_key, center, tol_s, at_us, skew_us,
                              ref_duration, ref_origid)
        if shifted:
            cands = shifted
            notes.append("found only at a whole-hour offset: the file's time zone is probably "
                         "wrong")
    rejected = [c for c in cands if not _duration_consistent(c.duration, ref_duration)]
    if rejected:
        cands = [c for c in cands if c not in rejected]
        for c in rejected[:3]:
            notes.append(f"line {c.line} ({c.offset_s:+.0f} s) has duration {c.duration:.0f} s "
                         f"against {ref_duration:.0f} s downstream: a different call "
                         "(retry?), not taken")
    if not cands:
        cands = _wide(source, calling_key, called_key, center, at_us, skew_us, ref_duration,
                      ref_origid)
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
        conf *= 0.6
    return Match(best, rest + rejected, round(float(min(max(conf, 0.0), 1.0)), 3), tol, notes)


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


def _candidate(source, r, at_us, skew_us, tol, ref_duration, ref_origid, calling_key,
               note=None, shift_us=0) -> Candidate:
    start = int(source.col("start")[r])
    corrected = start - skew_us - shift_us
    offset = (corrected - at_us) / US
    dur = source.col("duration")[r]
    dur = None if np.isnan(dur) else float(dur)
    time_score = max(0.0, 1.0 - abs(offset) / tol) if tol else 1.0
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
                     int(source.col("calling_key")[r]) == calling_key, origid, note)


def _whole_hour(source, calling_key, called_key, center, tol_s, at_us, skew_us, ref_duration,
                ref_origid) -> list[Candidate]:
    out = []
    for h in WHOLE_HOURS:
        for sign in (1, -1):
            shift = sign * h * 3600 * US
            rows = source.window(called_key, center + shift - int(tol_s * US),
                                 center + shift + int(tol_s * US))
            rows = _same_calling(source, rows, calling_key)
            for r in rows:
                out.append(_candidate(source, r, at_us, skew_us, tol_s, ref_duration, ref_origid,
                                      calling_key, note=f"{sign * h:+d} h from the expected time",
                                      shift_us=shift))
    return out


def _wide(source, calling_key, called_key, center, at_us, skew_us, ref_duration,
          ref_origid) -> list[Candidate]:
    """Same calling and called within ±WIDE_S; kept only if the duration agrees (or the
    origid does), since a skewed clock moves the start but not the call's length."""
    rows = source.window(called_key, center - int(WIDE_S * US), center + int(WIDE_S * US))
    rows = _same_calling(source, rows, calling_key)
    if calling_key < 0 or not len(rows):
        return []
    out = []
    for r in rows:
        c = _candidate(source, r, at_us, skew_us, WIDE_S, ref_duration, ref_origid, calling_key,
                       note="outside the tolerance window")
        same_origid = ref_origid is not None and c.origid == ref_origid
        dur_ok = ref_duration is not None and c.duration is not None and \
            abs(c.duration - ref_duration) <= 2.0
        if same_origid or dur_ok:
            out.append(c)
    return out


def _nearest(source, calling_key, called_key, center, at_us, skew_us) -> Candidate | None:
    a, b = source.called_range(called_key)
    if a == b:
        return None
    rows = np.arange(a, b)
    rows = _same_calling(source, rows, calling_key)
    starts = source.col("start")[rows]
    ok = starts != NAT
    if not ok.any():
        return None
    rows, starts = rows[ok], starts[ok]
    r = int(rows[np.argmin(np.abs(starts - center))])
    return _candidate(source, r, at_us, skew_us, 1.0, None, None, calling_key)
