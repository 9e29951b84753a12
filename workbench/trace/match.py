"""Finding one call in one source: scoring the rows the store returned for its numbers.

The store is asked once per hop for every record of the call's (called, calling)
pair (``CdrStore.candidates``); the time windows, whole-hour and DST alternatives and
the nearest-record hint are all cut from that small table here, in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from workbench.columns.arrow_numpy import to_numpy
from workbench.columns.times import NAT, US
from workbench.store.normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS, SourceSummary
from workbench.trace.results import Candidate, Hop, Note, NoteKind

ANSWER_EXTRA_S = 45.0  # answer-time logging: ring time varies around the estimated offset
LOW_PRECISION_EXTRA_S = 60.0
WHOLE_HOURS = range(1, 15)
WIDE_S = 900.0
DURATION_SLACK_S = 12.0
DOUBTFUL_MAX_OFFSET_S = 10.0
HOUR_US = 3600 * US


@dataclass
class PairRows:
    """The records of one call's numbers in one source, in start order (store rows)."""

    row: np.ndarray
    line: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    flags: np.ndarray
    origid: list[str | None]
    ingress: list[str | None]
    egress: list[str | None]
    attest: list[str | None]
    verstat: list[str | None]
    # the record's own numbers and its decoded PASSporT (None: the store did not return them)
    answer: np.ndarray | None = None  # the record's answer time (UTC µs, NAT: none)
    calling_key: np.ndarray | None = None
    called_key: np.ndarray | None = None
    pp_orig: list[str | None] | None = None
    pp_dest: list[str | None] | None = None
    pp_iat: np.ndarray | None = None
    pp_x5u: list[str | None] | None = None

    @classmethod
    def from_table(cls, t: pa.Table) -> PairRows:
        def arr(name: str) -> np.ndarray:
            values: np.ndarray = to_numpy(t.column(name))  # never pandas: warm path
            return values

        def text(name: str) -> list[str | None]:
            return list(t.column(name).to_pylist())

        return cls(arr("row"), arr("line"), arr("start"), arr("duration"), arr("flags"),
                   text("origid"), text("ingress"), text("egress"), text("attest"),
                   text("verstat"), answer=arr("answer"), calling_key=arr("calling_key"),
                   called_key=arr("called_key"), pp_orig=text("pp_orig"),
                   pp_dest=text("pp_dest"), pp_iat=arr("pp_iat"), pp_x5u=text("pp_x5u"))

    def __len__(self) -> int:
        return len(self.row)

    def key(self, name: str, i: int) -> int:
        """Row ``i`` of an int64 column that may be absent (-1 for numbers, NAT for times)."""
        a: np.ndarray | None = getattr(self, name)
        if a is None:
            return NAT if name in ("pp_iat", "answer") else -1
        return int(a[i])

    def text_at(self, name: str, i: int) -> str | None:
        """Row ``i`` of a text column that may be absent."""
        values: list[str | None] | None = getattr(self, name)
        return None if values is None else values[i]


@dataclass(slots=True)
class Match:
    """The best record for a call in a source, its rivals and how it was searched."""

    best: Candidate | None
    alternatives: list[Candidate] = field(default_factory=list)
    confidence: float = 0.0
    window_s: float = 0.0
    notes: list[Note] = field(default_factory=list)
    nearest_outside: Candidate | None = None


def tolerance_for(summary: SourceSummary, tol_s: float, ring_known: bool = False) -> float:
    """The matching window: widened for an answer-time switch unless the call's own ring
    time is known, and for times without seconds."""
    tol = tol_s
    if summary.time_basis == "answer" and not ring_known:
        tol += ANSWER_EXTRA_S
    if summary.low_precision:
        tol += LOW_PRECISION_EXTRA_S
    return tol


_SAME_ORIGID = Note(NoteKind.SAME_ORIGID)  # a note is a value: every such match shares it


def origid_confidence(conf: float, best: Candidate, ref_origid: str | None,
                      notes: list[Note]) -> float:
    """The confidence raised by the downstream hop's SHAKEN origid, or lowered by another one
    (with the note that says which); the quick path and the full search share it."""
    if ref_origid and best.origid:
        if best.origid == ref_origid:
            notes.append(_SAME_ORIGID)
            return max(conf, min(0.99, best.score + 0.3))
        notes.append(Note(NoteKind.DIFFERENT_ORIGID,
                          {"here": best.origid, "downstream": ref_origid}))
        return conf * 0.8
    return conf


def find_call(rows: PairRows, summary: SourceSummary, *, calling_key: int, at_us: int,
              skew_s: float, tol_s: float, ref_duration: float | None = None,
              ref_origid: str | None = None, allow_fallbacks: bool = True,
              downstream: Candidate | None = None, answer_lag_s: float | None = None) -> Match:
    """Choose among ``rows`` (one source's records of the call's numbers) the call placed
    at ``at_us`` on the reference clock.

    ``allow_fallbacks`` lets the search look at whole-hour offsets (a file in the wrong
    zone) and up to ±15 min (a clock off by minutes) when the source's skew could not be
    estimated; with a well-estimated skew those would only find other calls.
    ``downstream`` is the record matched at the previous hop: its answer time places an
    answer-time record, and while its local time is in a repeated hour whose pass no hop
    has settled, both passes are searched here and this hop's records choose.
    ``answer_lag_s`` is an answer-time switch's median ring time when estimated apart from
    its clock (``skew_s`` then being the clock alone).
    """
    notes: list[Note] = []
    ring_us, ring_known = _ring(summary, at_us, downstream, answer_lag_s, notes)
    tol = tolerance_for(summary, tol_s, ring_known)
    open_pass = downstream is None or downstream.alt_us != NAT
    q = _Search(rows, calling_key, at_us + ring_us, int(round(skew_s * US)), ref_duration,
                ref_origid, ring_us, summary.time_basis == "answer", open_pass)
    cands = _around(q, tol)
    if downstream is not None and downstream.alt_us != NAT:  # the other pass, same footing
        hours = round((downstream.alt_us - downstream.corrected_us) / HOUR_US)
        alt = q.moved(downstream.alt_us - downstream.corrected_us)
        for c in _around(alt, tol):
            c.pass_s = float(hours * 3600)
            cands.append(c)
    cands, rejected = _by_duration(_one_per_row(cands), ref_duration, notes)
    if not cands and allow_fallbacks:
        cands, more = _by_duration(_whole_hour(q, tol_s), ref_duration, notes)
        rejected += more
        if cands:
            notes.append(Note(NoteKind.WHOLE_HOUR_ONLY,
                              {"hours": round(cands[0].shift_s / 3600)}))
    if not cands and allow_fallbacks:
        cands = _wide(q)
        if cands:
            notes.append(Note(NoteKind.WIDE_ONLY, {"window_s": tol,
                                                   "offset_s": cands[0].offset_s}))
    if not cands:
        m = Match(None, rejected, 0.0, tol, notes)
        m.nearest_outside = _nearest(q)
        return m
    cands.sort(key=lambda c: -c.score)  # stable: an exact tie keeps the searched pass
    best, rest = cands[0], cands[1:]
    total = sum(c.score for c in cands) or 1.0
    share = best.score / total
    conf = best.score * (0.5 + 0.5 * share) if rest else best.score
    conf = origid_confidence(conf, best, ref_origid, notes)
    if best.note:
        conf *= best.penalty
        notes.append(best.note)
    if best.pass_s:
        notes.append(Note(NoteKind.DST_OTHER_PASS, {"hours": round(best.pass_s / 3600)}))
    if best.alt_us != NAT:
        notes.append(Note(NoteKind.DST_PASS_OPEN))
    return Match(best, rest + rejected, float(min(max(conf, 0.0), 1.0)), tol, notes)


def _ring(summary: SourceSummary, at_us: int, downstream: Candidate | None,
          lag_s: float | None, notes: list[Note]) -> tuple[int, bool]:
    """How long after the INVITE this source's records are logged (µs), and whether that is
    the call's own ring time. An answer-time record is matched against the downstream
    record's answer time where it has one, else the start plus the estimated ring time."""
    if summary.time_basis != "answer":
        return 0, False
    if lag_s is None:  # clock and ring time could not be told apart: folded in the skew
        notes.append(Note(NoteKind.ANSWER_BASIS))
        return 0, False
    if downstream is not None and downstream.answer_us != NAT:
        ring = downstream.answer_us - downstream.corrected_us
        notes.append(Note(NoteKind.ANSWER_MATCHED, {"ring_s": ring / US, "lag_s": lag_s,
                                                    "reason": "downstream_answer"}))
        return ring, True
    notes.append(Note(NoteKind.ANSWER_MATCHED, {"ring_s": lag_s, "lag_s": lag_s,
                                                "reason": "estimated_ring"}))
    return int(round(lag_s * US)), False


def _one_per_row(cands: list[Candidate]) -> list[Candidate]:
    """A record found under both passes counts once, at its better fit (a tie keeps the
    pass searched first: the same record fits both equally only when nothing settles it)."""
    best: dict[int, Candidate] = {}
    for c in cands:
        if c.row not in best or c.score > best[c.row].score:
            best[c.row] = c
    return [c for c in cands if best[c.row] is c]


def settle_pass(hops: list[Hop]) -> int:
    """The last hop's record was found at the other pass of the downstream records' repeated
    local hour: read those records (the run whose pass was open) as that pass, with a note.
    Returns the shift given to the first hop (µs; 0 when it kept its reading)."""
    if not hops:
        return 0
    last = hops[-1].candidates
    if not last or not last[0].pass_s:  # nearly every hop: nothing to settle
        return 0
    shift = int(round(hops[-1].candidates[0].pass_s * US))
    moved_first = 0
    for k in range(len(hops) - 2, -1, -1):
        hop = hops[k]
        c = hop.candidates[0] if hop.found and hop.candidates else None
        if c is None or c.alt_us == NAT:
            break
        c.corrected_us, c.alt_us = c.alt_us, NAT
        if c.answer_us != NAT:
            c.answer_us += shift
        hop.corrected_us = c.corrected_us
        hop.notes = [n for n in hop.notes if n.kind != NoteKind.DST_PASS_OPEN]
        hop.notes.append(Note(NoteKind.DST_PASS_SETTLED, {"hours": round(shift / HOUR_US),
                                                          "by": hops[-1].provider}))
        moved_first = shift if k == 0 else moved_first
    return moved_first


def _around(q: _Search, tol: float) -> list[Candidate]:
    """Records on time for ``q``: as read, and those of a repeated local hour read as its
    second pass."""
    return [q.candidate(r, tol) for r in q.rows_around(0, tol)] + _ambiguous_alternates(q, tol)


def _by_duration(cands: list[Candidate], ref: float | None,
                 notes: list[Note]) -> tuple[list[Candidate], list[Candidate]]:
    """Keep calls whose length fits the downstream record. A doubtful length (ring time
    counted on one side) is kept only right on time; a retry 30 s later is not."""
    keep, rejected = [], []
    for c in cands:
        if _duration_consistent(c.duration, ref):
            keep.append(c)
        elif abs(c.offset_s - c.shift_s) <= DOUBTFUL_MAX_OFFSET_S:
            c.score = round(c.score * 0.7, 4)
            c.note = c.note or Note(NoteKind.DOUBTFUL_DURATION,
                                    {"duration_s": c.duration, "ref_s": ref})
            c.penalty = min(c.penalty, 0.8)
            keep.append(c)
        else:
            rejected.append(c)
    for c in rejected[:3]:
        notes.append(Note(NoteKind.RETRY_REJECTED, {"line": c.line, "offset_s": c.offset_s,
                                                    "duration_s": c.duration, "ref_s": ref}))
    return keep, rejected


def _duration_consistent(dur: float | None, ref: float | None) -> bool:
    """Same call, same length: allow rounding and ring time counted on one side only."""
    if dur is None or ref is None:
        return True
    lo, hi = sorted((dur, ref))
    return (hi - lo) <= DURATION_SLACK_S or hi <= 1.5 * lo


@dataclass(slots=True)
class _Search:
    """One call looked for in one source's rows: what every candidate is scored against."""

    rows: PairRows
    calling_key: int
    at_us: int  # the time searched for, reference clock
    skew_us: int  # the source's clock minus the reference
    ref_duration: float | None
    ref_origid: str | None
    ring_us: int = 0  # logged this long after the INVITE (answer-time switch)
    answer_basis: bool = False
    open_pass: bool = True  # no neighbour has settled the pass of a repeated local hour

    def moved(self, by_us: int) -> _Search:
        """The same search an amount of time away (the other pass of a repeated hour)."""
        return _Search(self.rows, self.calling_key, self.at_us + by_us, self.skew_us,
                       self.ref_duration, self.ref_origid, self.ring_us, self.answer_basis,
                       self.open_pass)

    @property
    def center(self) -> int:
        """The searched time on the source's own clock."""
        return self.at_us + self.skew_us

    def rows_around(self, shift_us: int, half_width_s: float) -> np.ndarray:
        """Positions of rows within ±half_width of center + shift (source clock), in start
        order."""
        mid, half = self.center + shift_us, int(half_width_s * US)
        start = self.rows.start
        return np.flatnonzero((start >= mid - half) & (start <= mid + half))

    def candidate(self, i: int, tol: float, note: Note | None = None, shift_us: int = 0,
                  penalty: float = 1.0) -> Candidate:
        """Score row position ``i``. ``shift_us`` is an assumed error of the row's clock
        beyond the estimated skew (a whole hour, a DST overlap): the corrected time removes
        it, the reported offset keeps it, so nothing is hidden."""
        rows = self.rows
        at_us, skew_us = self.at_us, self.skew_us
        start = int(rows.start[i])
        observed = start - skew_us
        logged = observed - shift_us  # when the record says it happened, reference clock
        corrected = logged - self.ring_us  # the INVITE
        dur: float | None = float(rows.duration[i])
        if dur != dur:  # NaN: no length
            dur = None
        time_score = max(0.0, 1.0 - abs((logged - at_us) / US) / tol) if tol else 1.0
        ref_duration = self.ref_duration
        if ref_duration is not None and dur is not None:
            dur_score = max(0.0, 1.0 - abs(dur - ref_duration) / 30.0)
            score = 0.65 * time_score + 0.35 * dur_score
        else:
            score = 0.85 * time_score + 0.15 * 0.5
        flags = int(rows.flags[i])
        if flags & F_LOW_PRECISION:
            score *= 0.9
        origid = rows.origid[i]
        ref_origid = self.ref_origid
        if ref_origid and origid == ref_origid:
            score = min(1.0, score + 0.1)
        if self.answer_basis:  # the record's answer time, reference clock (NAT: none)
            answer = logged
        else:
            column = rows.answer
            answer = NAT if column is None else int(column[i])
            if answer != NAT:
                answer -= skew_us
        ing, ed, iat = rows.calling_key, rows.called_key, rows.pp_iat
        pp_orig, pp_dest, pp_x5u = rows.pp_orig, rows.pp_dest, rows.pp_x5u
        # scores are kept to 4 decimals: ranking ties between equal records stay stable
        return Candidate(int(rows.row[i]), int(rows.line[i]), start, corrected,
                         (observed - at_us) / US, dur, round(score, 4), origid, note,
                         shift_us / US, penalty, rows.ingress[i], rows.egress[i],
                         rows.attest[i], rows.verstat[i],
                         -1 if ing is None else int(ing[i]), -1 if ed is None else int(ed[i]),
                         None if pp_orig is None else pp_orig[i],
                         None if pp_dest is None else pp_dest[i],
                         NAT if iat is None else int(iat[i]),
                         None if pp_x5u is None else pp_x5u[i], answer,
                         NAT if not self.open_pass or not flags & F_TIME_AMBIGUOUS else
                         self._other_pass(i, corrected, shift_us))

    def _other_pass(self, i: int, corrected: int, shift_us: int) -> int:
        """``corrected`` read as the other pass of a repeated local hour, while the pass is
        open (NAT otherwise: a record outside such an hour, or a pass already settled)."""
        if not self.open_pass or not int(self.rows.flags[i]) & F_TIME_AMBIGUOUS:
            return NAT
        return corrected - HOUR_US if shift_us == -HOUR_US else corrected + HOUR_US


def _ambiguous_alternates(q: _Search, tol: float) -> list[Candidate]:
    """Rows whose local start fell in a DST overlap were read as the first occurrence;
    try them as the second one (an hour later) too."""
    pos = q.rows_around(-HOUR_US, tol)
    pos = pos[(q.rows.flags[pos] & F_TIME_AMBIGUOUS) != 0]
    return [q.candidate(i, tol, note=Note(NoteKind.DST_SECOND_PASS), shift_us=-HOUR_US,
                        penalty=0.95) for i in pos]


def _whole_hour(q: _Search, tol_s: float) -> list[Candidate]:
    out = []
    for h in WHOLE_HOURS:
        for sign in (1, -1):
            shift = sign * h * HOUR_US
            out += [q.candidate(i, tol_s, note=Note(NoteKind.HOUR_SHIFT, {"hours": sign * h}),
                                shift_us=shift, penalty=0.6)
                    for i in q.rows_around(shift, tol_s)]
    return out


def _wide(q: _Search) -> list[Candidate]:
    """Same calling and called within ±WIDE_S; kept only if the duration agrees (or the
    origid does), since a skewed clock moves the start but not the call's length. The
    whole offset is taken as the clock's error, so the next hop searches the right time."""
    if q.calling_key < 0:
        return []
    out = []
    for i in q.rows_around(0, WIDE_S):
        observed = int(q.rows.start[i]) - q.skew_us
        c = q.candidate(i, WIDE_S, note=Note(NoteKind.OUTSIDE_WINDOW),
                        shift_us=observed - q.at_us, penalty=0.6)
        same_origid = q.ref_origid is not None and c.origid == q.ref_origid
        dur_ok = q.ref_duration is not None and c.duration is not None and \
            abs(c.duration - q.ref_duration) <= 2.0
        if same_origid or dur_ok:
            c.score = round(c.score * max(0.2, 1 - abs(c.offset_s) / WIDE_S), 4)
            out.append(c)
    return out


def _nearest(q: _Search) -> Candidate | None:
    """The record of this pair nearest the searched time, at any distance (a hint)."""
    if not len(q.rows):
        return None
    i = int(np.argmin(np.abs(q.rows.start - q.center)))
    plain = _Search(q.rows, q.calling_key, q.at_us, q.skew_us, None, None, q.ring_us,
                    q.answer_basis, False)
    return plain.candidate(i, 1.0)
