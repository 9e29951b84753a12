"""The batch's .jsonl text (``TraceJsonText``, ``cli.batch.jsonl``) equals
``json.dumps(trace_json(result))`` byte for byte, on hand-made results full of odd values.

One writer writes several results in a row, drawn from small pools so that its memos meet
the same value again, and values that are equal but print apart (1, 1.0 and True; 0.0 and
-0.0; a StrEnum and its text): unicode, quotes and control characters, None fields, NaN and
infinities, negative offsets, times before 1970 and in the year 9999, every Outcome, notes
with and without values, SHAKEN checks shared by identity or naming values, a traceback
compared or not. ``jsonl`` is compared with the code it replaced. Not timing tests.
"""
from __future__ import annotations

import dataclasses
import json
from enum import Enum
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.cli.batch import jsonl
from workbench.columns.times import NAT, US, iso_utc
from workbench.common.errors import InputError
from workbench.present.trace_json import TraceJsonText, trace_json
from workbench.store.protocol import SourceId
from workbench.trace.batch import BatchCall
from workbench.trace.results import (
    NO_VALUES,
    Candidate,
    Hop,
    Note,
    NoteKind,
    Origin,
    Outcome,
    Role,
    ShakenCheck,
    ShakenCheckKind,
    ShakenReason,
    Skew,
    TraceResult,
)


class _OddRole(str, Enum):
    """Equal to "transit" as text, but printed "_OddRole.TRANSIT" by str()."""

    TRANSIT = "transit"


class _OddKind(str, Enum):
    """Equal to a check's id as text, but printed "_OddKind.ORIGID" by str()."""

    ORIGID = "origid_constant"


#: values equal to each other (as keys of a dict) whose JSON or str() differ, or not
_TWINS = [(0.0, -0.0), (1, True), (True, 1.0), (1, 1.0), (0, False), (False, 0.0), (0, -0.0),
          ("transit", _OddRole.TRANSIT), (Role.TRANSIT, "transit"),
          (ShakenCheckKind.ORIGID_CONSTANT, _OddKind.ORIGID),
          (ShakenCheckKind.ORIGID_CONSTANT, "origid_constant"), (2**70, float(2**70))]
_HOP_FIELDS = ["found", "role", "upstream", "customer", "offset_s", "confidence",
               "alternatives", "line", "duration", "skew_s", "skew_calls", "traceback_agrees",
               "traceback_status", "attest"]


_TEXT = st.sampled_from(["", "Midway Transit", "Zürich \"Ω\" \\ \x01\x1f\u2028 😀", "a, b",
                         "\ud800", "</script>", "0417", "+13125550143", "MWT-01"])
_NAME = st.one_of(st.none(), _TEXT)
_ODD = st.sampled_from([None, 0, 1, -1, True, False, 0.0, -0.0, 1.0, -0.5, 0.0004, -0.0004,
                        0.1235, 2.0005, 1e300, 5e-324, 2**70, float("nan"), float("inf"),
                        -float("inf"), "1", ""])
_FLOAT = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.925, -29.0, 48.0, 0.0004, -0.0004,
                                    float("nan"), float("inf"), 1, True, False, 0]),
                   st.floats(allow_nan=True, allow_infinity=True))
_SOME = st.one_of(_FLOAT, _ODD)
_EDGE_TIMES = [NAT, None, 0, -1, 999, 1000, 1001, 3_599_999_999, 3_600_000_000,
               -3_600_000_001, 86_399_999_999, -62_135_596_800 * US,
               253_402_300_799 * US + 999_999, 1_772_955_672_492_000, 1_772_955_672_000_000]
_TIME = st.one_of(st.sampled_from(_EDGE_TIMES),
                  st.integers(-62_135_596_800 * US, 253_402_300_799 * US + 999_999),
                  st.integers(1_772_900_000 * US, 1_772_910_000 * US))
_ROLE = st.one_of(st.sampled_from(list(Role)), st.sampled_from(["transit", "originator", ""]),
                  st.just(_OddRole.TRANSIT))


def _values() -> st.SearchStrategy:
    keys = st.sampled_from(["here", "other", "other_hop", "other_provider", "attest",
                            "signer_hop", "signer_provider", "customer", "orig", "dest",
                            "calling", "called", "orig_ok", "dest_ok", "hours", "line",
                            "offset_s", "window_s", "provider", "said", "cdr", "by"])
    return st.dictionaries(keys, st.one_of(_NAME, _ODD), max_size=5)


# a check object shared by identity between hops, as trace.shaken_checks shares its blanks
_SHARED = [ShakenCheck(k, None, r) for k in ShakenCheckKind
           for r in (ShakenReason.NO_RECORD, ShakenReason.ABSENT)]

_CHECK = st.one_of(
    st.sampled_from(_SHARED),
    st.builds(ShakenCheck, st.sampled_from(list(ShakenCheckKind)
                                           + ["same_signer", _OddKind.ORIGID, 0.0, -0.0]),
              st.sampled_from([None, True, False, 1, 0, 0.0, -0.0]),
              st.sampled_from([r for r in ShakenReason if r != ShakenReason.IAT_WITHIN
                               and r != ShakenReason.IAT_OUTSIDE
                               and r != ShakenReason.NO_REFERENCE_TIME]),
              st.one_of(st.just(NO_VALUES), _values(),
                        _values().map(MappingProxyType))),
    st.builds(ShakenCheck, st.just(ShakenCheckKind.IAT_WINDOW), st.sampled_from([True, False]),
              st.sampled_from([ShakenReason.IAT_WITHIN, ShakenReason.IAT_OUTSIDE,
                               ShakenReason.NO_REFERENCE_TIME]),
              st.fixed_dictionaries({"iat_us": st.integers(0, 4_000_000_000 * US),
                                     "gap_s": _FLOAT, "tolerance_s": _FLOAT,
                                     "ref_basis": st.sampled_from(["origin", "own"]),
                                     "ref_hop": st.integers(1, 5), "ref_provider": _TEXT})))
# notes whose sentences read only text (a note's values are the engine's, well typed)
_NOTE = st.one_of(
    st.builds(Note, st.sampled_from(list(NoteKind))),
    st.builds(Note, st.sampled_from([NoteKind.NOT_IN_WINDOW, NoteKind.TRACEBACK_DISAGREES,
                                     NoteKind.LOOP, NoteKind.UNMAPPED_INGRESS,
                                     NoteKind.DIFFERENT_ORIGID]),
              st.fixed_dictionaries({}, optional={
                  "calling": _NAME, "called": _NAME, "window_s": st.floats(-1e6, 1e6),
                  "said": _NAME, "cdr": _NAME, "provider": _NAME, "ingress": _NAME,
                  "here": _NAME, "downstream": _NAME})))
_CANDIDATE = st.builds(
    Candidate, row=st.just(0), line=st.one_of(st.integers(-5, 2**70), _ODD),
    start_us=st.just(0), corrected_us=st.just(0),
    offset_s=st.one_of(_FLOAT, st.sampled_from([1, -3, True, 2**70])),
    duration=_SOME, score=st.one_of(_FLOAT, st.sampled_from([1, 0, False])),
    note=st.one_of(st.none(), _NOTE))
_SOURCE = st.one_of(st.none(), st.builds(SourceId, _TEXT, _TEXT))
_HOP = st.builds(
    Hop, provider=_TEXT, found=st.sampled_from([True, False, 1, 0, 0.0, -0.0, None]),
    role=_ROLE, upstream=_NAME, customer=_NAME, ingress=_NAME, egress=_NAME,
    start_us=_TIME, corrected_us=_TIME, offset_s=_SOME, confidence=_SOME,
    alternatives=st.one_of(st.integers(0, 3), _ODD), source=_SOURCE,
    line=st.one_of(st.none(), st.integers(0, 2**64), _ODD), duration=_SOME,
    skew_s=_SOME, skew_calls=st.one_of(st.none(), st.integers(0, 10**6), _ODD),
    attest=_NAME, origid=_NAME, verstat=_NAME,
    candidates=st.lists(_CANDIDATE, max_size=3), notes=st.lists(_NOTE, max_size=2),
    traceback_agrees=st.sampled_from([None, True, False, 1, 0]),
    traceback_upstream=_NAME,
    traceback_status=st.one_of(_NAME, st.sampled_from(["upstream_identified", "not_found"])),
    shaken_checks=st.lists(_CHECK, max_size=5))
_SKEW = st.builds(Skew, provider=_TEXT, path=_TEXT, offset_s=_SOME, calls=_SOME,
                  basis=_TEXT, against=st.lists(_TEXT, max_size=2))


@st.composite
def _results(draw) -> list[TraceResult]:
    """A batch of results sharing hops' values, checks and (sometimes) their Skew objects."""
    pool = draw(st.lists(_HOP, min_size=1, max_size=6))
    for _ in range(draw(st.integers(0, 4))):  # twins: one value swapped for an equal one
        pool += _twins(draw, draw(st.sampled_from(pool)))
    skews = draw(st.lists(_SKEW, max_size=3))
    out = []
    for _ in range(draw(st.integers(1, 6))):
        hops = [_copy_hop(draw(st.sampled_from(pool))) for _ in range(draw(st.integers(0, 5)))]
        own = draw(st.booleans())
        skew_objs = draw(st.lists(_SKEW, max_size=2)) if own else skews
        out.append(TraceResult(
            calling=draw(_TEXT), called=draw(_TEXT), at_us=draw(_TIME),
            outcome=draw(st.sampled_from(list(Outcome))), hops=hops,
            origin=draw(st.one_of(st.none(), st.builds(Origin, _TEXT, _NAME))),
            skew={SourceId(s.provider, f"{s.path}{i}"): s for i, s in enumerate(skew_objs)},
            tolerance_s=draw(_SOME), traceback_id=draw(_NAME),
            unmapped_ingress=draw(_NAME), loop_to=draw(_NAME),
            notes=draw(st.lists(_NOTE, max_size=2))))
    return out


def _twins(draw, h: Hop) -> list[Hop]:
    """Two copies of ``h`` apart in one field of the hop, a check or a candidate, whose
    values are equal as keys (0.0 and -0.0, 1 and True, a StrEnum and its text)."""
    a, b = draw(st.sampled_from(_TWINS))
    one, two = _copy_hop(h), _copy_hop(h)
    where = draw(st.sampled_from(["hop", "check", "candidate"]))
    if where == "check" and h.shaken_checks:
        i = draw(st.integers(0, len(h.shaken_checks) - 1))
        c = h.shaken_checks[i]
        what = draw(st.sampled_from(["check", "ok", "values"]))
        if what == "values":
            key = draw(st.sampled_from(["here", "attest", "other_hop", "signer_hop"]))
            one.shaken_checks[i] = c._replace(values={**c.values, key: a})
            two.shaken_checks[i] = c._replace(values={**c.values, key: b})
        else:
            one.shaken_checks[i] = c._replace(**{what: a})
            two.shaken_checks[i] = c._replace(**{what: b})
    elif where == "candidate" and h.candidates:
        i = draw(st.integers(0, len(h.candidates) - 1))
        what = draw(st.sampled_from(["line", "offset_s", "duration", "score"]))
        one.candidates[i] = dataclasses.replace(h.candidates[i], **{what: a})
        two.candidates[i] = dataclasses.replace(h.candidates[i], **{what: b})
    else:
        what = draw(st.sampled_from(_HOP_FIELDS))
        setattr(one, what, a)
        setattr(two, what, b)
    return [one, two]


def _copy_hop(h: Hop) -> Hop:
    """Another Hop with the same field values (the checks the same objects, as a batch's
    hops share them)."""
    fields = {f: getattr(h, f) for f in Hop.__slots__}  # type: ignore[attr-defined]
    fields["candidates"] = list(h.candidates)
    fields["notes"] = list(h.notes)
    fields["shaken_checks"] = list(h.shaken_checks)
    return Hop(**fields)


def _same_or_same_error(text: TraceJsonText, r: TraceResult) -> None:
    try:
        want = json.dumps(trace_json(r))
    except Exception as e:  # a value the contract cannot print: the text fails alike
        try:
            text(r)
        except type(e):
            return
        raise AssertionError(f"json.dumps raised {e!r}, TraceJsonText did not") from None
    assert text(r) == want


@settings(max_examples=300, deadline=None, derandomize=True)
@given(batch=_results())
def test_the_text_equals_json_dumps_of_trace_json(batch):
    text = TraceJsonText()
    for r in batch:
        _same_or_same_error(text, r)
    for r in batch:  # written again: every memo warm
        _same_or_same_error(text, r)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(times=st.lists(_TIME, min_size=1, max_size=30))
def test_times_equal_iso_utc(times):
    """Hours shared and not, in and out of the memo (a hop's start and corrected time are
    written inline when they share an hour already seen)."""
    text = TraceJsonText()
    for k, us in enumerate(times):
        assert text._time(us) == json.dumps(iso_utc(us))
        h = Hop("P", True, start_us=us, corrected_us=times[k - 1])
        assert text._hop(h, False) == json.dumps(_hop_dict(h))


def _hop_dict(h: Hop) -> dict:
    from workbench.present.trace_json import hop_json
    return hop_json(h)


def _old_jsonl(calls, results) -> bytes:
    """``cli.batch.jsonl`` as it was: one str joined, then encoded."""
    lines = [json.dumps({"error": str(r), "line": c.row}) if isinstance(r, InputError)
             else json.dumps(trace_json(r)) for c, r in zip(calls, results)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(batch=_results(), errors=st.lists(st.booleans(), max_size=8))
def test_jsonl_equals_the_code_it_replaced(batch, errors):
    results: list = []
    for r, bad in zip(batch, errors + [False] * len(batch)):
        try:
            json.dumps(trace_json(r))
        except Exception:
            continue
        results.append(InputError("bad \"row\" é", line=3) if bad else r)
    calls = [BatchCall("1", "2", "2026-01-01T00:00:00Z", row=k) for k in range(len(results))]
    assert jsonl(calls, results) == _old_jsonl(calls, results)


def test_jsonl_of_nothing_is_one_line_end():
    assert jsonl([], []) == _old_jsonl([], []) == b"\n"


# -- every memo against values equal as keys -----------------------------------------------

_FRIENDLY_CHECK = st.builds(
    ShakenCheck, st.sampled_from(list(ShakenCheckKind)), st.sampled_from([None, True, False]),
    st.sampled_from([ShakenReason.NO_RECORD, ShakenReason.NOTHING_TO_COMPARE,
                     ShakenReason.NOT_A, ShakenReason.SIGNER_UNKNOWN, ShakenReason.SAME]),
    st.one_of(st.just(NO_VALUES), st.fixed_dictionaries(
        {"here": _TEXT, "attest": _TEXT, "signer_hop": st.integers(1, 5)})))
_FRIENDLY_CANDIDATE = st.builds(
    Candidate, row=st.just(0), line=st.integers(0, 10**6), start_us=st.just(0),
    corrected_us=st.just(0), offset_s=st.floats(-90, 90).filter(bool),
    duration=st.floats(1, 600), score=st.floats(0.01, 1))
#: a hop whose every value a memo keeps (text, bools, non-zero floats): its twins must not
#: find the text kept for it
_FRIENDLY_HOP = st.builds(
    Hop, provider=_TEXT, found=st.booleans(), role=st.sampled_from(list(Role)),
    upstream=_NAME, customer=_NAME, ingress=_NAME, egress=_NAME,
    start_us=st.integers(0, 2 * 10**15), corrected_us=st.integers(0, 2 * 10**15),
    offset_s=st.floats(-90, 90).filter(bool), confidence=st.floats(0.01, 1),
    alternatives=st.integers(0, 3), source=_SOURCE, line=st.integers(0, 10**6),
    duration=st.floats(1, 600), skew_s=st.floats(0.001, 30), skew_calls=st.integers(0, 10**6),
    attest=_NAME, origid=_NAME, verstat=_NAME,
    candidates=st.lists(_FRIENDLY_CANDIDATE, min_size=1, max_size=2),
    notes=st.lists(st.builds(Note, st.sampled_from(list(NoteKind))), max_size=2),
    traceback_agrees=st.sampled_from([None, True]), traceback_status=_NAME,
    shaken_checks=st.lists(_FRIENDLY_CHECK, min_size=1, max_size=5))


def _twin_of(h: Hop, where: str, what: str, value: object) -> Hop:
    out = _copy_hop(h)
    if where == "check":
        c = h.shaken_checks[0]
        out.shaken_checks[0] = (c._replace(values={**c.values, what: value})
                                if what in ("here", "attest", "signer_hop")
                                else c._replace(**{what: value}))
    elif where == "candidate":
        out.candidates[0] = dataclasses.replace(h.candidates[0], **{what: value})
    else:
        setattr(out, what, value)
    return out


@settings(max_examples=40, deadline=None, derandomize=True)
@given(h=_FRIENDLY_HOP, tb=st.booleans())
def test_no_memo_mistakes_a_value_for_an_equal_one(h, tb):
    """Each field of a hop, of its first check and candidate, set to one value and then
    to another equal to it as a key (0.0 and -0.0, 1 and True, "transit" and a StrEnum
    printed otherwise), each written after the other by one writer."""
    places = ([("hop", f) for f in _HOP_FIELDS + ["start_us", "source"]]
              + [("check", f) for f in ("check", "ok", "here", "attest", "signer_hop")]
              + [("candidate", f) for f in ("line", "offset_s", "duration", "score")]
              + [("result", "tolerance_s")])
    for where, what in places:
        for a, b in _TWINS:
            text = TraceJsonText()
            for value in (a, b, a):
                hop = _twin_of(h, where, what, value) if where != "result" else h
                r = TraceResult("1", "2", 0, Outcome.ORIGIN, [hop], None, {},
                                value if where == "result" else 60.0,  # type: ignore[arg-type]
                                traceback_id="TB-1" if tb else None)
                _same_or_same_error(text, r)
