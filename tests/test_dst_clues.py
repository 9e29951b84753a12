"""Clues the files give, used: BroadWorks userTimeZone, both passes of a repeated local hour,
and answer-time logging estimated as a clock offset plus an answer basis.

Every case has a decoy that the old shortcut took: a record of another leg a few seconds
from the wrong reading of a repeated hour, or a same-pair call answered at once beside a
call answered by voicemail 30 s after its INVITE.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from workbench.case.model import load_case
from workbench.store.normalize import F_TIME_AMBIGUOUS
from workbench.trace.engine import trace
from workbench.trace.results import NoteKind
from workbench.trace.skew import estimate_skew

UTC = timezone.utc
CHICAGO_CDT, CHICAGO_CST = timedelta(hours=-5), timedelta(hours=-6)
TARGET = ("+13125550143", "+17735550188")
BACKGROUND_T0 = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)  # the evening before fall-back


def _background(n: int, seed: int) -> list[tuple[str, str, datetime, float]]:
    """Calls both providers of a hand-off carry (for the skew): numbers, INVITE, ring."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        t = BACKGROUND_T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        out.append((f"+1404555{1000 + k:04d}", f"+1678555{2000 + k:04d}", t,
                    float(rng.uniform(3, 8))))
    return out


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _wall(t: datetime, offset: timedelta) -> str:
    return (t.astimezone(UTC) + offset).strftime("%Y-%m-%d %H:%M:%S")


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(str(v) for v in r) for r in [header, *rows]) + "\n")


def _toml(root: Path, sources: list[str]) -> None:
    (root / "case.toml").write_text("\n".join(
        ['[case]', 'name = "Clues"', 'default_country = "US"', ''] + sources))


def _chicago(t: datetime) -> timedelta:
    """Chicago's offset at instant t (fall-back 2026-11-01 07:00Z)."""
    return CHICAGO_CST if t >= datetime(2026, 11, 1, 7, 0, tzinfo=UTC) else CHICAGO_CDT


# -- both passes of a repeated hour ------------------------------------------------------------

def _overlap_case(root: Path, second_pass: bool) -> tuple[int, int]:
    """Term writes Chicago wall time; Mid writes UTC. The call is at 01:20:40 local on
    fall-back Sunday (first or second pass). Mid also holds a record of another leg of the
    same numbers, 6 s from the *other* reading, with the same length. Returns Mid's true
    line and the UTC µs of the first-pass reading of Term's record."""
    first, second = (datetime(2026, 11, 1, 6, 20, 40, tzinfo=UTC),
                     datetime(2026, 11, 1, 7, 20, 40, tzinfo=UTC))
    true_t, other_t = (second, first) if second_pass else (first, second)
    term = [[_wall(t, _chicago(t)), a, b, 30, "MID-1"] for a, b, t, _ in _background(40, 3)]
    mid = [[_iso(t + timedelta(seconds=0.2)), a, b, 30, "CUST-1"]
           for a, b, t, _ in _background(40, 3)]
    term.append([_wall(true_t, _chicago(true_t)), *TARGET, 20, "MID-1"])
    mid.append([_iso(true_t + timedelta(seconds=0.5)), *TARGET, 20, "CUST-1"])
    mid.append([_iso(other_t + timedelta(seconds=6)), *TARGET, 20, "CUST-9"])  # another leg
    head = ["start_time", "ANI", "DNIS", "duration", "trunk_in"]
    _csv(root / "term.csv", head, term)
    _csv(root / "mid.csv", head, mid)
    _toml(root, ['[[sources]]', 'provider = "Term"', 'path = "term.csv"',
                 'timezone = "America/Chicago"', '[sources.upstreams]', '"MID-1" = "Mid"', '',
                 '[[sources]]', 'provider = "Mid"', 'path = "mid.csv"', '[sources.customers]',
                 '"CUST-1" = "Dialer"', '"CUST-9" = "Other Dialer"', ''])
    return len(mid), int(first.timestamp() * 1_000_000)


@pytest.mark.parametrize("second_pass", [True, False])
def test_the_upstream_hop_chooses_the_pass_of_a_repeated_hour(tmp_path, second_pass):
    """Traced from Term's record as its file wrote it (what tracing a Calls row does): the
    local time is read as the first pass, yet the call was placed in the second one. Mid's
    records choose; the leg 6 s from the first-pass reading must not win by default."""
    true_line, first_pass_us = _overlap_case(tmp_path, second_pass)
    case = load_case(tmp_path)
    term = case.sources_of("Term")[0]
    assert term.summary.times_dst_flagged >= 1
    r = trace(case, calling=TARGET[0], called=TARGET[1], at=first_pass_us, from_provider="Term",
              skew=estimate_skew(case))
    assert [h.provider for h in r.hops] == ["Term", "Mid"]
    assert r.origin is not None and r.origin.customer == "Dialer"
    mid = r.hops[1]
    assert mid.line == true_line
    kinds = [n.kind for n in mid.notes]
    first_hop = [n.kind for n in r.hops[0].notes]
    if second_pass:
        assert NoteKind.DST_OTHER_PASS in kinds
        assert NoteKind.DST_PASS_SETTLED in first_hop
        moved = (r.hops[0].corrected_us - first_pass_us) / 1e6
        assert moved == pytest.approx(3600, abs=2)  # read as the second pass (skew aside)
        assert abs(mid.offset_s) < 5  # the call's time moved with the settled pass
    else:
        assert NoteKind.DST_OTHER_PASS not in kinds
        assert NoteKind.DST_PASS_SETTLED not in first_hop


# -- BroadWorks userTimeZone -------------------------------------------------------------------

def _bw_line(i: int, calling: str, called: str, start: datetime, zone: timedelta, talk: int,
             group: str) -> str:
    f = [""] * 150
    hours = int(zone.total_seconds() // 3600)
    tz = f"{1 if hours == -5 else 0}-{abs(hours):02d}0000"
    stamp = (start.astimezone(UTC) + zone).strftime("%Y%m%d%H%M%S.000")
    end = (start.astimezone(UTC) + zone + timedelta(seconds=talk)).strftime("%Y%m%d%H%M%S.000")
    f[0:6] = [f"{i:07d}a1b2c3{stamp}{tz}", "Origin_SP", "Normal", calling, group, "Originating"]
    f[6], f[8], f[9], f[10], f[11] = calling, called, stamp, tz, "Yes"
    f[12], f[13], f[14], f[23], f[24] = stamp, end, "016", "198.51.100.9:5060", f"BW{i}@x"
    return ",".join(f)


def _broadworks_case(root: Path) -> int:
    """Term (UTC) <- Origin (BroadWorks, Chicago wall time with userTimeZone). The call is at
    01:20:40 CDT (first pass); Origin also holds another leg of the same numbers at
    01:20:34 CST (second pass), whose length fits Term's exactly. Returns the true line."""
    call = datetime(2026, 11, 1, 6, 20, 40, tzinfo=UTC)
    decoy = datetime(2026, 11, 1, 7, 20, 34, tzinfo=UTC)
    bg = _background(30, 5)
    term = [[_iso(t), a, b, 30, "ORG-1"] for a, b, t, _ in bg]
    term.append([_iso(call), *TARGET, 20, "ORG-1"])
    _csv(root / "term.csv", ["start_time", "ANI", "DNIS", "duration", "trunk_in"], term)
    lines = ["00000001a1b2c320261031190000.0001-050000,V22.0,bw,Header"]
    for i, (a, b, t, _) in enumerate(bg):
        lines.append(_bw_line(i, a, b, t, _chicago(t), 30, "GRP-ACME"))
    lines.append(_bw_line(90, *TARGET, call, CHICAGO_CDT, 28, "GRP-ACME"))  # ring counted
    lines.append(_bw_line(91, *TARGET, decoy, CHICAGO_CST, 20, "GRP-OTHER"))
    (root / "origin_bw.csv").write_text("\n".join(lines) + "\n")
    _toml(root, ['[[sources]]', 'provider = "Term"', 'path = "term.csv"', '[sources.upstreams]',
                 '"ORG-1" = "Origin"', '', '[[sources]]', 'provider = "Origin"',
                 'path = "origin_bw.csv"', 'format = "broadworks"',
                 'timezone = "America/Chicago"', '[sources.customers]',
                 '"GRP-ACME" = "Acme"', '"GRP-OTHER" = "Other"', ''])
    return len(lines) - 1  # 1-based line of the true record


def test_usertimezone_gives_each_broadworks_row_its_exact_offset(tmp_path):
    _broadworks_case(tmp_path)
    case = load_case(tmp_path)
    src = case.sources_of("Origin")[0]
    t = src.table.sort_by("line").to_pydict()
    starts, flags = t["start"][-2:], t["flags"][-2:]
    assert starts == [int(datetime(2026, 11, 1, 6, 20, 40, tzinfo=UTC).timestamp() * 1e6),
                      int(datetime(2026, 11, 1, 7, 20, 34, tzinfo=UTC).timestamp() * 1e6)]
    assert not any(f & F_TIME_AMBIGUOUS for f in flags)  # settled, not flagged
    notes = " ".join(src.summary.notes)
    assert "userTimeZone" in notes and "repeated DST hour" in notes
    assert "1 the second, 1 the first" in notes


def test_usertimezone_settles_the_pass_against_a_closer_fitting_leg(tmp_path):
    true_line = _broadworks_case(tmp_path)
    case = load_case(tmp_path)
    r = trace(case, calling=TARGET[0], called=TARGET[1], at="2026-11-01T06:20:40Z",
              skew=estimate_skew(case))
    assert r.origin is not None and r.origin.customer == "Acme"
    assert r.hops[-1].line == true_line


# -- answer-time logging -----------------------------------------------------------------------

def _answer_case(root: Path, clock_s: float = 40.0) -> int:
    """Term logs INVITE and answer times (UTC); Lakes logs the ANSWER time as its start, on a
    clock ``clock_s`` fast. The target was answered by voicemail 30 s after its INVITE; 15 s
    before it the same numbers placed a call answered at once, with the same talk time.
    Returns Lakes' true line."""
    call = datetime(2026, 11, 2, 15, 0, 30, tzinfo=UTC)
    early = call - timedelta(seconds=15)
    bg = _background(60, 7)
    head = ["start_time", "answer_time", "ANI", "DNIS", "duration", "trunk_in"]
    term = [[_iso(t), _iso(t + timedelta(seconds=ring)), a, b, 30, "LAK-1"]
            for a, b, t, ring in bg]
    term += [[_iso(call), _iso(call + timedelta(seconds=30)), *TARGET, 20, "LAK-1"]]
    skew = timedelta(seconds=clock_s)
    lakes = [[_iso(t + timedelta(seconds=ring) + skew), a, b, 30, "CUST-1"]
             for a, b, t, ring in bg]
    lakes.append([_iso(early + timedelta(seconds=1) + skew), *TARGET, 20, "CUST-9"])
    lakes.append([_iso(call + timedelta(seconds=30) + skew), *TARGET, 20, "CUST-1"])
    _csv(root / "term.csv", head, term)
    _csv(root / "lakes.csv", ["start_time", "ANI", "DNIS", "duration", "trunk_in"], lakes)
    _toml(root, ['[[sources]]', 'provider = "Term"', 'path = "term.csv"', '[sources.upstreams]',
                 '"LAK-1" = "Lakes"', '', '[[sources]]', 'provider = "Lakes"',
                 'path = "lakes.csv"', 'time_basis = "answer"', '[sources.customers]',
                 '"CUST-1" = "Dialer"', '"CUST-9" = "Other Dialer"', ''])
    return len(lakes) + 1


def test_clock_and_answer_basis_are_estimated_apart(tmp_path):
    _answer_case(tmp_path)
    case = load_case(tmp_path)
    sk = {s.provider: s for s in estimate_skew(case).values()}
    assert sk["Term"].offset_s == pytest.approx(0.0, abs=0.5)
    assert sk["Term"].answer_lag_s is None
    assert sk["Lakes"].offset_s == pytest.approx(40.0, abs=0.5)  # the clock alone
    assert 3.0 <= sk["Lakes"].answer_lag_s <= 8.0  # the median ring time, apart


def test_a_voicemail_answer_is_matched_on_the_downstream_answer_time(tmp_path):
    true_line = _answer_case(tmp_path)
    case = load_case(tmp_path)
    r = trace(case, calling=TARGET[0], called=TARGET[1], at="2026-11-02T15:00:30Z",
              skew=estimate_skew(case))
    lakes = r.hops[-1]
    assert r.origin is not None and r.origin.customer == "Dialer"
    assert lakes.line == true_line
    note = next(n for n in lakes.notes if n.kind == NoteKind.ANSWER_MATCHED)
    assert note.get("reason") == "downstream_answer"
    assert note.get("ring_s") == pytest.approx(30.0)
    # the INVITE time handed on is the call's, not its answer
    assert lakes.corrected_us == int(datetime(2026, 11, 2, 15, 0, 30, tzinfo=UTC)
                                     .timestamp() * 1e6)


# -- a traceback record's local call time in the repeated hour ---------------------------------

def _record_case(root: Path, true_pass: int, decoy: bool) -> str:
    """Term writes UTC; Mid writes UTC. The traceback record gives the call time as Chicago
    wall time on fall-back Sunday (01:20:40, which happens twice). The call is at
    ``true_pass`` (1 or 2); with ``decoy``, Term also holds a call of the same numbers at the
    other pass, 6 s off, that came in from another upstream (Far, which the record does not
    name). Returns the record's traceback id."""
    passes = {1: datetime(2026, 11, 1, 6, 20, 40, tzinfo=UTC),
              2: datetime(2026, 11, 1, 7, 20, 40, tzinfo=UTC)}
    true_t, other_t = passes[true_pass], passes[3 - true_pass]
    term = [[_iso(t), a, b, 30, "MID-1"] for a, b, t, _ in _background(40, 5)]
    mid = [[_iso(t + timedelta(seconds=0.2)), a, b, 30, "CUST-1"]
           for a, b, t, _ in _background(40, 5)]
    term.append([_iso(true_t + timedelta(seconds=1)), *TARGET, 20, "MID-1"])
    mid.append([_iso(true_t + timedelta(seconds=1.4)), *TARGET, 20, "CUST-1"])
    if decoy:
        term.append([_iso(other_t + timedelta(seconds=-0.5)), *TARGET, 20, "FAR-1"])
    head = ["start_time", "ANI", "DNIS", "duration", "trunk_in"]
    _csv(root / "term.csv", head, term)
    _csv(root / "mid.csv", head, mid)
    _csv(root / "tracebacks.csv",
         ["traceback_id", "call_time", "calling", "called", "hop", "provider", "upstream",
          "status"],
         [["TB-1", "2026-11-01 01:20:40", *TARGET, 1, "Term", "Mid", "upstream_identified"],
          ["TB-1", "2026-11-01 01:20:40", *TARGET, 2, "Mid", "", "originator"]])
    _toml(root, ['[[sources]]', 'provider = "Term"', 'path = "term.csv"',
                 '[sources.upstreams]', '"MID-1" = "Mid"', '"FAR-1" = "Far"', '',
                 '[[sources]]', 'provider = "Mid"', 'path = "mid.csv"', '[sources.customers]',
                 '"CUST-1" = "Dialer"', '',
                 '[[tracebacks]]', 'path = "tracebacks.csv"', 'timezone = "America/Chicago"',
                 ''])
    return "TB-1"


@pytest.mark.parametrize("true_pass", [1, 2])
@pytest.mark.parametrize("decoy", [False, True])
def test_a_record_time_in_the_repeated_hour_is_searched_at_both_passes(tmp_path, true_pass,
                                                                       decoy):
    """The record's local time is read as its first pass. When the call was at the second,
    the shortcut found nothing (or, with a decoy, another call 6 s off from a provider the
    record does not name). Both passes are searched; the record's named upstream chooses."""
    from workbench.trace.batch import BatchCall, trace_many
    from workbench.trace.engine import trace_traceback

    tb_id = _record_case(tmp_path, true_pass, decoy)
    case = load_case(tmp_path)
    tb = case.traceback(tb_id)
    assert tb.call_time_alt_us - tb.call_time_us == 3600 * 1_000_000
    skew = estimate_skew(case)
    r = trace_traceback(case, tb_id, skew=skew)
    assert [h.provider for h in r.hops] == ["Term", "Mid"]
    assert r.origin is not None and r.origin.customer == "Dialer"
    assert r.at_us == (tb.call_time_us if true_pass == 1 else tb.call_time_alt_us)
    assert all(abs(h.offset_s) < 3 for h in r.hops)
    note = next(n for n in r.notes if n.kind == NoteKind.RECORD_TIME_PASS)
    assert note.get("pass") == ("first" if true_pass == 1 else "second")
    assert note.get("both") is decoy
    assert note.get("how") == ("record" if decoy else "only")
    [batched] = trace_many(case, [BatchCall(traceback=tb)], skew=skew)
    from workbench.present.trace_json import trace_json
    assert trace_json(batched) == trace_json(r)
    assert "repeated hour" in " ".join(trace_json(r)["notes"])


def test_a_record_time_outside_the_repeated_hour_has_no_second_pass(tmp_path):
    _record_case(tmp_path, 1, False)
    text = (tmp_path / "tracebacks.csv").read_text().replace("01:20:40", "03:20:40")
    (tmp_path / "tracebacks.csv").write_text(text)
    tb = load_case(tmp_path).traceback("TB-1")
    from workbench.columns.times import NAT
    assert tb.call_time_alt_us == NAT
