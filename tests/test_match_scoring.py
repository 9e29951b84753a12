"""find_call scoring on hand-made store rows: windows, durations, origid, fallbacks."""
from __future__ import annotations

import numpy as np
import pytest

from workbench.columns.times import US
from workbench.store.normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS, SourceSummary
from workbench.trace.match import PairRows, find_call
from workbench.trace.results import NoteKind

T0 = 1_772_900_000 * US  # the call, reference clock
CALLING = 13125550143


def rows(*recs: dict) -> PairRows:
    """Records as the store returns them: start offsets (s) from T0, in start order."""
    recs = tuple(sorted(recs, key=lambda r: r["at"]))
    n = len(recs)
    return PairRows(
        row=np.arange(n, dtype=np.int64) + 100, line=np.arange(n, dtype=np.int64) + 2,
        start=np.array([T0 + int(r["at"] * US) for r in recs], dtype=np.int64),
        duration=np.array([r.get("dur", np.nan) for r in recs], dtype=np.float64),
        flags=np.array([r.get("flags", 0) for r in recs], dtype=np.uint32),
        origid=[r.get("origid") for r in recs], ingress=[r.get("ingress", "T1") for r in recs],
        egress=[None] * n, attest=[None] * n, verstat=[None] * n)


def find(pr: PairRows, *, basis: str = "invite", low: bool = False, **kw):
    summary = SourceSummary(rows=len(pr), time_basis=basis, low_precision=low)
    args = dict(calling_key=CALLING, at_us=T0, skew_s=0.0, tol_s=60.0)
    args.update(kw)
    return find_call(pr, summary, **args)


def kinds(m) -> list[NoteKind]:
    return [n.kind for n in m.notes]


def test_on_time_record_with_the_same_length_scores_one():
    m = find(rows({"at": 0, "dur": 42}), ref_duration=42.0)
    assert m.best is not None and m.best.line == 2 and m.best.row == 100
    assert m.best.score == pytest.approx(1.0)
    assert m.confidence == pytest.approx(1.0)
    assert m.best.ingress == "T1" and m.alternatives == []


def test_time_score_falls_linearly_across_the_window():
    m = find(rows({"at": 30}))  # no durations: 0.85 * time + 0.075
    assert m.best.score == pytest.approx(0.85 * 0.5 + 0.075, abs=1e-4)
    assert m.best.offset_s == pytest.approx(30.0)
    assert find(rows({"at": 61})).best is None  # outside ±60 s, no fallback finds it
    assert find(rows({"at": 61})).window_s == 60.0


def test_skew_moves_the_window_and_the_corrected_time():
    m = find(rows({"at": 120.5, "dur": 30}), skew_s=120.0, ref_duration=30.0)
    assert m.best is not None
    assert m.best.offset_s == pytest.approx(0.5)
    assert m.best.corrected_us == T0 + int(0.5 * US)
    assert m.best.start_us == T0 + int(120.5 * US)  # as the file's clock wrote it


def test_a_retry_with_another_length_is_not_taken():
    m = find(rows({"at": 1, "dur": 40}, {"at": 35, "dur": 95}), ref_duration=40.0)
    assert m.best.line == 2
    assert [c.line for c in m.alternatives] == [3]  # rejected, but reported as a rival
    retry = [n for n in m.notes if n.kind == NoteKind.RETRY_REJECTED]
    assert retry and retry[0].get("line") == 3 and retry[0].get("duration_s") == 95.0


def test_a_doubtful_length_right_on_time_is_kept_with_a_penalty():
    m = find(rows({"at": 2, "dur": 75}), ref_duration=40.0)  # ring time counted on one side
    assert m.best is not None
    assert m.best.note.kind == NoteKind.DOUBTFUL_DURATION and m.best.penalty == 0.8
    plain = 0.65 * (1 - 2 / 60) + 0.35 * max(0.0, 1 - 35 / 30)
    assert m.best.score == pytest.approx(round(plain, 4) * 0.7, abs=1e-4)
    assert m.confidence == pytest.approx(m.best.score * 0.8)


def test_a_rival_lowers_the_confidence_by_its_share():
    m = find(rows({"at": 0, "dur": 50}, {"at": 20, "dur": 50}), ref_duration=50.0)
    best, rival = m.best, m.alternatives[0]
    assert best.line == 2 and rival.line == 3
    share = best.score / (best.score + rival.score)
    assert m.confidence == pytest.approx(best.score * (0.5 + 0.5 * share))
    assert m.confidence < best.score


def test_low_precision_rows_lose_a_tenth():
    plain = find(rows({"at": 0})).best.score
    low = find(rows({"at": 0, "flags": F_LOW_PRECISION})).best.score
    assert low == pytest.approx(plain * 0.9, abs=1e-4)


def test_answer_time_switches_get_a_wider_window_and_say_so():
    assert find(rows({"at": 90})).best is None
    m = find(rows({"at": 90}), basis="answer")
    assert m.best is not None and m.window_s == 105.0
    assert kinds(m)[0] == NoteKind.ANSWER_BASIS


def test_the_same_origid_raises_confidence_and_a_different_one_lowers_it():
    base = find(rows({"at": 20, "dur": 30, "origid": "o-1"}, {"at": 25, "dur": 30}),
                ref_duration=30.0)
    same = find(rows({"at": 20, "dur": 30, "origid": "o-1"}, {"at": 25, "dur": 30}),
                ref_duration=30.0, ref_origid="o-1")
    other = find(rows({"at": 20, "dur": 30, "origid": "o-2"}, {"at": 25, "dur": 30}),
                 ref_duration=30.0, ref_origid="o-1")
    assert same.best.line == 2 and NoteKind.SAME_ORIGID in kinds(same)
    assert same.confidence > base.confidence
    assert NoteKind.DIFFERENT_ORIGID in kinds(other)
    assert other.confidence < base.confidence


def test_whole_hour_fallback_only_when_the_skew_is_not_reliable():
    pr = rows({"at": 3 * 3600 + 4, "dur": 30})
    assert find(pr, ref_duration=30.0, allow_fallbacks=False).best is None
    m = find(pr, ref_duration=30.0)
    assert m.best is not None and m.best.note.kind == NoteKind.HOUR_SHIFT
    assert m.best.note.get("hours") == 3 and m.best.shift_s == 3 * 3600
    assert m.best.corrected_us == T0 + 4 * US  # the assumed hour is removed, the rest kept
    hour = [n for n in m.notes if n.kind == NoteKind.WHOLE_HOUR_ONLY]
    assert hour and hour[0].get("hours") == 3
    assert m.confidence <= 0.6


def test_a_clock_off_by_minutes_is_found_only_when_the_length_agrees():
    assert find(rows({"at": 400, "dur": 31}), ref_duration=80.0).best is None
    m = find(rows({"at": 400, "dur": 80.5}), ref_duration=80.0)
    assert m.best is not None and m.best.note.kind == NoteKind.OUTSIDE_WINDOW
    assert m.best.corrected_us == T0  # the whole offset is taken as the clock's error
    wide = [n for n in m.notes if n.kind == NoteKind.WIDE_ONLY][0]
    assert wide.get("offset_s") == pytest.approx(400.0)


def test_a_dst_overlap_row_is_also_tried_as_the_second_pass():
    # read as the first pass, it sits an hour early; as the second pass it is on time
    m = find(rows({"at": -3600 + 3, "dur": 20, "flags": F_TIME_AMBIGUOUS}), ref_duration=20.0,
             allow_fallbacks=False)
    assert m.best is not None and m.best.note.kind == NoteKind.DST_SECOND_PASS
    assert m.best.corrected_us == T0 + 3 * US
    assert m.best.penalty == 0.95


def test_nothing_found_names_the_nearest_record_of_the_pair():
    m = find(rows({"at": -5000, "dur": 10}, {"at": 2000, "dur": 10}), allow_fallbacks=False)
    assert m.best is None
    assert m.nearest_outside is not None and m.nearest_outside.line == 3
    assert m.nearest_outside.offset_s == pytest.approx(2000.0)
    assert find(rows(), allow_fallbacks=False).nearest_outside is None


# -- clues from neighbouring records: the other pass of a repeated hour, the answer time -----

HOUR = 3600


def _downstream(*, alt_h: int = 0, answer_after_s: float | None = None):
    """The record matched at the previous hop, at T0 on the reference clock."""
    from workbench.columns.times import NAT
    from workbench.trace.results import Candidate
    return Candidate(row=1, line=9, start_us=T0, corrected_us=T0, offset_s=0.0, duration=20.0,
                     score=1.0, alt_us=T0 + alt_h * HOUR * US if alt_h else NAT,
                     answer_us=NAT if answer_after_s is None else T0 + int(answer_after_s * US))


def test_both_passes_of_an_open_repeated_hour_are_searched_on_the_same_footing():
    # the downstream record's local time may be 01:20 CDT (T0) or 01:20 CST (T0 + 1 h):
    # a leg 6 s from the first reading must not beat the call 1 s from the second
    pr = rows({"at": 6, "dur": 20, "ingress": "LEG"}, {"at": HOUR + 1, "dur": 20})
    m = find(pr, ref_duration=20.0, allow_fallbacks=False, downstream=_downstream(alt_h=1))
    assert m.best is not None and m.best.ingress == "T1"
    assert m.best.pass_s == 3600.0 and m.best.corrected_us == T0 + HOUR * US + 1 * US
    assert NoteKind.DST_OTHER_PASS in kinds(m)
    assert [c.ingress for c in m.alternatives] == ["LEG"]  # the leg stays a rival
    # a settled downstream record (no other reading) searches its own time only
    settled = find(pr, ref_duration=20.0, allow_fallbacks=False, downstream=_downstream())
    assert settled.best.ingress == "LEG"


def test_a_record_fitting_both_passes_keeps_the_searched_one_and_leaves_the_pass_open():
    # the same zone upstream: its record reads equally well as either pass
    pr = rows({"at": 2, "dur": 20, "flags": F_TIME_AMBIGUOUS})
    m = find(pr, ref_duration=20.0, allow_fallbacks=False, downstream=_downstream(alt_h=1))
    assert m.best.pass_s == 0.0 and m.best.corrected_us == T0 + 2 * US
    assert m.best.alt_us == T0 + 2 * US + HOUR * US
    assert m.alternatives == []  # one record, counted once
    assert NoteKind.DST_PASS_OPEN in kinds(m)


def test_an_answer_time_record_is_matched_on_the_downstream_answer():
    # voicemail answered 30 s after the INVITE; 15 s earlier a same-pair call answered at
    # once, same talk time. Clock 0, usual ring 5 s: folded, the early call would win.
    pr = rows({"at": 30, "dur": 20, "ingress": "VM"}, {"at": -14, "dur": 20, "ingress": "EARLY"})
    folded = find(pr, basis="answer", skew_s=5.0, ref_duration=20.0)
    assert folded.best.ingress == "EARLY"  # the shortcut's answer, kept when nothing else known
    m = find(pr, basis="answer", ref_duration=20.0, answer_lag_s=5.0,
             downstream=_downstream(answer_after_s=30.0))
    assert m.best.ingress == "VM" and m.best.offset_s == pytest.approx(0.0)
    assert m.best.corrected_us == T0  # the INVITE is handed on, not the answer
    assert m.best.answer_us == T0 + 30 * US
    assert m.window_s == 60.0  # the call's own ring time is known: no widening
    note = next(n for n in m.notes if n.kind == NoteKind.ANSWER_MATCHED)
    assert note.get("reason") == "downstream_answer" and note.get("ring_s") == 30.0


def test_without_a_downstream_answer_the_estimated_ring_time_is_added_to_the_start():
    pr = rows({"at": 6, "dur": 20})
    m = find(pr, basis="answer", ref_duration=20.0, answer_lag_s=5.0,
             downstream=_downstream())
    assert m.best.offset_s == pytest.approx(1.0) and m.window_s == 105.0
    assert m.best.corrected_us == T0 + 1 * US
    note = next(n for n in m.notes if n.kind == NoteKind.ANSWER_MATCHED)
    assert note.get("reason") == "estimated_ring"
